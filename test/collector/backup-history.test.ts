import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  expectedIntervalSeconds,
  inBackupWindow,
  normalizeBackupPolicy,
  normalizeBackupsPage,
  parseApiTime,
  formatApiMinute,
} from '../../src/alicloud/backups.js';
import type { BackupSet } from '../../src/alicloud/backups.js';
import { BackupHistory } from '../../src/collector/backup-history.js';
import { parseDuration } from '../../src/config/schema.js';

const H = 3600_000;
const D = 24 * H;
const set = (backupId: string, type: string, status: string, startMs: number, endMs: number, sizeBytes = 1): BackupSet => ({
  backupId,
  type,
  status,
  startMs,
  endMs,
  sizeBytes,
  scope: 'instance',
});

describe('expectedIntervalSeconds', () => {
  const cases: Array<[number[], number | undefined]> = [
    [[0, 1, 2, 3, 4, 5, 6], 86400],
    [[1, 3, 5, 0], 172800],
    [[2], 604800],
    [[1, 2], 6 * 86400],
    [[6, 0], 6 * 86400],
    [[], undefined],
  ];
  for (const [days, expected] of cases) it(`${JSON.stringify(days)} → ${expected}`, () => assert.equal(expectedIntervalSeconds(days), expected));
});

describe('normalizing DescribeBackups and DescribeBackupPolicy', () => {
  it('reads sets with string or number fields', () => {
    const page = normalizeBackupsPage({
      TotalRecordCount: '2',
      Items: {
        Backup: [
          {
            BackupId: 101,
            BackupStatus: 'Success',
            BackupType: 'FullBackup',
            BackupStartTime: '2026-11-20T16:00:00Z',
            BackupEndTime: '2026-11-20T16:20:00Z',
            BackupSize: '1024',
          },
          { BackupId: '102', BackupStatus: 'Failed', BackupStartTime: '2026-11-21T16:00Z', BackupEndTime: '2026-11-21T16:05Z', BackupSize: 0 },
        ],
      },
    });
    assert.equal(page.total, 2);
    assert.deepEqual(page.sets, [
      {
        backupId: '101',
        status: 'Success',
        type: 'FullBackup',
        startMs: Date.parse('2026-11-20T16:00:00Z'),
        endMs: Date.parse('2026-11-20T16:20:00Z'),
        sizeBytes: 1024,
        scope: 'instance',
      },
      {
        backupId: '102',
        status: 'Failed',
        type: 'Other',
        startMs: Date.parse('2026-11-21T16:00Z'),
        endMs: Date.parse('2026-11-21T16:05Z'),
        sizeBytes: 0,
        scope: 'instance',
      },
    ]);
  });

  it('rejects a set without its times', () => {
    assert.throws(() => normalizeBackupsPage({ TotalRecordCount: 1, Items: { Backup: [{ BackupId: '1', BackupStartTime: 'yesterday' }] } }), /BackupStartTime/);
  });

  it('reads a policy', () => {
    const policy = normalizeBackupPolicy({
      PreferredBackupPeriod: 'Monday,Wednesday,Friday,Sunday',
      PreferredNextBackupTime: '2026-11-28T15:15Z',
      BackupRetentionPeriod: '7',
    });
    assert.deepEqual(policy, { weekdays: [1, 3, 5, 0], retentionDays: 7, expectedIntervalSeconds: 172800, nextBackupMs: Date.parse('2026-11-28T15:15:00Z') });
  });

  it('reads and writes the API time forms', () => {
    assert.equal(parseApiTime('2026-11-20T16:20:00Z'), Date.parse('2026-11-20T16:20:00Z'));
    assert.equal(parseApiTime('2026-11-20T16:20Z'), Date.parse('2026-11-20T16:20:00Z'));
    assert.equal(parseApiTime('2026-11-20 16:20'), undefined);
    assert.equal(formatApiMinute(Date.parse('2026-11-20T16:20:59.999Z')), '2026-11-20T16:20Z');
  });
});

