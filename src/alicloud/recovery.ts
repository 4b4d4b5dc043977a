// Records for the recoverability reads — the restore window (DescribeLocalAvailableRecoveryTime),
// log backup files (DescribeBinlogFiles, DescribeLogBackupFiles), cross-region backup settings and
// sets (DescribeCrossRegionBackupDBInstance, DescribeCrossRegionBackups) and backup storage
// (DescribeResourceUsage) — normalised from what the API sends. What each field means and which
// quirks are handled here is docs/recoverability.md. Download links are never kept: they are
// signed URLs.
import { isRecord, num, parseApiTime, root } from './backups.js';
import { countOf, listOf, MalformedResponseError, OTHER, text } from './normalize.js';

/** The times the instance can be restored to, here (not across regions). */
export interface RestoreWindow {
  beginMs?: number;
  endMs?: number;
}

/** One log backup file: a binlog or WAL file (MySQL, MariaDB, PostgreSQL), or a SQL Server log backup. */
export interface LogFile {
  /** HostInstanceID: the primary or the secondary that wrote it ("" when the API does not say, as for SQL Server) */
  host: string;
  /** LogFileName (binlogs only) */
  name?: string;
  beginMs: number;
  endMs: number;
  sizeBytes?: number;
  /** RemoteStatus Completed (true) or Uploading (false); undefined when the API does not say (SQL Server) */
  uploaded?: boolean;
}

export interface LogFilesPage {
  files: LogFile[];
  total: number;
}

export interface CrossRegionSettings {
  /** BackupEnabled Enable */
  enabled: boolean;
  /** LogBackupEnabled Enable */
  logEnabled: boolean;
  /** CrossBackupRegion, when set */
  targetRegion?: string;
  retentionDays?: number;
}

export interface CrossRegionSettingsPage {
  /** by DBInstanceId */
  settings: Map<string, CrossRegionSettings>;
  total: number;
}

export interface CrossRegionBackupSet {
  id: string;
  /** BackupSetStatus 0 = Success, 1 = Failed, anything else Other */
  status: string;
  startMs?: number;
  endMs: number;
  region?: string;
  sizeBytes?: number;
}

export interface CrossRegionBackupsPage {
  sets: CrossRegionBackupSet[];
  total: number;
}

/** Backup storage of one instance, in bytes; `-1` ("none stored") becomes 0. */
export interface BackupStorage {
  dataBytes?: number;
  logBytes?: number;
  archiveBytes?: number;
  coldBytes?: number;
  /** PaidBackupSize: the backup storage billed beyond the free quota */
  overFreeQuotaBytes?: number;
}

export function normalizeRestoreWindow(body: unknown): RestoreWindow {
  const data = root(body);
  // Both fields are always there: an instance with no usable backup yet answers with empty strings.
  if (typeof data.RecoveryBeginTime !== 'string' || typeof data.RecoveryEndTime !== 'string') {
    throw new MalformedResponseError('the response has no RecoveryBeginTime or RecoveryEndTime');
  }
  const window: RestoreWindow = {};
  const begin = parseApiTime(data.RecoveryBeginTime);
  const end = parseApiTime(data.RecoveryEndTime);
  if (begin !== undefined) window.beginMs = begin;
  if (end !== undefined) window.endMs = end;
  return window;
}

function normalizeLogFile(item: unknown): LogFile {
  if (!isRecord(item)) throw new MalformedResponseError('a BinLogFile entry is not an object');
  const beginMs = parseApiTime(item.LogBeginTime);
  const endMs = parseApiTime(item.LogEndTime);
  if (beginMs === undefined || endMs === undefined) throw new MalformedResponseError('a BinLogFile entry lacks LogBeginTime or LogEndTime');
  const file: LogFile = { host: hostOf(item.HostInstanceID), beginMs, endMs };
  const name = text(item.LogFileName);
  if (name !== undefined) file.name = name;
  const size = num(item.FileSize);
  if (size !== undefined && size >= 0) file.sizeBytes = size;
  const remote = text(item.RemoteStatus);
  if (remote !== undefined) file.uploaded = remote === 'Completed';
  return file;
}

