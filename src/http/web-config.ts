// --web.config.file: TLS, basic authentication and response headers in the format of the
// Prometheus exporter-toolkit (docs/web-configuration.md of prometheus/exporter-toolkit), which
// node_exporter, blackbox_exporter and the rest share, so one file serves them all.
//
// Like the toolkit, a change to the file (or to the certificate, key and CA files it names) applies
// without a restart. Unlike it, nothing is read or built per connection: a new connection only
// looks at the files' metadata, at most once a second, and they are read again, and the TLS
// context built, only when that metadata has changed (or on reload). Work an unauthenticated
// client can cause stays tiny. A file that has become invalid is reported once and the last good
// one kept. Whether TLS is on at all is decided at start.
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { createSecureContext, type SecureContextOptions, type TLSSocket } from 'node:tls';
import { z } from 'zod';
import { ConfigError, parseYaml, problemAt, readConfigText } from '../config/load.js';
import type { Logger } from '../log.js';

const TLS_VERSIONS = { TLS10: 'TLSv1', TLS11: 'TLSv1.1', TLS12: 'TLSv1.2', TLS13: 'TLSv1.3' } as const;
type TlsVersionName = keyof typeof TLS_VERSIONS;

/**
 * Go's cipher suite names (those `tls.CipherSuites()` returns: the secure ones) and their OpenSSL
 * names. Go only lets TLS 1.2 and below be chosen; TLS 1.3 suites are always on, here as there.
 */
export const CIPHER_SUITES: Readonly<Record<string, string>> = {
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: 'ECDHE-ECDSA-AES128-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: 'ECDHE-ECDSA-AES256-SHA',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: 'ECDHE-RSA-AES128-SHA',
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: 'ECDHE-RSA-AES256-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 'ECDHE-ECDSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 'ECDHE-RSA-AES128-GCM-SHA256',
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 'ECDHE-RSA-AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-RSA-CHACHA20-POLY1305',
  // TLS 1.3: accepted, as Go accepts them, and always enabled
  TLS_AES_128_GCM_SHA256: 'TLS_AES_128_GCM_SHA256',
  TLS_AES_256_GCM_SHA384: 'TLS_AES_256_GCM_SHA384',
  TLS_CHACHA20_POLY1305_SHA256: 'TLS_CHACHA20_POLY1305_SHA256',
};
const TLS13_SUITES = 'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256';
/**
 * The TLS 1.2 suites when `cipher_suites` is not set: Go's defaults (crypto/tls defaults.go: its
 * preference order without the RSA key exchange, 3DES, CBC-SHA256 and RC4 suites), which the
 * toolkit leaves in place. OpenSSL's own default would also take `AES128-SHA` and the other
 * suites without forward secrecy.
 */
export const DEFAULT_TLS12_SUITES = [
  'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
  'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
  'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
  'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
  'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256',
  'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256',
  'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA',
  'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA',
  'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA',
  'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA',
] as const;
const CURVES = { CurveP256: 'P-256', CurveP384: 'P-384', CurveP521: 'P-521', X25519: 'X25519' } as const;

export const CLIENT_AUTH_TYPES = [
  'NoClientCert',
  'RequestClientCert',
  'RequireAnyClientCert',
  'VerifyClientCertIfGiven',
  'RequireAndVerifyClientCert',
] as const;
type ClientAuthType = (typeof CLIENT_AUTH_TYPES)[number];

/** The headers the toolkit lets a file set, and the values it accepts where it restricts them. */
const HEADERS = ['Content-Security-Policy', 'X-Frame-Options', 'X-Content-Type-Options', 'X-XSS-Protection', 'Strict-Transport-Security'] as const;

const BCRYPT_HASH = /^\$2[abxy]?\$\d{2}\$[./A-Za-z0-9]{53}$/;

