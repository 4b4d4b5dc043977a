// HTTP basic authentication against bcrypt hashes (the exporter-toolkit's basic_auth_users).
// bcrypt is slow on purpose, so, as the toolkit does, a checked user and password is remembered
// (keyed by a hash of user, password and bcrypt hash) and a scraper pays it once. What a client
// without the password can cost is bounded: comparisons run in a worker thread, one at a time,
// with at most MAX_WAITING_HASHES waiting (past that: 503); refused passwords are remembered apart
// from accepted ones, so a flood of wrong ones cannot push a scraper's out. An unknown user costs
// as much as the dearest known one, so timing does not tell which names exist.
import { createHash } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { BcryptWorker } from './bcrypt-worker.js';

/** Accepted user/password pairs remembered (there are as many as configured users, per change). */
const ACCEPTED_CACHE_SIZE = 64;
/** Refused pairs remembered, so a scraper with a wrong password costs one comparison, not one per scrape. */
const REFUSED_CACHE_SIZE = 1024;
/** bcrypt comparisons running at once (the toolkit runs one at a time too). */
export const MAX_CONCURRENT_HASHES = 1;
/** Comparisons waiting for their turn; past that a request is answered 503 at once. */
export const MAX_WAITING_HASHES = 32;

export const REALM = 'alicloud-rds-backup-exporter';

export type Outcome = 'allowed' | 'refused' | 'busy';

/** The cost factor of a bcrypt hash (`$2y$12$...` → 12). */
export function bcryptCost(hash: string): number {
  return Number(hash.split('$')[2]);
}

/**
 * What an unknown user's password is compared against: the configured hash of the highest cost,
 * so that an unknown name takes as long as the dearest known one (the result is thrown away).
 */
export function dummyHashFor(users: ReadonlyMap<string, string>): string | undefined {
  let dummy: string | undefined;
  for (const hash of users.values()) if (dummy === undefined || bcryptCost(hash) > bcryptCost(dummy)) dummy = hash;
  return dummy;
}

/** Runs at most `concurrency` comparisons at once, with at most `maxWaiting` waiting. */
class HashQueue {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly concurrency: number,
    private readonly maxWaiting: number,
  ) {}

  /** undefined when the queue is full */
  run<T>(work: () => Promise<T>): Promise<T> | undefined {
    if (this.running >= this.concurrency && this.waiting.length >= this.maxWaiting) return undefined;
    return (async () => {
      if (this.running >= this.concurrency) await new Promise<void>((resolve) => this.waiting.push(resolve));
      else this.running++;
      try {
        return await work();
      } finally {
        const next = this.waiting.shift();
        // The slot passes to the next in line, or is freed.
        if (next) next();
        else this.running--;
      }
    })();
  }
}

/** A map that forgets its oldest entry past `size`. */
function remember(cache: Map<string, true>, key: string, size: number): void {
  cache.delete(key);
  if (cache.size >= size) cache.delete(cache.keys().next().value as string);
  cache.set(key, true);
}

const sharedWorker = new BcryptWorker();

export interface BasicAuthOptions {
  /** compares a password with a bcrypt hash; default: in a shared worker thread */
  compare?: (password: string, hash: string) => Promise<boolean>;
  maxConcurrent?: number;
  maxWaiting?: number;
}

export class BasicAuth {
  private readonly accepted = new Map<string, true>();
  private readonly refused = new Map<string, true>();
  /** comparisons under way, by key: the same pair asked twice at once is compared once */
  private readonly inFlight = new Map<string, Promise<Outcome>>();
  private readonly queue: HashQueue;
  private readonly compare: (password: string, hash: string) => Promise<boolean>;
  private dummy: { users: ReadonlyMap<string, string>; hash: string | undefined } | undefined;

  /** `users()` is asked on every request: the web configuration can change between two. */
  constructor(
    private readonly users: () => ReadonlyMap<string, string> | undefined,
    opts: BasicAuthOptions = {},
  ) {
    this.compare = opts.compare ?? ((password, hash) => sharedWorker.compare(password, hash));
    this.queue = new HashQueue(opts.maxConcurrent ?? MAX_CONCURRENT_HASHES, opts.maxWaiting ?? MAX_WAITING_HASHES);
  }

  /** The user and password of an `Authorization: Basic` header, if well formed. */
  static credentials(header: string | undefined): { user: string; password: string } | undefined {
    const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
    if (!match) return undefined;
    const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon < 0 ? undefined : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }

  /** The hash an unknown user's password is compared against, for the users in force. */
  dummyHash(): string | undefined {
    const users = this.users();
    if (!users) return undefined;
    if (this.dummy?.users !== users) this.dummy = { users, hash: dummyHashFor(users) };
    return this.dummy.hash;
  }

  async check(header: string | undefined): Promise<Outcome> {
    const users = this.users();
    if (!users) return 'allowed';
    const given = BasicAuth.credentials(header);
    if (!given) return 'refused';
    const hash = users.get(given.user);
    const key = createHash('sha256')
      .update(given.user)
      .update('\0')
      .update(given.password)
      .update('\0')
      .update(hash ?? '')
      .digest('hex');
    if (this.accepted.has(key)) return 'allowed';
    if (this.refused.has(key)) return 'refused';
    let outcome = this.inFlight.get(key);
    if (!outcome) {
      const against = hash ?? this.dummyHash()!;
      const compared = this.queue.run(() => this.compare(given.password, against));
      if (!compared) return 'busy';
      outcome = compared.then(
        (match) => {
          const allowed = match && hash !== undefined;
          remember(allowed ? this.accepted : this.refused, key, allowed ? ACCEPTED_CACHE_SIZE : REFUSED_CACHE_SIZE);
          return allowed ? 'allowed' : 'refused';
        },
        // The comparison itself failed (the thread died): refused this time, not remembered.
        () => 'refused' as const,
      );
      this.inFlight.set(key, outcome);
      void outcome.finally(() => this.inFlight.delete(key));
    }
    return outcome;
  }

  middleware() {
    return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
      const outcome = await this.check(req.get('authorization'));
      if (outcome === 'allowed') return next();
      if (outcome === 'busy') {
        res.status(503).set('Retry-After', '1').type('text/plain').send('Too many password checks waiting: try again.\n');
        return;
      }
      res.status(401).set('WWW-Authenticate', `Basic realm="${REALM}", charset="UTF-8"`).type('text/plain').send('Unauthorized.\n');
    };
  }
}
