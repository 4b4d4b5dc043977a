// The line in front of a limit (a rate, a number of holders): what is urgent first, then the
// rest round-robin between its owners.
import { AbortedError } from './abort.js';

/**
 * Who goes first when work queues for a limit: `listing` before any `backlog`. For the RDS API,
 * each instance's task listing and the region inventory are `listing`, and job look-ups, history
 * pages and interval reads `backlog`, so that a backlog on one instance never makes another
 * instance's listing late, nor keeps waiting what waits for the inventory.
 */
export type Priority = 'listing' | 'backlog';

/**
 * Listings first, in arrival order; then backlog, round-robin between its owners (instances), so
 * that one instance's long backlog never makes another's few reads wait behind all of it. A
 * waiter whose signal aborts leaves its queue with AbortedError.
 */
export class WaitQueue {
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
