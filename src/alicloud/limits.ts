// Client-side limits on API traffic: a token bucket per account (requests_per_second) and one
// semaphore for the whole process (poll.concurrency). Both are FIFO, so no instance starves, and
// both give up at once when the shutdown signal fires.
import { setMaxListeners } from 'node:events';

export class AbortedError extends Error {
  override name = 'AbortedError';
  constructor() {
    super('aborted by shutdown');
  }
}

/** Resolves after `ms`, or rejects with AbortedError as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new AbortedError());
    const onAbort = () => {
      clearTimeout(timer);
      reject(new AbortedError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Links short-lived signals (each call's deadline) to one long-lived signal (shutdown): `link(d)`
 * gives a signal that aborts as soon as either does, and `release()` unlinks it. The long-lived
 * signal carries one listener in all, and the links in flight are a Set, so linking and releasing
 * cost the same with 20,000 calls waiting as with one. Not AbortSignal.any(): on Node 20 that
 * leaves, in each source, a WeakRef to every signal it ever made (nodejs/node#55351), so a
 * shutdown signal combined once per API call grew by one entry per call for as long as the
 * process ran.
 */
export class SignalLinks {
  private readonly live = new Set<AbortController>();
  private readonly onParentAbort = () => {
    for (const controller of this.live) controller.abort(this.parent.reason);
    this.live.clear();
  };

  constructor(private readonly parent: AbortSignal) {
    parent.addEventListener('abort', this.onParentAbort, { once: true });
  }

  /** Links in flight (not yet released nor aborted). */
  get size(): number {
    return this.live.size;
  }

  /** A signal that aborts with the parent, until released. */
  child(): { signal: AbortSignal; release(): void } {
    return this.link(undefined);
  }

  link(child: AbortSignal | undefined): { signal: AbortSignal; release(): void } {
    const controller = new AbortController();
    // shared by the several calls of one poll, each waiting with a listener of its own
    setMaxListeners(0, controller.signal);
    const gone = this.parent.aborted ? this.parent : child?.aborted ? child : undefined;
    if (gone) {
      controller.abort(gone.reason);
      return { signal: controller.signal, release: () => {} };
    }
    const live = this.live;
    live.add(controller);
    if (!child) return { signal: controller.signal, release: () => live.delete(controller) };
    const onChildAbort = () => {
      live.delete(controller);
      controller.abort(child.reason);
    };
    child.addEventListener('abort', onChildAbort, { once: true });
    return {
      signal: controller.signal,
      release: () => {
        live.delete(controller);
        child.removeEventListener('abort', onChildAbort);
      },
    };
  }

  /** Detaches from the long-lived signal (links already made keep following their child). */
  close(): void {
    this.parent.removeEventListener('abort', this.onParentAbort);
    this.live.clear();
  }
}

/**
 * Who goes first when requests queue for the rate limit or a concurrency slot: each instance's
 * task listing, and the region inventory (`listing`), before any backlog of job look-ups, history
 * pages and interval reads (`backlog`), so that a backlog on one instance never makes another
 * instance's listing late, nor keeps waiting what waits for the inventory.
 */
export type Priority = 'listing' | 'backlog';

/**
 * Listings first, in arrival order; then backlog, round-robin between its owners (instances), so
 * that one instance's long backlog never makes another's few reads wait behind all of it. A
 * waiter whose signal aborts leaves its queue with AbortedError.
 */
class WaitQueue {
  private readonly listings: Array<() => void> = [];
  /** per owner, in turn order: the owner served next comes first, and goes to the back after */
  private readonly backlog = new Map<string, Array<() => void>>();
  private waiting = 0;

  get length(): number {
    return this.waiting;
  }

  /** Resolves when `wakeNext()` reaches this waiter. */
  wait(priority: Priority, signal?: AbortSignal, owner = ''): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let queue = this.listings;
      if (priority === 'backlog') {
        queue = this.backlog.get(owner) ?? [];
        if (queue.length === 0) this.backlog.set(owner, queue);
      }
      const onAbort = () => {
        const at = queue.indexOf(waiter);
        if (at >= 0) {
          queue.splice(at, 1);
          this.waiting--;
          if (queue.length === 0 && queue !== this.listings) this.backlog.delete(owner);
        }
        reject(new AbortedError());
      };
      const waiter = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      queue.push(waiter);
      this.waiting++;
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Wakes the next waiter in line; false when none waits. */
  wakeNext(): boolean {
    let next = this.listings.shift();
    if (!next) {
      const turn = this.backlog.entries().next();
      if (turn.done) return false;
      const [owner, queue] = turn.value;
      next = queue.shift()!;
      this.backlog.delete(owner);
      if (queue.length > 0) this.backlog.set(owner, queue);
    }
    this.waiting--;
    next();
    return true;
  }
}

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

/** At most `limit` holders at once; listings are served first, then backlog round-robin by `owner`. */
export class Semaphore {
  private active = 0;
  private readonly waiting = new WaitQueue();

  constructor(readonly limit: number) {}

  get inUse(): number {
    return this.active;
  }

  async acquire(signal?: AbortSignal, priority: Priority = 'backlog', owner = ''): Promise<() => void> {
    if (signal?.aborted) throw new AbortedError();
    if (this.active < this.limit) this.active++;
    else await this.waiting.wait(priority, signal, owner);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      // Hand the slot straight to the next waiter, or give it back.
      if (!this.waiting.wakeNext()) this.active--;
    };
  }
}
