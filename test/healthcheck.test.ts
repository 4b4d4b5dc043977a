import assert from 'node:assert/strict';
import { healthcheckUrl, listenAddressIn } from '../src/healthcheck.js';

describe('healthcheck (the image HEALTHCHECK)', () => {
  it('finds the last --web.listen-address in the exporter command line, in either form', () => {
    assert.equal(listenAddressIn(['node', '/app/dist/main.js', '--config.file=/etc/x.yml']), undefined);
    assert.equal(listenAddressIn(['node', 'main.js', '--web.listen-address=:9100']), ':9100');
    assert.equal(listenAddressIn(['node', 'main.js', '--web.listen-address', '10.0.0.5:9200']), '10.0.0.5:9200');
    assert.equal(listenAddressIn(['/sbin/docker-init', '--', 'node', 'main.js', '--web.listen-address=:1', '--web.listen-address=:2']), ':2');
  });

  it('asks the configured port, on loopback when the exporter listens on every interface', () => {
    const url = (args: string[], env: NodeJS.ProcessEnv = {}) => healthcheckUrl(['node', '/app/dist/main.js', ...args], env);
    assert.equal(url([]), 'http://127.0.0.1:9877/-/healthy');
    assert.equal(url(['--web.listen-address=:9100']), 'http://127.0.0.1:9100/-/healthy');
    assert.equal(url(['--web.listen-address=0.0.0.0:9100']), 'http://127.0.0.1:9100/-/healthy');
    assert.equal(url(['--web.listen-address=[::]:9100']), 'http://[::1]:9100/-/healthy');
    assert.equal(url(['--web.listen-address=10.1.2.3:9300']), 'http://10.1.2.3:9300/-/healthy');
    assert.equal(url(['--web.listen-address=[fd00::5]:9300']), 'http://[fd00::5]:9300/-/healthy');
    assert.equal(url(['--web.listen-address=:9100'], { HEALTHCHECK_URL: 'http://127.0.0.1:1/x' }), 'http://127.0.0.1:1/x');
  });

  it('rejects an address the exporter itself would refuse', () => {
    assert.throws(() => healthcheckUrl(['--web.listen-address=nonsense'], {}), /--web.listen-address/);
  });
});
