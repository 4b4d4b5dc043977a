/**
 * A fake Alibaba Cloud RDS RPC endpoint (API version 2014-08-15) over real HTTP.
 *
 * It is strict where the real service is strict: every request must carry the common
 * parameters and a valid v1.0 signature from a known key, a fresh timestamp and an unused
 * nonce, so a client that works against the simulator signs correctly against the cloud too.
 * Tests can then inject the failures the real service produces (throttling, 5xx, HTML from a
 * gateway, hangs, resets) and drive the World to move backup tasks through their life.
 *
 * Order of checks per request: common parameters → AccessKeyId → signature → SecurityToken →
 * timestamp → nonce → flow control → Action → RAM grants of the key (ram.ts) → injected faults →
 * the action itself.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { gzipSync } from 'node:zlib';
import { ApiError } from './api-error.js';
import { formatUtcSeconds, parseUtcSeconds } from './api-time.js';
import { toJsonText } from './json-text.js';
import { Random } from './random.js';
import { FORBIDDEN_RAM_MESSAGE, FORBIDDEN_RAM_STATUS, forbiddenRamBody, RamGrants } from './ram.js';
import { RDS_ACTIONS } from './rds-actions.js';
import { computeSignature, stringToSign } from './signature.js';
import { World } from './world.js';

export interface SimCredential {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
  /**
   * The RAM grants of this key: the only actions it may call (e.g. ['DescribeBackupTasks',
   * 'DescribeBackups']); any other answers Forbidden.RAM (HTTP 403). Default: every action.
   */
  allowedActions?: readonly string[];
}

export interface SimulatorOptions {
  /** default 127.0.0.1 */
  host?: string;
  /** 0 = a random free port (default) */
  port?: number;
  /** Accepted static keys; default [DEMO_CREDENTIAL]. The STS credential is accepted as well. */
  credentials?: SimCredential[];
  /** default: a new World seeded with `seed` */
  world?: World;
  /** Seed for the World (when created here) and the autopilot; default 1. */
  seed?: number;
  /** Lifetime of each issued STS credential; default 3600 s, like AssumeRole's default. */
  stsTtlSeconds?: number;
  /** The RAM grants of the role behind the STS credentials, as SimCredential.allowedActions; default every action. */
  stsAllowedActions?: readonly string[];
  /**
   * The clock request Timestamps and nonces are checked against; default the World's clock.
   * A test that freezes the World's clock (for data with fixed times) passes Date.now here,
   * since pop-core stamps requests with real time.
   */
  requestClock?: () => number;
  /** How long every RPC answer waits (a slow region); default 0. Settable later as `latencyMs`. */
  latencyMs?: number;
  /**
   * The service's flow control: authenticated RPC requests per second (one-second buckets) beyond
   * which it answers Throttling.User; default none. Settable later as `rateLimitPerSecond`.
   */
  rateLimitPerSecond?: number;
}

/** The key the demo and the demo config use. Not a real Alibaba Cloud key. */
export const DEMO_CREDENTIAL: SimCredential = {
  accessKeyId: 'LTAI5tDemoKeyId0000000000',
  accessKeySecret: 'demo-secret-not-a-real-key',
};

export type FaultKind =
  | 'Throttling'
  | 'Throttling.User'
  | 'Throttling.Api'
  | 'ServiceUnavailable'
  | 'InternalError'
  | 'InvalidAccessKeyId.NotFound'
  | 'SignatureDoesNotMatch'
  | 'Forbidden.RAM'
  | 'InvalidDBInstanceId.NotFound'
  | 'IncorrectDBInstanceState'
  /** HTTP 502 with an HTML body */
  | 'html502'
  /** HTTP 200 with an empty body */
  | 'empty'
  /** HTTP 500 with a JSON body lacking Code */
  | 'http500-no-code'
  /** accept the request and never answer (until close) */
  | 'hang'
  /** destroy the socket without answering */
  | 'reset'
  /** HTTP 200 with the action's real answer cut in the middle of its JSON (a proxy that cut it) */
  | 'truncated'
  /** HTTP 200 streaming 200 MiB of JSON whitespace, without a Content-Length */
  | 'oversized'
  /** HTTP 200 with Content-Encoding gzip: about 1 MiB on the wire that inflates to 1 GiB */
  | 'gzip-bomb'
  /** HTTP 200 with the JSON body `{}`: well formed, nothing in it */
  | 'empty-object'
  /** HTTP 200 with valid JSON not of the action's documented shape (JUNK_SHAPES, one picked per answer) */
  | 'junk-shape';

