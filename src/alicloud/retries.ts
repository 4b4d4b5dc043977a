// Transient failures (throttling, 5xx, time-outs, network, malformed bodies) retried a bounded
// number of times, each wait drawn at random below an exponentially growing ceiling (full
// jitter), so that many instances throttled together do not come back together.
import { sleep } from '../concurrency/abort.js';
import { type ApiError, classifyApiError } from './errors.js';
import type { RdsRequest, RdsTransport, SendOptions } from './transport.js';

export interface RetryPolicy {
  /** retries after the first attempt */
  maxRetries: number;
  /** the ceiling of the first wait; it doubles for each retry after */
  retryBaseDelayMs: number;
  /** longest wait between two attempts (default 10 s) */
  retryMaxDelayMs?: number;
  random?: () => number;
}

/**
 * Sends again while the failure is retryable, retries remain and `opts.signal` has not aborted;
 * a wait ends at once when it aborts. Rejects with the last attempt's ApiError, or with
 * AbortedError when the signal ends a wait.
 */
export class RetryingTransport implements RdsTransport {
  private readonly maxDelayMs: number;
  private readonly random: () => number;

  constructor(
    private readonly inner: RdsTransport,
    private readonly policy: RetryPolicy,
  ) {
    this.maxDelayMs = policy.retryMaxDelayMs ?? 10_000;
    this.random = policy.random ?? Math.random;
  }

  async send<T>(request: RdsRequest<T>, opts: SendOptions): Promise<T> {
    const { maxRetries, retryBaseDelayMs } = this.policy;
    for (let retry = 0; ; retry++) {
      let error: ApiError;
      try {
        return await this.inner.send(request, { ...opts, retry });
      } catch (err) {
        error = classifyApiError(request.action, err);
      }
      if (!error.retryable || retry >= maxRetries || opts.signal?.aborted) throw error;
      const ceiling = Math.min(this.maxDelayMs, retryBaseDelayMs * 2 ** retry);
      await sleep(Math.round(this.random() * ceiling), opts.signal);
    }
  }

  close(): void {
    this.inner.close();
  }
}
