import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../../src/config/load.js';
import { createServer } from '../../src/http/server.js';
import { loadWebSettings, WebConfig } from '../../src/http/web-config.js';
import { makePki, type Pki } from '../tls.js';

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
});
