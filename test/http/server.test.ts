// The listening server: how long a connection that sends nothing is kept, and which TLS 1.2
// suites are offered when the web configuration names none.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { type AddressInfo, createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { CONNECTION_TIMEOUTS, createServer } from '../../src/http/server.js';
import { CIPHER_SUITES, DEFAULT_TLS12_SUITES, WebConfig } from '../../src/http/web-config.js';
import { makePki } from '../tls.js';

const SHORT = { handshakeMs: 200, headersMs: 200, requestMs: 1000 };

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** A bare TCP connection that sends nothing; resolves when the server closes it. */
function idleConnection(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    let got = '';
    socket.on('data', (d) => (got += d.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => resolve(got));
  });
}

function webConfigFile(text: string): WebConfig {
  const path = join(mkdtempSync(join(tmpdir(), 'rds-server-')), 'web.yml');
  writeFileSync(path, text);
  return new WebConfig(path);
}

describe('HTTP server', function () {
  // The idle connections below are cut after 200 ms; Node's defaults (a 30 s check, a 120 s TLS
  // handshake) would run past this timeout.
  this.timeout(8000);
  let server: Server | undefined;
  afterEach(() => {
    server?.closeAllConnections();
    server?.close();
    server = undefined;
  });

  it('defaults: 10 s for the handshake and the headers, 30 s for the whole request', () => {
    assert.deepEqual(CONNECTION_TIMEOUTS, { handshakeMs: 10_000, headersMs: 10_000, requestMs: 30_000 });
    server = createServer((_req, res) => res.end('ok'));
    assert.equal(server.headersTimeout, 10_000);
    assert.equal(server.requestTimeout, 30_000);
  });

  it('closes a plain HTTP connection that sends nothing, once its headers are late', async () => {
    server = createServer((_req, res) => res.end('ok'), undefined, SHORT);
    const answer = await idleConnection(await listen(server));
    assert.match(answer, /^$|^HTTP\/1\.1 408/, 'nothing, or a 408');
  });

  it('closes a TLS connection that never sends its ClientHello', async () => {
    const pki = makePki();
    server = createServer(
      (_req, res) => res.end('ok'),
      webConfigFile(`tls_server_config:\n  cert_file: ${pki.server.cert}\n  key_file: ${pki.server.key}\n`),
      SHORT,
    );
    assert.equal(await idleConnection(await listen(server)), '');
  });

  it("offers Go's default TLS 1.2 suites when none is named: AES128-SHA is refused, ECDHE with AES-GCM accepted", async () => {
    // An RSA certificate: the suites with RSA key exchange (AES128-SHA) need one.
    const dir = mkdtempSync(join(tmpdir(), 'rds-rsa-'));
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'rsa.key', '-out', 'rsa.crt', '-days', '2', '-subj', '/CN=localhost'],
      { cwd: dir, stdio: 'ignore' },
    );
    const web = webConfigFile(`tls_server_config:\n  cert_file: ${join(dir, 'rsa.crt')}\n  key_file: ${join(dir, 'rsa.key')}\n`);
    assert.equal(
      web.settings.tls?.options.ciphers,
      [...DEFAULT_TLS12_SUITES.map((s) => CIPHER_SUITES[s]), 'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256'].join(':'),
    );
    server = createServer((_req, res) => res.end('ok'), web);
    const port = await listen(server);
    const negotiate = (ciphers: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect({ port, host: '127.0.0.1', rejectUnauthorized: false, maxVersion: 'TLSv1.2', ciphers }, () => {
          resolve(socket.getCipher().standardName);
          socket.end();
        });
        socket.on('error', reject);
      });
    await assert.rejects(negotiate('AES128-SHA'), /handshake failure|no shared cipher/i);
    await assert.rejects(negotiate('AES256-GCM-SHA384'), /handshake failure|no shared cipher/i, 'no suite without forward secrecy');
    assert.equal(await negotiate('ECDHE-RSA-AES128-GCM-SHA256'), 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256');
  });
});