const tlsSchema = z
  .strictObject({
    cert: z.string().min(1).optional(),
    key: z.string().min(1).optional(),
    client_ca: z.string().min(1).optional(),
    cert_file: z.string().min(1).optional(),
    key_file: z.string().min(1).optional(),
    client_auth_type: z.enum(CLIENT_AUTH_TYPES).default('NoClientCert'),
    client_ca_file: z.string().min(1).optional(),
    client_allowed_sans: z.array(z.string().min(1)).optional(),
    min_version: z.enum(Object.keys(TLS_VERSIONS) as [TlsVersionName, ...TlsVersionName[]]).default('TLS12'),
    max_version: z.enum(Object.keys(TLS_VERSIONS) as [TlsVersionName, ...TlsVersionName[]]).default('TLS13'),
    cipher_suites: z
      .array(z.enum(Object.keys(CIPHER_SUITES) as [string, ...string[]]))
      .min(1)
      .optional(),
    prefer_server_cipher_suites: z.boolean().default(true),
    curve_preferences: z
      .array(z.enum(Object.keys(CURVES) as [keyof typeof CURVES, ...Array<keyof typeof CURVES>]))
      .min(1)
      .optional(),
  })
  .superRefine((tls, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if (tls.cert !== undefined && tls.cert_file !== undefined) issue('cert', 'set cert or cert_file, not both');
    if (tls.key !== undefined && tls.key_file !== undefined) issue('key', 'set key or key_file, not both');
    if (tls.client_ca !== undefined && tls.client_ca_file !== undefined) issue('client_ca', 'set client_ca or client_ca_file, not both');
    if (tls.cert === undefined && tls.cert_file === undefined) issue('cert_file', 'required key is missing (or cert)');
    if (tls.key === undefined && tls.key_file === undefined) issue('key_file', 'required key is missing (or key)');
    const hasCa = tls.client_ca !== undefined || tls.client_ca_file !== undefined;
    const verifies = tls.client_auth_type === 'VerifyClientCertIfGiven' || tls.client_auth_type === 'RequireAndVerifyClientCert';
    if (hasCa && tls.client_auth_type === 'NoClientCert')
      issue('client_auth_type', 'a client CA is set: choose a client_auth_type (RequireAndVerifyClientCert to require client certificates)');
    if (verifies && !hasCa) issue('client_ca_file', `required by client_auth_type ${tls.client_auth_type}`);
    if (tls.client_allowed_sans && tls.client_auth_type !== 'RequireAnyClientCert' && tls.client_auth_type !== 'RequireAndVerifyClientCert') {
      issue('client_allowed_sans', 'needs client_auth_type RequireAnyClientCert or RequireAndVerifyClientCert');
    }
    const order = Object.keys(TLS_VERSIONS);
    if (order.indexOf(tls.min_version) > order.indexOf(tls.max_version)) issue('min_version', 'must not be above max_version');
  });

const headersSchema = z.record(z.string(), z.string()).superRefine((headers, ctx) => {
  for (const [name, value] of Object.entries(headers)) {
    const known = HEADERS.find((h) => h.toLowerCase() === name.toLowerCase());
    if (!known) ctx.addIssue({ code: 'custom', path: [name], message: `this header cannot be set: expected one of ${HEADERS.join(', ')}` });
    else if (/[\r\n\x00]/.test(value)) ctx.addIssue({ code: 'custom', path: [name], message: 'must be one line' });
    else if (known === 'X-Frame-Options' && value !== '' && !/^(deny|sameorigin)$/i.test(value))
      ctx.addIssue({ code: 'custom', path: [name], message: 'expected deny or sameorigin' });
    else if (known === 'X-Content-Type-Options' && value !== '' && !/^nosniff$/i.test(value))
      ctx.addIssue({ code: 'custom', path: [name], message: 'expected nosniff' });
  }
});

export const webConfigSchema = z.strictObject({
  tls_server_config: tlsSchema.optional(),
  http_server_config: z
    .strictObject({
      // Accepted for compatibility with the toolkit's files; this server speaks HTTP/1.1 only.
      http2: z.boolean().default(true),
      headers: headersSchema.optional(),
    })
    .optional(),
  basic_auth_users: z
    .record(
      z
        .string()
        .min(1)
        .regex(/^[^:]*$/, 'a user name cannot contain ":"'),
      z.string().regex(BCRYPT_HASH, 'expected a bcrypt hash such as $2y$10$...'),
    )
    .optional(),
  rate_limit: z
    .unknown()
    .superRefine((_value, ctx) => ctx.addIssue({ code: 'custom', message: 'not supported by this exporter' }))
    .optional(),
});

export type WebConfigFile = z.infer<typeof webConfigSchema>;

/** What the server applies: ready-made TLS options, the users and the headers. */
export interface WebSettings {
  tls?: {
    options: SecureContextOptions & { requestCert: boolean; rejectUnauthorized: boolean };
    clientAuth: ClientAuthType;
    allowedSans?: readonly string[];
  };
  users?: ReadonlyMap<string, string>;
  headers: Readonly<Record<string, string>>;
}

/**
 * What identifies a file's content without reading it: inode, size, modification and change
 * times. A replaced file (a Kubernetes secret's symlink swap, `mv`) changes the inode; an edited
 * one its times.
 */
