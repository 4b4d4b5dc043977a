// A read made at its own interval rather than at every poll (DescribeBackups, DescribeBackupPolicy,
// and each read to come): the shape they all share, so that each is one small class that says
// only what it asks and what it keeps.
import type { ApiError, CallOptions, DBInstance, RdsApi } from '../alicloud/rds-api.js';
import type { Logger } from '../log.js';

/** What a poll hands each read. */
export interface ReadContext {
  api: RdsApi;
  instanceId: string;
  /** the instance's region (reads that take a RegionId) */
  regionId: string;
  /** the poll's deadline and priority, for every call of the read */
  call: CallOptions;
  /** the data clock (ms) */
  now(): number;
  log: Logger;
}

/**
 * Whether a failure waits for the interval rather than being tried again at the next poll: a
 * missing permission for this one action, a deleted instance, a rejected parameter or a wrong
 * instance state will not be fixed by asking every minute, and asking would multiply the calls of
 * each poll. Transient failures, and bad credentials or clock (whose fix should show at once), are
 * tried again at the next poll.
 */
function waitsForInterval(error: ApiError): boolean {
  return error.kind === 'permission' || error.kind === 'not_found' || error.kind === 'client' || error.kind === 'state';
}

export abstract class IntervalRead<T> {
  /** the API action, for logs */
  abstract readonly action: string;
  private nextAt = 0;
  private standing: ApiError | undefined;
  /** where in each interval this instance's reads fall, as a share of it (0 < phase ≤ 1) */
  private phase = 1;
  /** when the read was first made (data clock): its times are counted from there */
  private anchor: number | undefined;

  /** `intervalMs` 0 turns the read off: no call, no series. */
  constructor(private intervalMs: number) {}

  /** After a configuration reload. */
  setInterval(ms: number): void {
    this.intervalMs = ms;
  }

  /**
   * Spreads the instances' reads over the interval (`phase`, 0 < phase ≤ 1, stable per instance):
   * the first read is made at once, the second `phase` of an interval later, then every interval
   * from there — also after a read made early (soon()) — so that a fleet started together does
   * not make all its reads in the same tick.
   */
  spreadBy(phase: number): void {
    this.phase = phase;
  }

  /** Whether the read must wait for the instance's engine (DescribeDBInstances) before it can tell whether it applies. */
  get needsEngine(): boolean {
    return false;
  }

  /** A read of the same instance whose answer says whether this one applies: when both are due in a poll, it goes first. */
  get after(): IntervalRead<unknown> | undefined {
    return undefined;
  }

  /** False when its interval is 0 (turned off in the configuration). */
  get enabled(): boolean {
    return this.intervalMs > 0;
  }

  /** Whether the read applies to this instance at all (an engine it does not serve: no read, no series). */
  appliesTo(_info: DBInstance | undefined): boolean {
    return true;
  }

  due(nowMs: number): boolean {
    return nowMs >= this.nextAt;
  }

  /** Read at the next poll, whatever the interval says (e.g. right after a backup job ended). */
  soon(): void {
    this.nextAt = 0;
  }

  /** The failure of the last attempt, until a read works: it keeps poll_success at 0 meanwhile. */
  get error(): ApiError | undefined {
    return this.standing;
  }

  /** Asks the API; rejects only with an ApiError. */
  protected abstract fetch(ctx: ReadContext): Promise<T>;

  /** Takes a successful answer, asked at `askedAtMs`. */
  protected abstract take(value: T, askedAtMs: number, ctx: ReadContext): void;

  /** Makes the read, and schedules the next one. */
  async run(ctx: ReadContext): Promise<void> {
    const at = ctx.now();
    try {
      const value = await this.fetch(ctx);
      this.take(value, at, ctx);
      this.standing = undefined;
      this.nextAt = this.nextAfter(at);
    } catch (err) {
      this.standing = err as ApiError;
      if (waitsForInterval(this.standing)) this.nextAt = this.nextAfter(at);
    }
  }

  /**
   * The instance's next time after `at`: `phase` of an interval after the first read, then every
   * interval. On a fixed grid rather than `at` + interval: a read made a little after its tick (it
   * queued for the limits) or early (soon()) does not move the ones after it.
   */
  private nextAfter(at: number): number {
    this.anchor ??= at;
    const first = this.anchor + this.phase * this.intervalMs;
    if (at < first) return first;
    return first + (Math.floor((at - first) / this.intervalMs) + 1) * this.intervalMs;
  }
}
