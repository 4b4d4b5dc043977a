import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { BackupTask } from '../../src/alicloud/normalize.js';
import { completionKey, JobTracker } from '../../src/collector/job-tracker.js';

const task = (jobId: string, status: string, jobMode = 'Automated'): BackupTask => ({ jobId, status, jobMode, taskAction: 'NormalBackupTask' });

function failures(tracker: JobTracker, mode = 'Automated') {
  return tracker.counts().failures.get(mode);
}
function completions(tracker: JobTracker, state: 'Finished' | 'Failed' | 'Unknown', mode = 'Automated') {
  return tracker.counts().completions.get(completionKey(mode, state));
}

describe('JobTracker', () => {
  it('starts with Automated and Manual at zero', () => {
    const t = new JobTracker();
    assert.equal(failures(t, 'Automated'), 0);
    assert.equal(failures(t, 'Manual'), 0);
    for (const s of ['Finished', 'Failed', 'Unknown'] as const) assert.equal(completions(t, s, 'Manual'), 0);
  });

  it('asks about a job that left the listing, and counts its failure once', () => {
    const t = new JobTracker();
    t.observe([task('1', 'Uploading')]);
    assert.deepEqual(t.pending(), []);
    t.observe([]);
    assert.deepEqual(
      t.pending().map((j) => j.jobId),
      ['1'],
    );
    assert.equal(t.resolve('1', task('1', 'Failed')), 'Failed');
    assert.equal(failures(t), 1);
    assert.equal(completions(t, 'Failed'), 1);
    assert.deepEqual(t.pending(), []);
    // A late or repeated answer changes nothing.
    assert.equal(t.resolve('1', task('1', 'Failed')), undefined);
    t.observe([task('1', 'Failed')]);
    assert.equal(failures(t), 1);
  });

  it('counts a job listed as Failed at once, and never again', () => {
    const t = new JobTracker();
    const ended = t.observe([task('7', 'Failed', 'Manual')]);
    assert.deepEqual(ended, [{ jobId: '7', jobMode: 'Manual', state: 'Failed' }]);
    t.observe([task('7', 'Failed', 'Manual')]);
    t.observe([]);
    assert.deepEqual(t.pending(), []);
    assert.equal(failures(t, 'Manual'), 1);
    assert.equal(completions(t, 'Failed', 'Manual'), 1);
  });

  it('keeps a departed job pending while the API still reports it running', () => {
    const t = new JobTracker();
    t.observe([task('1', 'Uploading')]);
    t.observe([]);
    assert.equal(t.resolve('1', task('1', 'Checking')), undefined);
    assert.equal(t.pending().length, 1);
    assert.equal(t.resolve('1', task('1', 'Finished')), 'Finished');
    assert.equal(completions(t, 'Finished'), 1);
    assert.equal(failures(t), 0);
  });

  it('records Unknown after repeated empty answers', () => {
    const t = new JobTracker({ maxMisses: 3 });
    t.observe([task('1', 'Uploading')]);
    t.observe([]);
    assert.equal(t.resolve('1', undefined), undefined);
    assert.equal(t.resolve('1', undefined), undefined);
    assert.equal(t.resolve('1', undefined), 'Unknown');
    assert.equal(completions(t, 'Unknown'), 1);
    assert.equal(failures(t), 0);
  });

  it('takes back a departed job that is listed again', () => {
    const t = new JobTracker();
    t.observe([task('1', 'Uploading')]);
    t.observe([]);
    t.observe([task('1', 'Uploading')]);
    assert.deepEqual(t.pending(), []);
  });

  it('abandons a job whose instance is gone as Unknown', () => {
    const t = new JobTracker();
    t.observe([task('1', 'Uploading', 'Manual')]);
    t.observe([]);
    t.abandon('1');
    assert.equal(completions(t, 'Unknown', 'Manual'), 1);
    assert.deepEqual(t.pending(), []);
  });

  it('forgets counted ids after the memory window, and bounds how many it keeps', () => {
    const t = new JobTracker({ rememberCountedMs: 1000, maxRemembered: 2 });
    t.observe([task('1', 'Failed'), task('2', 'Failed'), task('3', 'Failed')], 0);
    assert.equal(t.wasCounted('1'), false, 'oldest dropped past maxRemembered');
    assert.equal(t.wasCounted('3'), true);
    t.observe([], 5000);
    assert.equal(t.wasCounted('3'), false, 'dropped past the window');
  });

  it('remembers when a job was last learned to have failed, listed or by id, and keeps it across a save', () => {
    const t = new JobTracker();
    assert.equal(t.counts().lastFailureMs, undefined);
    t.observe([task('1', 'Uploading'), task('2', 'Uploading')], 1000);
    t.observe([task('2', 'Uploading')], 2000);
    assert.equal(t.resolve('1', task('1', 'Finished'), 2500), 'Finished');
    assert.equal(t.counts().lastFailureMs, undefined, 'a finished job is no failure');
    t.observe([task('2', 'Failed')], 3000);
    assert.equal(t.counts().lastFailureMs, 3000);
    t.observe([task('3', 'Uploading')], 4000);
    t.observe([], 5000);
    assert.equal(t.resolve('3', task('3', 'Failed'), 6000), 'Failed');
    assert.equal(t.counts().lastFailureMs, 6000, 'learned by id');
    const copy = new JobTracker();
    copy.restore(JSON.parse(JSON.stringify(t.toState())));
    assert.equal(copy.counts().lastFailureMs, 6000);
  });

  it('counts each job that ends Failed exactly once, whatever the order of listings and answers (property)', () => {
    // A job's life: listed for some polls, then it ends (Finished/Failed) and is either still listed
    // with that status for a while, or gone; by-id answers may be delayed.
    const jobArb = fc.record({
      polls: fc.integer({ min: 1, max: 4 }),
      end: fc.constantFrom('Finished', 'Failed'),
      listedAfterEnd: fc.integer({ min: 0, max: 2 }),
      start: fc.integer({ min: 0, max: 5 }),
    });
    fc.assert(
      fc.property(fc.array(jobArb, { minLength: 1, maxLength: 8 }), (jobs) => {
        const t = new JobTracker();
        const horizon = 20;
        for (let poll = 0; poll < horizon; poll++) {
          const listing: BackupTask[] = [];
          jobs.forEach((j, i) => {
            const age = poll - j.start;
            if (age >= 0 && age < j.polls) listing.push(task(String(i), 'Uploading'));
            else if (age >= j.polls && age < j.polls + j.listedAfterEnd) listing.push(task(String(i), j.end));
          });
          t.observe(listing, poll);
          for (const p of t.pending()) {
            const j = jobs[Number(p.jobId)]!;
            t.resolve(p.jobId, task(p.jobId, poll - j.start >= j.polls ? j.end : 'Uploading'), poll);
          }
        }
        const expectedFailures = jobs.filter((j) => j.end === 'Failed').length;
        assert.equal(failures(t), expectedFailures);
        assert.equal((completions(t, 'Failed') ?? 0) + (completions(t, 'Finished') ?? 0), jobs.length);
        assert.equal(completions(t, 'Unknown'), 0);
      }),
      { numRuns: 300 },
    );
  });
});
