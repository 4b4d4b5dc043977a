// Which instances of one region are watched, and what they are: the configured ones always, plus
// those discovery finds (DescribeDBInstances filtered by type and engine, then ListTagResources
// for tag filters), with the tags that become labels (tags_as_labels, ListTagResources again for
// the instances the filters did not already ask about). A failed refresh keeps the previous
// answer: an API error never makes an instance look deleted.
import type { CallOptions, DBInstance, RdsApi } from '../alicloud/rds-api.js';
import type { RegionConfig } from '../config/schema.js';

/** The actions an inventory refresh calls: the instances, and their tags for discovery by tag and tags_as_labels. */
export const INVENTORY_ACTIONS = ['DescribeDBInstances', 'ListTagResources'] as const;

export class RegionInventory {
  private readonly explicit: readonly string[];
  private current = new Map<string, DBInstance | undefined>();
  /** every instance of the region in the last discovery listing, matching or not */
  private listed: ReadonlySet<string> = new Set();
  private nextRefreshAt = 0;
  private refreshed = false;

  constructor(
    private readonly region: RegionConfig,
    private readonly refreshIntervalMs: number,
    /** whether this replica's shard watches the instance (configured and discovered alike) */
    private readonly watches: (instanceId: string) => boolean = () => true,
    /** tags_as_labels: the tag keys each watched instance's info carries (none: ListTagResources only for discovery tags) */
    private readonly tagKeys: readonly string[] = [],
  ) {
    this.explicit = region.instances.filter((id) => watches(id));
    for (const id of this.explicit) this.current.set(id, undefined);
  }

  due(nowMs: number): boolean {
    return nowMs >= this.nextRefreshAt;
  }

  /** Whether a refresh has ever succeeded (before that, only configured instances are known). */
  get known(): boolean {
    return this.refreshed;
  }

  /**
   * Whether the last discovery listing no longer had the instance at all (deleted), as opposed to
   * no longer matching the filters. Without discovery, or before it answered: false.
   */
  isGone(id: string): boolean {
    return this.refreshed && this.region.discovery !== undefined && !this.listed.has(id);
  }

  /** Watched instance ids with what DescribeDBInstances said of them (undefined: not listed). */
  watched(): ReadonlyMap<string, DBInstance | undefined> {
    return this.current;
  }

  /**
   * After a configuration reload: keeps what the previous inventory of the same region had
   * discovered, if this one discovers too, until its own first refresh (due at once) answers;
   * a failing refresh must not drop instances.
   */
  carryOver(previous: RegionInventory): void {
    for (const [id, info] of previous.current) {
      if (this.current.has(id)) this.current.set(id, info ?? this.current.get(id));
      else if (this.region.discovery && !previous.explicit.includes(id) && this.watches(id)) this.current.set(id, info);
    }
  }

  /** Asks the API; on failure rejects with the ApiError and keeps the previous answer. */
  async refresh(api: RdsApi, nowMs: number, call: CallOptions): Promise<void> {
    const { discovery } = this.region;
    const next = new Map<string, DBInstance | undefined>();
    let tags: ReadonlyMap<string, Record<string, string>> = new Map();
    if (!discovery && this.explicit.length === 0) {
      // Every configured instance of the region belongs to other shards: nothing to ask.
    } else if (!discovery) {
      const listed = new Map((await api.describeDBInstances(this.region.region, this.explicit, call)).map((i) => [i.id, i]));
      for (const id of this.explicit) next.set(id, listed.get(id));
    } else {
      const all = await api.describeDBInstances(this.region.region, undefined, call);
      const byId = new Map(all.map((i) => [i.id, i]));
      const engines = discovery.engines?.map((e) => e.toLowerCase());
      let found = all.filter(
        (i) => this.watches(i.id) && discovery.instance_types.includes(i.instanceType as never) && (!engines || engines.includes(i.engine.toLowerCase())),
      );
      const wanted = Object.entries(discovery.tags ?? {});
      if (wanted.length > 0 && found.length > 0) {
        tags = await api.listTags(
          this.region.region,
          found.map((i) => i.id),
          call,
        );
        found = found.filter((i) => wanted.every(([key, value]) => tags.get(i.id)?.[key] === value));
      }
      for (const id of this.explicit) next.set(id, byId.get(id));
      for (const instance of found) next.set(instance.id, instance);
      this.listed = new Set(byId.keys());
    }
    if (this.tagKeys.length > 0) await this.addTags(api, next, tags, call);
    this.current = next;
    this.refreshed = true;
    this.nextRefreshAt = nowMs + this.refreshIntervalMs;
  }

  /**
   * Gives each known instance of `next` the values of tagKeys ("" when it lacks one, so that every
   * instance has the same labels): from `known` (the discovery filters' answer) where it was asked,
   * else from ListTagResources, 50 instances a call.
   */
  private async addTags(
    api: RdsApi,
    next: Map<string, DBInstance | undefined>,
    known: ReadonlyMap<string, Record<string, string>>,
    call: CallOptions,
  ): Promise<void> {
    const missing = [...next].filter(([id, info]) => info !== undefined && !known.has(id)).map(([id]) => id);
    const asked = missing.length > 0 ? await api.listTags(this.region.region, missing, call) : new Map<string, Record<string, string>>();
    for (const [id, info] of next) {
      if (info === undefined) continue;
      const all = known.get(id) ?? asked.get(id) ?? {};
      next.set(id, { ...info, tags: Object.fromEntries(this.tagKeys.map((key) => [key, Object.hasOwn(all, key) ? all[key]! : ''])) });
    }
  }
}
