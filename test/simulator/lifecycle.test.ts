import assert from 'node:assert/strict';
import { createConnection } from 'node:net';
import { DEMO_FAILED_INSTANCE, startDemoSimulator } from '../../src/simulator/demo.js';
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
      for (const id of ids) {
        assert.ok(sim.world.backupSets(id).length >= 3, `${id} has history`);
      }
      const last = sim.world.backupSets(DEMO_FAILED_INSTANCE).sort((a, b) => b.endTime - a.endTime)[0];
      assert.equal(last?.status, 'Failed');
      assert.ok(ids.some((id) => sim.world.listedJobs(id).length > 0), 'ids.some((id) => sim.world.listedJobs(id).length > 0)');
    } finally {
      await sim.close();
    }
  });
});
