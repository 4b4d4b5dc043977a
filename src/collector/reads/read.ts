// What a read is: one plug-in, in the style of mysqld_exporter's Scraper and node_exporter's
// registerCollector. A plug-in says its name (the `read` label, `collectors.<name>` and
// `--collector.<name>`), its configuration key and default interval, the RAM actions it calls,
// whether its answer says whether backups happen (essential: its failure makes poll_success 0),
// which instances it applies to, what it asks and keeps, what it adds to the snapshot (its view),
// and its metric families. `ScheduledRead` runs one plug-in for one instance: when it is due, its
// health, and how a failure waits.
import { ApiError, type ErrorKind } from '../../alicloud/errors.js';
import type { BackupPolicy, CallOptions, DBInstance, RdsApi } from '../../alicloud/rds-api.js';
import type { Logger } from '../../log.js';
import type { MetricDef } from '../../metrics/definitions.js';
import type { FamilyLines } from '../../metrics/lines.js';

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
  /** when the oldest backup job still followed was first seen (its set will start before that) */
  runningSinceMs: number | undefined;
  /** what DescribeDBInstances said of the instance, when known */
  info: DBInstance | undefined;
}

/** What a reload may change for the reads of an instance. */
export interface ReadSettings {
  /** each read's interval by name (ms); 0 or absent: the read is off */
  intervalsMs: Readonly<Record<string, number>>;
  backupsLookbackMs: number;
  logBackupsLookbackMs: number;
}

/** What a view is computed from, besides the read's own state. */
export interface ViewContext {
  nowMs: number;
  settings: ReadSettings;
  /** the policy as last read, when known (the retention periods) */
  policy: BackupPolicy | undefined;
}

/** One read's state for one instance: what it asks, what it keeps, what it shows. */
export interface ReadState<V> {
  /** Asks the API and takes the answer; rejects with an ApiError (any other rejection is a bug). */
  run(ctx: ReadContext): Promise<void>;
  /** What the snapshot shows of it now (undefined: no series). */
  view(ctx: ViewContext): V | undefined;
  /** After a reload. */
  reconfigure?(settings: ReadSettings): void;
}

/** How one instance fills one family from a read's view. */
export type ViewFill<V> = (lines: FamilyLines, view: V) => void;

export interface ReadPlugin<V = unknown> {
  /** the `read` label, `collectors.<name>` and `--collector.<name>` */
  readonly name: string;
  /** the API actions it may call, for the RAM policy and the refusal warning */
  readonly actions: readonly string[];
  /** whether its answer says whether backups happen: its failure makes poll_success 0 */
  readonly essential: boolean;
  /** `poll.<intervalKey>` in the configuration sets its interval (seconds); `defaultIntervalSeconds` otherwise */
  readonly intervalKey?: string;
  readonly defaultIntervalSeconds: number;
  /** one line for docs and `--help` */
  readonly help: string;
  /** Whether it applies to the instance (default: always); `needsEngine` reads wait for the inventory before deciding. */
  appliesTo?(info: DBInstance | undefined): boolean;
  readonly needsEngine?: boolean;
  create(settings: ReadSettings): ReadState<V>;
  /** its metric families, each filled from its view */
  readonly families: ReadonlyArray<readonly [MetricDef, ViewFill<V>]>;
}

/**
 * Whether the instance keeps backups of its own: not a read-only replica (its primary's backups
 * cover it; DescribeBackupPolicy refuses it). Before the inventory has told, it may.
 */
export function hasOwnBackups(info: DBInstance | undefined): boolean {
  return info?.instanceType !== 'Readonly';
}

/** Declares a plug-in with its view type checked against its families. */
export function defineRead<V>(plugin: ReadPlugin<V>): ReadPlugin<V> {
  return plugin;
}

/** The code and kind of a read's failure: an ApiError's, or `Bug` for anything else thrown. */
export interface ReadFailure {
  action: string;
  code: string;
  kind: ErrorKind | 'bug';
  message: string;
  /** the thrown value, for a bug (its stack is logged) */
  thrown?: unknown;
}

/** A read's health, as the snapshot shows it. */
export interface ReadHealth {
  /** whether the last attempt worked */
  success: boolean;
  /** when the last attempt that worked ended (data clock, ms) */
  lastSuccessMs?: number;
  /** the last attempt's failure */
  failure?: ReadFailure;
}

/** How long a read refused for permission waits before it is tried again (a reload tries at once). */
export const PERMISSION_RETRY_MS = 3600_000;

