// Sharding: N replicas cover every instance exactly once, evenly, with no coordination; an
// instance never moves between shards when others come and go; the hash never changes between
// versions (it would move every instance at an upgrade).
import assert from 'node:assert/strict';
import type { RegionConfig } from '../../src/config/schema.js';
import { Poller } from '../../src/collector/poller.js';
import { inShard, shardOf } from '../../src/collector/shard.js';
import { createLogger } from '../../src/log.js';
import { LogCapture } from '../helpers.js';
import { dbInstance, ScriptedApi } from './scripted-api.js';

describe('shards', () => {
  const ids = Array.from({ length: 10_000 }, (_, i) => `rm-${i.toString(36).padStart(6, '0')}`);

  for (const count of [1, 2, 3, 7]) {
    it(`${count} shard(s) cover each of 10,000 instances exactly once, evenly`, () => {
      const sizes = new Array<number>(count).fill(0);
      for (const id of ids) {
        const owners = [...Array(count).keys()].filter((index) => inShard({ count, index }, 'prod', 'cn-hangzhou', id));
        assert.equal(owners.length, 1, `${id} is in shards ${owners.join(',')}`);
        sizes[owners[0]!]!++;
      }
      for (const size of sizes) assert.ok(Math.abs(size - ids.length / count) < (ids.length / count) * 0.1, `shard sizes ${sizes.join(', ')}`);
    });
  }

  it('depends on account, region and instance id, and never changes', () => {
    assert.equal(shardOf('prod', 'cn-hangzhou', 'rm-bp1abc123', 16), 1);
    assert.equal(shardOf('prod', 'cn-hangzhou', 'rm-bp1abc124', 16), 7);
    assert.equal(shardOf('staging', 'eu-central-1', 'pgm-gw8xyz', 3), 0);
    const spread = new Set(
      ['prod/cn-hangzhou', 'staging/cn-hangzhou', 'prod/cn-shanghai'].map((ar) => shardOf(ar.split('/')[0]!, ar.split('/')[1]!, 'rm-same', 1000)),
    );
    assert.equal(spread.size, 3, 'the same id in another account or region is another instance');
  });

  it('two replicas discover disjoint halves of a region, and no instance moves when others come and go', async () => {
    const region: RegionConfig = {
      region: 'cn-hangzhou',
      instances: ['rm-configured-1', 'rm-configured-2', 'rm-configured-3'],
      discovery: { instance_types: ['Primary'] },
    };
    let listed = Array.from({ length: 60 }, (_, i) => `rm-d${i}`);
    const api = new ScriptedApi();
    api.instances = () => listed.map((id) => dbInstance(id));
    const replicas = [0, 1].map(
      (index) =>
        new Poller([{ account: 'prod', region, shard: { count: 2, index }, api, refreshIntervalMs: 0 }], {
          deadlineMs: 1000,
          idleListingMs: 0,
          lookupsPerPoll: 50,
          tasksEnabled: true,
          intervalsMs: { backups: 600_000, policy: 3600_000 },
          backupsLookbackMs: 8 * 86400_000,
          logBackupsLookbackMs: 7 * 86400_000,
          log: createLogger({ destination: new LogCapture() }),
        }),
    );
    const watched = () => replicas.map((p) => new Set(p.snapshot.instances.map((i) => i.instanceId)));
    await Promise.all(replicas.map((p) => p.tick()));
    const [a, b] = watched();
    assert.deepEqual(
      [...a!].filter((id) => b!.has(id)),
      [],
      'no overlap',
    );
    assert.equal(a!.size + b!.size, 63, 'every configured and discovered instance is watched by one replica');
    assert.ok(a!.size > 15 && b!.size > 15, `split ${a!.size} / ${b!.size}`);
    const configuredCalls = api.callsOf('describeBackupTasks').filter((c) => String(c.args[0]).startsWith('rm-configured')).length;
    assert.equal(configuredCalls, 3, 'a configured instance is polled by its own shard only');

    listed = [...listed.slice(20), ...Array.from({ length: 30 }, (_, i) => `rm-new${i}`)];
    await Promise.all(replicas.map((p) => p.tick()));
    await Promise.all(replicas.map((p) => p.tick()));
    const [a2, b2] = watched();
    for (const id of listed.slice(0, 40)) assert.equal(a2!.has(id), a!.has(id), `${id} stayed in its shard`);
    assert.equal(a2!.size + b2!.size, 73);
  });
});
