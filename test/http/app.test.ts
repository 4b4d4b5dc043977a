import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { parse } from 'yaml';
import { type AppOptions, acceptsGzip, coalesceReloads, createApp } from '../../src/http/app.js';
import { createLogger } from '../../src/log.js';
import type { ExporterMetrics } from '../../src/metrics/registry.js';
import { LogCapture } from '../helpers.js';

const EXPOSITION = '# HELP x_total A counter.\n# TYPE x_total counter\nx_total 1\n';

describe('HTTP app', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => close?.());
  /** the status of each scrape the app reported, in order; -1 while one is in flight */
  let scrapes: number[] = [];

  /** The app on a loopback port; requests go over real HTTP. */
  async function serve(extra: Partial<AppOptions> = {}): Promise<string> {
    // The body in two chunks, as the cached pieces come; gzipped by the metrics when asked.
    const metrics: ExporterMetrics = {
      render: async ({ gzip }) => {
        const chunks = gzip ? [gzipSync(EXPOSITION)] : [Buffer.from(EXPOSITION.slice(0, 10)), Buffer.from(EXPOSITION.slice(10))];
        return { contentType: 'text/plain; version=0.0.4; charset=utf-8', gzip, chunks, length: chunks.reduce((n, c) => n + c.length, 0) };
      },
      published: () => undefined,
      observeApiCall: () => undefined,
      observeReadError: () => undefined,
      configLoaded: () => undefined,
      stateFile: () => undefined,
      selfStatus: () => ({ reload: { successful: true } }),
      scrapeStarted: () => {
        const at = scrapes.push(-1) - 1;
        return (status) => {
          assert.equal(scrapes[at], -1, 'one end per scrape');
          scrapes[at] = status;
        };
      },
    };
    scrapes = [];
    const status = () => ({
      snapshot: { instances: [], regions: [] },
      version: '0.0.0',
      ready: true,
      configSummary: '',
      reload: { successful: true },
      nowMs: 0,
      metricsPath: '/metrics',
    });
    const app = createApp({
      metrics,
      telemetryPath: '/metrics',
      isReady: () => true,
      version: '0.0.0',
      summary: () => '',
      status,
      log: createLogger({ destination: new LogCapture() }),
      ...extra,
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    close = () => new Promise((r) => server.close(() => r()));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
    it(`answers ${method} /metrics with 405 and Allow`, async () => {
      const res = await fetch(`${await serve()}/metrics`, { method });
      assert.equal(res.status, 405);
      assert.equal(res.headers.get('allow'), 'GET, HEAD');
    });
  }

  it('serves the runbook at /runbook with an anchor for every shipped alert, where its runbook_url points', async () => {
    const res = await fetch(`${await serve()}/runbook`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
    const page = await res.text();
    const rules = (
      parse(readFileSync('prometheus/alerts.yml', 'utf8')) as { groups: Array<{ rules: Array<{ alert?: string; annotations?: Record<string, string> }> }> }
    ).groups.flatMap((g) => g.rules);
    const alerts = rules.filter((r) => r.alert !== undefined);
    assert.ok(alerts.length >= 10, `${alerts.length} alerts`);
    for (const rule of alerts) {
      const anchor = rule.alert!.toLowerCase();
      assert.match(page, new RegExp(`<h2 id="${anchor}">${rule.alert}</h2>`), `an anchor for ${rule.alert}`);
      assert.match(rule.annotations?.runbook_url ?? '', new RegExp(`/runbook#${anchor}$`), `${rule.alert}'s runbook_url points at it`);
    }
    assert.match(page, /<pre><code/, 'commands stay code blocks');
  });

  it('reports each request to the metrics endpoint once, with its status, and no other path', async () => {
    const url = await serve();
    await (await fetch(`${url}/metrics`)).text();
    await (await fetch(`${url}/metrics`, { method: 'POST' })).text();
    await (await fetch(`${url}/metrics`, { method: 'HEAD' })).text();
    await (await fetch(`${url}/-/healthy`)).text();
    await (await fetch(`${url}/status`)).text();
    assert.deepEqual(scrapes, [200, 405, 200]);
  });

  it('answers GET and HEAD /metrics', async () => {
    const url = await serve();
    assert.equal(await (await fetch(`${url}/metrics`)).text(), EXPOSITION);
    const head = await fetch(`${url}/metrics`, { method: 'HEAD', headers: { 'accept-encoding': 'identity' } });
    assert.equal(head.status, 200);
    assert.match(head.headers.get('content-type') ?? '', /^text\/plain/);
    assert.equal(head.headers.get('content-length'), String(EXPOSITION.length));
    assert.equal(await head.text(), '');
  });

  it('gzips /metrics when the scraper accepts it, and only then', async () => {
    const url = await serve();
    const zipped = await fetch(`${url}/metrics`, { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(zipped.headers.get('content-encoding'), 'gzip');
    assert.equal(zipped.headers.get('vary'), 'Accept-Encoding');
    // fetch inflated it: it was valid gzip of the exposition
    assert.equal(await zipped.text(), EXPOSITION);
    const plain = await fetch(`${url}/metrics`, { headers: { 'accept-encoding': 'identity' } });
    assert.equal(plain.headers.get('content-encoding'), null);
    assert.equal(await plain.text(), EXPOSITION);
  });

  it('reads Accept-Encoding as Prometheus and curl send it', () => {
    assert.equal(acceptsGzip('gzip'), true);
    assert.equal(acceptsGzip('deflate, gzip;q=0.5'), true);
    assert.equal(acceptsGzip('gzip;q=0'), false);
    assert.equal(acceptsGzip('identity'), false);
    assert.equal(acceptsGzip(undefined), false);
    assert.equal(acceptsGzip('*'), true);
  });

  it('answers 100 concurrent POST /-/reload with at most two reloads, one at a time', async () => {
    let runs = 0;
    let running = 0;
    let overlapped = false;
    const url = await serve({
      reload: async () => {
        runs++;
        overlapped ||= running > 0;
        running++;
        await new Promise((r) => setTimeout(r, 50));
        running--;
      },
    });
    const answers = await Promise.all(Array.from({ length: 100 }, () => fetch(`${url}/-/reload`, { method: 'POST' })));
    assert.deepEqual(new Set(answers.map((a) => a.status)), new Set([200]));
    assert.ok(runs >= 1 && runs <= 2, `${runs} reloads`);
    assert.equal(overlapped, false, 'never two at once');
    const before = runs;
    assert.equal((await fetch(`${url}/-/reload`, { method: 'POST' })).status, 200);
    assert.equal(runs, before + 1, 'a reload asked after the others ended runs again');
  });

  it('coalesces reloads: those asked during a run share the next one, and its failure', async () => {
    const gates: Array<() => void> = [];
    let runs = 0;
    const reload = coalesceReloads(async () => {
      runs++;
      await new Promise<void>((resolve) => gates.push(resolve));
      if (runs === 2) throw new Error('bad file');
    });
    const first = reload();
    const during = Array.from({ length: 10 }, () =>
      reload().then(
        () => 'ok',
        (err: Error) => err.message,
      ),
    );
    while (gates.length < 1) await new Promise((r) => setImmediate(r));
    gates.shift()!();
    await first;
    assert.equal(runs, 1, 'the first run answered only the first call');
    while (gates.length < 1) await new Promise((r) => setImmediate(r));
    assert.equal(runs, 2, 'the calls made during it share one more run');
    const late = reload().then(() => 'ok');
    gates.shift()!();
    assert.deepEqual(new Set(await Promise.all(during)), new Set(['bad file']));
    while (gates.length < 1) await new Promise((r) => setImmediate(r));
    gates.shift()!();
    assert.equal(await late, 'ok', 'a call made during the second run gets a third');
    assert.equal(runs, 3);
  });
});
