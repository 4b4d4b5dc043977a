// DescribeDBInstances through the real client, against the simulator: configured ids asked 30 a
// call and discovery 100 a page, the batches and the pages after the first asked at once (as many
// in flight as the region's concurrency allows), and every instance returned once.
import assert from 'node:assert/strict';
import { ApiError } from '../../src/alicloud/errors.js';
import type { RdsClient } from '../../src/alicloud/rds-client.js';
import { Semaphore } from '../../src/concurrency/semaphore.js';
import type { Priority } from '../../src/concurrency/wait-queue.js';
import { startSimulator, type Simulator } from '../../simulator/server.js';
import { testClient } from '../helpers.js';

/** A semaphore that remembers the most holders it had at once. */
class PeakSemaphore extends Semaphore {
  peak = 0;
  override async acquire(signal?: AbortSignal, priority?: Priority, owner?: string): Promise<() => void> {
    const release = await super.acquire(signal, priority, owner);
    this.peak = Math.max(this.peak, this.inUse);
    return release;
  }
}

describe('RdsClient.describeDBInstances', function () {
  this.timeout(20_000);
  let sim: Simulator;
  let client: RdsClient;
  let semaphore: PeakSemaphore;
  const ids = Array.from({ length: 250 }, (_, i) => `rm-inv${String(i).padStart(4, '0')}`);

  beforeEach(async () => {
    // Each answer waits, so that calls asked one after another never overlap.
    sim = await startSimulator({ latencyMs: 40 });
    for (const id of ids) sim.world.addInstance(id);
    sim.world.addInstance('rm-elsewhere', { regionId: 'cn-shanghai' });
    semaphore = new PeakSemaphore(4);
    client = testClient(sim.url, { semaphore });
  });
  afterEach(async () => {
    client.close();
    await sim.close();
  });

  const listed = () => sim.requests.filter((r) => r.action === 'DescribeDBInstances');

  it('asks configured ids 30 a call, the calls at once up to the concurrency limit', async () => {
    const wanted = [...ids.slice(0, 95), 'rm-nosuch'];
    const found = await client.describeDBInstances('cn-hangzhou', wanted);
    assert.deepEqual(found.map((i) => i.id).sort(), ids.slice(0, 95));
    const batches = listed().map((r) => r.params.DBInstanceId!.split(','));
    assert.deepEqual(
      batches.map((b) => b.length).sort((a, b) => b - a),
      [30, 30, 30, 6],
    );
    assert.deepEqual(batches.flat().sort(), [...wanted].sort(), 'each id asked once');
    assert.equal(semaphore.peak, 4, 'four batches in flight at once');
  });

  it('lists a region 100 a page, the pages after the first at once', async () => {
    const found = await client.describeDBInstances('cn-hangzhou');
    assert.deepEqual(found.map((i) => i.id).sort(), ids);
    assert.deepEqual(
      listed()
        .map((r) => [r.params.PageSize, r.params.PageNumber])
        .sort(),
      [
        ['100', '1'],
        ['100', '2'],
        ['100', '3'],
      ],
    );
    assert.equal(semaphore.peak, 2, 'pages 2 and 3 in flight together, after page 1');
    assert.deepEqual([...new Set(listed().map((r) => r.params.InstanceLevel))], ['1'], 'InstanceLevel 1, for Category');
  });

  it('goes on page by page when the listing grows while it is read', async () => {
    let grown = false;
    const world = sim.world;
    // Page 1 says 250; by the time pages 2 and 3 answer there are 420.
    const listing = world.instances.bind(world);
    world.instances = () => {
      const now = listing();
      if (!grown && listed().length >= 1) {
        grown = true;
        for (let i = 0; i < 170; i++) world.addInstance(`rm-late${String(i).padStart(4, '0')}`);
        return listing();
      }
      return now;
    };
    const found = await client.describeDBInstances('cn-hangzhou');
    assert.equal(new Set(found.map((i) => i.id)).size, 420);
    assert.deepEqual(
      listed()
        .map((r) => r.params.PageNumber)
        .sort(),
      ['1', '2', '3', '4', '5'],
    );
  });

  it('stops at its first failure, with the ApiError', async () => {
    sim.inject({ kind: 'Forbidden.RAM', action: 'DescribeDBInstances', times: Infinity });
    const forbidden = (err: unknown) => err instanceof ApiError && err.code === 'Forbidden.RAM';
    await assert.rejects(client.describeDBInstances('cn-hangzhou', ids), forbidden);
    await assert.rejects(client.describeDBInstances('cn-hangzhou'), forbidden);
  });
});
