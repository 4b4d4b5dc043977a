// The API cannot grow series: a random 2 KB JobMode, TaskAction or BackupType in every answer
// makes one `Other` series, not one series per answer, in /metrics and in the state file (issue 20:
// 544 failures_total series in 91 s, 2.3 MB of /metrics, 2.2 MB of state file, never pruned).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SimBackupSet, SimJob } from '../../simulator/world.js';
import { type Rig, series, startRig } from '../helpers.js';

const A = { instance_id: 'rm-test-01' };
const ROUNDS = 20;

/** 2 KB of printable characters, different each time. */
function junk(seed: number): string {
  return Array.from({ length: 2048 }, (_, i) => String.fromCharCode(33 + ((seed * 7919 + i * 104_729) % 90))).join('');
}

describe('label values from the API are bounded', function () {
  this.timeout(60_000);
  let rig: Rig | undefined;
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'label-bounds-'));
  });
  afterEach(async () => {
    await rig?.close();
    rig = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('a random 2 KB JobMode, TaskAction and BackupType in every answer yield only documented or Other series', async () => {
    const stateFile = join(dir, 'state.json');
    rig = await startRig({ stateFile });
    for (let round = 0; round < ROUNDS; round++) {
      const job = rig.sim.world.addJob('rm-test-01', {
        status: 'Uploading',
        process: 10,
        mode: junk(round) as SimJob['mode'],
        taskAction: junk(round + 1000) as SimJob['taskAction'],
      });
      rig.sim.world.addBackupSet('rm-test-01', { endTime: rig.now() - 60_000, type: junk(round + 2000) as SimBackupSet['type'] });
      await rig.cycle();
      rig.sim.world.finishJob('rm-test-01', job.jobId, 'Failed');
      rig.advance(5000);
      await rig.cycle();
      rig.advance(5000);
    }
    await rig.cycle();
    const text = await rig.scrape();
    const values = (metric: string, label: string) => new Set(series(text, `alicloud_rds_backup_${metric}`, A).map((s) => s.labels[label]));
    assert.deepEqual([...values('task_failures_total', 'job_mode')].sort(), ['Automated', 'Manual', 'Other']);
    assert.equal(series(text, 'alicloud_rds_backup_task_failures_total', { ...A, job_mode: 'Other' })[0]?.value, ROUNDS, 'every failure counted, under Other');
    assert.deepEqual([...values('task_completions_total', 'job_mode')].sort(), ['Automated', 'Manual', 'Other']);
    const types = [...values('sets_total', 'backup_type'), ...values('last_success_timestamp_seconds', 'backup_type')];
    assert.ok(types.includes('Other'), `the sets were read: ${types.join(', ')}`);
    assert.deepEqual(
      types.filter((t) => !['FullBackup', 'IncrementalBackup', 'DatabaseBackup', 'Other'].includes(t ?? '')),
      [],
      'backup_type documented or Other',
    );
    assert.ok(!text.includes(junk(0).slice(0, 64)), 'no API value of 2 KB in /metrics');
    assert.ok(text.length < 64 * 1024, `/metrics is ${text.length} bytes`);

    await rig.close();
    rig = undefined;
    const saved = readFileSync(stateFile, 'utf8');
    assert.ok(!saved.includes(junk(0).slice(0, 64)), 'no API value of 2 KB in the state file');
    assert.ok(saved.length < 16 * 1024, `the state file is ${saved.length} bytes`);
  });
});
