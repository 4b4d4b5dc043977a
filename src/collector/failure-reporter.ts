import type { Logger } from '../log.js';

/** What is said of a failure: an ApiError, or a read's failure. */
export interface Failure {
  readonly code: string;
  readonly kind: string;
  readonly message: string;
}

/**
 * Logs a failure once, where it is handled: when it starts (or its code changes), and once more
 * when it ends. A failure that goes on is logged at debug level only.
 */
export class FailureReporter {
  private failingWith: string | undefined;

  constructor(
    private readonly log: Logger,
    private readonly what: string,
  ) {}

  /** `level`: how its start is logged (debug where another place warns already). */
  report(failures: readonly Failure[], level: 'warn' | 'debug' = 'warn'): void {
    const first = failures[0];
    if (!first) {
      if (this.failingWith !== undefined) this.log.info(`${this.what} recovered`);
      this.failingWith = undefined;
      return;
    }
    const fields = { code: first.code, kind: first.kind, failed_calls: failures.length };
    if (this.failingWith !== first.code) this.log[level](fields, `${this.what} failed: ${first.message}`);
    else this.log.debug(fields, `${this.what} still failing: ${first.message}`);
    this.failingWith = first.code;
  }
}
