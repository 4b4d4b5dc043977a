// One API request, as the layers beneath RdsClient see it. RdsClient turns each RdsApi method into
// requests (one a page); a request goes through a stack of RdsTransports, each adding one thing
// around the next, as YACE wraps its client in limitedConcurrencyClient:
//
//   DeadlineTransport   the caller's deadline linked to shutdown; what ends at the deadline is Timeout
//   RetryingTransport   transient failures retried, with exponential backoff and full jitter
//   LimitedTransport    the account's rate limit and the region's concurrency, listings first
//   ObservedTransport   one observation per HTTP attempt
//   PopCoreTransport    one HTTP exchange through pop-core, bounded, classified
//
// The decorators wrap this interface, not RdsApi: a limit, a retry and an observation are per
// request, and one RdsApi call may be many pages. createRdsClient (rds-client.ts) builds the stack.
import type { CallOptions } from './rds-api.js';

export interface RdsRequest<T> {
  action: string;
  /** as sent: no undefined or null values (pop-core would send them as text) */
  params: Readonly<Record<string, string>>;
  /**
   * Turns the answer into a record. It runs inside the attempt, so that a body of the wrong shape
   * counts (and retries) as MalformedResponse.
   */
  parse(body: unknown): T;
}

export interface SendOptions extends CallOptions {
  /** 0 for the first attempt of a request, 1 for its first retry... (set by RetryingTransport) */
  retry?: number;
}

export interface RdsTransport {
  /**
   * The parsed answer. The stack as createRdsClient builds it rejects only with an ApiError; the
   * layers beneath RetryingTransport may reject with AbortedError when `opts.signal` aborts.
   */
  send<T>(request: RdsRequest<T>, opts: SendOptions): Promise<T>;
  /** Releases what the layer holds (sockets, signal listeners), then the next layer's. */
  close(): void;
}