describe('parseDuration', () => {
  it('reads units and sums', () => {
    assert.equal(parseDuration('90s'), 90);
    assert.equal(parseDuration('1h30m'), 5400);
    assert.equal(parseDuration('8d'), 691200);
    assert.equal(parseDuration('500ms'), 0.5);
    assert.equal(parseDuration('10'), undefined);
    assert.equal(parseDuration('ten minutes'), undefined);
  });
});

describe('inBackupWindow', () => {
  const at = (iso: string) => Date.parse(iso);
  // 2026-11-28 is a Saturday (6), 2026-11-29 a Sunday (0)
  it('is open inside PreferredBackupTime on a scheduled day, and for the tail after it', () => {
    const policy = normalizeBackupPolicy({ PreferredBackupTime: '02:00Z-03:00Z', PreferredBackupPeriod: 'Saturday', BackupRetentionPeriod: 7 });
    assert.deepEqual(policy.window, { start: 120, end: 180 });
    assert.equal(inBackupWindow(policy, at('2026-11-28T01:59:00Z'), 30 * 60_000), false);
    assert.equal(inBackupWindow(policy, at('2026-11-28T02:00:00Z'), 30 * 60_000), true);
    assert.equal(inBackupWindow(policy, at('2026-11-28T03:29:00Z'), 30 * 60_000), true, 'tail');
    assert.equal(inBackupWindow(policy, at('2026-11-28T03:30:00Z'), 30 * 60_000), false);
    assert.equal(inBackupWindow(policy, at('2026-11-29T02:30:00Z'), 30 * 60_000), false, 'not on Sunday');
  });

  it('follows a window across midnight into the next day, by the day it began', () => {
    const policy = normalizeBackupPolicy({ PreferredBackupTime: '23:30Z-00:30Z', PreferredBackupPeriod: 'Saturday', BackupRetentionPeriod: 7 });
    assert.equal(inBackupWindow(policy, at('2026-11-28T23:45:00Z'), 0), true);
    assert.equal(inBackupWindow(policy, at('2026-11-29T00:15:00Z'), 0), true, "Saturday's window, now Sunday");
    assert.equal(inBackupWindow(policy, at('2026-11-29T23:45:00Z'), 0), false, 'Sunday is not scheduled');
  });

  it('is always open when the policy gives no window or no day: nothing rules a backup out', () => {
    assert.equal(inBackupWindow(normalizeBackupPolicy({ PreferredBackupPeriod: 'Monday', BackupRetentionPeriod: 7 }), at('2026-11-28T12:00:00Z'), 0), true);
    assert.equal(inBackupWindow({ weekdays: [], window: { start: 120, end: 180 } }, at('2026-11-28T12:00:00Z'), 0), true);
  });
});

