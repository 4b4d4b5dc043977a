import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { ConfigError } from '../../src/config/load.js';
import { createServer } from '../../src/http/server.js';
import { loadWebSettings, WebConfig } from '../../src/http/web-config.js';
import { createLogger } from '../../src/log.js';
import { LogCapture } from '../helpers.js';
import { fingerprintOf, issue, makePki, type Pki } from '../tls.js';

const HASH = '$2y$10$X0h1gDsPszWURQaxFh.zoubFi6DXncSjhoQNJgRrnGs7EsimhC7zG';

function file(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'rds-webcfg-')), 'web.yml');
  writeFileSync(path, text);
  return path;
}

function problem(text: string): string {
  const path = file(text);
  try {
    loadWebSettings(path);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.message.split(path).join('web.yml');
  }
  assert.fail('accepted');
}

async function listen(server: Server | HttpsServer): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** One TLS handshake on a new connection; the fingerprint of the certificate the server showed. */
function handshake(port: number, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', ca: readFileSync(ca), servername: 'localhost' }, () => {
      resolve(socket.getPeerCertificate().fingerprint256);
      socket.end();
    });
    socket.on('error', reject);
  });
}

describe('web configuration file', () => {
  let pki: Pki;
  before(() => {
    pki = makePki();
  });

  it('accepts an empty file (no TLS, no auth) and the toolkit sample shape', () => {
    assert.deepEqual(loadWebSettings(file('')).settings, { headers: {} });
    const { settings } = loadWebSettings(
      file(
        `tls_server_config:\n  cert_file: ${pki.server.cert}\n  key_file: ${pki.server.key}\n  min_version: TLS13\n  cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256]\n  curve_preferences: [CurveP256, X25519]\nhttp_server_config:\n  http2: false\n  headers: {x-frame-options: SAMEORIGIN, Strict-Transport-Security: max-age=31536000}\nbasic_auth_users:\n  alice: ${HASH}\n`,
      ),
    );
    assert.equal(settings.tls?.options.minVersion, 'TLSv1.3');
    assert.equal(settings.tls?.options.ciphers, 'ECDHE-ECDSA-AES128-GCM-SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256');
    assert.equal(settings.tls?.options.ecdhCurve, 'P-256:X25519');
    assert.deepEqual(settings.headers, { 'X-Frame-Options': 'SAMEORIGIN', 'Strict-Transport-Security': 'max-age=31536000' });
    assert.equal(settings.users?.get('alice'), HASH);
  });

  const rejected: Array<[string, string, string]> = [
    [
      'an unknown key',
      'tls_server_config:\n  cert_fil: x\n',
      'web.yml:2:3: tls_server_config.cert_fil: unknown key\nweb.yml:2:3: tls_server_config.cert_file: required key is missing (or cert)\nweb.yml:2:3: tls_server_config.key_file: required key is missing (or key)',
    ],
    [
      'a client_auth_type Go does not have',
      `tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: Required\n`,
      'web.yml:4:21: tls_server_config.client_auth_type: Invalid option: expected one of "NoClientCert"|"RequestClientCert"|"RequireAnyClientCert"|"VerifyClientCertIfGiven"|"RequireAndVerifyClientCert"',
    ],
    [
      'a client CA without a client_auth_type',
      'tls_server_config:\n  cert_file: a\n  key_file: b\n  client_ca_file: c\n',
      'web.yml:2:3: tls_server_config.client_auth_type: a client CA is set: choose a client_auth_type (RequireAndVerifyClientCert to require client certificates)',
    ],
    [
      'verification without a CA',
      'tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: RequireAndVerifyClientCert\n',
      'web.yml:2:3: tls_server_config.client_ca_file: required by client_auth_type RequireAndVerifyClientCert',
    ],
    [
      'a cipher suite Go does not offer',
      'tls_server_config:\n  cert_file: a\n  key_file: b\n  cipher_suites: [RC4-MD5]\n',
      'web.yml:4:19: tls_server_config.cipher_suites[0]: Invalid option: expected one of "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"|"TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA"|"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"|"TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"|"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"|"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"|"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"|"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"|"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"|"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"|"TLS_AES_128_GCM_SHA256"|"TLS_AES_256_GCM_SHA384"|"TLS_CHACHA20_POLY1305_SHA256"',
    ],
    [
      'min above max',
      'tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS13\n  max_version: TLS12\n',
      'web.yml:4:16: tls_server_config.min_version: must not be above max_version',
    ],
    [
      'a missing certificate file',
      'tls_server_config:\n  cert_file: /nonexistent/cert.pem\n  key_file: b\n',
      'web.yml:2:14: tls_server_config.cert_file: cannot read /nonexistent/cert.pem: no such file',
    ],
    [
      'a password that is not a bcrypt hash',
      'basic_auth_users:\n  alice: hunter2-plain\n',
      'web.yml:2:10: basic_auth_users.alice: expected a bcrypt hash such as $2y$10$...',
    ],
    [
      'a header the toolkit does not allow',
      'http_server_config:\n  headers:\n    Set-Cookie: a=b\n',
      'web.yml:3:17: http_server_config.headers.Set-Cookie: this header cannot be set: expected one of Content-Security-Policy, X-Frame-Options, X-Content-Type-Options, X-XSS-Protection, Strict-Transport-Security',
    ],
    [
      'a wrong X-Frame-Options',
      'http_server_config:\n  headers:\n    X-Frame-Options: allow\n',
      'web.yml:3:22: http_server_config.headers.X-Frame-Options: expected deny or sameorigin',
    ],
    ['rate_limit', 'rate_limit:\n  interval: 1s\n', 'web.yml:2:3: rate_limit: not supported by this exporter'],
  ];
  for (const [what, text, expected] of rejected) {
    it(`rejects ${what}, one line per problem`, () => assert.equal(problem(text), expected));
  }

  it('never quotes an inline key, even an unusable one', () => {
    const secretKey = '-----BEGIN PRIVATE KEY-----\\nTOPSECRETKEYMATERIAL\\n-----END PRIVATE KEY-----';
    const message = problem(`tls_server_config:\n  cert_file: ${pki.server.cert}\n  key: "${secretKey}"\n`);
    assert.equal(message, 'web.yml: tls_server_config: the certificate, key or CA cannot be used (ERR_OSSL_UNSUPPORTED)');
    assert.doesNotMatch(message, /TOPSECRET/);
  });

  it('maps Go cipher names to what OpenSSL negotiates', async () => {
    const path = file(
      `tls_server_config:\n  cert_file: ${pki.server.cert}\n  key_file: ${pki.server.key}\n  max_version: TLS12\n  cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384]\n`,
    );
    const server = createServer((_req, res) => res.end('ok'), new WebConfig(path));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as import('node:net').AddressInfo).port;
      const cipher = await new Promise<string>((resolve, reject) => {
        const socket = connect({ port, host: '127.0.0.1', ca: readFileSync(pki.ca.cert), servername: 'localhost' }, () => {
          resolve(socket.getCipher().standardName);
          socket.end();
        });
        socket.on('error', reject);
      });
      assert.equal(cipher, 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384');
    } finally {
      server.close();
    }
  });

  describe('re-reading on change, never per connection', () => {
    /** A web configuration naming its own copy of the server's certificate and key. */
    function rotatable(): { dir: string; web: string; cert: string; key: string } {
      const dir = mkdtempSync(join(tmpdir(), 'rds-webcfg-rotate-'));
      const cert = join(dir, 'tls.crt');
      const key = join(dir, 'tls.key');
      copyFileSync(pki.server.cert, cert);
      copyFileSync(pki.server.key, key);
      const web = join(dir, 'web.yml');
      writeFileSync(web, `tls_server_config:\n  cert_file: ${cert}\n  key_file: ${key}\n`);
      return { dir, web, cert, key };
    }

    /** A WebConfig on a clock the test moves, counting the loads (each reads every file and builds a TLS context). */
    function counted(path: string, logs?: LogCapture) {
      const clock = { now: 0 };
      const counts = { loads: 0, contexts: 0 };
      const web = new WebConfig(path, {
        now: () => clock.now,
        load: (file, seen) => {
          counts.loads++;
          return loadWebSettings(file, seen);
        },
        ...(logs ? { log: createLogger({ destination: logs }) } : {}),
      });
      return { web, clock, counts };
    }

    it('a flood of connections reads nothing and builds no TLS context; a changed certificate is served from the next connection after the check', async () => {
      const files = rotatable();
      const { web, clock, counts } = counted(files.web);
      assert.equal(counts.loads, 1, 'read once at start');
      const server = createServer((_req, res) => res.end('ok'), web) as HttpsServer;
      const setSecureContext = server.setSecureContext.bind(server);
      server.setSecureContext = (options) => {
        counts.contexts++;
        setSecureContext(options);
      };
      const port = await listen(server);
      try {
        for (let i = 0; i < 30; i++) {
          clock.now += 400; // the files are looked at on every third connection or so
          assert.equal(await handshake(port, pki.ca.cert), fingerprintOf(pki.server.cert));
        }
        assert.deepEqual(counts, { loads: 1, contexts: 0 }, 'nothing read or built while nothing changed');

        const renewed = issue(pki.dir, pki.ca, 'server-renewed-unit', 'DNS:localhost,IP:127.0.0.1', 'serverAuth');
        copyFileSync(renewed.cert, files.cert);
        copyFileSync(renewed.key, files.key);
        assert.equal(await handshake(port, pki.ca.cert), fingerprintOf(pki.server.cert), 'not looked at again within the check interval');
        clock.now += 1000;
        assert.equal(await handshake(port, pki.ca.cert), fingerprintOf(renewed.cert), 'the next connection after the check gets the new certificate');
        for (let i = 0; i < 10; i++) {
          clock.now += 1000;
          assert.equal(await handshake(port, pki.ca.cert), fingerprintOf(renewed.cert));
        }
        assert.deepEqual(counts, { loads: 2, contexts: 1 }, 'read and built once for the change');
      } finally {
        server.close();
      }
    });

    it('a file that becomes unreadable is read once per change, and a certificate named before it exists is picked up when it appears', () => {
      const files = rotatable();
      const logs = new LogCapture();
      const { web, clock, counts } = counted(files.web, logs);
      const later = join(files.dir, 'later.crt');
      writeFileSync(files.web, `tls_server_config:\n  cert_file: ${later}\n  key_file: ${files.key}\n`);
      for (let i = 0; i < 5; i++) {
        clock.now += 1000;
        assert.equal(web.checkForChange(), false);
      }
      assert.equal(counts.loads, 2, 'the broken file is read once, not at every check');
      assert.equal(logs.records().filter((r) => r.level === 'error').length, 1);
      copyFileSync(files.cert, later);
      clock.now += 1000;
      assert.equal(web.checkForChange(), true, 'the named file appeared: applied');
      assert.equal(counts.loads, 3);
      assert.equal(web.generation, 1);
    });

    it('a reload reads the files whatever their metadata says', () => {
      const { web, counts } = counted(rotatable().web);
      web.refresh();
      web.refresh();
      assert.equal(counts.loads, 3);
    });
  });
});