/**
 * Valid JSON bodies of the wrong shape, made from the action's real answer: what a broken gateway,
 * a proxy or a changed API could send with a 200.
 */
const JUNK_SHAPES: ReadonlyArray<(requestId: string, real: Record<string, unknown>) => unknown> = [
  (RequestId) => ({ RequestId, Items: 'x' }),
  (RequestId) => ({ RequestId, Items: [] }),
  (RequestId) => ({ RequestId, Items: {} }),
  // the real answer's keys in lower camel case, as an SDK model holds them
  (RequestId, real) => ({ requestId: RequestId, ...Object.fromEntries(Object.entries(real).map(([k, v]) => [k[0]!.toLowerCase() + k.slice(1), v])) }),
  // every list holds an entry with none of its fields, every other top-level value an empty object
  (RequestId, real) => ({
    RequestId,
    ...Object.fromEntries(
      Object.entries(real).map(([k, v]) => [
        k,
        v !== null && typeof v === 'object' && !Array.isArray(v)
          ? Object.fromEntries(Object.keys(v).map((inner) => [inner, { foo: 1 }]))
          : Array.isArray(v)
            ? [{ foo: 1 }]
            : {},
      ]),
    ),
  }),
  (RequestId, real) => [{ RequestId, ...real }],
];

export interface FaultRule {
  kind: FaultKind;
  /** Only requests for this Action; default any. */
  action?: string;
  /** Only requests with this DBInstanceId; default any. */
  instanceId?: string;
  /** Only requests carrying each of these parameters with these values (e.g. { BackupJobId: '1' }). */
  params?: Record<string, string>;
  /** default 1; Infinity = until cleared */
  times?: number;
  /**
   * Each matching request is faulted with this probability (from the seeded random source);
   * default 1. A request the rule spares goes on to the next rule, and uses up none of `times`.
   */
  probability?: number;
}

export interface RecordedRequest {
  method: string;
  action: string;
  /** all received params except Signature */
  params: Record<string, string>;
  instanceId?: string;
  /** 0 when no HTTP answer was sent (hang, reset) */
  httpStatus: number;
  /** 'OK', the error Code, or the fault kind for non-API faults */
  code: string;
  /** world time, ms epoch */
  at: number;
}

export type StsCredential = SimCredential & { securityToken: string; expiration: string };

export interface AutopilotOptions {
  /** every this many ms, every running task moves one phase */
  stepMs: number;
  /** every this many ms, an idle instance that backs up starts a task (80 % Automated) */
  newJobEveryMs: number;
  /** share of tasks that end Failed */
  failureRate: number;
  /**
   * Compressed time: each instance keeps only its newest `retentionDays` backup sets, as if every
   * task were one day's backup. Without it, an autopilot left running piles up a set every few
   * seconds within the retention, and the backup storage it reports grows without bound.
   */
  taskIsADay?: boolean;
}

export interface Simulator {
  /** 'http://127.0.0.1:PORT' */
  url: string;
  port: number;
  world: World;
  requests: RecordedRequest[];
  /** Rules are checked in order after authentication; the first match answers and uses up one of its `times`. */
  inject(rule: FaultRule): void;
  /**
   * Changes the RAM grants of a static key at run time: only `actions` from now on, or every
   * action when undefined (a permission added or removed while the exporter runs).
   */
  grant(accessKeyId: string, actions: readonly string[] | undefined): void;
  clearFaults(): void;
  /**
   * A rotating STS credential the server accepts together with its SecurityToken. current()
   * issues a fresh one when the current one has expired; rotate() retires it at once; issued()
   * lists every one issued so far, oldest first (what a test sweeps output for).
   */
  sts: { current(): StsCredential; rotate(): StsCredential; issued(): StsCredential[] };
  /** url + '/sts-credentials': serves sts.current() in the ALIBABA_CLOUD_CREDENTIALS_URI shape. */
  credentialsUri: string;
  /** Demo mode: timers that step the world and start new tasks; unref'd; stopped by close(). */
  autopilot(opts: AutopilotOptions): void;
  /** How long every RPC answer waits, in real time (a slow region; 0 = none). */
  latencyMs: number;
  /** Flow control: authenticated requests per second beyond which Throttling.User answers (0 = none). */
  rateLimitPerSecond: number;
  /** Stops timers, ends hanging requests, closes all sockets. Safe to call twice. */
  close(): Promise<void>;
}

