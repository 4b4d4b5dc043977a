import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createRequire } from 'node:module';
import { idToString, isTerminal, MalformedResponseError, normalizeBackupTaskLookup, normalizeBackupTasks } from '../../src/alicloud/normalize.js';

// The parser pop-core uses for every response body.
const JSONbig = createRequire(import.meta.url)('json-bigint') as { parse(text: string): unknown };

describe('normalizeBackupTasks', () => {
  it('reads the documented example', () => {
    const body = JSONbig.parse(
      '{"RequestId":"9049","Items":{"BackupJob":[{"BackupJobId":"4762614","BackupId":"346650271","BackupProgressStatus":"Uploading","BackupStatus":"Uploading","JobMode":"Automated","Process":"25","TaskAction":"NormalBackupTask"}]}}',
    );
    assert.deepEqual(normalizeBackupTasks(body), [
      { jobId: '4762614', backupId: '346650271', status: 'Uploading', jobMode: 'Automated', taskAction: 'NormalBackupTask', progressRatio: 0.25 },
    ]);
  });

  it('accepts ids as numbers, a lone object for the list, and no BackupStatus', () => {
    const body = JSONbig.parse(
      '{"Items":{"BackupJob":{"BackupJobId":4762614,"BackupProgressStatus":"Preparing","JobMode":"Manual","Process":"0","TaskAction":"TempBackupTask"}}}',
    );
    const [task] = normalizeBackupTasks(body);
    assert.equal(task?.jobId, '4762614');
    assert.equal(task?.status, 'Preparing');
    assert.equal(task?.progressRatio, 0);
  });

  it('counts a task with neither status as NoStart, with no JobMode as Other', () => {
    const [task] = normalizeBackupTasks({ Items: { BackupJob: [{ BackupJobId: '1' }] } });
    assert.equal(task?.status, 'NoStart');
    assert.equal(task?.jobMode, 'Other');
    assert.equal(task?.taskAction, 'Other');
    assert.equal(task?.progressRatio, undefined);
  });

  it('reads the empty listing, {"Items":{"BackupJob":[]}}, as no tasks', () => {
    assert.deepEqual(normalizeBackupTasks({ RequestId: 'x', Items: { BackupJob: [] } }), []);
  });

  it('rejects a body without Items or BackupJob as malformed: an answer that says nothing is never "no tasks"', () => {
    for (const body of [{}, { RequestId: 'x' }, { Items: {} }, { Items: null }, { Items: { BackupJob: null } }, { Items: { Backup: [] } }]) {
      assert.throws(() => normalizeBackupTasks(body), MalformedResponseError, JSON.stringify(body));
    }
  });

  it('rejects bodies of the wrong shape as malformed', () => {
    for (const body of [
      'text',
      null,
      [],
      { Items: 'x' },
      { Items: '' },
      { Items: [] },
      { Items: { BackupJob: 'x' } },
      { Items: { BackupJob: 42 } },
      { Items: { BackupJob: [42] } },
      { Items: { BackupJob: { foo: 1 } } },
      { Items: { BackupJob: [{ Process: '5' }] } },
    ]) {
      assert.throws(() => normalizeBackupTasks(body), MalformedResponseError, JSON.stringify(body));
    }
  });

  it('rejects a BackupJobId that is not a decimal integer: "4762614.0" or "04762614" would be another job', () => {
    for (const BackupJobId of ['4762614.0', '04762614', 4762614.5, '4.762614e6', '-1', 'abc', 'x'.repeat(2048), true, ['4762614']]) {
      assert.throws(
        () => normalizeBackupTasks({ Items: { BackupJob: [{ BackupJobId, BackupStatus: 'Uploading' }] } }),
        MalformedResponseError,
        String(BackupJobId),
      );
    }
  });

  it('bounds every label value to the documented set or Other, a random 2 KB value included', () => {
    const junk = Array.from({ length: 2048 }, (_, i) => String.fromCharCode(33 + ((i * 7919) % 90))).join('');
    const [task] = normalizeBackupTasks({ Items: { BackupJob: [{ BackupJobId: '1', BackupStatus: junk, JobMode: junk, TaskAction: junk }] } });
    assert.deepEqual([task?.status, task?.jobMode, task?.taskAction], ['Other', 'Other', 'Other']);
    const [known] = normalizeBackupTasks({
      Items: { BackupJob: [{ BackupJobId: '2', BackupStatus: 'Failed', JobMode: 'Manual', TaskAction: 'TempBackupTask' }] },
    });
    assert.deepEqual([known?.status, known?.jobMode, known?.taskAction], ['Failed', 'Manual', 'TempBackupTask']);
  });

  it('clamps progress to 0..1', () => {
    const tasks = normalizeBackupTasks({
      Items: {
        BackupJob: [
          { BackupJobId: '1', Process: '140' },
          { BackupJobId: '2', Process: '-3' },
          { BackupJobId: '3', Process: 'abc' },
        ],
      },
    });
    assert.deepEqual(
      tasks.map((t) => t.progressRatio),
      [1, 0, undefined],
    );
  });

  it('a look-up by BackupJobId answered with another job is malformed, not "no such job"; with that job or none, read', () => {
    const lookUp = normalizeBackupTaskLookup('4762614');
    assert.throws(() => lookUp({ Items: { BackupJob: [{ BackupJobId: '4762615', BackupStatus: 'Failed' }] } }), MalformedResponseError);
    assert.throws(() => lookUp({ Items: { BackupJob: [{ BackupJobId: '4762614' }, { BackupJobId: '1' }] } }), MalformedResponseError);
    assert.throws(() => lookUp({}), MalformedResponseError);
    assert.deepEqual(lookUp({ Items: { BackupJob: [] } }), []);
    assert.equal(lookUp({ Items: { BackupJob: { BackupJobId: 4762614, BackupStatus: 'Failed' } } })[0]?.status, 'Failed');
  });

  it('keeps every digit of any integer id, however it arrives (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 30n }), fc.boolean(), (id, asNumber) => {
        const literal = asNumber ? id.toString() : JSON.stringify(id.toString());
        const body = JSONbig.parse(`{"Items":{"BackupJob":[{"BackupJobId":${literal},"BackupStatus":"Uploading"}]}}`);
        assert.equal(normalizeBackupTasks(body)[0]?.jobId, id.toString());
      }),
      { numRuns: 300 },
    );
  });

  it('idToString refuses what is not an id', () => {
    assert.equal(idToString(undefined), undefined);
    assert.equal(idToString(''), undefined);
    assert.equal(idToString({}), undefined);
    assert.equal(idToString(Number.NaN), undefined);
    assert.equal(idToString(12n), '12');
  });

  it('knows the terminal states', () => {
    assert.deepEqual(['Finished', 'Failed', 'Uploading', 'NoStart'].map(isTerminal), [true, true, false, false]);
  });
});
