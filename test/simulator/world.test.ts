import assert from 'node:assert/strict';
import { World, type BackupStatus, type SimJob } from '../../simulator/world.js';

/** Steps until the job ends, recording (status, progressStatus, process) after each step. */
function runToEnd(world: World, job: SimJob, maxSteps = 30): Array<[BackupStatus | undefined, string, number]> {
  const trace: Array<[BackupStatus | undefined, string, number]> = [];
  for (let i = 0; i < maxSteps && job.outcome === undefined; i++) {
    world.step();
    trace.push([job.status, job.progressStatus, job.process]);
  }
  return trace;
}

describe('simulator World', () => {
  it('addInstance fills realistic defaults', () => {
    const world = new World();
    const instance = world.addInstance('rm-x');
    assert.equal(instance.regionId, 'cn-hangzhou');
    assert.equal(instance.engine, 'MySQL');
    assert.equal(instance.instanceType, 'Primary');
    assert.equal(instance.status, 'Running');
    assert.equal(instance.policy.preferredBackupPeriod, 'Monday,Tuesday,Wednesday,Thursday,Friday,Saturday,Sunday');
    assert.equal(instance.policy.retentionDays, 7);
    assert.throws(() => world.addInstance('rm-x'), /already exists/);
  });

  it('job ids increase from 4762614 and a new job has not reported a status yet', () => {
    const world = new World();
    world.addInstance('rm-x');
    const a = world.addJob('rm-x');
    const b = world.addJob('rm-x');
    assert.deepEqual([a.jobId, b.jobId], ['4762614', '4762615']);
    assert.equal(a.status, undefined);
    assert.equal(a.progressStatus, 'NoStart');
    assert.notEqual(a.backupId, b.backupId);
    assert.throws(() => world.addJob('rm-x', { jobId: '4762614' }), /already exists/);
    assert.throws(() => world.addJob('rm-nope'), /no instance/);
  });

  it('step() moves a job through the realistic phases, rising 20-35 % per upload step, then it leaves the listing', () => {
    const world = new World({ seed: 11 });
    world.addInstance('rm-x');
    const job = world.addJob('rm-x');
    const trace = runToEnd(world, job);
    const phases = trace.map(([status]) => status).filter((s, i, all) => s !== all[i - 1]);
    assert.equal(phases[0], 'Preparing');
    assert.deepEqual(phases.slice(-3), ['Uploading', 'Checking', 'Finished']);
    assert.ok(
      phases.every((p) => ['Preparing', 'Waiting', 'Uploading', 'Checking', 'Finished'].includes(p ?? '')),
      `unexpected phase in ${phases.join(', ')}`,
    );
    const uploads = trace.filter(([status]) => status === 'Uploading').map(([, , process]) => process);
    uploads.forEach((p, i) => {
      const delta = p - (uploads[i - 1] ?? 0);
      assert.ok(delta >= 20 && delta <= 35, `upload step ${i}: +${delta}`);
    });
    for (const [status, progress] of trace) {
      assert.equal(progress, status === 'Failed' ? 'Finished' : status);
    }
    assert.equal(job.process, 100);
    assert.deepEqual(world.listedJobs('rm-x'), []);
    const [set] = world.backupSets('rm-x');
    assert.equal(set?.status, 'Success');
    assert.equal(set?.backupId, job.backupId);
  });

  it('failNext() makes the next finishing job on that instance fail, once', () => {
    const world = new World({ seed: 5 });
    world.addInstance('rm-x');
    world.addInstance('rm-y');
    world.failNext('rm-x');
    const other = world.addJob('rm-y');
    const doomed = world.addJob('rm-x');
    runToEnd(world, doomed);
    runToEnd(world, other);
    assert.equal(doomed.outcome, 'Failed');
    assert.equal(doomed.status, 'Failed');
    assert.equal(other.outcome, 'Finished');
    const next = world.addJob('rm-x');
    runToEnd(world, next);
    assert.equal(next.outcome, 'Finished');
    assert.deepEqual(
      world.backupSets('rm-x').map((s) => s.status),
      ['Failed', 'Success'],
    );
  });

  it('failureRate fails about that share of jobs, reproducibly for a seed', () => {
    const outcomes = (seed: number): string[] => {
      const world = new World({ seed, failureRate: 0.3 });
      world.addInstance('rm-x');
      const result: string[] = [];
      for (let i = 0; i < 200; i++) {
        const job = world.addJob('rm-x');
        runToEnd(world, job);
        result.push(job.outcome ?? 'running');
      }
      return result;
    };
    const first = outcomes(42);
    assert.deepEqual(outcomes(42), first);
    assert.notDeepEqual(outcomes(43), first);
    const failed = first.filter((o) => o === 'Failed').length;
    assert.ok(failed > 40 && failed < 80, `${failed} of 200 failed`);
  });

  it('finishJob records a backup set ending now and refuses to end a job twice', () => {
    let clock = 1_700_000_000_000;
    const world = new World({ now: () => clock });
    world.addInstance('rm-x', { engine: 'PostgreSQL', engineVersion: '15.0' });
    const job = world.addJob('rm-x', { mode: 'Manual', sizeBytes: 123 });
    clock += 60_000;
    world.finishJob('rm-x', job.jobId, 'Finished');
    assert.deepEqual(world.backupSets('rm-x'), [
      {
        backupId: job.backupId,
        instanceId: 'rm-x',
        status: 'Success',
        startTime: clock - 60_000,
        endTime: clock,
        sizeBytes: 123,
        mode: 'Manual',
        method: 'Physical',
        type: 'FullBackup',
        initiator: 'User',
        engine: 'PostgreSQL',
        engineVersion: '15.0',
      },
    ]);
    assert.equal(world.job('rm-x', job.jobId)?.endedAt, clock);
    assert.throws(() => world.finishJob('rm-x', job.jobId, 'Failed'), /already ended/);
  });

  it('backup sizes follow a slowly growing trend with small noise: no full backup is ever half the one before', () => {
    const DAY = 24 * 3_600_000;
    let clock = 1_700_000_000_000;
    const world = new World({ now: () => clock });
    const ids = Array.from({ length: 40 }, (_, i) => `rm-${i}`);
    for (const id of ids) world.addInstance(id);
    for (let day = 0; day < 90; day++, clock += DAY) {
      for (const id of ids) world.addBackupSet(id, { startTime: clock, endTime: clock + 20 * 60_000 });
    }
    const ratios = ids.flatMap((id) => world.backupSets(id).map((set, i, all) => (i === 0 ? 1 : set.sizeBytes / all[i - 1]!.sizeBytes)));
    assert.ok(Math.min(...ratios) > 0.97 && Math.max(...ratios) < 1.03, `day-to-day ratios ${Math.min(...ratios)}..${Math.max(...ratios)}`);
    for (const id of ids) {
      const sets = world.backupSets(id);
      const grown = sets.at(-1)!.sizeBytes / sets[0]!.sizeBytes;
      assert.ok(grown > 1.1 && grown < 1.25, `${id} grew ${grown}x in 90 days (0.2 % a day)`);
    }
    const firsts = ids.map((id) => world.backupSets(id)[0]!.sizeBytes);
    assert.ok(Math.min(...firsts) >= 0.98 * 1024 ** 3 && Math.max(...firsts) <= 10.2 * 1024 ** 3, 'between 1 and 10 GiB');
    assert.ok(new Set(firsts).size > 30, 'instances differ in size');
  });

  it('an incremental backup is a few per cent of the full one; a failed set is empty; jobs take the trend; sizes can be set', () => {
    const clock = 1_700_000_000_000;
    const world = new World({ now: () => clock });
    world.addInstance('rm-x', { sizes: { fullBytes: 10 * 1024 ** 3, growthPerDay: 0, noise: 0 } });
    const full = world.addBackupSet('rm-x', { endTime: clock });
    const incremental = world.addBackupSet('rm-x', { endTime: clock, type: 'IncrementalBackup' });
    assert.equal(full.sizeBytes, 10 * 1024 ** 3);
    assert.ok(incremental.sizeBytes >= 0.03 * full.sizeBytes && incremental.sizeBytes <= 0.07 * full.sizeBytes, `incremental ${incremental.sizeBytes}`);
    assert.equal(world.addBackupSet('rm-x', { endTime: clock, status: 'Failed' }).sizeBytes, 0);
    assert.equal(world.addBackupSet('rm-x', { endTime: clock, sizeBytes: 5 }).sizeBytes, 5);
    assert.equal(world.addJob('rm-x').sizeBytes, 10 * 1024 ** 3);
    assert.equal(world.backupSize('rm-x', 'FullBackup', clock + 365 * 24 * 3_600_000), 10 * 1024 ** 3, 'no growth configured');
  });

  it('removeInstance drops the instance with its jobs and sets', () => {
    const world = new World();
    world.addInstance('rm-x');
    world.addJob('rm-x');
    world.addBackupSet('rm-x', { endTime: world.now() });
    world.removeInstance('rm-x');
    assert.equal(world.instance('rm-x'), undefined);
    assert.deepEqual(world.instances(), []);
    assert.deepEqual(world.listedJobs('rm-x'), []);
    assert.deepEqual(world.backupSets('rm-x'), []);
  });
});
