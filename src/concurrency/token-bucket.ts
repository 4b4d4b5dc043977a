// A rate limit: acquisitions paced to a rate, waiters served in the order of their WaitQueue.
import { AbortedError, sleep } from './abort.js';
import { WaitQueue, type Priority } from './wait-queue.js';

/** Allows `rate` acquisitions per second on average, with bursts of at most `burst`. */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private readonly waiting = new WaitQueue();
  private pumping = false;

  /**
   * `burst`: tokens saved while idle. One by default: requests are paced from the first, so that
   * no one-second window of the service sees more than `rate` + 1 of them, and a service whose
   * limit is above the configured rate never throttles. (A burst the size of the rate let a tick
   * start with twice the rate in its first second.)
   */
  constructor(
    private rate: number,
    private burst = 1,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = burst;
    this.last = now();
  }

  /** Tokens per second now. */
  get ratePerSecond(): number {
    return this.rate;
  }

  /** Changes the rate from now on. */
  setRate(rate: number): void {
    this.take(0);
    this.rate = rate;
  }

  /** Waits for a token: listings first, then backlog round-robin by `owner`. */
  acquire(signal?: AbortSignal, priority: Priority = 'backlog', owner = ''): Promise<void> {
    if (signal?.aborted) return Promise.reject(new AbortedError());
    if (this.waiting.length === 0 && this.take()) return Promise.resolve();
    const turn = this.waiting.wait(priority, signal, owner);
    void this.pump();
    return turn;
  }

  /**
   * Refills, then takes `n` tokens if there are that many. Saving is capped at the burst while
   * idle; not while waiters are served (`busy`), so that a timer that wakes the pump late loses
   * no tokens: the pace stays `rate` exactly, at 1,000 a second too.
   */
  private take(n = 1, busy = false): boolean {
    const now = this.now();
    const refilled = this.tokens + ((now - this.last) / 1000) * this.rate;
    this.tokens = busy ? refilled : Math.min(this.burst, refilled);
    this.last = now;
    if (this.tokens < n) return false;
    this.tokens -= n;
    return true;
  }

  /** Hands out tokens to the waiters as they refill; one pump runs at a time. */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.waiting.length > 0) {
        if (this.take(1, true)) this.waiting.wakeNext();
        else await sleep(Math.max(1, Math.ceil(((1 - this.tokens) / this.rate) * 1000)));
      }
    } finally {
      this.pumping = false;
    }
  }
}
