// HTTP basic authentication against bcrypt hashes (the exporter-toolkit's basic_auth_users).
// bcrypt is slow on purpose (~50-100 ms at cost 10): a result is cached, keyed by a hash of
// user, password and bcrypt hash, so a scraper pays it once; an unknown user costs as much as a
// known one, so timing does not tell which names exist.
import { createHash } from 'node:crypto';
import { compare } from 'bcryptjs';
import type { NextFunction, Request, Response } from 'express';

/** Compared against when the user is unknown (the hash of a random, forgotten string, cost 10). */
const DUMMY_HASH = '$2b$10$aoNgSwacyWtBynSw2dFwc.WqPaeDnrDUD7bItmooanG64Zu.LNlfa';
/** Cached outcomes; the oldest goes first past this many. */
const CACHE_SIZE = 1024;

export const REALM = 'alicloud-rds-backup-exporter';

export class BasicAuth {
  private readonly cache = new Map<string, boolean>();

  /** `users()` is asked on every request: the web configuration can change between two. */
  constructor(private readonly users: () => ReadonlyMap<string, string> | undefined) {}

  /** The user and password of an `Authorization: Basic` header, if well formed. */
  static credentials(header: string | undefined): { user: string; password: string } | undefined {
    const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
    if (!match) return undefined;
    const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon < 0 ? undefined : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }

  async allows(header: string | undefined): Promise<boolean> {
    const users = this.users();
    if (!users) return true;
    const given = BasicAuth.credentials(header);
    if (!given) return false;
    const hash = users.get(given.user);
    const key = createHash('sha256')
      .update(given.user)
      .update('\0')
      .update(given.password)
      .update('\0')
      .update(hash ?? '')
      .digest('hex');
    let ok = this.cache.get(key);
    if (ok === undefined) {
      ok = (await compare(given.password, hash ?? DUMMY_HASH).catch(() => false)) && hash !== undefined;
      if (this.cache.size >= CACHE_SIZE) this.cache.delete(this.cache.keys().next().value as string);
      this.cache.set(key, ok);
    }
    return ok;
  }

  middleware() {
    return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
      if (await this.allows(req.get('authorization'))) return next();
      res.status(401).set('WWW-Authenticate', `Basic realm="${REALM}", charset="UTF-8"`).type('text/plain').send('Unauthorized.\n');
    };
  }
}
