// One poll cycle: each region's inventory is refreshed when due (so discovered instances come and
// go), then every watched instance is polled in parallel within the API limits (what one poll
// asks is in watched-instance.ts), and the results are assembled into a fresh immutable snapshot
// that replaces the previous one in one assignment. /metrics reads only the snapshot, so it never
// waits on the API and never sees half a cycle. The state file is written after each cycle.
import type { Logger } from '../log.js';
import { classifyApiError } from '../alicloud/errors.js';
import type { RdsClient } from '../alicloud/rds-client.js';
import type { RegionConfig } from '../config/schema.js';
import { FailureReporter } from './failure-reporter.js';
import { RegionInventory } from './inventory.js';
import { instanceKey, type SavedInstances } from './state-file.js';
import { WatchedInstance, type InstanceSnapshot } from './watched-instance.js';

export type { InstanceSnapshot };

export interface RegionTarget {
  account: string;
  region: RegionConfig;
  client: RdsClient;
  /** how often DescribeDBInstances is asked (discovery.refresh_interval or poll.discovery_interval) */
  refreshIntervalMs: number;
}

export interface Snapshot {
  /** completed cycles so far */
  cycles: number;
  completedAt?: number;
  instances: readonly InstanceSnapshot[];
}

export const EMPTY_SNAPSHOT: Snapshot = Object.freeze({ cycles: 0, instances: [] });

/** What a configuration reload may change, besides the targets. */
export interface PollSettings {
  backupsIntervalMs: number;
  backupsLookbackMs: number;
  policyIntervalMs: number;
  /** called with every instance's state after each cycle */
  persist?: (states: SavedInstances) => void;
}

export interface PollerOptions extends PollSettings {
  log: Logger;
  onSkippedCycle?: () => void;
  /** states saved by an earlier run, to take back as instances appear */
  saved?: SavedInstances;
  now?: () => number;
}

function regionKey(target: RegionTarget): string {
  return `${target.account}/${target.region.region}`;
}

interface RegionState {
  target: RegionTarget;
  inventory: RegionInventory;
  reporter: FailureReporter;
  instances: Map<string, WatchedInstance>;
}

export class Poller {
  private regions: RegionState[];
  private settings: PollSettings;
  private current: Snapshot = EMPTY_SNAPSHOT;
  private inFlight: Promise<void> | undefined;
  private readonly now: () => number;
  private readonly saved: SavedInstances;

  constructor(targets: readonly RegionTarget[], private readonly opts: PollerOptions) {
    this.now = opts.now ?? Date.now;
    this.saved = opts.saved ?? new Map();
    this.settings = opts;
    this.regions = targets.map((target) => this.newRegion(target));
  }

  /**
   * Takes a reloaded configuration, between two cycles: regions and instances that stay keep
   * their state (jobs in flight, counters, backup history); those no longer configured are
   * dropped with their series at the next cycle. Resolves once applied.
   */
  async reconfigure(targets: readonly RegionTarget[], settings: PollSettings): Promise<void> {
    while (this.inFlight) await this.inFlight;
    const previous = new Map(this.regions.map((r) => [regionKey(r.target), r]));
    this.settings = settings;
    this.regions = targets.map((target) => {
      const region = this.newRegion(target);
      const before = previous.get(regionKey(target));
      if (before) {
        region.reporter = before.reporter;
        region.inventory.carryOver(before.inventory);
        for (const [id, instance] of before.instances) {
          instance.reconfigure(target.client, settings.backupsLookbackMs);
          region.instances.set(id, instance);
        }
      }
      this.reconcile(region);
      return region;
    });
  }

  private newRegion(target: RegionTarget): RegionState {
    return {
      target,
      inventory: new RegionInventory(target.region, target.refreshIntervalMs),
      reporter: new FailureReporter(this.opts.log.child({ account: target.account, region: target.region.region }), 'instance inventory'),
      instances: new Map(),
    };
  }

  get snapshot(): Snapshot {
    return this.current;
  }

  /** true once a first cycle has completed */
  get ready(): boolean {
    return this.current.cycles > 0;
  }

  get busy(): boolean {
    return this.inFlight !== undefined;
  }

  /** Runs a cycle, unless one is still running: then the tick is skipped and counted. */
  tick(): Promise<void> {
    if (this.inFlight) {
      this.opts.onSkippedCycle?.();
      this.opts.log.warn('poll cycle skipped: the previous cycle is still running (is poll.schedule too frequent for the API latency?)');
      return this.inFlight;
    }
    this.inFlight = this.runCycle().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  /** Resolves when the running cycle (if any) has ended. */
  async idle(): Promise<void> {
    await this.inFlight;
  }

  private async runCycle(): Promise<void> {
    await Promise.all(this.regions.map((region) => this.refreshInventory(region)));
    const watched = this.regions.flatMap((region) => [...region.instances.values()]);
    const instances = await Promise.all(watched.map((instance) => instance.poll(this.settings, this.now)));
    this.current = Object.freeze({ cycles: this.current.cycles + 1, completedAt: this.now(), instances: Object.freeze(instances) });
    this.settings.persist?.(this.stateToSave(watched));
  }

  /**
   * Every watched instance's state, plus the saved states not taken back yet of regions whose
   * inventory has never answered: their instances may still exist, and must not lose their jobs
   * because DescribeDBInstances failed at start-up.
   */
  private stateToSave(watched: readonly WatchedInstance[]): SavedInstances {
    const out: SavedInstances = new Map();
    for (const region of this.regions) {
      if (region.inventory.known) continue;
      const prefix = instanceKey(region.target.account, region.target.region.region, '');
      for (const [key, saved] of this.saved) if (key.startsWith(prefix)) out.set(key, saved);
    }
    for (const instance of watched) out.set(instance.key, instance.toSaved());
    return out;
  }

  /** Refreshes the region's inventory when due, then adds and drops instance states to match it. */
  private async refreshInventory(region: RegionState): Promise<void> {
    const { target, inventory } = region;
    if (inventory.due(this.now())) {
      try {
        await inventory.refresh(target.client, this.now());
        region.reporter.report([]);
      } catch (err) {
        region.reporter.report([classifyApiError('DescribeDBInstances', err)]);
      }
    }
    this.reconcile(region);
  }

  /** Adds and drops instance states to match the region's inventory. */
  private reconcile(region: RegionState): void {
    const { target, inventory } = region;
    const watched = inventory.watched();
    for (const [id, instance] of region.instances) {
      if (!watched.has(id)) {
        region.instances.delete(id);
        instance.log.info('instance no longer watched (deleted, no longer matching discovery, or removed from the configuration): its series are dropped');
      }
    }
    for (const [id, info] of watched) {
      let instance = region.instances.get(id);
      if (!instance) {
        const key = instanceKey(target.account, target.region.region, id);
        instance = new WatchedInstance(key, target.account, target.region.region, id, target.client, this.settings.backupsLookbackMs, this.opts.log, this.saved.get(key));
        this.saved.delete(key);
        region.instances.set(id, instance);
        if (inventory.known && !target.region.instances.includes(id)) instance.log.info({ engine: info?.engine }, 'instance discovered');
      }
      if (info) instance.info = info;
    }
  }
}
