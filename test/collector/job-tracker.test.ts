import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { BackupTask } from '../../src/alicloud/normalize.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadState, saveState } from '../../src/collector/state-file.js';
import { createLogger } from '../../src/log.js';
import { LogCapture } from '../helpers.js';
import { completionKey, JobTracker, MAX_REMEMBERED, MIN_DEPARTED_MS, REMEMBER_COUNTED_MS } from '../../src/collector/job-tracker.js';

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

  it('records Unknown after repeated empty answers, once the job has been gone from the listing long enough', () => {
    const t = new JobTracker({ maxMisses: 3 });
    t.observe([task('1', 'Uploading')], 0);
    t.observe([], 1000);
    assert.equal(t.pending()[0]?.departedAt, 1000);
    assert.equal(t.resolve('1', undefined, 1000 + MIN_DEPARTED_MS), undefined);
    assert.equal(t.resolve('1', undefined, 2000 + MIN_DEPARTED_MS), undefined);
    assert.equal(t.resolve('1', undefined, 3000 + MIN_DEPARTED_MS), 'Unknown');
    assert.equal(completions(t, 'Unknown'), 1);
    assert.equal(failures(t), 0);
  });

  it('a burst of empty answers, however many, settles nothing before the minimum time since the job left the listing', () => {
    const t = new JobTracker({ maxMisses: 3 });
    t.observe([task('1', 'Uploading')], 0);
    t.observe([], 0);
    // one answer a second for 60 s, as under a fault that answers every call with nothing
    for (let at = 1000; at <= 60_000; at += 1000) assert.equal(t.resolve('1', undefined, at), undefined, `at ${at} ms`);
    assert.equal(t.pending().length, 1, 'still asked about');
    assert.equal(t.resolve('1', task('1', 'Failed'), 61_000), 'Failed', 'its real end, once the API answers');
    assert.equal(completions(t, 'Unknown'), 0);
    assert.equal(failures(t), 1);
  });

  it('the misses may all come early: the first miss past the minimum time settles it', () => {
    const t = new JobTracker({ maxMisses: 3, minDepartedMs: 10_000 });
    t.observe([task('1', 'Uploading')], 0);
    t.observe([], 0);
    for (const at of [1000, 2000, 3000, 9999]) assert.equal(t.resolve('1', undefined, at), undefined);
    assert.equal(t.resolve('1', undefined, 10_000), 'Unknown');
  });

  it('never counts again a job settled Unknown, whatever it reappears as (listed running, then Failed, listed or by id)', () => {
    const t = new JobTracker({ maxMisses: 1, minDepartedMs: 0 });
    t.observe([task('1', 'Uploading')], 0);
    t.observe([], 1);
    assert.equal(t.resolve('1', undefined, 2), 'Unknown');
    assert.deepEqual(t.observe([task('1', 'Uploading')], 3), []);
    assert.deepEqual(t.pending(), []);
    assert.equal(t.inFlight, 0, 'not followed again');
    assert.deepEqual(t.observe([task('1', 'Failed')], 4), []);
    t.observe([], 5);
    assert.equal(t.resolve('1', task('1', 'Failed'), 6), undefined);
    assert.equal(failures(t), 0);
    assert.equal(completions(t, 'Unknown'), 1);
    assert.equal(completions(t, 'Failed'), 0);
  });

  it('keeps when a job left the listing across a save; a file without it counts from the next look-up', () => {
    const t = new JobTracker({ maxMisses: 1 });
    t.observe([task('1', 'Uploading'), task('2', 'Uploading')], 0);
    t.observe([], 5000);
    const state = JSON.parse(JSON.stringify(t.toState())) as ReturnType<JobTracker['toState']>;
    assert.deepEqual(
      state.departed.map((j) => j.departedAt),
      [5000, 5000],
    );
    const copy = new JobTracker({ maxMisses: 1 });
    copy.restore(state);
    assert.equal(copy.resolve('1', undefined, 5000 + MIN_DEPARTED_MS), 'Unknown');
    const old = new JobTracker({ maxMisses: 1 });
    old.restore({ ...state, departed: state.departed.map(({ departedAt: _, ...job }) => job) });
    assert.equal(old.resolve('1', undefined, 5000 + MIN_DEPARTED_MS), undefined, 'departed at this look-up, as far as it knows');
    assert.equal(old.resolve('1', undefined, 5000 + 2 * MIN_DEPARTED_MS), 'Unknown');
  });

  it('keeps departedAt through the state file itself, whose schema would otherwise drop it', () => {
    const t = new JobTracker({ maxMisses: 1 });
    t.observe([task('1', 'Uploading')], 0);
    t.observe([], 5000);
    const path = join(mkdtempSync(join(tmpdir(), 'tracker-')), 'state.json');
    saveState(path, new Map([['a/cn-hangzhou/rm-1', { tracker: t.toState() }]]), 6000);
    const loaded = loadState(path, createLogger({ destination: new LogCapture() }), 7000).get('a/cn-hangzhou/rm-1');
    assert.equal(loaded?.tracker.departed[0]?.departedAt, 5000);
  });

  it('bounds the job modes of a restored file: counts under a value outside the documented set are added up under Other', () => {
    const junk = 'x'.repeat(2048);
    const t = new JobTracker();
    t.restore({
      active: [{ jobId: '1', jobMode: junk, firstSeen: 0, misses: 0 }],
      departed: [],
      counted: [],
      failures: [
        ['Automated', 2],
        [junk, 3],
        ['Unknown', 1],
      ],
      completions: [
        [completionKey('Manual', 'Finished'), 4],
        [completionKey(junk, 'Failed'), 3],
        [completionKey('Unknown', 'Failed'), 1],
        [`${junk}|${junk}`, 9],
      ],
    });
    const counts = t.counts();
    assert.deepEqual([...counts.failures.keys()].sort(), ['Automated', 'Manual', 'Other']);
    assert.equal(failures(t, 'Other'), 4);
    assert.equal(failures(t, 'Automated'), 2);
    assert.equal(completions(t, 'Failed', 'Other'), 4);
    assert.equal(completions(t, 'Finished', 'Manual'), 4);
    assert.ok(
      [...counts.completions.keys()].every((k) => /^(Automated|Manual|Other)\|(Finished|Failed|Unknown)$/.test(k)),
      [...counts.completions.keys()].join(),
    );
    t.observe([], 1);
    assert.equal(t.pending()[0]?.jobMode, 'Other');
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

  it('remembers a counted id 14 days by default, and keeps a normal fleet far below the count cap', () => {
    const t = new JobTracker();
    t.observe([task('1', 'Failed')], 0);
    t.observe([], REMEMBER_COUNTED_MS - 1);
    assert.equal(t.wasCounted('1'), true);
    t.observe([task('1', 'Failed')], REMEMBER_COUNTED_MS - 1);
    assert.equal(failures(t), 1);
    t.observe([], REMEMBER_COUNTED_MS);
    assert.equal(t.wasCounted('1'), false);
    // 24 jobs a day, an hourly backup: 336 ids in 14 days, far below the cap
    assert.ok(24 * 14 < MAX_REMEMBERED / 10, `the cap, ${MAX_REMEMBERED}, is far above a normal fleet's 14 days`);
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
