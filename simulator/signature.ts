/**
 * Alibaba Cloud RPC signature, version 1.0 (HMAC-SHA1), as computed by
 * `@alicloud/pop-core` and checked by the real service. The simulator recomputes it
 * for every request so that a client which signs wrongly fails here, not in production.
 */
import { createHmac } from 'node:crypto';

/**
 * RFC 3986 percent-encoding as the signature algorithm wants it: encodeURIComponent leaves
 * `! ' ( ) *` alone, but the service encodes them, so a value containing one of them would
 * otherwise sign differently on each side.
 */
export function percentEncode(s: string): string {
  return encodeURIComponent(s).replace(/!/g, '%21').replace(/'/g, '%27').replace(/\(/g, '%28').replace(/\)/g, '%29').replace(/\*/g, '%2A');
}

/**
 * The canonical query string: every parameter except `Signature`, keys and values
 * percent-encoded, sorted by key (plain code-unit order, as pop-core's `Array.sort()`).
 */
export function canonicalQueryString(params: Record<string, string>): string {
  return Object.keys(params)
    .filter((key) => key !== 'Signature')
    .sort()
    .map((key) => `${percentEncode(key)}=${percentEncode(params[key] ?? '')}`)
    .join('&');
}

/** `METHOD&%2F&` + the percent-encoded canonical string; the service echoes it on mismatch. */
export function stringToSign(method: string, params: Record<string, string>): string {
  return `${method.toUpperCase()}&${percentEncode('/')}&${percentEncode(canonicalQueryString(params))}`;
}

/** base64(HMAC-SHA1(secret + '&', stringToSign)); the trailing '&' is the (empty) token secret. */
export function computeSignature(method: string, params: Record<string, string>, accessKeySecret: string): string {
  return createHmac('sha1', `${accessKeySecret}&`).update(stringToSign(method, params)).digest('base64');
}
