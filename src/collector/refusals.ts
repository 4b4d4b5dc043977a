// A read refused for a missing RAM permission is not an outage: the same refusal for every
// instance of an account is one warning, naming the action and the statement that grants it —
// logged when the first instance meets it and again only after it was granted and refused anew.
import type { Logger } from '../log.js';

export class RefusalLog {
  /** `${account}|${action}` refused now */
  private readonly refusedNow = new Set<string>();

  constructor(private readonly log: Logger) {}

  refused(account: string, action: string, read: string, code: string): void {
    const key = `${account}|${action}`;
    if (this.refusedNow.has(key)) return;
    this.refusedNow.add(key);
    this.log.warn(
      { account, action, read, code, grant: `{"Effect": "Allow", "Action": "rds:${action}", "Resource": "*"}` },
      `the RAM policy of this account does not allow rds:${action}: the ${read} read is off for its instances and is tried again hourly; grant it (see README, "RAM policy") or turn the read off with --no-collector.${read}`,
    );
  }

  /** A call of `action` worked for the account: a later refusal is news again. */
  granted(account: string, action: string): void {
    if (this.refusedNow.delete(`${account}|${action}`)) this.log.info({ account, action }, `rds:${action} is allowed again`);
  }
}
