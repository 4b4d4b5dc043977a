import assert from 'node:assert/strict';
import { createConnection } from 'node:net';
import {
  DEMO_EXPIRED_INSTANCE,
  DEMO_FAILED_INSTANCE,
  DEMO_NEW_INSTANCE,
  DEMO_REPLICA_INSTANCE,
  DEMO_STOPPED_INSTANCE,
  startDemoSimulator,
} from '../../simulator/demo.js';
import { startHarness } from './helpers.js';

describe('simulator lifecycle and demo', () => {
  it('close() closes idle keep-alive sockets and the port, and can be called twice', async () => {
    const h = await startHarness();
    await h.call('DescribeRegions');
    const { port } = h.sim;
    await h.sim.close();
    await h.close();
    const refused = await new Promise<string>((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port });
      socket.on('connect', () => {
        socket.destroy();
        resolve('connected');
      });
      socket.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
    });
    assert.equal(refused, 'ECONNREFUSED');
  });

  it('autopilot starts jobs and carries them to the end; close() stops its timers', async () => {
    const h = await startHarness({ seed: 9 });
    h.sim.world.addInstance('rm-a');
    h.sim.world.addInstance('rm-b');
    h.sim.autopilot({ stepMs: 5, newJobEveryMs: 10, failureRate: 0.5 });
    await new Promise((resolve) => setTimeout(resolve, 400));
    const sets = [...h.sim.world.backupSets('rm-a'), ...h.sim.world.backupSets('rm-b')];
    assert.ok(sets.length >= 2, `${sets.length} backups finished`);
    await h.close();
    const after = h.sim.world.backupSets('rm-a').length;
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(h.sim.world.backupSets('rm-a').length, after, 'no steps after close()');
  });

  it('startDemoSimulator serves the demo estate with history, a running job and a failed last backup', async () => {
    const sim = await startDemoSimulator({ seed: 1 });
    try {
      const ids = sim.world.instances().map((i) => i.id);
      assert.ok(ids.length >= 4, 'ids.length >= 4');
      assert.ok(new Set(sim.world.instances().map((i) => i.regionId)).size >= 2, 'new Set(sim.world.instances().map((i) => i.regionId)).size >= 2');
      assert.ok(new Set(sim.world.instances().map((i) => i.engine)).size >= 2, 'new Set(sim.world.instances().map((i) => i.engine)).size >= 2');
      const quiet = [DEMO_REPLICA_INSTANCE, DEMO_STOPPED_INSTANCE, DEMO_EXPIRED_INSTANCE, DEMO_NEW_INSTANCE];
      for (const id of ids.filter((id) => !quiet.includes(id))) {
        assert.ok(sim.world.backupSets(id).length >= 3, `${id} has history`);
        assert.equal(sim.world.takesBackups(id), true, `${id} backs up`);
      }
      // The instances that take no backups now, each for its own reason.
      const replica = sim.world.instance(DEMO_REPLICA_INSTANCE)!;
      assert.deepEqual([replica.instanceType, replica.masterInstanceId, sim.world.backupSets(replica.id).length], ['Readonly', 'rm-demo-mysql-01', 0]);
      const stopped = sim.world.instance(DEMO_STOPPED_INSTANCE)!;
      assert.equal(stopped.status, 'Stopped');
      const expired = sim.world.instance(DEMO_EXPIRED_INSTANCE)!;
      assert.equal(expired.lockMode, 'LockByExpiration');
      for (const instance of [stopped, expired]) {
        const sets = sim.world.backupSets(instance.id);
        assert.ok(sets.length >= 1, `${instance.id} has history from before`);
        assert.ok(sets.every((set) => set.startTime <= sim.world.now() - 2 * 24 * 3_600_000), `${instance.id} took no backup in the last two days`);
        assert.equal(sim.world.takesBackups(instance.id), false);
      }
      const fresh = sim.world.instance(DEMO_NEW_INSTANCE)!;
      assert.ok(sim.world.now() - fresh.createdAt < 11 * 60_000, 'created minutes ago');
      assert.deepEqual([sim.world.backupSets(fresh.id).length, sim.world.pastFirstWindow(fresh.id)], [0, false], 'no backup yet, first window ahead');
      const last = sim.world.backupSets(DEMO_FAILED_INSTANCE).sort((a, b) => b.endTime - a.endTime)[0];
      assert.equal(last?.status, 'Failed');
      assert.ok(ids.some((id) => sim.world.listedJobs(id).length > 0), 'ids.some((id) => sim.world.listedJobs(id).length > 0)');
    } finally {
      await sim.close();
    }
  });
});
