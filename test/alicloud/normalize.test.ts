import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createRequire } from 'node:module';
import { idToString, isTerminal, MalformedResponseError, normalizeBackupTasks } from '../../src/alicloud/normalize.js';

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

  it('counts a task with neither status as NoStart', () => {
    const [task] = normalizeBackupTasks({ Items: { BackupJob: [{ BackupJobId: '1' }] } });
    assert.equal(task?.status, 'NoStart');
    assert.equal(task?.jobMode, 'Unknown');
    assert.equal(task?.progressRatio, undefined);
  });

  it('treats a missing Items or BackupJob as no tasks', () => {
    assert.deepEqual(normalizeBackupTasks({ RequestId: 'x' }), []);
    assert.deepEqual(normalizeBackupTasks({ Items: {} }), []);
    assert.deepEqual(normalizeBackupTasks({ Items: { BackupJob: [] } }), []);
  });

  it('rejects bodies of the wrong shape as malformed', () => {
    assert.throws(() => normalizeBackupTasks('text'), MalformedResponseError);
    assert.throws(() => normalizeBackupTasks({ Items: 'x' }), MalformedResponseError);
    assert.throws(() => normalizeBackupTasks({ Items: { BackupJob: [42] } }), MalformedResponseError);
    assert.throws(() => normalizeBackupTasks({ Items: { BackupJob: [{ Process: '5' }] } }), MalformedResponseError);
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
