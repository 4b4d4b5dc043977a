import type { ApiError } from '../alicloud/errors.js';
import type { Logger } from '../log.js';

/**
 * Logs a failure once, where it is handled: when it starts (or its code changes), and once more
 * when it ends. A failure that goes on is logged at debug level only.
 */
export class FailureReporter {
  private failingWith: string | undefined;

  constructor(private readonly log: Logger, private readonly what: string) {}

  report(errors: readonly ApiError[]): void {
    const first = errors[0];
    if (!first) {
      if (this.failingWith !== undefined) this.log.info(`${this.what} recovered`);
      this.failingWith = undefined;
      return;
    }
    const fields = { code: first.code, kind: first.kind, retryable: first.retryable, failed_calls: errors.length };
    if (this.failingWith !== first.code) this.log.warn(fields, `${this.what} failed: ${first.message}`);
    else this.log.debug(fields, `${this.what} still failing: ${first.message}`);
    this.failingWith = first.code;
  }
}