describe('BackupHistory', () => {
  it('first looks back over the whole window in 2-day pieces, then only since the last look', () => {
    const now = 100 * D;
    const history = new BackupHistory({ lookbackMs: 8 * D });
    assert.deepEqual(history.windows(now), [
      [92 * D, 94 * D],
      [94 * D, 96 * D],
      [96 * D, 98 * D],
      [98 * D, 100 * D],
    ]);
    history.ingest([set('a', 'FullBackup', 'Success', 93 * D, 93 * D + H)], now);
    const later = now + 10 * 60_000;
    assert.deepEqual(history.windows(later), [[now - H, later]], 'from the last look, less an hour');
    // a job running since before the last look pulls the window back to its first sighting
    assert.deepEqual(history.windows(later, 99 * D), [[99 * D - H, later]]);
    // split when long, and never further back than the look-back
    assert.deepEqual(history.windows(later, 97 * D).length, 2);
    assert.equal(history.windows(later, 1 * D)[0]![0], later - 8 * D);
  });

  it('takes a first look window by window: cut part-way, it goes on from the last window taken', () => {
    const now = 100 * D;
    const history = new BackupHistory({ lookbackMs: 8 * D });
    const [first, second] = history.windows(now);
    history.ingest([set('a', 'FullBackup', 'Success', 93 * D, 93 * D + H)], first![1], false);
    history.ingest([], second![1], false);
    assert.equal(history.initialLookDone, false, 'not done before its last window');
    assert.equal(history.summary().newestSuccess.get('FullBackup')?.backupId, 'a', 'what was read is kept');
    const later = now + 60_000;
    assert.deepEqual(
      history.windows(later),
      [
        [96 * D - H, 98 * D - H],
        [98 * D - H, 100 * D - H],
        [100 * D - H, later],
      ],
      'goes on from the last window taken',
    );
    history.ingest([], later, true);
    assert.equal(history.initialLookDone, true);
  });

  it('after a long gap (a restart with a state file), covers the gap', () => {
    const history = new BackupHistory({ lookbackMs: 8 * D });
    history.ingest([], 100 * D);
    assert.deepEqual(history.windows(103 * D), [
      [100 * D - H, 102 * D - H],
      [102 * D - H, 103 * D],
    ]);
  });

  it('keeps maxima whatever the order, and counts each id once', () => {
    const history = new BackupHistory({ lookbackMs: 8 * D });
    const sets = [
      set('1', 'FullBackup', 'Success', 1 * D, 1 * D + H, 10),
      set('2', 'FullBackup', 'Success', 3 * D, 3 * D + 2 * H, 30),
      set('3', 'FullBackup', 'Failed', 4 * D, 4 * D + H, 0),
      set('4', 'IncrementalBackup', 'Success', 5 * D, 5 * D + 600_000, 5),
    ];
    history.ingest([sets[2]!, sets[0]!, sets[3]!, sets[1]!], 6 * D);
    history.ingest(sets, 6 * D);
    const s = history.summary();
    assert.equal(s.newestSuccess.get('FullBackup')?.backupId, '2');
    assert.equal(s.newestSuccess.get('IncrementalBackup')?.backupId, '4');
    assert.equal(s.newestFinished?.backupId, '4');
    assert.deepEqual([...s.seen].sort(), [
      ['FullBackup|Failed', 1],
      ['FullBackup|Success', 2],
      ['IncrementalBackup|Success', 1],
    ]);
  });

  it("counts a backup of some databases only under DatabaseBackup, never as the instance's backup", () => {
    const history = new BackupHistory({ lookbackMs: 8 * D });
    const whole = set('1', 'FullBackup', 'Success', D, D + H, 10 * 1024 ** 3);
    history.ingest(
      [
        whole,
        { ...set('2', 'FullBackup', 'Success', 2 * D, 2 * D + H, 2 * 1024 ** 3), scope: 'databases' },
        { ...set('3', 'FullBackup', 'Failed', 3 * D, 3 * D + H), scope: 'databases' },
      ],
      4 * D,
    );
    const s = history.summary();
    assert.deepEqual(s.newestSuccess.get('FullBackup'), whole, 'the newest instance-wide full backup, not the newer single-database one');
    assert.equal(s.newestFinished?.backupId, '1');
    assert.equal(s.newestFailedEndMs, undefined);
    assert.deepEqual(s.usableEndMs, [D + H]);
    assert.deepEqual([...s.seen].sort(), [
      ['DatabaseBackup|Failed', 1],
      ['DatabaseBackup|Success', 1],
      ['FullBackup|Success', 1],
    ]);
  });

  it('keeps the end time of the newest failed set of any type, whatever the order, across a save', () => {
    const history = new BackupHistory({ lookbackMs: 8 * D });
    history.ingest([set('1', 'FullBackup', 'Success', D, D + H)], 2 * D);
    assert.equal(history.summary().newestFailedEndMs, undefined);
    history.ingest(
      [
        set('3', 'IncrementalBackup', 'Failed', 4 * D, 4 * D + H),
        set('2', 'FullBackup', 'Failed', 3 * D, 3 * D + H),
        set('4', 'FullBackup', 'Success', 5 * D, 5 * D + H),
      ],
      6 * D,
    );
    assert.equal(history.summary().newestFailedEndMs, 4 * D + H, 'the newest failure, not the last listed; a later success leaves it');
    const copy = new BackupHistory({ lookbackMs: 8 * D });
    copy.restore(JSON.parse(JSON.stringify(history.toState())));
    assert.equal(copy.summary().newestFailedEndMs, 4 * D + H);
  });

  it('takes a set only once it has finished, so its final status is the one counted', () => {
    const history = new BackupHistory({ lookbackMs: 8 * D });
    assert.deepEqual(history.ingest([set('7', 'FullBackup', 'Running', D, 2 * D)], 3 * D), []);
    const fresh = history.ingest([set('7', 'FullBackup', 'Failed', D, 2 * D)], 3 * D);
    assert.deepEqual(
      fresh.map((s) => s.status),
      ['Failed'],
    );
    assert.deepEqual([...history.summary().seen], [['FullBackup|Failed', 1]]);
  });

  it('survives a save and restore unchanged', () => {
    const history = new BackupHistory({ lookbackMs: 8 * D });
    history.ingest([set('1', 'FullBackup', 'Success', D, D + H), set('2', 'FullBackup', 'Failed', 2 * D, 2 * D + H)], 3 * D);
    const copy = new BackupHistory({ lookbackMs: 8 * D });
    copy.restore(JSON.parse(JSON.stringify(history.toState())));
    assert.deepEqual(copy.summary(), history.summary());
    assert.deepEqual(copy.windows(4 * D), history.windows(4 * D));
    assert.deepEqual(copy.ingest([set('1', 'FullBackup', 'Success', D, D + H)], 4 * D), [], 'a known id stays known');
  });

  it('counts every id exactly once however the sets are split into rounds (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ id: fc.integer({ min: 1, max: 40 }), end: fc.integer({ min: 1, max: 100 }), ok: fc.boolean() }), { maxLength: 60 }),
        fc.integer({ min: 1, max: 5 }),
        (raw, rounds) => {
          // one definition per id
          const byId = new Map(raw.map((r) => [r.id, set(String(r.id), 'FullBackup', r.ok ? 'Success' : 'Failed', r.end * H - H, r.end * H)]));
          const all = [...raw.map((r) => byId.get(r.id)!)];
          const history = new BackupHistory({ lookbackMs: 1000 * D });
          for (let i = 0; i < rounds; i++)
            history.ingest(
              all.filter((_, n) => n % rounds <= i),
              101 * H,
            );
          const seen = history.summary().seen;
          const total = (seen.get('FullBackup|Success') ?? 0) + (seen.get('FullBackup|Failed') ?? 0);
          assert.equal(total, byId.size);
          const newest = [...byId.values()].filter((s) => s.status === 'Success').sort((a, b) => b.endMs - a.endMs)[0];
          assert.equal(history.summary().newestSuccess.get('FullBackup')?.endMs, newest?.endMs);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('BackupHistory.restore: label values of an older file', () => {
  it('bounds backup_type and status to the documented values or Other, adding up counts and keeping the newest set of a type', () => {
    const junk = 'x'.repeat(2048);
    const set = (type: string, endMs: number): BackupSet => ({
      backupId: String(endMs),
      status: 'Success',
      type,
      startMs: endMs - 60_000,
      endMs,
      scope: 'instance',
    });
    const history = new BackupHistory({ lookbackMs: 8 * D });
    history.restore({
      initialDone: true,
      known: [],
      newestSuccess: [set('FullBackup', 5 * D), set(junk, 3 * D), set('Unknown', 4 * D)],
      seen: [
        ['FullBackup|Success', 2],
        [`${junk}|Success`, 3],
        ['Unknown|Failed', 1],
        [`FullBackup|${junk}`, 4],
        ['DatabaseBackup|Failed', 5],
      ],
    });
    const summary = history.summary();
    assert.deepEqual([...summary.newestSuccess.keys()].sort(), ['FullBackup', 'Other']);
    assert.equal(summary.newestSuccess.get('Other')?.endMs, 4 * D, 'the newest of those bounded to Other');
    assert.deepEqual([...summary.seen].sort(), [
      ['DatabaseBackup|Failed', 5],
      ['FullBackup|Other', 4],
      ['FullBackup|Success', 2],
      ['Other|Failed', 1],
      ['Other|Success', 3],
    ]);
  });
});
