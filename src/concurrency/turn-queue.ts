// Work spread over event-loop turns, one piece a turn, so that the I/O arriving meanwhile (a
// scrape, a health check) is taken between two pieces instead of after all of them.

/**
 * Runs each pushed callback in a later event-loop turn than any pushed before it: one a turn, in
 * order. Each runs from its own `setImmediate`, scheduled by the one before, so that the loop
 * polls for I/O between two; the work a callback starts runs in the microtasks after it. Share one
 * queue among everything whose pieces must not bunch up in one turn.
 */
export class TurnQueue {
  private readonly pending: Array<() => void> = [];
  private readonly next = (): void => {
    const run = this.pending.shift()!;
    // scheduled from within a setImmediate callback, the next runs in the next turn
    if (this.pending.length > 0) setImmediate(this.next);
    run();
  };

  push(run: () => void): void {
    this.pending.push(run);
    if (this.pending.length === 1) setImmediate(this.next);
  }
}
