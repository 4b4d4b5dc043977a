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
  | 'permission' // Forbidden.RAM: never retry
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
    super(`${action}: ${code}${detail ? `: ${detail}` : ''}${requestId ? ` (RequestId ${requestId})` : ''}`);
    this.retryable = RETRYABLE.has(kind);
  }
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'ECONNABORTED', 'EPROTO', 'ERR_SOCKET_CONNECTION_TIMEOUT', 'UND_ERR_SOCKET', 'ERR_STREAM_PREMATURE_CLOSE', 'HPE_INVALID_CONSTANT']);

/** API error codes become label values: keep them short and in a safe alphabet. */
export function sanitizeCode(code: string): string {
  const clean = code.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 64);
  return clean === '' ? 'Unknown' : clean;
}

export function kindOfApiCode(code: string): ErrorKind {
  if (code.startsWith('Throttling')) return 'throttled';
  if (code === 'ServiceUnavailable' || code === 'InternalError' || code.startsWith('InternalError.') || code === 'UnknownError') return 'server';
  if (code.startsWith('Forbidden')) return 'permission';
  if (
    code.startsWith('InvalidAccessKeyId') || code.startsWith('InvalidAccessKeySecret') || code.startsWith('SignatureDoesNotMatch') ||
    code.startsWith('InvalidSecurityToken') || code.startsWith('InvalidTimeStamp') || code === 'SignatureNonceUsed' || code === 'IncompleteSignature'
  ) return 'auth';
  if (code === 'InvalidDBInstanceId.NotFound' || code === 'InvalidDBInstance.NotFound' || code === 'DBInstance.NotFound') return 'not_found';
  if (code === 'IncorrectDBInstanceState') return 'state';
  return 'client';
}

/**
 * The server's own Message, minus what must not travel: SignatureDoesNotMatch replies quote the
 * string-to-sign, which carries the AccessKeyId and any STS SecurityToken; pop-core appends the
 * request URL.
 */
function safeServerMessage(message: unknown): string {
  if (typeof message !== 'string') return '';
  const cut = message.split(/, URL: |server string to sign is|string to sign/i)[0] ?? '';
  return scrubSecrets(cut.replace(/\s+/g, ' ').trim()).slice(0, 200);
}

function field(obj: unknown, key: string): unknown {
  return obj !== null && typeof obj === 'object' ? (obj as Record<string, unknown>)[key] : undefined;
}

/** Turns whatever pop-core (or the credential chain) rejected with into an ApiError. */
export function classifyApiError(action: string, raw: unknown): ApiError {
  if (raw instanceof ApiError) return raw;
  const name = String(field(raw, 'name') ?? '');
  const code = field(raw, 'code');
  const data = field(raw, 'data');
  const apiCode = typeof field(data, 'Code') === 'string' ? (field(data, 'Code') as string) : undefined;
  const requestId = typeof field(data, 'RequestId') === 'string' ? (field(data, 'RequestId') as string) : undefined;

  if (apiCode !== undefined && typeof code === 'string') {
    return new ApiError(action, sanitizeCode(apiCode), kindOfApiCode(apiCode), safeServerMessage(field(data, 'Message')), requestId);
  }
  if (name === 'RequestTimeoutError' || name === 'TimeoutError') {
    return new ApiError(action, 'Timeout', 'timeout', 'no answer within the request time-out');
  }
  // json-bigint rejects a non-JSON body (HTML error page, empty body) with a plain object.
  if (name === 'SyntaxError') {
    return new ApiError(action, 'MalformedResponse', 'malformed', 'the response body is not JSON');
  }
  if (name === 'MalformedResponseError') {
    return new ApiError(action, 'MalformedResponse', 'malformed', safeServerMessage(field(raw, 'message')));
  }
  if (name === 'CredentialsError') {
    return new ApiError(action, 'CredentialsUnavailable', 'credentials', 'no credentials from the default credential chain (environment, OIDC/RRSA, CLI profile, credentials file, ECS RAM role, credentials URI)');
  }
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || /^E[A-Z]+$/.test(code))) {
    return new ApiError(action, 'NetworkError', 'network', code);
  }
  // Anything else (a socket hang up without code, an unexpected throw): treat as a network-level
  // failure, and say nothing of its message, which we do not control.
  return new ApiError(action, 'NetworkError', 'network', name && name !== 'Error' ? name : 'request failed');
}
