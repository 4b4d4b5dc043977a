import assert from 'node:assert/strict';
import { FlagError, parseFlags, parseListenAddress, USAGE } from '../src/flags.js';

describe('flags', () => {
  it('has the documented defaults', () => {
    const flags = parseFlags([]);
    assert.equal(flags.configFile, 'config/exporter.yml');
    assert.deepEqual(flags.listen, [{ port: 9877 }]);
    assert.equal(flags.disableExporterMetrics, false);
    assert.equal(flags.telemetryPath, '/metrics');
    assert.equal(flags.logLevel, 'info');
    assert.equal(flags.logFormat, 'json');
    assert.equal(flags.configCheck, false);
    assert.equal(flags.enableLifecycle, false);
  });

  it('takes --flag=value and --flag value', () => {
    const flags = parseFlags(['--config.file', 'a.yml', '--web.listen-address=127.0.0.1:1234', '--log.level=debug', '--web.enable-lifecycle']);
    assert.equal(flags.configFile, 'a.yml');
    assert.deepEqual(flags.listen, [{ host: '127.0.0.1', port: 1234 }]);
    assert.equal(flags.logLevel, 'debug');
    assert.equal(flags.enableLifecycle, true);
  });

  it('takes --web.listen-address repeated, every one in order, and refuses the same one twice', () => {
    const flags = parseFlags(['--web.listen-address=127.0.0.1:9001', '--web.listen-address', '[::1]:9002']);
    assert.deepEqual(flags.listen, [
      { host: '127.0.0.1', port: 9001 },
      { host: '::1', port: 9002 },
    ]);
    assert.deepEqual(flags.listenText, ['127.0.0.1:9001', '[::1]:9002']);
    assert.throws(() => parseFlags(['--web.listen-address=:9001', '--web.listen-address=:9001']), {
      name: 'FlagError',
      message: '--web.listen-address: ":9001" is given twice',
    });
  });

  it('takes --web.disable-exporter-metrics', () => {
    assert.equal(parseFlags(['--web.disable-exporter-metrics']).disableExporterMetrics, true);
  });

  it('reads listen addresses', () => {
    assert.deepEqual(parseListenAddress(':9877'), { port: 9877 });
    assert.deepEqual(parseListenAddress('0.0.0.0:80'), { host: '0.0.0.0', port: 80 });
    assert.deepEqual(parseListenAddress('[::1]:9877'), { host: '::1', port: 9877 });
    assert.deepEqual(parseListenAddress('localhost:9877'), { host: 'localhost', port: 9877 });
    for (const bad of ['9877', 'host:', ':99999', '[::1]', 'a:b:1']) assert.throws(() => parseListenAddress(bad), FlagError, bad);
  });

  it('rejects a positional argument and a telemetry path that would hide another endpoint', () => {
    assert.throws(() => parseFlags(['extra']), FlagError);
    assert.throws(() => parseFlags(['--web.telemetry-path=/-/ready']), FlagError);
    assert.throws(() => parseFlags(['--web.telemetry-path=/']), FlagError);
  });

  it('takes --shard.count and --shard.index together, within range', () => {
    assert.equal(parseFlags([]).shard, undefined, 'none: the configuration decides');
    assert.deepEqual(parseFlags(['--shard.count=3', '--shard.index=2']).shard, { count: 3, index: 2 });
    assert.deepEqual(parseFlags(['--shard.count=3']).shard, { count: 3, index: 0 });
    const message = (args: string[]) => {
      try {
        parseFlags(args);
      } catch (err) {
        return (err as Error).message;
      }
      return 'accepted';
    };
    assert.equal(message(['--shard.index=1']), '--shard.index needs --shard.count');
    assert.equal(message(['--shard.count=3', '--shard.index=3']), '--shard.index: expected a whole number from 0 to 2, got "3"');
    assert.equal(message(['--shard.count=0']), '--shard.count: expected a whole number from 1 to 1000, got "0"');
    assert.equal(message(['--shard.count=2', '--shard.index=-1']), '--shard.index: expected a whole number from 0 to 1, got "-1"');
  });

  it('turns reads on and off with --collector.<read> and --no-collector.<read>, as node_exporter does', () => {
    assert.deepEqual(parseFlags([]).collectors, {}, 'none: the configuration decides');
    assert.deepEqual(parseFlags(['--no-collector.storage', '--collector.restore_window']).collectors, { storage: false, restore_window: true });
    assert.throws(() => parseFlags(['--collector.storage', '--no-collector.storage']), /--collector.storage and --no-collector.storage both given/);
    assert.throws(() => parseFlags(['--no-collector.nonsense']), FlagError);
    assert.match(USAGE, /--\[no-\]collector\.READ +turn a read on or off: tasks, policy, backups, restore_window, log_files, cross_region, storage/);
  });
});
