import assert from 'node:assert/strict';
import { World } from '../../simulator/world.js';
import { rejection, startHarness, type Harness } from './helpers.js';

type Job = Record<string, unknown>;

describe('simulator DescribeBackupTasks', () => {
  let h: Harness;
  let world: World;

  beforeEach(async () => {
    world = new World({ seed: 7 });
    world.addInstance('rm-a');
    h = await startHarness({ world });
  });
  afterEach(() => h.close());

  async function listed(params: Record<string, string> = {}): Promise<Job[]> {
    const body = await h.call('DescribeBackupTasks', { DBInstanceId: 'rm-a', ...params });
    const items = body.Items as { BackupJob: Job[] };
    return items.BackupJob;
  }

  async function byId(jobId: string): Promise<Job[]> {
    return listed({ BackupJobId: jobId });
  }

  it('follows a job through its whole life: listed while running, then only by id', async () => {
    assert.deepEqual(await listed(), []);
    const job = world.addJob('rm-a');
    assert.equal(job.jobId, '4762614');

    const [fresh] = await listed();
    // pop-core's json-bigint gives objects a null prototype; compare as plain objects.
    assert.deepEqual(
      { ...fresh },
      {
        BackupJobId: '4762614',
        BackupId: job.backupId,
        BackupProgressStatus: 'NoStart',
        JobMode: 'Automated',
        Process: '0',
        TaskAction: 'NormalBackupTask',
      },
    );

    world.setJob('rm-a', job.jobId, { status: 'Uploading', progressStatus: 'Uploading', process: 40 });
    const [running] = await listed();
    assert.equal(running?.BackupStatus, 'Uploading');
    assert.equal(running?.Process, '40');
    assert.deepEqual(await byId(job.jobId), [running]);

    world.finishJob('rm-a', job.jobId, 'Finished');
    assert.deepEqual(await listed(), [], 'a finished job leaves the listing');
    const [finished] = await byId(job.jobId);
    assert.equal(finished?.BackupStatus, 'Finished');
    assert.equal(finished?.BackupProgressStatus, 'Finished');
    assert.equal(finished?.Process, '100');

    world.forgetJob('rm-a', job.jobId);
    assert.deepEqual(await byId(job.jobId), [], 'a forgotten job is unknown even by id');
  });

  it('a failed job is visible by id with BackupStatus Failed, and as a Failed backup set', async () => {
    const job = world.addJob('rm-a', { status: 'Uploading', process: 60 });
    world.finishJob('rm-a', job.jobId, 'Failed');
    assert.deepEqual(await listed(), []);
    const [failed] = await byId(job.jobId);
    assert.equal(failed?.BackupStatus, 'Failed');
    assert.equal(failed?.Process, '60');
    const backups = await h.call('DescribeBackups', { DBInstanceId: 'rm-a' });
    const [set] = (backups.Items as { Backup: Job[] }).Backup;
    assert.equal(set?.BackupId, job.backupId);
    assert.equal(set?.BackupStatus, 'Failed');
  });

  it('an unknown id answers an empty list', async () => {
    assert.deepEqual(await byId('123'), []);
  });

  it('filters the listing by BackupJobStatus and BackupMode', async () => {
    const waiting = world.addJob('rm-a', { mode: 'Manual' });
    const running = world.addJob('rm-a', { status: 'Preparing' });
    const ids = (jobs: Job[]): unknown[] => jobs.map((j) => j.BackupJobId);
    assert.deepEqual(ids(await listed()), [waiting.jobId, running.jobId]);
    assert.deepEqual(ids(await listed({ BackupJobStatus: 'NoStart' })), [waiting.jobId]);
    assert.deepEqual(ids(await listed({ BackupJobStatus: 'Progressing' })), [running.jobId]);
    assert.deepEqual(ids(await listed({ BackupMode: 'Manual' })), [waiting.jobId]);
    assert.equal((await listed({ BackupMode: 'Manual' }))[0]?.TaskAction, 'TempBackupTask');
  });

  it('requires DBInstanceId and answers InvalidDBInstanceId.NotFound for unknown and removed instances', async () => {
    assert.equal((await rejection(h.call('DescribeBackupTasks', {}))).code, 'MissingParameter');
    assert.equal((await rejection(h.call('DescribeBackupTasks', { DBInstanceId: 'rm-nope' }))).code, 'InvalidDBInstanceId.NotFound');
    world.removeInstance('rm-a');
    assert.equal((await rejection(h.call('DescribeBackupTasks', { DBInstanceId: 'rm-a' }))).code, 'InvalidDBInstanceId.NotFound');
    assert.equal(h.sim.requests.at(-1)?.httpStatus, 400);
    assert.equal(h.sim.requests.at(-1)?.instanceId, 'rm-a');
  });

  describe('quirks', () => {
    it('idsAsNumbers sends ids as JSON numbers; beyond 2^53 they arrive as BigNumbers with every digit', async () => {
      world.instance('rm-a')!.quirks.idsAsNumbers = true;
      world.addJob('rm-a', { jobId: '4762614' });
      world.addJob('rm-a', { jobId: '90071992547409931234' });
      const [small, big] = await listed();
      assert.equal(small?.BackupJobId, 4762614);
      assert.equal(typeof small?.BackupId, 'number');
      const bigId = big?.BackupJobId as { toFixed(): string };
      assert.equal(typeof bigId, 'object', 'json-bigint parses 20 digits into a BigNumber');
      assert.equal(bigId.toFixed(), '90071992547409931234');
      assert.notEqual(String(Number(bigId.toFixed())), '90071992547409931234', 'a Number would lose digits');
    });

    it('without idsAsNumbers a beyond-2^53 id stays an exact string', async () => {
      world.addJob('rm-a', { jobId: '90071992547409931234' });
      assert.equal((await listed())[0]?.BackupJobId, '90071992547409931234');
    });

    it('answers an empty result with an empty BackupJob list in Items', async () => {
      const body = await h.call('DescribeBackupTasks', { DBInstanceId: 'rm-a' });
      assert.deepEqual({ ...(body.Items as object) }, { BackupJob: [] });
    });

    it('omitBackupStatus drops BackupStatus on running jobs but not on ended ones', async () => {
      world.instance('rm-a')!.quirks.omitBackupStatus = true;
      const job = world.addJob('rm-a', { status: 'Uploading', process: 50 });
      const [running] = await listed();
      assert.equal(running !== undefined && 'BackupStatus' in running, false);
      assert.equal(running?.BackupProgressStatus, 'Uploading');
      world.finishJob('rm-a', job.jobId, 'Finished');
      assert.equal((await byId(job.jobId))[0]?.BackupStatus, 'Finished');
    });

    it('singleObject sends a bare object for exactly one job, an array otherwise', async () => {
      world.instance('rm-a')!.quirks.singleObject = true;
      const job = world.addJob('rm-a');
      const one = await h.call('DescribeBackupTasks', { DBInstanceId: 'rm-a' });
      const single = (one.Items as { BackupJob: Job }).BackupJob;
      assert.equal(Array.isArray(single), false);
      assert.equal(single.BackupJobId, job.jobId);
      world.addJob('rm-a');
      assert.equal((await listed()).length, 2);
    });
  });
});
