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

function hash32(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32BE(0);
}

/** The shard (0 to count - 1) of one instance: the first 32 bits of SHA-256, modulo count. */
export function shardOf(account: string, region: string, instanceId: string, count: number): number {
  return count <= 1 ? 0 : hash32(`${account}/${region}/${instanceId}`) % count;
}

/** A stable number in [0, 1) for a key: spreads per-instance timings so that they do not all fall due together. */
export function spreadOf(key: string): number {
  return hash32(`spread:${key}`) / 2 ** 32;
}

/** Whether `shard` watches this instance. */
export function inShard(shard: Shard, account: string, region: string, instanceId: string): boolean {
  return shardOf(account, region, instanceId, shard.count) === shard.index;
}
