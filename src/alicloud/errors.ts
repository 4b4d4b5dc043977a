// The one place where a failed API call is classified: which label it gets, whether it is worth
// retrying, and what may be said about it. pop-core rejects with three different shapes (an Error
// with an API `code`, an Error with a Node errno `code` or a timeout name, and a plain object for
// a non-JSON body), so nothing outside this file should look at a raw rejection.
import { scrubSecrets } from '../log.js';

export type ErrorKind =
  | 'throttled' // Throttling*: retry with backoff
  | 'server' // InternalError, ServiceUnavailable, HTTP 5xx: retry
  | 'timeout' // no answer in time: retry
  | 'network' // connection refused/reset, DNS: retry
  | 'malformed' // a body that is not JSON or not the expected shape: retry
  | 'auth' // bad key, signature, token, clock: never retry
  | 'permission' // a RAM refusal (Forbidden.RAM, NoPermission, ... RAM_REFUSAL_CODES) or another Forbidden.*: never retry
  | 'not_found' // the instance is gone: never retry
  | 'state' // IncorrectDBInstanceState: try again next cycle, not now
  | 'credentials' // the credential chain could not produce a key: never retry now
  | 'client'; // any other API error (bad parameter...): never retry

const RETRYABLE: ReadonlySet<ErrorKind> = new Set(['throttled', 'server', 'timeout', 'network', 'malformed']);

/** A classified, secret-free error from one API action. Safe to log and to show. */
export class ApiError extends Error {
  override name = 'ApiError';
  readonly retryable: boolean;
  constructor(
    readonly action: string,
    /** the `code` label of alicloud_rds_backup_api_requests_total */
    readonly code: string,
    readonly kind: ErrorKind,
    detail: string,
    readonly requestId?: string,
  ) {
    // An answer, not a bug: no stack. Its frames would be pop-core's, and each read keeps its
    // standing error, whose captured frames (about 1 KB, and what they hold) would stay with it.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(`${action}: ${code}${detail ? `: ${detail}` : ''}${requestId ? ` (RequestId ${requestId})` : ''}`);
    Error.stackTraceLimit = limit;
    this.retryable = RETRYABLE.has(kind);
  }
}

const NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'ECONNABORTED',
  'EPROTO',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
  'UND_ERR_SOCKET',
  'ERR_STREAM_PREMATURE_CLOSE',
  'HPE_INVALID_CONSTANT',
]);

/** The documented shape of an API error code: `Word(.Word)*`, e.g. `Throttling.User`. */
const API_CODE_SHAPE = /^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z0-9]+)*$/;
const MAX_API_CODE_LENGTH = 64;

/**
 * The codes with which the API refuses an action the caller's RAM policy does not grant: the
 * common Forbidden.RAM, and what RDS (its client error table) and other Alibaba Cloud services
 * answer for the same refusal — ActionUnauthorized ("The specified action is not available for
 * you"), Forbidden.NotSupportRAM (also spelt Forbedden.NotSupportRAM there), NoPermission,
 * Forbidden.NoPermission, Forbidden.SubUser. Kind `permission`; each is its own `code` label value.
 */
export const RAM_REFUSAL_CODES: readonly string[] = [
  'Forbidden.RAM',
  'Forbidden.NoPermission',
  'Forbidden.SubUser',
  'Forbidden.NotSupportRAM',
  'Forbedden.NotSupportRAM',
  'NoPermission',
  'ActionUnauthorized',
];
const RAM_REFUSALS: ReadonlySet<string> = new Set(RAM_REFUSAL_CODES);

/**
 * The API error codes that become `code` label values as they are. Any other code of the
 * documented shape is counted as `OtherApiError` (and named in the log line), so that an endpoint
 * cannot grow the series count: the label set is this list, the catch-alls, and HTTP100–HTTP599.
 */
export const KNOWN_API_CODES: ReadonlySet<string> = new Set([
  'Throttling',
  'Throttling.User',
  'Throttling.Api',
  'Throttling.Tenant',
  'ServiceUnavailable',
  'InternalError',
  'UnknownError',
  'InvalidAccessKeyId',
  'InvalidAccessKeyId.NotFound',
  'InvalidAccessKeyId.Inactive',
  'InvalidAccessKeySecret',
  'SignatureDoesNotMatch',
  'SignatureNonceUsed',
  'IncompleteSignature',
  'InvalidSecurityToken.Expired',
  'InvalidSecurityToken.Malformed',
  'InvalidSecurityToken.MismatchWithAccessKey',
  'InvalidTimeStamp.Expired',
  'InvalidTimeStamp.Format',
  'Forbidden',
  ...RAM_REFUSAL_CODES,
  'Forbidden.AccessKeyDisabled',
  'Forbidden.NotFound',
  'Forbidden.InstanceNotFound',
  'InvalidDBInstanceId.NotFound',
  'InvalidDBInstance.NotFound',
  'DBInstance.NotFound',
  'IncorrectDBInstanceState',
  'InvalidParameter',
  'MissingParameter',
  'InvalidAction.NotFound',
  'InvalidVersion',
  'UnsupportedHTTPMethod',
  'InvalidRegionId',
  'InvalidRegionId.NotFound',
  'InvalidBackupJobId.NotFound',
  'InvalidTagKey.Malformed',
]);

