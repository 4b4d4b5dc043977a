// Client-side limits on API traffic: a token bucket per account (its requests_per_second, which
// AdaptiveRate lowers while the API throttles) and a semaphore per account and region
// (poll.concurrency). LimitedTransport puts each request through both, task listings first and
// backlog round-robin between instances, and gives up waiting as soon as the request's signal
// aborts.
import { abandonOnAbort } from '../concurrency/abort.js';
import type { Semaphore } from '../concurrency/semaphore.js';
import type { TokenBucket } from '../concurrency/token-bucket.js';
import type { RdsRequest, RdsTransport, SendOptions } from './transport.js';

// src/collector/ imports these from here; their home is src/concurrency/.
export type { Priority } from '../concurrency/wait-queue.js';

/**
 * A token from the account's bucket, then a slot of the region's semaphore, for each attempt. The
 * slot is held until the request ends or the caller abandons it (its signal aborts: it rejects at
 * once with AbortedError), whichever comes first. pop-core cannot cancel a request, so an abandoned
 * one goes on until its own time-out (timeout_seconds) and its late answer is dropped. Holding the
 * slot until then would let requests hung past the poll deadline keep every other instance of the
 * region from asking anything, tick after tick; freeing it lets at most the requests abandoned
 * within one time-out run beyond the limit.
 */
export class LimitedTransport implements RdsTransport {
  constructor(
    private readonly inner: RdsTransport,
    private readonly bucket: TokenBucket,
    private readonly semaphore: Semaphore,
  ) {}

  async send<T>(request: RdsRequest<T>, opts: SendOptions): Promise<T> {
    const { signal, owner } = opts;
    const priority = opts.priority ?? 'backlog';
    await this.bucket.acquire(signal, priority, owner);
    const release = await this.semaphore.acquire(signal, priority, owner);
    const answer = abandonOnAbort(this.inner.send(request, opts), signal);
    answer.then(release, release);
    return answer;
  }

  close(): void {
    this.inner.close();
  }
}

/**
 * Additive increase, multiplicative decrease of an account's rate limit: a throttled answer halves
 * the rate (at most once a second, so that one burst of throttled answers halves it once), down to
 * a floor of 1/100 of the configured rate; each second without throttling gives back 1/10 of the
 * configured rate, up to it (from the floor to the full rate in 10 s). So a `requests_per_second` set above what the API grants settles
 * near what it grants, instead of turning into a retry storm.
 */
export class AdaptiveRate {
  private lastDecrease = -Infinity;
  private lastAdjust: number;

  constructor(
    private readonly bucket: TokenBucket,
    private readonly maxRate: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.lastAdjust = now();
  }

  get current(): number {
    return this.bucket.ratePerSecond;
  }

  /** Told the result of every request of the account. */
  record(throttled: boolean): void {
    const now = this.now();
    const rate = this.bucket.ratePerSecond;
    if (throttled) {
      if (now - this.lastDecrease >= 1000) {
        this.bucket.setRate(Math.max(this.maxRate / 100, rate / 2));
        this.lastDecrease = now;
      }
    } else if (rate < this.maxRate && now - this.lastDecrease >= 1000) {
      this.bucket.setRate(Math.min(this.maxRate, rate + ((now - this.lastAdjust) / 1000) * (this.maxRate / 10)));
    }
    this.lastAdjust = now;
  }
}
