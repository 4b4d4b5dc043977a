// Bounds what an endpoint (or a proxy in the way) can make the exporter read. pop-core 1.8 sends
// through httpx, which reads the whole body into memory, inflates it without limit when the server
// says `Content-Encoding: gzip` or `deflate` (we never ask for either), and parses it in one
// blocking call. The keep-alive agent pop-core uses is the one place every request and response
// passes through that we own, so the guard lives there: it sees each response before httpx does,
// counts the bytes on the wire, inflates compressed bodies itself with the same bound, and cuts the
// exchange (socket destroyed, nothing more buffered) as soon as either count passes the limit.
//
// It also records what the classifier needs and pop-core does not keep: the HTTP status (a 502
// HTML page rejects in pop-core without it), whether the body was cut, and the credential values
// the request carried (so that a server echoing them is scrubbed by value).
//
// And it ends the bodies one per event-loop turn. A response's end is where all the work of an
// answer starts (pop-core's JSON parser, our normalising, the instance's publishing and rendering):
// about 1.5 ms of CPU, up to several for a page. Ended as they arrive, the answers that came in
// together were all worked through in one turn, and a scrape or a health check arriving meanwhile
// waited behind every one of them. One end a turn lets the loop take its other I/O between
// answers; the work and its order are the same.
import http, { type ClientRequest, type IncomingMessage } from 'node:http';
import https from 'node:https';
import { createGunzip, createInflate, type Gunzip, type Inflate } from 'node:zlib';
import type { TurnQueue } from '../concurrency/turn-queue.js';

/** The largest response body read, on the wire and once inflated: 4 MiB. A page of 100 instances is ~150 KiB. */
export const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

/** What one HTTP exchange looked like; filled in by the guarded agent. */
export interface Exchange {
  /** the response status, once headers arrived */
  status?: number;
  /** the body passed the limit and was cut */
  tooLarge?: boolean;
  /** a compressed body could not be inflated */
  corrupt?: boolean;
  /** the credential values and signature the request carried, for scrubbing by value */
  sent: string[];
}

export class ResponseTooLargeError extends Error {
  override name = 'ResponseTooLargeError';
}

const EXCHANGE = 'rdsExporterExchange';
type TaggedOptions = http.RequestOptions & { [EXCHANGE]?: Exchange };

export function newExchange(): Exchange {
  return { sent: [] };
}

/** The form fields of a signed request that must never come back out. */
const SENT_SECRETS: readonly string[] = ['Signature', 'AccessKeyId', 'SecurityToken', 'SignatureNonce'];

/**
 * httpx's `beforeRequest` hook: tags the outgoing request with `exchange`. httpx calls it as a
 * method of the options pop-core built, so `this.data` is the signed form body.
 */
export function tagExchange(exchange: Exchange): (this: { data?: unknown } | undefined, options: TaggedOptions) => TaggedOptions {
  return function (options) {
    const body = this?.data;
    if (typeof body === 'string') {
      const form = new URLSearchParams(body);
      for (const name of SENT_SECRETS) {
        const value = form.get(name);
        if (value) exchange.sent.push(value);
      }
    }
    return { ...options, [EXCHANGE]: exchange };
  };
}

/**
 * A keep-alive agent (as pop-core's own) whose every response is bounded by `maxBytes`, and whose
 * response bodies end in `turns`, one a turn (share one TurnQueue among all agents).
 */
export function guardedAgent(endpoint: string, turns: TurnQueue, maxBytes = MAX_RESPONSE_BYTES): http.Agent {
  const Base = endpoint.startsWith('https:') ? https.Agent : http.Agent;
  const agent = new Base({ keepAlive: true, keepAliveMsecs: 3000 });
  const withAddRequest = agent as unknown as { addRequest(req: ClientRequest, options: TaggedOptions): void };
  const addRequest = withAddRequest.addRequest.bind(agent);
  withAddRequest.addRequest = (req, options) => {
    const exchange = options[EXCHANGE];
    // First in line: the guard must change the response before httpx looks at it.
    req.prependListener('response', (res: IncomingMessage) => guardResponse(res, exchange, maxBytes, turns));
    addRequest(req, options);
  };
  return agent;
}

/** Counts, inflates and cuts one response. */
export function guardResponse(res: IncomingMessage, exchange: Exchange | undefined, maxBytes: number, turns: TurnQueue): void {
  if (exchange) exchange.status = res.statusCode;
  const push = res.push.bind(res);
  let cut = false;
  // pop-core attaches its reader in a promise continuation of this very event: erroring the
  // stream before then would go unseen, so the error comes one turn later.
  const stop = (err: Error) => {
    if (cut) return;
    cut = true;
    setImmediate(() => res.destroy(err));
  };
  const tooLarge = () => {
    if (exchange) exchange.tooLarge = true;
    stop(new ResponseTooLargeError(`the response body is larger than ${maxBytes} bytes`));
  };
  // Until pop-core listens, an error must not be an uncaught one.
  res.on('error', () => undefined);
  // In its turn; a body cut meanwhile, or a response destroyed, is past ending.
  const end = () => turns.push(() => cut || res.destroyed || push(null));

  const declared = Number(res.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) tooLarge();

  const encoding = String(res.headers['content-encoding'] ?? '')
    .trim()
    .toLowerCase();
  let inflater: Gunzip | Inflate | undefined;
  if (encoding === 'gzip' || encoding === 'x-gzip' || encoding === 'deflate') {
    // httpx would inflate it again, without a bound: from here on the body is plain.
    delete res.headers['content-encoding'];
    const inflate = encoding === 'deflate' ? createInflate() : createGunzip();
    inflater = inflate;
    let inflated = 0;
    inflate.on('data', (chunk: Buffer) => {
      if (cut) return;
      inflated += chunk.length;
      if (inflated > maxBytes) {
        tooLarge();
        inflate.destroy();
      } else push(chunk);
    });
    inflate.on('end', () => {
      if (!cut) end();
    });
    inflate.on('error', (err) => {
      if (cut) return;
      if (exchange) exchange.corrupt = true;
      stop(err);
    });
  }

  let onWire = 0;
  res.push = (chunk: unknown, enc?: BufferEncoding): boolean => {
    if (cut) return true; // dropped: the socket is about to be destroyed
    if (chunk === null) {
      if (inflater) inflater.end();
      else end();
      return false;
    }
    onWire += (chunk as Buffer).length;
    if (onWire > maxBytes) {
      tooLarge();
      return true;
    }
    if (inflater) {
      inflater.write(chunk as Buffer);
      return true;
    }
    return push(chunk, enc);
  };
}