/** Label values that do not come from the server. */
export const OTHER_API_ERROR = 'OtherApiError';

/** The `code` label of an API error code: itself when known, a catch-all otherwise; undefined when it is not of the documented shape. */
export function labelOfApiCode(code: string): string | undefined {
  if (code.length > MAX_API_CODE_LENGTH || !API_CODE_SHAPE.test(code)) return undefined;
  return KNOWN_API_CODES.has(code) ? code : OTHER_API_ERROR;
}

/** An HTTP status answered without an API error code: `HTTP502`, retried like the API's own 5xx. */
export function httpStatusError(action: string, status: number): ApiError {
  if (!Number.isInteger(status) || status < 100 || status > 599) return new ApiError(action, 'MalformedResponse', 'malformed', 'an invalid HTTP status');
  const kind: ErrorKind = status === 429 ? 'throttled' : status === 408 ? 'timeout' : status >= 500 ? 'server' : 'client';
  return new ApiError(action, `HTTP${status}`, kind, 'an HTTP error status without an API error code');
}

export function kindOfApiCode(code: string): ErrorKind {
  if (code.startsWith('Throttling')) return 'throttled';
  if (code === 'ServiceUnavailable' || code === 'InternalError' || code.startsWith('InternalError.') || code === 'UnknownError') return 'server';
  if (RAM_REFUSALS.has(code)) return 'permission';
  // Forbidden.* is a refusal, mostly of permission; these two are not.
  if (code === 'Forbidden.InstanceNotFound') return 'not_found';
  if (code === 'Forbidden.AccessKeyDisabled') return 'auth';
  if (code.startsWith('Forbidden')) return 'permission';
  if (
    code.startsWith('InvalidAccessKeyId') ||
    code.startsWith('InvalidAccessKeySecret') ||
    code.startsWith('SignatureDoesNotMatch') ||
    code.startsWith('InvalidSecurityToken') ||
    code.startsWith('InvalidTimeStamp') ||
    code === 'SignatureNonceUsed' ||
    code === 'IncompleteSignature'
  )
    return 'auth';
  if (code === 'InvalidDBInstanceId.NotFound' || code === 'InvalidDBInstance.NotFound' || code === 'DBInstance.NotFound') return 'not_found';
  if (code === 'IncorrectDBInstanceState') return 'state';
  return 'client';
}

