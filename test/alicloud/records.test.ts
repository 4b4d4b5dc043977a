// The instance facts and backup scope that decide whether backups are expected and which backups
// count: what DescribeDBInstances and DescribeBackups send, present, absent and odd.
import assert from 'node:assert/strict';
import { backupScope, normalizeBackupSet, normalizeBackupsPage, normalizeInstancesPage } from '../../src/alicloud/backups.js';

const instance = (fields: Record<string, unknown>) => normalizeInstancesPage({ Items: { DBInstance: [{ DBInstanceId: 'rm-1', ...fields }] } }).instances[0]!;
const backup = (fields: Record<string, unknown>) =>
  normalizeBackupSet({ BackupId: '1', BackupStartTime: '2026-11-20T16:00:00Z', BackupEndTime: '2026-11-20T16:20:00Z', BackupType: 'FullBackup', ...fields });

describe('DBInstance: category, lock mode and creation time', () => {
  it('takes Category, LockMode and CreateTime as the API gives them', () => {
    const got = instance({
      Category: 'HighAvailability',
      LockMode: 'LockByExpiration',
      CreateTime: '2026-11-20T16:00:00Z',
      DBInstanceType: 'Readonly',
      DBInstanceStatus: 'Stopped',
    });
    assert.equal(got.category, 'HighAvailability');
    assert.equal(got.lockMode, 'LockByExpiration');
    assert.equal(got.createdMs, Date.UTC(2026, 10, 20, 16, 0, 0));
    assert.equal(got.instanceType, 'Readonly');
    assert.equal(got.status, 'Stopped');
  });

  it('keeps values it does not know, as they come (trimmed)', () => {
    const got = instance({ Category: ' serverless_basic ', LockMode: 'SomethingNew' });
    assert.equal(got.category, 'serverless_basic');
    assert.equal(got.lockMode, 'SomethingNew');
  });

  it('absent or empty: "" for category and lock mode, no creation time', () => {
    for (const fields of [{}, { Category: '', LockMode: '', CreateTime: '' }, { Category: null, LockMode: null, CreateTime: null }]) {
      const got = instance(fields);
      assert.equal(got.category, '');
      assert.equal(got.lockMode, '');
      assert.equal('createdMs' in got, false, JSON.stringify(fields));
    }
  });

  it('a creation time not in the documented UTC form is left out, not guessed', () => {
    for (const CreateTime of ['2026-11-20 16:00:00', '2026-11-20T16:00:00+08:00', 'yesterday', 1763654400, '2026-13-45T99:00:00Z']) {
      assert.equal(instance({ CreateTime }).createdMs, undefined, String(CreateTime));
    }
  });

  it('a creation time at minute precision is read too', () => {
    assert.equal(instance({ CreateTime: '2026-11-20T16:05Z' }).createdMs, Date.UTC(2026, 10, 20, 16, 5));
  });
});

describe('BackupSet: scope', () => {
  it('BackupScale DBInstance (the documented example) is the instance, whatever BackupDBNames lists', () => {
    assert.equal(backup({ BackupScale: 'DBInstance', BackupDBNames: 'spdb,sys,test' }).scope, 'instance');
  });

  it('BackupScale Database or db, in any case, is some databases', () => {
    for (const BackupScale of ['Database', 'database', 'DB', 'db', ' Database ']) assert.equal(backup({ BackupScale }).scope, 'databases', BackupScale);
  });

  it('absent, empty, odd or unknown is the instance', () => {
    for (const BackupScale of [undefined, null, '', 'Instance', 'Table', 42, {}, ['Database']]) {
      assert.equal(backup({ BackupScale }).scope, 'instance', JSON.stringify(BackupScale));
    }
    assert.equal(backupScope(undefined), 'instance');
  });

  it('a page mixes both, each set keeping its own scope and type', () => {
    const page = normalizeBackupsPage({
      TotalRecordCount: 2,
      Items: {
        Backup: [
          { BackupId: '1', BackupStartTime: '2026-11-20T16:00Z', BackupEndTime: '2026-11-20T16:20Z', BackupType: 'FullBackup', BackupScale: 'DBInstance' },
          {
            BackupId: '2',
            BackupStartTime: '2026-11-21T16:00Z',
            BackupEndTime: '2026-11-21T16:01Z',
            BackupType: 'FullBackup',
            BackupScale: 'Database',
            BackupDBNames: 'orders',
          },
        ],
      },
    });
    assert.deepEqual(
      page.sets.map((s) => [s.backupId, s.type, s.scope]),
      [
        ['1', 'FullBackup', 'instance'],
        ['2', 'FullBackup', 'databases'],
      ],
    );
  });
});
