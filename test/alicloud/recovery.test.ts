// The recoverability normalisers: what the API sends (numbers as strings, -1 for none, empty
// strings, the misspelt `Lastest`, lone objects for lists) into typed records.
import assert from 'node:assert/strict';
import { normalizeBackupPolicy, normalizeBackupSet } from '../../src/alicloud/backups.js';
import { MalformedResponseError } from '../../src/alicloud/normalize.js';
import {
  normalizeBackupStorage,
  normalizeCrossRegionBackupsPage,
  normalizeCrossRegionSettingsPage,
  normalizeLogFilesPage,
  normalizeRestoreWindow,
} from '../../src/alicloud/recovery.js';

/** What every DescribeBackupPolicy answer carries. */
const required = { PreferredBackupPeriod: 'Monday', BackupRetentionPeriod: '7' };

describe('recoverability normalisers', () => {
  it('reads the restore window, and nothing from empty strings', () => {
    assert.deepEqual(normalizeRestoreWindow({ RecoveryBeginTime: '2026-11-20T07:59:18Z', RecoveryEndTime: '2026-11-27T08:41:29Z' }), {
      beginMs: Date.parse('2026-11-20T07:59:18Z'),
      endMs: Date.parse('2026-11-27T08:41:29Z'),
    });
    assert.deepEqual(normalizeRestoreWindow({ RecoveryBeginTime: '', RecoveryEndTime: '' }), {});
  });

  it('rejects a restore window answer without its two fields as malformed, never as "no window"', () => {
    for (const body of [{}, { RecoveryBeginTime: '' }, { RecoveryBeginTime: 1, RecoveryEndTime: 2 }, { Items: 'x' }]) {
      assert.throws(() => normalizeRestoreWindow(body), MalformedResponseError, JSON.stringify(body));
    }
  });

  it('reads log files with second or minute times, string sizes, a lone object, and drops download links', () => {
    const page = normalizeLogFilesPage({
      TotalRecordCount: '2',
      Items: {
        BinLogFile: [
          {
            FileSize: '2269410',
            LogBeginTime: '2026-11-27T17:45:21Z',
            LogEndTime: '2026-11-27T18:10:28Z',
            HostInstanceID: 5841973,
            RemoteStatus: 'Uploading',
            LogFileName: 'mysql-bin.000019',
            DownloadLink: 'http://x/?Signature=abc',
          },
          { FileSize: 788480, LogBeginTime: '2026-11-27T08:40Z', LogEndTime: '2026-11-27T09:10Z' },
        ],
      },
    });
    assert.equal(page.total, 2);
    assert.deepEqual(page.files[0], {
      host: '5841973',
      name: 'mysql-bin.000019',
      beginMs: Date.parse('2026-11-27T17:45:21Z'),
      endMs: Date.parse('2026-11-27T18:10:28Z'),
      sizeBytes: 2269410,
      uploaded: false,
    });
    assert.deepEqual(page.files[1], { host: '', beginMs: Date.parse('2026-11-27T08:40:00Z'), endMs: Date.parse('2026-11-27T09:10:00Z'), sizeBytes: 788480 });
    assert.equal(
      normalizeLogFilesPage({ TotalRecordCount: 1, Items: { BinLogFile: { LogBeginTime: '2026-11-27T08:40Z', LogEndTime: '2026-11-27T09:10Z' } } }).files
        .length,
      1,
    );
    assert.deepEqual(normalizeLogFilesPage({ TotalRecordCount: '0', Items: { BinLogFile: [] } }).files, []);
    assert.throws(() => normalizeLogFilesPage({ TotalRecordCount: 1, Items: { BinLogFile: [{ LogBeginTime: 'yesterday' }] } }), MalformedResponseError);
  });

  it('rejects log file pages not of the documented shape as malformed, never as "no files"', () => {
    for (const body of [
      {},
      { Items: 'x' },
      { TotalRecordCount: 0 },
      { TotalRecordCount: 0, Items: {} },
      { Items: { BinLogFile: [] } },
      { TotalRecordCount: 'x', Items: { BinLogFile: [] } },
    ]) {
      assert.throws(() => normalizeLogFilesPage(body), MalformedResponseError, JSON.stringify(body));
    }
  });

  it('rejects cross-region pages not of the documented shape as malformed', () => {
    for (const body of [{}, { Items: 'x' }, { TotalRecords: 0, Items: { Item: 'x' } }, { Items: { Item: [] } }]) {
      assert.throws(() => normalizeCrossRegionSettingsPage(body), MalformedResponseError, JSON.stringify(body));
      assert.throws(() => normalizeCrossRegionBackupsPage(body), MalformedResponseError, JSON.stringify(body));
    }
    assert.equal(normalizeCrossRegionSettingsPage({ TotalRecords: 0, Items: { Item: [] } }).settings.size, 0);
    assert.deepEqual(normalizeCrossRegionBackupsPage({ TotalRecordCount: 0, Items: { Item: [] } }).sets, []);
  });

  it('a host or region not of the documented form is Other, a single label value', () => {
    const junk = 'x'.repeat(2048);
    const page = normalizeLogFilesPage({
      TotalRecordCount: 1,
      Items: { BinLogFile: [{ LogBeginTime: '2026-11-27T08:40Z', LogEndTime: '2026-11-27T09:10Z', HostInstanceID: junk }] },
    });
    assert.equal(page.files[0]?.host, 'Other');
    const settings = normalizeCrossRegionSettingsPage({
      TotalRecords: 1,
      Items: { Item: [{ DBInstanceId: 'rm-a', BackupEnabled: 'Enable', CrossBackupRegion: junk }] },
    });
    assert.equal(settings.settings.get('rm-a')?.targetRegion, 'Other');
  });

  it('reads cross-region settings (Enable/Disable) and sets (BackupSetStatus 0 success, 1 failed, number or string)', () => {
    const settings = normalizeCrossRegionSettingsPage({
      TotalRecords: 2,
      Items: {
        Item: [
          { DBInstanceId: 'rm-a', BackupEnabled: 'Enable', LogBackupEnabled: 'Disable', CrossBackupRegion: 'cn-shanghai', Retention: 15 },
          { DBInstanceId: 'rm-b', BackupEnabled: 'Disable', LogBackupEnabled: 'Disable', CrossBackupRegion: '' },
        ],
      },
    });
    assert.deepEqual(settings.settings.get('rm-a'), { enabled: true, logEnabled: false, targetRegion: 'cn-shanghai', retentionDays: 15 });
    assert.deepEqual(settings.settings.get('rm-b'), { enabled: false, logEnabled: false });
    const sets = normalizeCrossRegionBackupsPage({
      TotalRecordCount: '3',
      Items: {
        Item: [
          { CrossBackupId: 14377, BackupSetStatus: 0, BackupEndTime: '2026-11-27T12:10:00Z', CrossBackupSetSize: '5312836' },
          { CrossBackupId: '14378', BackupSetStatus: '1', BackupEndTime: '2026-11-28T12:10:00Z' },
          { CrossBackupId: 14379, BackupSetStatus: 2, BackupEndTime: '2026-11-28T13:10:00Z' },
        ],
      },
    });
    assert.deepEqual(
      sets.sets.map((s) => s.status),
      ['Success', 'Failed', 'Other'],
    );
    assert.equal(sets.sets[0]?.sizeBytes, 5312836);
    assert.equal(sets.total, 3);
  });

  it('reads backup storage: -1 (none stored) as 0, strings as numbers', () => {
    assert.deepEqual(
      normalizeBackupStorage({
        BackupDataSize: '94324736',
        BackupLogSize: 45145563,
        ArchiveBackupSize: 0,
        ColdBackupSize: -1,
        PaidBackupSize: '-1',
        BackupSize: -1,
      }),
      {
        dataBytes: 94324736,
        logBytes: 45145563,
        archiveBytes: 0,
        coldBytes: 0,
        overFreeQuotaBytes: 0,
      },
    );
    assert.deepEqual(normalizeBackupStorage({ BackupDataSize: -1 }), { dataBytes: 0 });
    assert.throws(() => normalizeBackupStorage({}), MalformedResponseError, 'an answer without BackupDataSize says nothing');
    assert.throws(() => normalizeBackupStorage({ BackupDataSize: 'x' }), MalformedResponseError);
  });

  it('reads the extra policy fields, the misspelt Lastest as Latest', () => {
    const policy = normalizeBackupPolicy({
      ...required,
      PreferredBackupPeriod: 'Monday',
      BackupLog: 'Enable',
      LogBackupRetentionPeriod: '14',
      ReleasedKeepPolicy: 'Lastest',
      HighSpaceUsageProtection: 'Disable',
      CompressType: '4',
      ArchiveBackupRetentionPeriod: '365',
    });
    assert.equal(policy.logBackupEnabled, true);
    assert.equal(policy.logRetentionDays, 14);
    assert.equal(policy.releasedKeepPolicy, 'Latest');
    assert.equal(policy.highSpaceUsageProtection, false);
    assert.equal(policy.compressType, '4');
    assert.equal(policy.archiveRetentionDays, 365);
    assert.equal(normalizeBackupPolicy({ ...required, EnableBackupLog: '0' }).logBackupEnabled, false, 'EnableBackupLog alone');
    assert.equal(normalizeBackupPolicy({ ...required, BackupLog: 'Disabled', EnableBackupLog: '1' }).logBackupEnabled, false, 'BackupLog wins');
    assert.equal(normalizeBackupPolicy({ ...required, ReleasedKeepPolicy: 'All' }).releasedKeepPolicy, 'All');
  });

  it('a policy value outside its documented set is Other', () => {
    const policy = normalizeBackupPolicy({ ...required, ReleasedKeepPolicy: 'x'.repeat(2048), CompressType: '7' });
    assert.equal(policy.releasedKeepPolicy, 'Other');
    assert.equal(policy.compressType, 'Other');
  });

  it('rejects a policy answer without its period and retention as malformed, never as "no schedule"', () => {
    for (const body of [{}, { PreferredBackupPeriod: 'Monday' }, { BackupRetentionPeriod: 7 }, { Items: 'x' }]) {
      assert.throws(() => normalizeBackupPolicy(body), MalformedResponseError, JSON.stringify(body));
    }
  });

  it('reads IsAvail of a backup set (absent: usable)', () => {
    const base = { BackupId: '1', BackupStartTime: '2026-11-20T16:00:00Z', BackupEndTime: '2026-11-20T16:20:00Z', BackupStatus: 'Success' };
    assert.equal(normalizeBackupSet({ ...base, IsAvail: 0 }).available, false);
    assert.equal(normalizeBackupSet({ ...base, IsAvail: '1' }).available, true);
    assert.equal(normalizeBackupSet(base).available, undefined);
  });
});
