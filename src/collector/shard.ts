// Sharding across replicas without coordination: each replica watches the instances whose stable
// hash of `account/region/instance_id` falls in its shard. The hash depends on nothing else, so
// N replicas cover every instance exactly once, and an instance never moves between shards when
// others appear or go.
import { createHash } from 'node:crypto';

export interface Shard {
  count: number;
  index: number;
}

export const NO_SHARDING: Shard = Object.freeze({ count: 1, index: 0 });

/** The shard (0 to count - 1) of one instance: the first 32 bits of SHA-256, modulo count. */
export function shardOf(account: string, region: string, instanceId: string, count: number): number {
  if (count <= 1) return 0;
  return createHash('sha256').update(`${account}/${region}/${instanceId}`).digest().readUInt32BE(0) % count;
}

/** Whether `shard` watches this instance. */
export function inShard(shard: Shard, account: string, region: string, instanceId: string): boolean {
  return shardOf(account, region, instanceId, shard.count) === shard.index;
}