function metadataOf(path: string): string {
  const stat = statSync(path, { throwIfNoEntry: false });
  return stat ? `${stat.ino}:${stat.size}:${stat.mtimeMs}:${stat.ctimeMs}` : '-';
}

/** A file a load read (or tried to), with its metadata taken just before. */
export interface FileSeen {
  path: string;
  metadata: string;
}

/**
 * Reads a file the web configuration names (a path relative to the web configuration's own
 * directory). A failure names the file (a path is not a secret) at the line that names it.
 */
function readNamed(named: { file: string; text: string; source: string; key: string; seen: FileSeen[] }): string {
  const path = isAbsolute(named.file) ? named.file : join(dirname(named.source), named.file);
  named.seen.push({ path, metadata: metadataOf(path) });
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (code ?? 'unreadable');
    throw problemAt(named.text, named.source, ['tls_server_config', named.key], `cannot read ${path}: ${why}`);
  }
}

/**
 * Reads the web configuration file and every file it names; builds and checks what the server
 * needs. `seen` receives every file it reads or tries to, even when it then throws.
 */
export function loadWebSettings(file: string, seen: FileSeen[] = []): { settings: WebSettings; fingerprint: string } {
  seen.push({ path: file, metadata: metadataOf(file) });
  const text = readConfigText(file);
  const parsed = parseYaml(text, file, webConfigSchema, { allowEmpty: true });
  const hash = createHash('sha256').update(text);
  const settings: WebSettings = { headers: {} };
  const tls = parsed.tls_server_config;
  if (tls) {
    const named = (key: string, path: string) => readNamed({ file: path, text, source: file, key, seen });
    const cert = tls.cert ?? named('cert_file', tls.cert_file!);
    const key = tls.key ?? named('key_file', tls.key_file!);
    const ca = tls.client_ca ?? (tls.client_ca_file ? named('client_ca_file', tls.client_ca_file) : undefined);
    for (const part of [cert, key, ca ?? '']) hash.update('\0').update(part);
    const requestCert = tls.client_auth_type !== 'NoClientCert';
    const options: NonNullable<WebSettings['tls']>['options'] = {
      cert,
      key,
      ...(ca ? { ca } : {}),
      requestCert,
      rejectUnauthorized: tls.client_auth_type === 'RequireAndVerifyClientCert',
      minVersion: TLS_VERSIONS[tls.min_version],
      maxVersion: TLS_VERSIONS[tls.max_version],
      honorCipherOrder: tls.prefer_server_cipher_suites,
      ciphers: [...(tls.cipher_suites ?? DEFAULT_TLS12_SUITES).map((s) => CIPHER_SUITES[s]!).filter((s) => !s.startsWith('TLS_')), TLS13_SUITES].join(':'),
      ...(tls.curve_preferences ? { ecdhCurve: tls.curve_preferences.map((c) => CURVES[c]).join(':') } : {}),
    };
    try {
      createSecureContext(options);
    } catch (err) {
      // OpenSSL's reason names what is wrong (no key material): keep only its code.
      const code = (err as NodeJS.ErrnoException).code ?? 'invalid';
      throw new ConfigError(`${file}: tls_server_config: the certificate, key or CA cannot be used (${code})`);
    }
    settings.tls = { options, clientAuth: tls.client_auth_type, ...(tls.client_allowed_sans ? { allowedSans: tls.client_allowed_sans } : {}) };
  }
  if (parsed.basic_auth_users && Object.keys(parsed.basic_auth_users).length > 0) settings.users = new Map(Object.entries(parsed.basic_auth_users));
  for (const [name, value] of Object.entries(parsed.http_server_config?.headers ?? {})) {
    if (value !== '') settings.headers = { ...settings.headers, [HEADERS.find((h) => h.toLowerCase() === name.toLowerCase())!]: value };
  }
  return { settings, fingerprint: hash.digest('hex') };
}

/**
 * For the start-up log line: whether TLS is on, and what a client must show (the toolkit logs
 * "TLS is enabled/disabled").
 */
export function describeAccess(settings: WebSettings | undefined): { tls: 'enabled' | 'disabled'; auth: string } {
  const auth = [
    ...(settings?.users ? ['basic'] : []),
    ...(settings?.tls && settings.tls.clientAuth !== 'NoClientCert' ? [`client certificate (${settings.tls.clientAuth})`] : []),
  ];
  return { tls: settings?.tls ? 'enabled' : 'disabled', auth: auth.length > 0 ? auth.join(' and ') : 'none' };
}

