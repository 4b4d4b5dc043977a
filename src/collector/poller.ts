// Independent units of work: each watched instance's poll (watched-instance.ts) and each region's
// inventory refresh (inventory.ts) runs on its own. A tick starts every unit that is not still
// busy and skips (and counts) those that are; everything a tick starts ends by the tick's
// deadline (poll.deadline), so one black-holed endpoint delays nothing but its own instances.
// Each instance publishes its snapshot as soon as its poll ends; /metrics reads the published
// snapshots, so it never waits on the API, never sees half a poll, and never waits for another
// instance. The state file is written when the work a tick started has ended.
import { Semaphore } from '../concurrency/semaphore.js';
import { SignalLinks } from '../concurrency/signal-links.js';
import type { ApiError, RdsApi } from '../alicloud/rds-api.js';
import type { RegionConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import { FailureReporter } from './failure-reporter.js';
import { RegionInventory } from './inventory.js';
import type { ReadPlugin } from './reads/read.js';
import { RefusalLog } from './refusals.js';
import { inShard, type Shard } from './shard.js';
import { instanceKey, type SavedInstances } from './state-file.js';
import { WatchedInstance, type InstanceSettings, type InstanceSnapshot } from './watched-instance.js';

export type { InstanceSnapshot };

export interface RegionTarget {
  account: string;
  region: RegionConfig;
  /** this replica's share of the instances (default: all) */
  shard?: Shard;
  api: RdsApi;
  /** how often DescribeDBInstances is asked (discovery.refresh_interval or poll.discovery_interval) */
  refreshIntervalMs: number;
  /** the tags whose values the instances' info carries (tags_as_labels), asked at each inventory refresh */
  tagKeys?: readonly string[];
}

export interface RegionSnapshot {
  account: string;
  region: string;
  /** whether the last inventory refresh (DescribeDBInstances, ListTagResources) worked; absent before the first */
  discoverySuccess?: boolean;
  /** unix seconds of the last inventory refresh that worked */
  discoveryLastSuccessSeconds?: number;
}

/** What /metrics shows: the last published state of every watched instance and region. */
export interface Snapshot {
  instances: readonly InstanceSnapshot[];
  regions: readonly RegionSnapshot[];
}

/** What a configuration reload may change, besides the targets. */
export interface PollSettings extends InstanceSettings {
  /** how long everything a tick starts may take (poll.deadline) */
  deadlineMs: number;
  /** called with every instance's state once the work a tick started has ended */
  persist?: (states: SavedInstances) => void;
}

export interface PollerOptions extends PollSettings {
  log: Logger;
  /** states saved by an earlier run, to take back as instances appear */
  saved?: SavedInstances;
  /** the data clock (ms); deadlines always run on real time */
  now?: () => number;
  /** told of every snapshot an instance publishes, as it is published (metrics render it then) */
  onPublish?: (snapshot: InstanceSnapshot) => void;
  /** the interval reads (default: the built-in ones) */
  reads?: ReadonlyArray<ReadPlugin<unknown>>;
  /** told of every failed read attempt */
  onReadError?: (account: string, region: string, read: string, code: string) => void;
}

/**
 * How many of a region's instance polls run at once. The region's calls are bounded by
 * `poll.concurrency` (at most 256) and the rate limit; this bounds what waits for them. Each poll
 * in flight has at least one call queued or running, so as many polls as the largest concurrency
 * keep every slot busy.
 */
export const POLLS_IN_FLIGHT = 256;

function regionKey(target: RegionTarget): string {
  return `${target.account}/${target.region.region}`;
}

interface RegionState {
  target: RegionTarget;
  inventory: RegionInventory;
  log: Logger;
  reporter: FailureReporter;
  instances: Map<string, WatchedInstance>;
  /** admits the region's polls, POLLS_IN_FLIGHT at a time */
  polls: Semaphore;
  /** the refresh running now, since when (performance.now()) */
  refreshingSince?: number;
  /** resolves when the running refresh has answered (or failed) and the instances follow it */
  answering?: Promise<void>;
  skipLogged: boolean;
  health: RegionSnapshot;
}

export class Poller {
  private regions: RegionState[];
  private settings: PollSettings;
  private readonly running = new Set<Promise<void>>();
  /** instances whose poll waits for a place among the region's polls in flight */
  private readonly admitting = new Set<WatchedInstance>();
  private version = 0;
  private cached: { version: number; snapshot: Snapshot } | undefined;
  private readyLatch = false;
  private readonly now: () => number;
  private readonly saved: SavedInstances;
  private readonly refusals: RefusalLog;

  constructor(
    targets: readonly RegionTarget[],
    private readonly opts: PollerOptions,
  ) {
    this.now = opts.now ?? Date.now;
    this.saved = opts.saved ?? new Map();
    this.refusals = new RefusalLog(opts.log);
    this.settings = opts;
    this.regions = targets.map((target) => this.newRegion(target));
    for (const region of this.regions) this.reconcile(region, false);
  }

  /**
   * Takes a reloaded configuration at once: regions and instances that stay keep their state
   * (jobs in flight, counters, backup history) and use the new targets from their next poll;
   * those no longer configured are dropped with their series. Resolves once the work that was
   * running has ended, so that the caller can close what it used.
   */
  reconfigure(targets: readonly RegionTarget[], settings: PollSettings): Promise<void> {
    const drained = Promise.all([...this.running]).then(() => undefined);
    const previous = new Map(this.regions.map((r) => [regionKey(r.target), r]));
    this.settings = settings;
    this.regions = targets.map((target) => {
      const region = this.newRegion(target);
      const before = previous.get(regionKey(target));
      if (before) {
        region.reporter = before.reporter;
        region.health = before.health;
        region.inventory.carryOver(before.inventory);
        for (const [id, instance] of before.instances) {
          instance.reconfigure(settings);
          region.instances.set(id, instance);
        }
      }
      this.reconcile(region, false);
      return region;
    });
    this.changed();
    return drained;
  }

  private newRegion(target: RegionTarget): RegionState {
    const log = this.opts.log.child({ account: target.account, region: target.region.region });
    return {
      target,
      inventory: new RegionInventory(
        target.region,
        target.refreshIntervalMs,
        (id) => !target.shard || inShard(target.shard, target.account, target.region.region, id),
        target.tagKeys,
      ),
      log,
      reporter: new FailureReporter(log, 'instance inventory'),
      instances: new Map(),
      polls: new Semaphore(POLLS_IN_FLIGHT),
      skipLogged: false,
      health: { account: target.account, region: target.region.region },
    };
  }

  /** The published state of every watched instance and region (one immutable object per change). */
  get snapshot(): Snapshot {
    if (this.cached?.version !== this.version) {
      const instances: InstanceSnapshot[] = [];
      for (const region of this.regions) for (const instance of region.instances.values()) if (instance.published) instances.push(instance.published);
      const snapshot = Object.freeze({ instances: Object.freeze(instances), regions: Object.freeze(this.regions.map((r) => r.health)) });
      this.cached = { version: this.version, snapshot };
    }
    return this.cached.snapshot;
  }

  /**
   * True once every region's inventory has answered or failed once and every watched instance has
   * had a first poll end (succeeded, failed or cut by the deadline): within one deadline of the
   * first tick. Stays true.
   */
  get ready(): boolean {
    this.readyLatch ||= this.regions.every((r) => r.health.discoverySuccess !== undefined && [...r.instances.values()].every((i) => i.published !== undefined));
    return this.readyLatch;
  }

  /** Instances watched now: configured, discovered, and retiring ones. */
  get watchedCount(): number {
    return this.regions.reduce((n, r) => n + r.instances.size, 0);
  }

  /** Whether any poll or refresh is running. */
  get busy(): boolean {
    return this.running.size > 0;
  }

  /** Resolves when no poll or refresh is running. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }

  /**
   * Starts every poll and inventory refresh that is due and not still running; the busy ones are
   * skipped and counted. Resolves when the work this tick started has ended (at the latest at its
   * deadline), after writing the state file.
   */
  async tick(): Promise<void> {
    // One deadline for the tick, one timer; each poll and refresh waits on a child of it, released
    // when it ends, so that no signal gathers the listeners of thousands of waiting calls.
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(new DOMException('the poll deadline passed', 'TimeoutError')), this.settings.deadlineMs);
    timer.unref();
    const links = new SignalLinks(deadline.signal);
    const work: Array<Promise<void>> = [];
    for (const region of this.regions) {
      this.reconcile(region, true);
      if (region.inventory.due(this.now())) work.push(this.refresh(region, links));
      for (const instance of region.instances.values()) work.push(this.poll(region, instance, links));
    }
    await Promise.all(work);
    clearTimeout(timer);
    links.close();
    this.settings.persist?.(this.stateToSave());
  }

  private track(run: Promise<void>): Promise<void> {
    this.running.add(run);
    void run.finally(() => this.running.delete(run));
    return run;
  }

  private changed(): void {
    this.version++;
  }

  private poll(region: RegionState, instance: WatchedInstance, deadline: SignalLinks): Promise<void> {
    // Idle (no backup can be running, no read due): nothing to ask at this tick.
    if (!instance.due(this.now())) return Promise.resolve();
    if (instance.busy || this.admitting.has(instance)) {
      instance.skip();
      return Promise.resolve();
    }
    const { signal, release } = deadline.child();
    this.admitting.add(instance);
    return this.track(
      (async () => {
        // At most POLLS_IN_FLIGHT of the region's polls at once; the others wait here, as one
        // promise each, rather than as a chain of waiting calls each (about 5 KB a call: 37,000
        // calls in the first tick at 10,000 instances). Past the deadline, the poll still runs,
        // and its calls end at once as Timeout, as they would have in the queue.
        const leave = await region.polls.acquire(signal).catch(() => undefined);
        this.admitting.delete(instance);
        try {
          if (!this.watches(instance)) return; // dropped while it waited
          // An instance whose engine is not known yet waits, before its engine's reads, for the refresh running now.
          const inventory = instance.info === undefined ? region.answering : undefined;
          await instance.poll({ api: region.target.api, signal, now: this.now, ...(inventory ? { inventory } : {}) });
        } catch (err) {
          // poll() turns every API failure into its snapshot; anything else is a bug, and must not stop the others.
          instance.log.error({ err: err instanceof Error ? err.message : String(err) }, 'poll failed unexpectedly');
        } finally {
          leave?.();
          release();
        }
      })(),
    );
  }

  /** Whether `instance` is still one of the watched (not dropped by a reconcile or a reload). */
  private watches(instance: WatchedInstance): boolean {
    return this.regions.some((r) => r.instances.get(instance.instanceId) === instance);
  }

  /** Refreshes the region's inventory, then adds and drops instances to match it and polls the new ones. */
  private refresh(region: RegionState, deadline: SignalLinks): Promise<void> {
    const { log } = region;
    if (region.refreshingSince !== undefined) {
      if (!region.skipLogged)
        log.warn(
          { running_for_seconds: Math.round((performance.now() - region.refreshingSince) / 1000) },
          'instance inventory refresh skipped: the previous refresh of this region is still running',
        );
      region.skipLogged = true;
      return Promise.resolve();
    }
    region.refreshingSince = performance.now();
    region.skipLogged = false;
    const { signal, release } = deadline.child();
    const answering = (async () => {
      try {
        // With the listings, ahead of the backlog: a few calls (one per 30 instances, or per 100
        // discovered) that new instances and the engine-dependent reads wait for.
        await region.inventory.refresh(region.target.api, this.now(), { signal, priority: 'listing' });
        region.reporter.report([]);
        region.health = { ...region.health, discoverySuccess: true, discoveryLastSuccessSeconds: this.now() / 1000 };
      } catch (err) {
        region.reporter.report([err as ApiError]);
        region.health = { ...region.health, discoverySuccess: false };
      }
      region.refreshingSince = undefined;
      region.answering = undefined;
      this.reconcile(region, false);
      this.changed();
    })();
    region.answering = answering;
    return this.track(
      (async () => {
        await answering;
        // Instances found now are polled now, within the same deadline: ready stays bounded.
        // (not those of this tick still waiting for a place: they are coming)
        const fresh = [...region.instances.values()].filter((i) => i.published === undefined && !i.busy && !this.admitting.has(i));
        await Promise.all(fresh.map((instance) => this.poll(region, instance, deadline)));
      })().finally(release),
    );
  }

  /**
   * Adds and drops instances to match the region's inventory. One that stopped matching the
   * discovery filters, or left the configuration, is dropped at once. A deleted one is kept
   * (retiring) until its backup jobs in flight are resolved — counted once, as Unknown when the API
   * no longer knows them — and dropped at the first tick after that (`atTick`), so that the count
   * is published for a tick interval before its series go.
   */
  private reconcile(region: RegionState, atTick: boolean): void {
    const { target, inventory } = region;
    const watched = inventory.watched();
    for (const [id, instance] of region.instances) {
      if (watched.has(id)) {
        instance.retiring = false;
        continue;
      }
      if (!instance.retiring && inventory.isGone(id)) {
        instance.retiring = true;
        if (instance.jobsInFlight > 0)
          instance.log.info({ jobs_in_flight: instance.jobsInFlight }, 'instance deleted: kept until its backup jobs in flight are resolved');
        continue;
      }
      if (instance.retiring && (!atTick || instance.busy || instance.jobsInFlight > 0)) continue;
      region.instances.delete(id);
      this.changed();
      instance.log.info('instance no longer watched (deleted, no longer matching discovery, or removed from the configuration): its series are dropped');
    }
    for (const [id, info] of watched) {
      let instance = region.instances.get(id);
      if (!instance) {
        const key = instanceKey(target.account, target.region.region, id);
        const { account } = target;
        const regionId = target.region.region;
        instance = new WatchedInstance({
          key,
          account,
          region: regionId,
          instanceId: id,
          settings: this.settings,
          log: this.opts.log,
          onPublish: (published) => {
            this.changed();
            this.opts.onPublish?.(published);
          },
          saved: this.saved.get(key),
          reads: this.opts.reads,
          refusals: this.refusals,
          onReadError: this.opts.onReadError && ((read, code) => this.opts.onReadError!(account, regionId, read, code)),
        });
        this.saved.delete(key);
        region.instances.set(id, instance);
        if (inventory.known && !target.region.instances.includes(id)) instance.log.info({ engine: info?.engine }, 'instance discovered');
      }
      instance.info = info;
    }
  }

  /**
   * Every watched instance's state, plus the saved states not taken back yet of regions whose
   * inventory has never answered: their instances may still exist, and must not lose their jobs
   * because DescribeDBInstances failed at start-up.
   */
  private stateToSave(): SavedInstances {
    const out: SavedInstances = new Map();
    for (const region of this.regions) {
      if (region.inventory.known) continue;
      const prefix = instanceKey(region.target.account, region.target.region.region, '');
      for (const [key, saved] of this.saved) if (key.startsWith(prefix)) out.set(key, saved);
    }
    for (const region of this.regions) for (const instance of region.instances.values()) out.set(instance.key, instance.toSaved());
    return out;
  }
}
