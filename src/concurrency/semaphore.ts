// A bound on how many hold something at once (requests in flight, compressions running), its
// waiters served in the order of their WaitQueue.
import { AbortedError } from './abort.js';
import { WaitQueue, type Priority } from './wait-queue.js';

/** At most `limit` holders at once; listings are served first, then backlog round-robin by `owner`. */
export class Semaphore {
  private active = 0;
  private readonly waiting = new WaitQueue();
  /** waiting for no holder and no waiter */
  private readonly idle: Array<() => void> = [];

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
      // Hand the slot straight to the next waiter, counted as taken all along (neither a newcomer
      // nor drained() sees it free in between), or give it back.
      if (!this.waiting.wakeNext() && --this.active === 0) for (const resolve of this.idle.splice(0)) resolve();
    };
  }

  /** Resolves once no one holds a slot or waits for one. */
  drained(): Promise<void> {
    return this.active === 0 ? Promise.resolve() : new Promise((resolve) => this.idle.push(resolve));
  }
}
