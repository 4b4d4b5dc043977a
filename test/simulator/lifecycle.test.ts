import RPCClient from '@alicloud/pop-core';
import assert from 'node:assert/strict';
import { createConnection } from 'node:net';
import {
  DEMO_EXPIRED_INSTANCE,
  DEMO_FAILED_INSTANCE,
  DEMO_NEW_INSTANCE,
  DEMO_REPLICA_INSTANCE,
  DEMO_STOPPED_INSTANCE,
  DEMO_AUTOPILOT,
  startDemoSimulator,
} from '../../simulator/demo.js';
import { DEMO_CREDENTIAL } from '../../simulator/server.js';
import { API_VERSION, startHarness, type PopClient } from './helpers.js';

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
        assert.ok(
          sets.every((set) => set.startTime <= sim.world.now() - 2 * 24 * 3_600_000),
          `${instance.id} took no backup in the last two days`,
        );
        assert.equal(sim.world.takesBackups(instance.id), false);
      }
      const fresh = sim.world.instance(DEMO_NEW_INSTANCE)!;
      assert.ok(sim.world.now() - fresh.createdAt < 11 * 60_000, 'created minutes ago');
      assert.deepEqual([sim.world.backupSets(fresh.id).length, sim.world.pastFirstWindow(fresh.id)], [0, false], 'no backup yet, first window ahead');
      // No size drop is staged: each instance's successful full backups stay within a few per cent of each other.
      for (const id of ids) {
        const sizes = sim.world
          .backupSets(id)
          .filter((set) => set.status === 'Success' && set.type === 'FullBackup')
          .sort((a, b) => a.endTime - b.endTime)
          .map((set) => set.sizeBytes);
        const ratios = sizes.slice(1).map((size, i) => size / sizes[i]!);
        assert.ok(
          ratios.every((r) => r > 0.95 && r < 1.05),
          `${id}: sizes ${sizes.join(', ')}`,
        );
      }
      const last = sim.world.backupSets(DEMO_FAILED_INSTANCE).sort((a, b) => b.endTime - a.endTime)[0];
      assert.equal(last?.status, 'Failed');
      assert.ok(
        ids.some((id) => sim.world.listedJobs(id).length > 0),
        'ids.some((id) => sim.world.listedJobs(id).length > 0)',
      );
    } finally {
      await sim.close();
    }
  });

  it('the demo left running (hundreds of tasks): backup storage stays within the free quota, sizes never drop', async () => {
    const sim = await startDemoSimulator({ seed: 3 });
    const client = new RPCClient({ endpoint: sim.url, apiVersion: API_VERSION, ...DEMO_CREDENTIAL }) as PopClient;
    try {
      sim.autopilot({ ...DEMO_AUTOPILOT, stepMs: 1, newJobEveryMs: 2 });
      await new Promise((resolve) => setTimeout(resolve, 800));
      sim.autopilot({ ...DEMO_AUTOPILOT, stepMs: 3_600_000, newJobEveryMs: 3_600_000 });
      // More tasks than retention days ran on each instance that backs up: its nightly history has all expired.
      for (const id of ['rm-demo-mysql-01', 'rm-demo-mysql-02', 'pgm-demo-pg-01', 'rm-demo-mssql-01']) {
        const sets = sim.world.backupSets(id);
        assert.ok(sets.length > 0 && sets.every((set) => set.endTime > sim.world.now() - 60_000), `${id}: ${sets.length} sets, all from the run`);
      }
      for (const instance of sim.world.instances()) {
        const sets = sim.world.backupSets(instance.id);
        assert.ok(sets.length <= instance.policy.retentionDays + 1, `${instance.id} keeps ${sets.length} sets, retention ${instance.policy.retentionDays}`);
        const usage = await client.request<Record<string, unknown>>('DescribeResourceUsage', { DBInstanceId: instance.id }, { method: 'POST' });
        assert.equal(usage.PaidBackupSize, 0, `${instance.id}: ${String(usage.BackupSize)} bytes of backups, beyond half of ${instance.storageBytes}`);
        const sizes = sets
          .filter((set) => set.status === 'Success' && set.type === 'FullBackup')
          .sort((a, b) => a.endTime - b.endTime)
          .map((set) => set.sizeBytes);
        assert.ok(
          sizes.slice(1).every((size, i) => size > 0.95 * sizes[i]!),
          `${instance.id}: sizes ${sizes.join(', ')}`,
        );
      }
    } finally {
      client.keepAliveAgent.destroy();
      await sim.close();
    }
  });
});
