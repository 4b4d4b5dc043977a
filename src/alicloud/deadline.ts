// The top of the transport stack: each request's own deadline (the caller's signal) linked to the
// process's shutdown signal, and the one place that says how a request that did not finish ended:
// Timeout when its deadline passed, whatever it was waiting for (the rate limit, a slot, a backoff,
// the answer); a classified error otherwise.
import { SignalLinks } from '../concurrency/signal-links.js';
import { ApiError, classifyApiError } from './errors.js';
import type { RdsRequest, RdsTransport, SendOptions } from './transport.js';

/** Rejects only with an ApiError; once the caller's signal aborts (before shutdown), with code Timeout. */
export class DeadlineTransport implements RdsTransport {
  /** each call's deadline linked to the shutdown signal */
  private readonly links: SignalLinks | undefined;

  constructor(
    private readonly inner: RdsTransport,
    /** aborts every wait at shutdown */
    private readonly shutdown?: AbortSignal,
  ) {
    this.links = shutdown ? new SignalLinks(shutdown) : undefined;
  }

  async send<T>(request: RdsRequest<T>, opts: SendOptions): Promise<T> {
    const deadline = opts.signal;
    const link = deadline && this.links ? this.links.link(deadline) : undefined;
    const signal = link ? link.signal : (deadline ?? this.shutdown);
    try {
      return await this.inner.send(request, signal ? { ...opts, signal } : opts);
    } catch (err) {
      if (deadline?.aborted && !this.shutdown?.aborted) throw new ApiError(request.action, 'Timeout', 'timeout', 'abandoned at the poll deadline');
      throw classifyApiError(request.action, err);
    } finally {
      link?.release();
    }
  }

  close(): void {
    this.links?.close();
    this.inner.close();
  }
}