/** A failure that is not an ApiError is the exporter's own bug. */
export function failureOf(err: unknown, action: string): ReadFailure {
  if (err instanceof ApiError) return { action: err.action || action, code: err.code, kind: err.kind, message: err.message };
  const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return { action, code: 'Bug', kind: 'bug', message, thrown: err };
}

/**
 * Whether a failure waits rather than being tried again at the next poll: a missing permission
 * (PERMISSION_RETRY_MS), a deleted instance, a rejected parameter, a wrong instance state or a bug
 * will not be fixed by asking every minute. Transient failures, and bad credentials or clock
 * (whose fix should show at once), are tried again at the next poll.
 */
function waitMs(failure: ReadFailure, intervalMs: number): number | undefined {
  if (failure.kind === 'permission') return Math.max(intervalMs, PERMISSION_RETRY_MS);
  if (failure.kind === 'not_found' || failure.kind === 'client' || failure.kind === 'state' || failure.kind === 'bug') return intervalMs;
  return undefined;
}

/** One plug-in for one instance: its state, when it is due, and its health. */
export class ScheduledRead<V = unknown> {
  readonly state: ReadState<V>;
  private intervalMs: number;
  private nextAt = 0;
  private health: ReadHealth | undefined;
  /** where in each interval this instance's reads fall, as a share of it (0 < phase ≤ 1) */
  private phase = 1;
  /** when the read was first made (data clock): its times are counted from there */
  private anchor: number | undefined;

  constructor(
    readonly plugin: ReadPlugin<V>,
    settings: ReadSettings,
  ) {
    this.state = plugin.create(settings);
    this.intervalMs = intervalOf(plugin, settings);
  }

  get name(): string {
    return this.plugin.name;
  }

  /** After a configuration reload; a read refused for permission is tried again at once (it may have been granted). */
  reconfigure(settings: ReadSettings): void {
    this.intervalMs = intervalOf(this.plugin, settings);
    this.state.reconfigure?.(settings);
    if (this.health?.failure?.kind === 'permission') this.nextAt = 0;
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

  /** False when its interval is 0 (turned off in the configuration). */
  get enabled(): boolean {
    return this.intervalMs > 0;
  }

  due(nowMs: number): boolean {
    return nowMs >= this.nextAt;
  }

  /** Read at the next poll, whatever the interval says (e.g. right after a backup job ended). */
  soon(): void {
    if (this.health?.failure?.kind !== 'permission') this.nextAt = 0;
  }

  /** The last attempt's health; undefined before the first. */
  get status(): ReadHealth | undefined {
    return this.health;
  }

  /** Makes the read, and schedules the next one. Never rejects: a failure is kept in its health. */
  async run(ctx: ReadContext): Promise<ReadFailure | undefined> {
    const at = ctx.now();
    try {
      await this.state.run(ctx);
      this.health = { success: true, lastSuccessMs: ctx.now() };
      this.nextAt = this.nextAfter(at, this.intervalMs);
      return undefined;
    } catch (err) {
      const failure = failureOf(err, this.plugin.actions[0] ?? this.plugin.name);
      this.health = { success: false, failure, ...(this.health?.lastSuccessMs !== undefined ? { lastSuccessMs: this.health.lastSuccessMs } : {}) };
      const wait = waitMs(failure, this.intervalMs);
      if (wait !== undefined) this.nextAt = this.nextAfter(at, wait);
      return failure;
    }
  }

  /**
   * The instance's next time after `at`: `phase` of an interval after the first read, then every
   * interval. On a fixed grid rather than `at` + interval: a read made a little after its tick (it
   * queued for the limits) or early (soon()) does not move the ones after it. A longer wait (a
   * refusal) is counted from `at`.
   */
  private nextAfter(at: number, waitMs: number): number {
    if (waitMs !== this.intervalMs) return at + waitMs;
    this.anchor ??= at;
    const first = this.anchor + this.phase * this.intervalMs;
    if (at < first) return first;
    return first + (Math.floor((at - first) / this.intervalMs) + 1) * this.intervalMs;
  }
}

function intervalOf<V>(plugin: ReadPlugin<V>, settings: ReadSettings): number {
  return settings.intervalsMs[plugin.name] ?? 0;
}

/** What carries the reads' views: an instance snapshot. */
export interface HasViews {
  readonly views: ReadonlyMap<string, unknown>;
}

/** The typed view of `plugin` in a snapshot (undefined when the read is off, does not apply, or knows nothing yet). */
export function viewOf<V>(plugin: ReadPlugin<V>): (inst: HasViews) => V | undefined {
  return (inst) => inst.views.get(plugin.name) as V | undefined;
}
