// One long-lived signal (shutdown) followed by many short-lived ones (each call's deadline),
// without a listener or a reference left behind per call.
import { setMaxListeners } from 'node:events';

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
