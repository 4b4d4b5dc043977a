// The instance facts and backup scope that decide whether backups are expected and which backups
// count: what DescribeDBInstances and DescribeBackups send, present, absent and odd.
import assert from 'node:assert/strict';
import { backupScope, normalizeBackupSet, normalizeBackupsPage, normalizeInstancesPage, normalizeTagsPage } from '../../src/alicloud/backups.js';
import { MalformedResponseError } from '../../src/alicloud/normalize.js';

const instance = (fields: Record<string, unknown>) =>
  normalizeInstancesPage({ TotalRecordCount: 1, Items: { DBInstance: [{ DBInstanceId: 'rm-1', ...fields }] } }).instances[0]!;
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

  it('takes documented values trimmed, and anything outside the documented set as Other: a label value from the API is bounded', () => {
    const got = instance({ Category: ' serverless_basic ', LockMode: 'SomethingNew', DBInstanceType: 'x'.repeat(2048), DBInstanceStatus: 'Exploding' });
    assert.equal(got.category, 'serverless_basic');
    assert.equal(got.lockMode, 'Other');
    assert.equal(got.instanceType, 'Other');
    assert.equal(got.status, 'Other');
  });

  it('takes Engine in the API spelling whatever its case, and an engine version of the documented form; else Other', () => {
    assert.equal(instance({ Engine: 'mysql', EngineVersion: '8.0' }).engine, 'MySQL');
    assert.equal(instance({ Engine: 'SQLServer', EngineVersion: '2019_std_ha' }).engineVersion, '2019_std_ha');
    assert.equal(instance({ Engine: 'Oracle' }).engine, 'Other');
    assert.equal(instance({ EngineVersion: `8.0 ${'x'.repeat(2048)}` }).engineVersion, 'Other');
    assert.equal(instance({}).engine, '');
  });

  it('rejects instance pages not of the documented shape as malformed, never as "no instances"', () => {
    for (const body of [{}, { Items: 'x' }, { TotalRecordCount: 0 }, { TotalRecordCount: 0, Items: {} }, { Items: { DBInstance: [] } }]) {
      assert.throws(() => normalizeInstancesPage(body), MalformedResponseError, JSON.stringify(body));
    }
    assert.deepEqual(normalizeInstancesPage({ TotalRecordCount: 0, Items: { DBInstance: [] } }).instances, []);
  });

  it('rejects tag pages not of the documented shape as malformed, never as "no tags"', () => {
    for (const body of [{}, { TagResources: 'x' }, { TagResources: {} }, { TagResources: { TagResource: 'x' } }]) {
      assert.throws(() => normalizeTagsPage(body), MalformedResponseError, JSON.stringify(body));
    }
    assert.deepEqual(normalizeTagsPage({ TagResources: { TagResource: [] } }).tags, []);
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

describe('BackupSet: bounded labels and the documented page', () => {
  it('a BackupType or BackupStatus outside the documented set is Other (a 2 KB value included)', () => {
    const got = backup({ BackupType: 'x'.repeat(2048), BackupStatus: 'Exploded' });
    assert.equal(got.type, 'Other');
    assert.equal(got.status, 'Other');
    assert.equal(backup({ BackupType: 'IncrementalBackup', BackupStatus: 'Failed' }).type, 'IncrementalBackup');
  });

  it('rejects backup pages not of the documented shape as malformed, never as "no backups"', () => {
    for (const body of [
      {},
      { Items: 'x' },
      { TotalRecordCount: 0 },
      { TotalRecordCount: 0, Items: {} },
      { Items: { Backup: [] } },
      { TotalRecordCount: -1, Items: { Backup: [] } },
    ]) {
      assert.throws(() => normalizeBackupsPage(body), MalformedResponseError, JSON.stringify(body));
    }
    assert.deepEqual(normalizeBackupsPage({ TotalRecordCount: '0', Items: { Backup: [] } }).sets, []);
  });
});
