// --web.config.file end to end, with certificates made for the test: plain HTTP with basic auth
// and headers, TLS, mutual TLS, a certificate rotated without a restart, gzip, the lifecycle API
// under the same auth, and a real Prometheus scraping over TLS with basic auth.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { hashSync } from 'bcryptjs';
import { WebConfig } from '../../src/http/web-config.js';
import { createLogger } from '../../src/log.js';
import { freePort, LogCapture, startRig, testConfig, until, type Rig } from '../helpers.js';
import { fingerprintOf, httpsRequest, issue, makePki, type Pki } from '../tls.js';

const PROMETHEUS = process.env.PROMETHEUS ?? '/usr/bin/prometheus';
const PASSWORD = 'scrape-password-0123';
// cost 4 keeps the test quick; the exporter accepts any cost
const HASH = hashSync(PASSWORD, 4);

describe('--web.config.file', function () {
  this.timeout(60_000);
  let pki: Pki;
  let rig: Rig | undefined;
  let prometheus: ChildProcess | undefined;

  before(() => {
    pki = makePki();
  });
  afterEach(async () => {
    prometheus?.kill('SIGTERM');
    prometheus = undefined;
    await rig?.close();
    rig = undefined;
  });

  /** A web configuration file (in its own directory) and the rig serving it. */
  async function serve(yaml: string, extra: { lifecycle?: boolean } = {}): Promise<{ rig: Rig; file: string; logs: LogCapture }> {
    const dir = mkdtempSync(join(tmpdir(), 'rds-web-'));
    const file = join(dir, 'web.yml');
    writeFileSync(file, yaml);
    const logs = new LogCapture();
    const webConfig = new WebConfig(file, { log: createLogger({ destination: logs }) });
    let _reloads = 0;
    rig = await startRig({
      exporter: {
        webConfig,
        ...(extra.lifecycle ? { enableLifecycle: true, loadConfig: () => (_reloads++, testConfig(rig!.sim)) } : {}),
      },
    });
    await rig.cycle();
    return { rig, file, logs };
  }

  const tlsBlock = (extra = '') => `tls_server_config:\n  cert_file: ${pki.server.cert}\n  key_file: ${pki.server.key}\n${extra}`;

  it('plain HTTP with basic auth: the right password passes, a wrong one or none gets 401 with WWW-Authenticate; headers on every answer', async () => {
    const { rig } = await serve(
      `basic_auth_users:\n  prometheus: ${HASH}\nhttp_server_config:\n  headers:\n    X-Frame-Options: deny\n    X-Content-Type-Options: nosniff\n`,
      { lifecycle: true },
    );
    const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });
    const ok = await fetch(`${rig.exporter.url}/metrics`, { headers: basic('prometheus', PASSWORD) });
    assert.equal(ok.status, 200);
    assert.match(await ok.text(), /alicloud_rds_backup_poll_success/);
    assert.equal(ok.headers.get('x-frame-options'), 'deny');
    for (const headers of [basic('prometheus', 'wrong'), basic('nobody', PASSWORD), {}, { authorization: 'Bearer x' }]) {
      const denied = await fetch(`${rig.exporter.url}/metrics`, { headers });
      assert.equal(denied.status, 401);
      assert.match(denied.headers.get('www-authenticate') ?? '', /^Basic realm="alicloud-rds-backup-exporter"/);
      assert.equal(denied.headers.get('x-content-type-options'), 'nosniff', 'headers on a 401 too');
      assert.doesNotMatch(await denied.text(), /alicloud_rds/);
    }
    // The lifecycle API is behind the same door.
    assert.equal((await fetch(`${rig.exporter.url}/-/reload`, { method: 'POST' })).status, 401);
    assert.equal((await fetch(`${rig.exporter.url}/-/reload`, { method: 'POST', headers: basic('prometheus', PASSWORD) })).status, 200);
    assert.equal((await fetch(`${rig.exporter.url}/-/healthy`)).status, 401);
  });

  it('a changed password applies after a reload (or on a new connection), without a restart', async () => {
    const { rig, file } = await serve(`basic_auth_users:\n  prometheus: ${HASH}\n`, { lifecycle: true });
    const basic = (password: string) => ({ authorization: `Basic ${Buffer.from(`prometheus:${password}`).toString('base64')}` });
    writeFileSync(file, `basic_auth_users:\n  prometheus: ${hashSync('the-new-password', 4)}\n`);
    await rig.exporter.reloadFromSource(); // as SIGHUP does; a new connection would see the change within a second too
    assert.equal((await fetch(`${rig.exporter.url}/metrics`, { headers: basic(PASSWORD) })).status, 401, 'the old password no longer');
    assert.equal((await fetch(`${rig.exporter.url}/metrics`, { headers: basic('the-new-password') })).status, 200, 'the new one');
  });

  it('TLS: serves HTTPS with the configured certificate, and gzip when asked', async () => {
    const { rig } = await serve(tlsBlock());
    assert.match(rig.exporter.url, /^https:\/\//);
    const answer = await httpsRequest(`${rig.exporter.url}/metrics`, { ca: pki.ca.cert, headers: { 'accept-encoding': 'gzip' } });
    assert.equal(answer.status, 200);
    assert.equal(answer.fingerprint, fingerprintOf(pki.server.cert));
    assert.equal(answer.headers['content-encoding'], 'gzip');
    assert.match(gunzipSync(answer.body).toString('utf8'), /alicloud_rds_backup_poll_success\{/);
    // Plain HTTP to the TLS port: Go's net/http answer, in clear, as exporter-toolkit's servers give.
    const plain = await fetch(`${rig.exporter.url.replace('https', 'http')}/metrics`);
    assert.equal(plain.status, 400);
    assert.equal(await plain.text(), 'Client sent an HTTP request to an HTTPS server.\n');
    const listening = rig.logs.records().filter((r) => r.msg === 'listening');
    assert.deepEqual(
      listening.map((r) => [r.tls, r.auth]),
      [['enabled', 'none']],
      'the start-up line says TLS is on, and no auth',
    );
  });

  it('plain HTTP to the TLS port gets exactly the bytes net/http sends, then the connection closes', async () => {
    const { rig } = await serve(tlsBlock());
    const { port } = new URL(rig.exporter.url);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = createConnection({ host: '127.0.0.1', port: Number(port) }, () => socket.write('GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n'));
      let got = '';
      socket.on('data', (d) => (got += d.toString('latin1')));
      socket.on('error', reject);
      socket.on('close', () => resolve(got));
    });
    assert.equal(answer, 'HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n');
  });

  it('the start-up line says TLS is on and which auth: basic and client certificates', async () => {
    const { rig } = await serve(
      `${tlsBlock(`  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ${pki.ca.cert}\n`)}basic_auth_users:\n  prometheus: ${HASH}\n`,
    );
    const line = rig.logs.records().find((r) => r.msg === 'listening');
    assert.deepEqual([line?.tls, line?.auth], ['enabled', 'basic and client certificate (RequireAndVerifyClientCert)']);
  });

  it('mutual TLS (RequireAndVerifyClientCert): no client certificate and one from another CA are refused', async () => {
    const { rig } = await serve(tlsBlock(`  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ${pki.ca.cert}\n`));
    const url = `${rig.exporter.url}/metrics`;
    assert.equal((await httpsRequest(url, { ca: pki.ca.cert, client: pki.client })).status, 200);
    await assert.rejects(httpsRequest(url, { ca: pki.ca.cert }), 'no client certificate');
    await assert.rejects(httpsRequest(url, { ca: pki.ca.cert, client: pki.otherClient }), 'a client certificate from another CA');
  });

  it('client_allowed_sans and RequireAnyClientCert follow the toolkit', async () => {
    const { rig } = await serve(tlsBlock(`  client_auth_type: RequireAnyClientCert\n  client_allowed_sans: [prometheus.example]\n`));
    const url = `${rig.exporter.url}/metrics`;
    assert.equal((await httpsRequest(url, { ca: pki.ca.cert, client: pki.otherClient })).status, 200, 'any certificate, with an allowed SAN');
    await assert.rejects(httpsRequest(url, { ca: pki.ca.cert }), 'none');
    const stranger = issue(pki.dir, pki.otherCa, 'stranger', 'DNS:stranger.example', 'clientAuth');
    await assert.rejects(httpsRequest(url, { ca: pki.ca.cert, client: stranger }), 'a SAN not in the list');
  });

  it('rotates the certificate without a restart: a connection within a second gets the new one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rds-rotate-'));
    const cert = join(dir, 'tls.crt');
    const key = join(dir, 'tls.key');
    copyFileSync(pki.server.cert, cert);
    copyFileSync(pki.server.key, key);
    const { rig, logs } = await serve(`tls_server_config:\n  cert_file: ${cert}\n  key_file: ${key}\n`);
    const url = `${rig.exporter.url}/metrics`;
    assert.equal((await httpsRequest(url, { ca: pki.ca.cert })).fingerprint, fingerprintOf(pki.server.cert));
    const renewed = issue(pki.dir, pki.ca, 'server-renewed', 'DNS:localhost,IP:127.0.0.1', 'serverAuth');
    copyFileSync(renewed.cert, cert);
    copyFileSync(renewed.key, key);
    // The files are looked at (metadata only) by a new connection at most once a second.
    let after = await httpsRequest(url, { ca: pki.ca.cert });
    await until(
      'a connection gets the renewed certificate',
      async () => (after = await httpsRequest(url, { ca: pki.ca.cert })).fingerprint === fingerprintOf(renewed.cert),
      5000,
    );
    assert.equal(after.status, 200);
    assert.notEqual(after.fingerprint, fingerprintOf(pki.server.cert));
    // A broken file is reported once, and the last good certificate kept.
    writeFileSync(key, 'not a key');
    await until('the broken key is reported', async () => {
      assert.equal((await httpsRequest(url, { ca: pki.ca.cert })).fingerprint, fingerprintOf(renewed.cert));
      return logs.records().some((r) => r.level === 'error');
    });
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 400));
      assert.equal((await httpsRequest(url, { ca: pki.ca.cert })).fingerprint, fingerprintOf(renewed.cert));
    }
    const errors = logs.records().filter((r) => r.level === 'error');
    assert.equal(errors.length, 1, JSON.stringify(errors));
    assert.match(String(errors[0]?.msg), /tls_server_config: the certificate, key or CA cannot be used/);
  });

  it('a real Prometheus scrapes over TLS with basic auth', async function () {
    if (!existsSync(PROMETHEUS)) {
      if (process.env.CI) throw new Error(`${PROMETHEUS} not found`);
      this.skip();
    }
    const { rig } = await serve(`${tlsBlock()}basic_auth_users:\n  prometheus: ${HASH}\n`);
    const dir = mkdtempSync(join(tmpdir(), 'rds-prom-tls-'));
    const port = await freePort();
    writeFileSync(
      join(dir, 'prometheus.yml'),
      [
        'global:',
        '  scrape_interval: 1s',
        'scrape_configs:',
        '  - job_name: rds-backup',
        '    scheme: https',
        `    tls_config: {ca_file: ${pki.ca.cert}}`,
        `    basic_auth: {username: prometheus, password: ${PASSWORD}}`,
        `    static_configs: [{targets: ['${new URL(rig.exporter.url).host}']}]`,
        '  - job_name: rds-backup-no-auth',
        '    scheme: https',
        `    tls_config: {ca_file: ${pki.ca.cert}}`,
        `    static_configs: [{targets: ['${new URL(rig.exporter.url).host}']}]`,
        '',
      ].join('\n'),
    );
    prometheus = spawn(
      PROMETHEUS,
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: 'ignore' },
    );
    const query = async (expr: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> => {
      const res = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(expr)}`).catch(() => undefined);
      const body = (await res?.json().catch(() => undefined)) as
        | { status?: string; data?: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } }
        | undefined;
      return body?.status === 'success' ? body.data!.result : [];
    };
    await until('a successful scrape over TLS with basic auth', async () => (await query('up{job="rds-backup"} == 1')).length === 1, 40_000);
    await until('the failed scrape without credentials', async () => (await query('up{job="rds-backup-no-auth"} == 0')).length === 1, 10_000);
    const series = await query('alicloud_rds_backup_poll_success{job="rds-backup"}');
    assert.deepEqual(
      series.map((s) => [s.metric.instance_id, s.value[1]]),
      [['rm-test-01', '1']],
    );
  });
});