/** How far a request Timestamp may be from the server clock, and how long nonces are remembered. */
const TIMESTAMP_TOLERANCE_MS = 15 * 60_000;
const API_VERSION = '2014-08-15';
const MAX_BODY_BYTES = 1024 * 1024;
const CREDENTIALS_PATH = '/sts-credentials';
/** What the 'oversized' fault streams, and what the 'gzip-bomb' fault inflates to. */
const OVERSIZED_BYTES = 200 * 1024 * 1024;
const GZIP_BOMB_INFLATED_BYTES = 1024 * 1024 * 1024;
const MIB_OF_SPACES = Buffer.alloc(1024 * 1024, 0x20);
/** One gzip member of 1 MiB of spaces (about 1 KiB); members may be concatenated (RFC 1952 2.2). */
let gzipMemberOfMib: Buffer | undefined;

const REQUIRED_PARAMS = [
  'Action',
  'Format',
  'Version',
  'AccessKeyId',
  'SignatureMethod',
  'SignatureVersion',
  'SignatureNonce',
  'Timestamp',
  'Signature',
] as const;

/** The fixed-value common parameters; anything else is InvalidParameter. */
const FIXED_PARAMS: ReadonlyArray<readonly [name: string, value: string]> = [
  ['Format', 'JSON'], // the service also speaks XML; the simulator (and the exporter) only JSON
  ['Version', API_VERSION],
  ['SignatureMethod', 'HMAC-SHA1'],
  ['SignatureVersion', '1.0'],
];

/** HTTP status and message of each API error a fault rule can inject, as the real service sends them. */
const API_FAULTS: Readonly<Record<string, readonly [status: number, message: string]>> = {
  Throttling: [400, 'Request was denied due to request throttling.'],
  'Throttling.User': [400, 'Request was denied due to user flow control.'],
  'Throttling.Api': [400, 'Request was denied due to api flow control.'],
  ServiceUnavailable: [503, 'The request has failed due to a temporary failure of the server.'],
  InternalError: [500, 'The request processing has failed due to some unknown error, exception or failure.'],
  'InvalidAccessKeyId.NotFound': [404, 'Specified access key is not found.'],
  SignatureDoesNotMatch: [400, 'Specified signature is not matched with our calculation.'],
  'Forbidden.RAM': [FORBIDDEN_RAM_STATUS, FORBIDDEN_RAM_MESSAGE],
  'InvalidDBInstanceId.NotFound': [400, 'The specified instance is not found.'],
  IncorrectDBInstanceState: [403, 'Current DB instance state does not support this operation.'],
};

const BAD_GATEWAY_HTML =
  '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n' +
  '<hr><center>Tengine</center>\r\n</body>\r\n</html>\r\n';

interface ActiveRule {
  rule: FaultRule;
  remaining: number;
}

interface Answer {
  status: number;
  code: string;
  body: Record<string, unknown>;
}