/** pop-core's form encoding (encodeURIComponent plus ! ' ( ) *). */
function popEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** AccessKey ids (RAM users' LTAI..., STS.…) and anything shaped like a signature parameter. */
const KEY_ID_PATTERN = /\b(LTAI[0-9A-Za-z]{8,}|STS\.[0-9A-Za-z]{8,})/g;
const PARAM_PATTERN = /\b(Signature|SecurityToken|AccessKeyId|AccessKeySecret|SignatureNonce)(=|%3D|%253D|":\s*"|:\s*)[^\s&"',;]*/gi;

/**
 * Removes from a server message, by value, whatever the request carried that must not travel (its
 * signature, key id, token and nonce), raw or percent-encoded once or twice as a string-to-sign
 * quotes them; then every registered secret, key ids by their shape, and parameter assignments.
 */
export function scrubServerText(text: string, sent: readonly string[] = []): string {
  let out = text;
  for (const value of sent) {
    if (value.length < 4) continue;
    const once = popEncode(value);
    for (const form of [value, once, popEncode(once), encodeURIComponent(value)]) {
      if (out.includes(form)) out = out.split(form).join('[REDACTED]');
    }
  }
  return scrubSecrets(out).replace(KEY_ID_PATTERN, '[REDACTED]').replace(PARAM_PATTERN, '$1$2[REDACTED]');
}

/**
 * The server's own Message, minus what must not travel: SignatureDoesNotMatch replies quote the
 * string-to-sign, which carries the AccessKeyId and any STS SecurityToken; pop-core appends the
 * request URL.
 */
function safeServerMessage(message: unknown, sent: readonly string[] = []): string {
  if (typeof message !== 'string') return '';
  const cut = message.slice(0, 4096).split(/, URL: |server string to sign is|string to sign/i)[0] ?? '';
  // Control characters and markup would make the log line lie about its own structure.
  return scrubServerText(cut, sent)
    .replace(/[\x00-\x1f\x7f]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 200);
}

function field(obj: unknown, key: string): unknown {
  return obj !== null && typeof obj === 'object' ? (obj as Record<string, unknown>)[key] : undefined;
}

/** What the guarded agent saw of the exchange (see response-guard.ts). */
export interface ExchangeFacts {
  status?: number;
  tooLarge?: boolean;
  corrupt?: boolean;
  sent?: readonly string[];
}

/** Turns whatever pop-core (or the credential chain) rejected with into an ApiError. Never throws. */
export function classifyApiError(action: string, raw: unknown, facts: ExchangeFacts = {}): ApiError {
  try {
    return classify(action, raw, facts);
  } catch {
    // A hostile object (a throwing getter...) is still a classified failure.
    return new ApiError(action, 'MalformedResponse', 'malformed', 'an unreadable failure');
  }
}

function classify(action: string, raw: unknown, facts: ExchangeFacts): ApiError {
  if (raw instanceof ApiError) return raw;
  if (facts.tooLarge) return new ApiError(action, 'ResponseTooLarge', 'malformed', 'the response body passed the size limit and was cut');
  if (facts.corrupt) return new ApiError(action, 'MalformedResponse', 'malformed', 'the compressed response body is corrupt');
  const sent = facts.sent ?? [];
  const name = typeof field(raw, 'name') === 'string' ? (field(raw, 'name') as string) : '';
  const code = field(raw, 'code');
  const data = field(raw, 'data');
  const apiCode = field(data, 'Code');
  const requestIdValue = field(data, 'RequestId');
  // The RequestId is quoted in messages: only in its documented (UUID-like) form.
  const requestId = typeof requestIdValue === 'string' && /^[A-Za-z0-9-]{1,64}$/.test(requestIdValue) ? requestIdValue : undefined;
  const answered = facts.status !== undefined;
  const statusFailed = answered && (facts.status! < 200 || facts.status! > 299);

  // pop-core rejects with `data` = the body whenever the body has a Code outside its success set.
  if (data !== undefined && apiCode !== undefined && apiCode !== null) {
    const label = typeof apiCode === 'string' ? labelOfApiCode(apiCode) : undefined;
    if (label === undefined) return new ApiError(action, 'MalformedResponse', 'malformed', 'the error code is not of the documented form', requestId);
    const message = safeServerMessage(field(data, 'Message'), sent);
    const detail = label === OTHER_API_ERROR ? `${apiCode as string}${message ? `: ${message}` : ''}` : message;
    return new ApiError(action, label, kindOfApiCode(apiCode as string), detail, requestId);
  }
  if (name === 'RequestTimeoutError' || name === 'TimeoutError') {
    return new ApiError(action, 'Timeout', 'timeout', 'no answer within the request time-out');
  }
  if (name === 'CredentialsError') {
    return new ApiError(
      action,
      'CredentialsUnavailable',
      'credentials',
      'no credentials from the default credential chain (environment, OIDC/RRSA, CLI profile, credentials file, ECS RAM role, credentials URI)',
    );
  }
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || /^E[A-Z]+$/.test(code))) {
    return new ApiError(action, 'NetworkError', 'network', code);
  }
  if (name === 'MalformedResponseError') {
    return new ApiError(action, 'MalformedResponse', 'malformed', safeServerMessage(field(raw, 'message'), sent));
  }
  // The body could not be read as the API's JSON (an HTML error page, an empty or truncated body,
  // `null`, JSON nested too deep to parse): the status says more than the body, when it failed.
  if (answered) {
    if (statusFailed) return httpStatusError(action, facts.status!);
    return new ApiError(
      action,
      'MalformedResponse',
      'malformed',
      name === 'SyntaxError' ? 'the response body is not JSON' : 'the response body is not of the documented form',
    );
  }
  // json-bigint rejects a non-JSON body with a plain object, even when the status is unknown.
  if (name === 'SyntaxError') {
    return new ApiError(action, 'MalformedResponse', 'malformed', 'the response body is not JSON');
  }
  // Anything else (a socket hang up without code, an unexpected throw): treat as a network-level
  // failure, and say nothing of its message, which we do not control.
  return new ApiError(action, 'NetworkError', 'network', /^[A-Za-z]{1,40}$/.test(name) && name !== 'Error' ? name : 'request failed');
}