/** Whether a client that finished its TLS handshake may go on, under the toolkit's rules. */
export function clientAllowed(socket: TLSSocket, tls: NonNullable<WebSettings['tls']>): boolean {
  const cert = socket.getPeerCertificate();
  const presented = cert !== null && typeof cert === 'object' && Object.keys(cert).length > 0;
  switch (tls.clientAuth) {
    case 'RequireAnyClientCert':
      if (!presented) return false;
      break;
    case 'VerifyClientCertIfGiven':
      if (presented && !socket.authorized) return false;
      break;
    case 'RequireAndVerifyClientCert':
      if (!presented || !socket.authorized) return false;
      break;
    default:
  }
  if (tls.allowedSans) {
    const sans = (presented ? (cert.subjectaltname ?? '') : '').split(/,\s*/).map((entry) => entry.slice(entry.indexOf(':') + 1));
    if (!tls.allowedSans.some((allowed) => sans.includes(allowed))) return false;
  }
  return true;
}

/** How often, at most, a new connection makes the files be looked at for a change. */
export const WEB_CONFIG_CHECK_INTERVAL_MS = 1000;

export interface WebConfigOptions {
  log?: Logger;
  /** how often, at most, `checkForChange()` looks at the files (default WEB_CONFIG_CHECK_INTERVAL_MS) */
  checkIntervalMs?: number;
  now?: () => number;
  /** what reads and builds the settings (loadWebSettings); a test counts its calls */
  load?: typeof loadWebSettings;
}

/**
 * The web configuration in force: read at start (a bad file is a ConfigError, exit 2), then
 * again on `refresh()` (reload), and on `checkForChange()` (each new connection) when the files'
 * metadata says they changed. A change that fails to load is logged once and the last good
 * settings kept.
 */
export class WebConfig {
  private fingerprint: string;
  private failing: string | undefined;
  /** the files the last load read or tried to read, with their metadata then */
  private seen: FileSeen[] = [];
  private checkedAt: number;
  private readonly log: Logger | undefined;
  private readonly checkIntervalMs: number;
  private readonly now: () => number;
  private readonly load: typeof loadWebSettings;
  settings: WebSettings;
  /** goes up by one each time new settings are applied */
  generation = 0;

  constructor(
    readonly file: string,
    opts: WebConfigOptions = {},
  ) {
    this.log = opts.log;
    this.checkIntervalMs = opts.checkIntervalMs ?? WEB_CONFIG_CHECK_INTERVAL_MS;
    this.now = opts.now ?? Date.now;
    this.load = opts.load ?? loadWebSettings;
    ({ settings: this.settings, fingerprint: this.fingerprint } = this.load(file, this.seen));
    this.checkedAt = this.now();
  }

  /**
   * Cheap enough for every new connection: at most once per check interval, compares the files'
   * metadata with what it was when they were last read, and reads them again only if it changed.
   * Returns true when new settings were applied.
   */
  checkForChange(): boolean {
    const now = this.now();
    if (now - this.checkedAt < this.checkIntervalMs) return false;
    this.checkedAt = now;
    if (this.seen.every(({ path, metadata }) => metadataOf(path) === metadata)) return false;
    return this.refresh();
  }

  /** Reads the files again; returns true when new settings were applied. */
  refresh(): boolean {
    const seen: FileSeen[] = [];
    let problem: string | undefined;
    let loaded;
    try {
      loaded = this.load(this.file, seen);
      if (loaded.fingerprint !== this.fingerprint && Boolean(loaded.settings.tls) !== Boolean(this.settings.tls)) {
        problem = `${this.file}: TLS cannot be turned ${loaded.settings.tls ? 'on' : 'off'} without a restart`;
      }
    } catch (err) {
      problem = err instanceof ConfigError ? err.message : `${this.file}: the web configuration cannot be loaded`;
    }
    this.seen = seen;
    if (problem !== undefined || !loaded) {
      if (this.failing !== problem) this.log?.error(`web configuration not applied, keeping the last good one: ${problem}`);
      this.failing = problem;
      return false;
    }
    if (this.failing !== undefined) this.log?.info({ web_config_file: this.file }, 'web configuration loads again');
    this.failing = undefined;
    if (loaded.fingerprint === this.fingerprint) return false;
    this.settings = loaded.settings;
    this.fingerprint = loaded.fingerprint;
    this.generation++;
    this.log?.info({ web_config_file: this.file }, 'web configuration applied');
    return true;
  }
}