/** HostInstanceID, a label: an integer id, else Other; "" when absent. */
function hostOf(value: unknown): string {
  const t = text(value);
  if (t === undefined) return '';
  return /^\d{1,20}$/.test(t) ? t : OTHER;
}

/** A region id (`cn-hangzhou`, `ap-southeast-1`), a label: anything else is Other. */
function regionOf(value: unknown): string | undefined {
  const t = text(value);
  if (t === undefined) return undefined;
  return /^[a-z]{2,4}(-[a-z0-9]{1,16}){1,3}$/.test(t) ? t : OTHER;
}

/** DescribeBinlogFiles and DescribeLogBackupFiles share this shape (`Items.BinLogFile[]`). */
export function normalizeLogFilesPage(body: unknown): LogFilesPage {
  const data = root(body);
  const files = listOf(data, 'Items', 'BinLogFile').map(normalizeLogFile);
  return { files, total: countOf(data, 'TotalRecordCount') };
}

function enabled(value: unknown): boolean {
  const t = text(value)?.toLowerCase();
  return t === 'enable' || t === 'enabled';
}

export function normalizeCrossRegionSettingsPage(body: unknown): CrossRegionSettingsPage {
  const data = root(body);
  const settings = new Map<string, CrossRegionSettings>();
  for (const item of listOf(data, 'Items', 'Item')) {
    if (!isRecord(item)) throw new MalformedResponseError('an Item entry is not an object');
    const id = text(item.DBInstanceId);
    if (id === undefined) throw new MalformedResponseError('an Item entry has no DBInstanceId');
    const entry: CrossRegionSettings = { enabled: enabled(item.BackupEnabled), logEnabled: enabled(item.LogBackupEnabled) };
    const region = regionOf(item.CrossBackupRegion);
    if (region !== undefined) entry.targetRegion = region;
    const retention = num(item.Retention);
    if (retention !== undefined) entry.retentionDays = retention;
    settings.set(id, entry);
  }
  return { settings, total: countOf(data, 'TotalRecords') };
}

export function normalizeCrossRegionBackupsPage(body: unknown): CrossRegionBackupsPage {
  const data = root(body);
  const sets = listOf(data, 'Items', 'Item').map((item): CrossRegionBackupSet => {
    if (!isRecord(item)) throw new MalformedResponseError('an Item entry is not an object');
    const id = text(item.CrossBackupId);
    const endMs = parseApiTime(item.BackupEndTime);
    if (id === undefined || endMs === undefined) throw new MalformedResponseError('an Item entry lacks CrossBackupId or BackupEndTime');
    const code = text(item.BackupSetStatus);
    const set: CrossRegionBackupSet = { id, status: code === '0' ? 'Success' : code === '1' ? 'Failed' : OTHER, endMs };
    const startMs = parseApiTime(item.BackupStartTime);
    if (startMs !== undefined) set.startMs = startMs;
    const region = regionOf(item.CrossBackupRegion);
    if (region !== undefined) set.region = region;
    const size = num(item.CrossBackupSetSize);
    if (size !== undefined && size >= 0) set.sizeBytes = size;
    return set;
  });
  return { sets, total: countOf(data, 'TotalRecordCount') };
}

/** A byte count where `-1` means "none stored": 0. */
function bytes(value: unknown): number | undefined {
  const n = num(value);
  if (n === undefined) return undefined;
  return Math.max(n, 0);
}

export function normalizeBackupStorage(body: unknown): BackupStorage {
  const data = root(body);
  // Every engine's answer carries the data backup size: without it the answer says nothing.
  if (num(data.BackupDataSize) === undefined) throw new MalformedResponseError('the response has no BackupDataSize');
  const storage: BackupStorage = {};
  const fields: Array<[keyof BackupStorage, unknown]> = [
    ['dataBytes', data.BackupDataSize],
    ['logBytes', data.BackupLogSize],
    ['archiveBytes', data.ArchiveBackupSize],
    ['coldBytes', data.ColdBackupSize],
    ['overFreeQuotaBytes', data.PaidBackupSize],
  ];
  for (const [key, value] of fields) {
    const n = bytes(value);
    if (n !== undefined) storage[key] = n;
  }
  return storage;
}
