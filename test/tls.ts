// Certificates made for a test with the openssl CLI: a CA, a server certificate for 127.0.0.1 and
// localhost, a client certificate, and a second CA with its own client (the "wrong CA").
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request, type RequestOptions } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface KeyPair {
  cert: string;
  key: string;
}

export interface Pki {
  dir: string;
  ca: KeyPair;
  server: KeyPair;
  client: KeyPair;
  otherCa: KeyPair;
  otherClient: KeyPair;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
}

function newCa(dir: string, name: string): KeyPair {
  openssl(dir, [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.crt`,
    '-days',
    '2',
    '-subj',
    `/CN=${name}`,
  ]);
  return { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
}

/** A certificate signed by `ca`, with the given subjectAltName and extended key usage. */
export function issue(dir: string, ca: KeyPair, name: string, san: string, usage: 'serverAuth' | 'clientAuth'): KeyPair {
  writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${san}\nextendedKeyUsage=${usage}\n`);
  openssl(dir, [
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.csr`,
    '-subj',
    `/CN=${name}`,
  ]);
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    ca.cert,
    '-CAkey',
    ca.key,
    '-CAcreateserial',
    '-out',
    `${name}.crt`,
    '-days',
    '2',
    '-extfile',
    `${name}.ext`,
  ]);
  return { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
}

export function makePki(): Pki {
  const dir = mkdtempSync(join(tmpdir(), 'rds-pki-'));
  const ca = newCa(dir, 'ca');
  const otherCa = newCa(dir, 'other-ca');
  return {
    dir,
    ca,
    server: issue(dir, ca, 'server', 'DNS:localhost,IP:127.0.0.1', 'serverAuth'),
    client: issue(dir, ca, 'client', 'DNS:prometheus.example', 'clientAuth'),
    otherCa,
    otherClient: issue(dir, otherCa, 'other-client', 'DNS:prometheus.example', 'clientAuth'),
  };
}

export interface HttpsAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** SHA-256 fingerprint of the certificate the server showed */
  fingerprint: string;
}

/** One request on a new connection, trusting `ca`, optionally with a client certificate and basic auth. */
export function httpsRequest(
  url: string,
  opts: { ca: string; client?: KeyPair; auth?: string; method?: string; headers?: Record<string, string> },
): Promise<HttpsAnswer> {
  const options: RequestOptions = {
    method: opts.method ?? 'GET',
    ca: readFileSync(opts.ca),
    agent: false,
    headers: { ...opts.headers, ...(opts.auth ? { authorization: `Basic ${Buffer.from(opts.auth).toString('base64')}` } : {}) },
    ...(opts.client ? { cert: readFileSync(opts.client.cert), key: readFileSync(opts.client.key) } : {}),
  };
  return new Promise((resolve, reject) => {
    const req = request(url, options, (res) => {
      const fingerprint = (res.socket as import('node:tls').TLSSocket).getPeerCertificate().fingerprint256;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), fingerprint }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

export function fingerprintOf(certFile: string): string {
  return new X509Certificate(readFileSync(certFile)).fingerprint256;
}