export async function startSimulator(opts: SimulatorOptions = {}): Promise<Simulator> {
  const seed = opts.seed ?? 1;
  const world = opts.world ?? new World({ seed });
  const requestNow = opts.requestClock ?? (() => world.now());
  const staticKeys = new Map((opts.credentials ?? [DEMO_CREDENTIAL]).map((c) => [c.accessKeyId, c]));
  const ram = new RamGrants();
  for (const c of staticKeys.values()) ram.grant(c.accessKeyId, c.allowedActions);
  const stsAllowedActions = opts.stsAllowedActions;
  const stsTtlMs = (opts.stsTtlSeconds ?? 3600) * 1000;
  const autopilotRandom = new Random(seed ^ 0x5eed);
  const faultRandom = new Random(seed ^ 0xfa17);
  const requests: RecordedRequest[] = [];
  const faults: ActiveRule[] = [];
  /** `${AccessKeyId}\n${SignatureNonce}` → world time first seen; insertion order = time order. */
  const nonces = new Map<string, number>();
  const sockets = new Set<Socket>();
  const hanging = new Set<ServerResponse>();
  /** requests counted in the current second, for rateLimitPerSecond */
  const flow = { second: 0, used: 0 };
  const timers: NodeJS.Timeout[] = [];

  // --- STS ------------------------------------------------------------------------------------
  // A retired STS key answers InvalidSecurityToken.Expired rather than InvalidAccessKeyId.NotFound:
  // that is what the real service says for an STS key past its expiry, and it tells the
  // operator "refresh your credentials", not "wrong key".
  const retiredStsKeys = new Set<string>();
  let stsSerial = 0;
  const stsIssued: StsCredential[] = [];
  let stsCurrent = issueSts();

  function issueSts(): StsCredential & { expiresAt: number } {
    stsSerial++;
    const expiresAt = Math.floor((world.now() + stsTtlMs) / 1000) * 1000;
    const credential = {
      accessKeyId: `STS.NT${stsSerial}${randomBytes(8).toString('hex')}`,
      accessKeySecret: randomBytes(20).toString('base64url'),
      securityToken: `CAIS${randomBytes(48).toString('base64url')}`,
      expiration: formatUtcSeconds(expiresAt),
      expiresAt,
    };
    stsIssued.push(publicSts(credential));
    ram.grant(credential.accessKeyId, stsAllowedActions);
    return credential;
  }

  function publicSts(c: StsCredential): StsCredential {
    return { accessKeyId: c.accessKeyId, accessKeySecret: c.accessKeySecret, securityToken: c.securityToken, expiration: c.expiration };
  }

  const sts = {
    current(): StsCredential {
      if (world.now() >= stsCurrent.expiresAt) {
        return sts.rotate();
      }
      return publicSts(stsCurrent);
    },
    rotate(): StsCredential {
      retiredStsKeys.add(stsCurrent.accessKeyId);
      stsCurrent = issueSts();
      return publicSts(stsCurrent);
    },
    issued(): StsCredential[] {
      return [...stsIssued];
    },
  };

  // --- answering ----------------------------------------------------------------------------------

  function apiError(code: string, status: number, message: string): Answer {
    return { status, code, body: { Code: code, Message: message } };
  }

  function forbiddenRam(action: string): Answer {
    return { status: FORBIDDEN_RAM_STATUS, code: 'Forbidden.RAM', body: forbiddenRamBody(action) };
  }

  function send(res: ServerResponse, status: number, contentType: string, text: string, requestId: string): void {
    res.writeHead(status, {
      'content-type': contentType,
      'content-length': Buffer.byteLength(text),
      'x-acs-request-id': requestId,
    });
    res.end(text);
  }

  /** Error bodies carry HostId and Recommend like the real gateway's; success bodies lead with RequestId. */
  function sendAnswer(res: ServerResponse, answer: Answer, requestId: string): void {
    const body: Record<string, unknown> =
      answer.code === 'OK'
        ? { RequestId: requestId, ...answer.body }
        : {
            RequestId: requestId,
            HostId: 'rds.aliyuncs.com',
            ...answer.body,
            Recommend: `https://api.aliyun.com/troubleshoot?q=${encodeURIComponent(answer.code)}&product=Rds&requestId=${requestId}`,
          };
    send(res, answer.status, 'application/json;charset=utf-8', toJsonText(body), requestId);
  }

  // --- authentication -------------------------------------------------------------------------------

  function findSecret(params: Record<string, string>): { credential: SimCredential } | Answer {
    const keyId = params.AccessKeyId ?? '';
    const known = staticKeys.get(keyId) ?? (keyId === stsCurrent.accessKeyId ? stsCurrent : undefined);
    if (known) {
      return { credential: known };
    }
    if (retiredStsKeys.has(keyId)) {
      return apiError('InvalidSecurityToken.Expired', 400, 'Specified SecurityToken is expired.');
    }
    return apiError('InvalidAccessKeyId.NotFound', 404, 'Specified access key is not found.');
  }

  /** undefined = authenticated; otherwise the error to answer with. */
  function authenticate(method: string, params: Record<string, string>): Answer | undefined {
    for (const name of REQUIRED_PARAMS) {
      if (params[name] === undefined || params[name] === '') {
        return apiError('MissingParameter', 400, `The input parameter "${name}" that is mandatory for processing this request is not supplied.`);
      }
    }
    for (const [name, expected] of FIXED_PARAMS) {
      if (params[name] !== expected) {
        return apiError('InvalidParameter', 400, `The specified parameter "${name}" is not valid: expected ${expected}.`);
      }
    }
    const timestamp = parseUtcSeconds(params.Timestamp ?? '');
    if (timestamp === undefined) {
      return apiError('InvalidTimeStamp.Format', 400, 'Specified time stamp or date value is not well formatted (expected YYYY-MM-DDThh:mm:ssZ).');
    }

    const found = findSecret(params);
    if (!('credential' in found)) {
      return found;
    }
    const { credential } = found;

    const expected = computeSignature(method, params, credential.accessKeySecret);
    if (params.Signature !== expected) {
      // The real service echoes its string-to-sign so a client author can diff it with theirs.
      return apiError(
        'SignatureDoesNotMatch',
        400,
        `Specified signature is not matched with our calculation. server string to sign is:${stringToSign(method, params)}`,
      );
    }

    if (params.SecurityToken !== credential.securityToken) {
      return apiError('InvalidSecurityToken.MismatchWithAccessKey', 400, 'The SecurityToken does not match the AccessKeyId.');
    }
    if (credential === stsCurrent && world.now() >= stsCurrent.expiresAt) {
      return apiError('InvalidSecurityToken.Expired', 400, 'Specified SecurityToken is expired.');
    }

    const now = requestNow();
    if (Math.abs(now - timestamp) > TIMESTAMP_TOLERANCE_MS) {
      return apiError('InvalidTimeStamp.Expired', 400, `Specified time stamp or date value is expired. Server time is ${formatUtcSeconds(now)}.`);
    }

    forgetOldNonces(now);
    const nonceKey = `${params.AccessKeyId}\n${params.SignatureNonce}`;
    if (nonces.has(nonceKey)) {
      return apiError('SignatureNonceUsed', 400, 'Specified signature nonce was used already.');
    }
    nonces.set(nonceKey, now);
    return undefined;
  }

  function forgetOldNonces(now: number): void {
    for (const [key, seenAt] of nonces) {
      if (now - seenAt <= TIMESTAMP_TOLERANCE_MS) {
        break;
      }
      nonces.delete(key);
    }
  }

  // --- faults ---------------------------------------------------------------------------------------

  function takeFault(params: Record<string, string>): FaultKind | undefined {
    const index = faults.findIndex(
      ({ rule }) =>
        (rule.action === undefined || rule.action === params.Action) &&
        (rule.instanceId === undefined || rule.instanceId === params.DBInstanceId) &&
        Object.entries(rule.params ?? {}).every(([name, value]) => params[name] === value) &&
        (rule.probability === undefined || faultRandom.chance(rule.probability)),
    );
    const active = faults[index];
    if (!active) {
      return undefined;
    }
    active.remaining--;
    if (active.remaining <= 0) {
      faults.splice(index, 1);
    }
    return active.rule.kind;
  }

  // --- request handling -------------------------------------------------------------------------------

  async function handleRpc(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const requestId = randomUUID().toUpperCase();
    const method = req.method ?? 'GET';
    const body = method === 'POST' ? await readBody(req) : '';
    if (simulator.latencyMs > 0) {
      // unref'd: a slow answer never keeps a finished test alive; close() destroys the socket.
      await new Promise((resolve) => setTimeout(resolve, simulator.latencyMs).unref());
      if (res.destroyed) return;
    }

    // Like the real gateway, parameters may come in the query string, the form body, or both.
    const params: Record<string, string> = {};
    for (const [key, value] of url.searchParams) {
      params[key] = value;
    }
    if (method === 'POST' && (req.headers['content-type'] ?? '').includes('application/x-www-form-urlencoded')) {
      for (const [key, value] of new URLSearchParams(body)) {
        params[key] = value;
      }
    }

    const { Signature: _signature, ...recordedParams } = params;
    const record = (httpStatus: number, code: string): void => {
      requests.push({
        method,
        action: params.Action ?? '',
        params: recordedParams,
        ...(params.DBInstanceId === undefined ? {} : { instanceId: params.DBInstanceId }),
        httpStatus,
        code,
        at: world.now(),
      });
    };
    const answer = (a: Answer): void => {
      record(a.status, a.code);
      sendAnswer(res, a, requestId);
    };

    if (method !== 'GET' && method !== 'POST') {
      answer(apiError('UnsupportedHTTPMethod', 405, `The HTTP method ${method} is not supported; use GET or POST.`));
      return;
    }
    const denied = authenticate(method, params);
    if (denied) {
      answer(denied);
      return;
    }
    if (simulator.rateLimitPerSecond > 0) {
      const second = Math.floor(Date.now() / 1000);
      if (second !== flow.second) Object.assign(flow, { second, used: 0 });
      if (++flow.used > simulator.rateLimitPerSecond) {
        const [status, message] = API_FAULTS['Throttling.User']!;
        answer(apiError('Throttling.User', status, message));
        return;
      }
    }
    const handler = RDS_ACTIONS[params.Action ?? ''];
    if (!handler) {
      answer(apiError('InvalidAction.NotFound', 404, `Specified api is not found, please check your url and method. Action: ${params.Action}`));
      return;
    }
    if (!ram.allows(params.AccessKeyId ?? '', params.Action ?? '')) {
      answer(forbiddenRam(params.Action ?? ''));
      return;
    }

    const fault = takeFault(params);
    if (fault !== undefined) {
      const apiFault = API_FAULTS[fault];
      if (fault === 'Forbidden.RAM') {
        answer(forbiddenRam(params.Action ?? ''));
        return;
      }
      if (apiFault) {
        answer(apiError(fault, apiFault[0], apiFault[1]));
        return;
      }
      switch (fault) {
        case 'html502':
          record(502, fault);
          send(res, 502, 'text/html', BAD_GATEWAY_HTML, requestId);
          return;
        case 'empty':
          record(200, fault);
          send(res, 200, 'application/json;charset=utf-8', '', requestId);
          return;
        case 'http500-no-code':
          record(500, fault);
          send(res, 500, 'application/json;charset=utf-8', toJsonText({ RequestId: requestId, Message: 'upstream failure' }), requestId);
          return;
        case 'hang':
          record(0, fault);
          hanging.add(res);
          res.on('close', () => hanging.delete(res));
          return;
        case 'reset':
          record(0, fault);
          req.socket.destroy();
          return;
        case 'truncated': {
          // The real answer, cut; an action that would have failed is cut just the same.
          let text: string;
          try {
            text = toJsonText({ RequestId: requestId, ...handler(world, params) });
          } catch {
            text = toJsonText({ RequestId: requestId, Code: 'InternalError', Message: 'cut' });
          }
          record(200, fault);
          send(res, 200, 'application/json;charset=utf-8', text.slice(0, Math.ceil(text.length / 2)), requestId);
          return;
        }
        case 'empty-object':
          record(200, fault);
          send(res, 200, 'application/json;charset=utf-8', '{}', requestId);
          return;
        case 'junk-shape': {
          let real: Record<string, unknown>;
          try {
            real = handler(world, params);
          } catch {
            real = {};
          }
          const junk = faultRandom.pick(JUNK_SHAPES)!(requestId, real);
          record(200, fault);
          send(res, 200, 'application/json;charset=utf-8', toJsonText(junk), requestId);
          return;
        }
        case 'oversized':
          record(200, fault);
          res.writeHead(200, { 'content-type': 'application/json;charset=utf-8', 'x-acs-request-id': requestId });
          streamRepeated(res, MIB_OF_SPACES, OVERSIZED_BYTES / MIB_OF_SPACES.length);
          return;
        case 'gzip-bomb':
          record(200, fault);
          gzipMemberOfMib ??= gzipSync(MIB_OF_SPACES, { level: 9 });
          res.writeHead(200, { 'content-type': 'application/json;charset=utf-8', 'content-encoding': 'gzip', 'x-acs-request-id': requestId });
          streamRepeated(res, gzipMemberOfMib, GZIP_BOMB_INFLATED_BYTES / MIB_OF_SPACES.length);
          return;
      }
    }

    try {
      answer({ status: 200, code: 'OK', body: handler(world, params) });
    } catch (err) {
      if (err instanceof ApiError) {
        answer(apiError(err.code, err.httpStatus, err.message));
      } else {
        answer(apiError('InternalError', 500, `The request processing has failed due to some unknown error: ${String(err)}`));
      }
    }
  }

  function handleCredentials(res: ServerResponse): void {
    const credential = sts.current();
    // The shape of the ECS metadata / credentials-URI answer. `Code: 'Success'` is needed by
    // the legacy `credentials_uri` Credential type; URICredentialsProvider only reads the four
    // credential fields and requires all of them.
    const body = {
      Code: 'Success',
      AccessKeyId: credential.accessKeyId,
      AccessKeySecret: credential.accessKeySecret,
      SecurityToken: credential.securityToken,
      Expiration: credential.expiration,
      LastUpdated: formatUtcSeconds(world.now()),
    };
    send(res, 200, 'application/json;charset=utf-8', JSON.stringify(body), randomUUID().toUpperCase());
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://simulator');
    if (url.pathname === CREDENTIALS_PATH && req.method === 'GET') {
      handleCredentials(res);
      return;
    }
    if (url.pathname !== '/') {
      send(
        res,
        404,
        'application/json;charset=utf-8',
        toJsonText({ Code: 'NotFound', Message: `No such path ${url.pathname}; the RPC API is served at /.` }),
        randomUUID().toUpperCase(),
      );
      return;
    }
    handleRpc(req, res, url).catch((err: unknown) => {
      // Only a broken request body gets here (client went away or sent too much).
      if (!res.headersSent && !res.destroyed) {
        send(res, 400, 'application/json;charset=utf-8', toJsonText({ Code: 'InvalidParameter', Message: String(err) }), randomUUID().toUpperCase());
      }
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = opts.host ?? '127.0.0.1';
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  function stopAutopilot(): void {
    for (const timer of timers.splice(0)) {
      clearInterval(timer);
    }
  }

  function startRandomJob(taskIsADay: boolean): void {
    // Real instances run one backup at a time: only idle instances that back up, and have met
    // their first backup window (a brand-new one waits for it), get a new task.
    const idle = world.instances().filter((i) => world.takesBackups(i.id) && world.pastFirstWindow(i.id) && world.listedJobs(i.id).length === 0);
    const instance = autopilotRandom.pick(idle);
    if (instance) {
      if (taskIsADay) world.expireOldestSets(instance.id, instance.policy.retentionDays);
      world.addJob(instance.id, { mode: autopilotRandom.chance(0.8) ? 'Automated' : 'Manual' });
    }
  }

  let closing: Promise<void> | undefined;

  const simulator: Simulator = {
    latencyMs: opts.latencyMs ?? 0,
    rateLimitPerSecond: opts.rateLimitPerSecond ?? 0,
    url,
    port,
    world,
    requests,
    inject(rule: FaultRule): void {
      faults.push({ rule, remaining: rule.times ?? 1 });
    },
    clearFaults(): void {
      faults.length = 0;
    },
    grant(accessKeyId: string, actions: readonly string[] | undefined): void {
      if (!staticKeys.has(accessKeyId)) throw new Error(`grant: ${accessKeyId} is not one of the simulator's static keys`);
      ram.grant(accessKeyId, actions);
    },
    sts,
    credentialsUri: `${url}${CREDENTIALS_PATH}`,
    autopilot({ stepMs, newJobEveryMs, failureRate, taskIsADay = false }): void {
      stopAutopilot();
      world.failureRate = failureRate;
      timers.push(setInterval(() => world.step(), stepMs).unref());
      timers.push(setInterval(() => startRandomJob(taskIsADay), newJobEveryMs).unref());
    },
    close(): Promise<void> {
      closing ??= new Promise<void>((resolve) => {
        stopAutopilot();
        for (const res of hanging) {
          res.destroy();
        }
        server.close(() => resolve());
        for (const socket of sockets) {
          socket.destroy();
        }
      });
      return closing;
    },
  };
  return simulator;
}

/** Writes `chunk` `times` times, respecting back-pressure, and stops when the client goes away. */
function streamRepeated(res: ServerResponse, chunk: Buffer, times: number): void {
  let left = times;
  res.on('close', () => (left = 0));
  const more = (): void => {
    while (left > 0) {
      left--;
      if (!res.write(chunk)) {
        res.once('drain', more);
        return;
      }
    }
    if (!res.destroyed) res.end();
  };
  more();
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('request body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
