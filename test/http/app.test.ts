import assert from 'node:assert/strict';
import request from 'supertest';
import { acceptsGzip, createApp } from '../../src/http/app.js';
import { createLogger } from '../../src/log.js';
import type { ExporterMetrics } from '../../src/metrics/registry.js';
import { LogCapture } from '../helpers.js';

const EXPOSITION = '# HELP x_total A counter.\n# TYPE x_total counter\nx_total 1\n';

function app() {
  const metrics = { render: async () => ({ contentType: 'text/plain; version=0.0.4; charset=utf-8', body: EXPOSITION }) } as unknown as ExporterMetrics;
  return createApp({ metrics, telemetryPath: '/metrics', isReady: () => true, version: '0.0.0', summary: () => '', log: createLogger({ destination: new LogCapture() }) });
}

describe('HTTP app', () => {
  for (const method of ['post', 'put', 'delete', 'patch'] as const) {
    it(`answers ${method.toUpperCase()} /metrics with 405 and Allow`, async () => {
      const res = await request(app())[method]('/metrics');
      assert.equal(res.status, 405);
      assert.equal(res.headers.allow, 'GET, HEAD');
    });
  }

  it('answers GET and HEAD /metrics', async () => {
    assert.equal((await request(app()).get('/metrics')).text, EXPOSITION);
    const head = await request(app()).head('/metrics');
    assert.equal(head.status, 200);
    assert.match(head.headers['content-type'] ?? '', /^text\/plain/);
  });

  it('gzips /metrics when the scraper accepts it, and only then', async () => {
    const zipped = await request(app()).get('/metrics').set('Accept-Encoding', 'gzip');
    assert.equal(zipped.headers['content-encoding'], 'gzip');
    assert.equal(zipped.headers.vary, 'Accept-Encoding');
    // superagent inflated it: it was valid gzip of the exposition
    assert.equal(zipped.text, EXPOSITION);
    const plain = await request(app()).get('/metrics').set('Accept-Encoding', 'identity');
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.equal(plain.text, EXPOSITION);
  });

  it('reads Accept-Encoding as Prometheus and curl send it', () => {
    assert.equal(acceptsGzip('gzip'), true);
    assert.equal(acceptsGzip('deflate, gzip;q=0.5'), true);
    assert.equal(acceptsGzip('gzip;q=0'), false);
    assert.equal(acceptsGzip('identity'), false);
    assert.equal(acceptsGzip(undefined), false);
    assert.equal(acceptsGzip('*'), true);
  });
});
