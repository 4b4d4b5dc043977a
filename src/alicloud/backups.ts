// Records for completed backup sets (DescribeBackups), backup policies (DescribeBackupPolicy),
// instances (DescribeDBInstances) and their tags (ListTagResources), normalised from what the API
// sends: counts and sizes as strings or numbers, lists as arrays or lone objects. An answer without
// what its action always carries is malformed (normalize.ts); label values are bounded to the
// documented sets below, or Other.
import { countOf, documented, idToString, listOf, MalformedResponseError, OTHER, text } from './normalize.js';

/** DescribeBackups BackupStatus. */
export const BACKUP_SET_STATUSES = ['Success', 'Failed'] as const;
/** DescribeBackups BackupType (DatabaseBackup is ours: a set that covers some databases only). */
export const BACKUP_TYPES = ['FullBackup', 'IncrementalBackup'] as const;
/** DescribeDBInstances Engine, in the API's spelling (matched in any case). */
export const ENGINES = ['MySQL', 'SQLServer', 'PostgreSQL', 'MariaDB'] as const;
/** DescribeDBInstances DBInstanceType. */
export const INSTANCE_TYPES = ['Primary', 'Readonly', 'Guard', 'Temp'] as const;
/** DescribeDBInstances Category (the edition), as the API reference lists it for its actions. */
export const CATEGORIES = ['Basic', 'HighAvailability', 'AlwaysOn', 'Finance', 'cluster', 'serverless_basic', 'serverless_standard', 'serverless_ha'] as const;
/** DescribeDBInstances DBInstanceStatus, from the RDS reference's "Instance statuses". */
export const INSTANCE_STATUSES = [
  'Creating',
  'Running',
  'Deleting',
  'Rebooting',
  'DBInstanceClassChanging',
  'TRANSING',
  'EngineVersionUpgrading',
  'TransingToOthers',
  'GuardDBInstanceCreating',
  'Restoring',
  'Importing',
  'ImportingFromOthers',
  'DBInstanceNetTypeChanging',
  'GuardSwitching',
  'INS_CLONING',
  'Released',
  'Stopping',
  'Stopped',
  'Starting',
  'Migrating',
] as const;
/** DescribeDBInstances LockMode. */
export const LOCK_MODES = ['Unlock', 'ManualLock', 'LockByExpiration', 'LockByRestoration', 'LockByDiskQuota', 'Released'] as const;
/** DescribeBackupPolicy ReleasedKeepPolicy (the API spells Latest `Lastest`). */
export const RELEASED_KEEP_POLICIES = ['None', 'Latest', 'All'] as const;
/** DescribeBackupPolicy CompressType. */
export const COMPRESS_TYPES = ['0', '1', '2', '4', '8'] as const;

/** A documented value, or "" when the API does not send the field (an empty label is no label), or Other. */
function labelOf(value: unknown, values: readonly string[]): string {
  const t = text(value);
  return t === undefined ? '' : documented(t, values);
}

/** Engine in the API's spelling, whatever the case it came in; "" when absent; Other when not documented. */
function engineOf(value: unknown): string {
  const t = text(value)?.toLowerCase();
  if (t === undefined) return '';
  return ENGINES.find((engine) => engine.toLowerCase() === t) ?? OTHER;
}

/** The form of an engine version (`8.0`, `2019_std_ha`, `13.0`): anything else is Other. */
function engineVersionOf(value: unknown): string {
  const t = text(value);
  if (t === undefined) return '';
  return /^[0-9A-Za-z_.]{1,32}$/.test(t) ? t : OTHER;
}

export interface BackupSet {
  backupId: string;
  /** BACKUP_SET_STATUSES or Other */
  status: string;
  /** BACKUP_TYPES or Other (absent included) */
  type: string;
  startMs: number;
  endMs: number;
  sizeBytes?: number;
  /** IsAvail: false when the set can no longer be restored from (1 = usable, 0 = not; absent = usable) */
  available?: boolean;
  /** what the set covers: the whole instance, or only some of its databases (see backupScope) */
  scope: BackupScope;
}

export type BackupScope = 'instance' | 'databases';

export interface BackupsPage {
  sets: BackupSet[];
  total: number;
}

export interface BackupPolicy {
  retentionDays?: number;
  /** weekdays 0 (Sunday) to 6 */
  weekdays: number[];
  /** the longest gap between two scheduled backups, in seconds */
  expectedIntervalSeconds?: number;
  /** PreferredBackupTime, in UTC minutes of the day; `end` below `start` crosses midnight */
  window?: { start: number; end: number };
  nextBackupMs?: number;
  /** BackupLog Enable / EnableBackupLog 1: log backups are taken (point-in-time restore) */
  logBackupEnabled?: boolean;
  logRetentionDays?: number;
  /**
   * ReleasedKeepPolicy: which archived backups survive the instance's release — None, Latest
   * (the API spells it `Lastest`) or All.
   */
  releasedKeepPolicy?: string;
  /** HighSpaceUsageProtection Enable: log files are deleted when the disk runs short */
  highSpaceUsageProtection?: boolean;
  /** CompressType, as the API's code (0 none, 1 zlib, 2 parallel zlib, 4 and 8 QuickLZ) */
  compressType?: string;
  /** ArchiveBackupRetentionPeriod in days (0: no archive) */
  archiveRetentionDays?: number;
}

export interface DBInstance {
  id: string;
  description: string;
  engine: string;
  engineVersion: string;
  regionId: string;
  /** DBInstanceType: Primary, Readonly, Guard, Temp */
  instanceType: string;
  /** DBInstanceStatus: Running, Creating, Stopped, Deleting, Restoring, ... */
  status: string;
  /** Category, the edition: Basic, HighAvailability, AlwaysOn, Finance, cluster, serverless_basic, ... ("" when absent) */
  category: string;
  /** LockMode: Unlock, ManualLock, LockByExpiration, LockByRestoration, LockByDiskQuota, Released ("" when absent) */
  lockMode: string;
  /** CreateTime (`yyyy-MM-ddTHH:mm:ssZ`); absent when the API does not give it in that form */
  createdMs?: number;
  /** the tags asked for (tags_as_labels), by key, from ListTagResources; absent when none were asked */
  tags?: Readonly<Record<string, string>>;
}

export interface InstancesPage {
  instances: DBInstance[];
  total: number;
}

export interface TagsPage {
  tags: Array<{ id: string; key: string; value: string }>;
  nextToken?: string;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function num(value: unknown): number | undefined {
  const t = text(value);
  if (t === undefined) return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined;
}

/** The API's UTC times: `2026-11-20T16:20:00Z`, or `2026-11-20T16:20Z` at minute precision. */
export function parseApiTime(value: unknown): number | undefined {
  const t = text(value);
  if (t === undefined || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?Z$/.test(t)) return undefined;
  const ms = Date.parse(t);
  return Number.isFinite(ms) ? ms : undefined;
}

/** `yyyy-MM-ddTHH:mmZ`, the form DescribeBackups takes. */
export function formatApiMinute(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16)}Z`;
}

export function root(body: unknown): Record<string, unknown> {
  if (!isRecord(body)) throw new MalformedResponseError('the response is not a JSON object');
  return body;
}

export function normalizeBackupSet(item: unknown): BackupSet {
  if (!isRecord(item)) throw new MalformedResponseError('a Backup entry is not an object');
  const backupId = idToString(item.BackupId);
  const startMs = parseApiTime(item.BackupStartTime);
  const endMs = parseApiTime(item.BackupEndTime);
  if (backupId === undefined || startMs === undefined || endMs === undefined) {
    throw new MalformedResponseError('a Backup entry lacks BackupId, BackupStartTime or BackupEndTime');
  }
  const set: BackupSet = {
    backupId,
    status: documented(text(item.BackupStatus), BACKUP_SET_STATUSES),
    type: documented(text(item.BackupType), BACKUP_TYPES),
    startMs,
    endMs,
    scope: backupScope(item.BackupScale),
  };
  const size = num(item.BackupSize);
  if (size !== undefined) set.sizeBytes = size;
  const avail = num(item.IsAvail);
  if (avail !== undefined) set.available = avail !== 0;
  return set;
}

/** BackupScale values that mean some databases only, lower-cased. */
const DATABASE_SCALES: ReadonlySet<string> = new Set(['database', 'db']);

/**
 * Whether a backup set covers the whole instance or some of its databases, from its BackupScale.
 * The API reference's DescribeBackups example answers an automated instance backup with
 * `"BackupScale": "DBInstance"`; the value for a backup of chosen databases is not documented, so
 * only `Database` and `db` (CreateBackup's BackupStrategy for a database-level backup) count as
 * such, in any case. Absent or anything else is the instance: a full backup must never be lost
 * to a word we do not know. BackupDBNames does not decide it: the instance backup of that
 * example lists every database there.
 */
export function backupScope(scale: unknown): BackupScope {
  const value = text(scale)?.toLowerCase();
  return value !== undefined && DATABASE_SCALES.has(value) ? 'databases' : 'instance';
}

export function normalizeBackupsPage(body: unknown): BackupsPage {
  const data = root(body);
  const sets = listOf(data, 'Items', 'Backup').map(normalizeBackupSet);
  return { sets, total: countOf(data, 'TotalRecordCount') };
}

const WEEKDAYS: readonly string[] = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/**
 * The longest gap between two consecutive scheduled backup days, wrapping round the week:
 * every day → 86400 s; Monday,Wednesday,Friday,Sunday → 172800 s; one day a week → 604800 s.
 */
export function expectedIntervalSeconds(weekdays: readonly number[]): number | undefined {
  const days = [...new Set(weekdays)].sort((a, b) => a - b);
  if (days.length === 0) return undefined;
  let longest = 0;
  days.forEach((day, i) => {
    const next = i + 1 < days.length ? days[i + 1]! : days[0]! + 7;
    longest = Math.max(longest, next - day);
  });
  return longest * 86400;
}

/** The fields every DescribeBackupPolicy answer carries, whatever the engine: without them the answer says nothing. */
const POLICY_FIELDS = ['PreferredBackupPeriod', 'BackupRetentionPeriod'] as const;

export function normalizeBackupPolicy(body: unknown): BackupPolicy {
  const data = root(body);
  for (const field of POLICY_FIELDS) if (text(data[field]) === undefined) throw new MalformedResponseError(`the response has no ${field}`);
  const weekdays = (text(data.PreferredBackupPeriod) ?? '')
    .split(',')
    .map((d) => WEEKDAYS.indexOf(d.trim()))
    .filter((d) => d >= 0);
  const policy: BackupPolicy = { weekdays };
  const retention = num(data.BackupRetentionPeriod);
  if (retention !== undefined) policy.retentionDays = retention;
  const interval = expectedIntervalSeconds(weekdays);
  if (interval !== undefined) policy.expectedIntervalSeconds = interval;
  const next = parseApiTime(data.PreferredNextBackupTime);
  if (next !== undefined) policy.nextBackupMs = next;
  const window = /^(\d{2}):(\d{2})Z-(\d{2}):(\d{2})Z$/.exec(text(data.PreferredBackupTime) ?? '');
  if (window) {
    const [start, end] = [Number(window[1]) * 60 + Number(window[2]), Number(window[3]) * 60 + Number(window[4])];
    if (start < 1440 && end < 1440) policy.window = { start, end };
  }
  // BackupLog (Enable|Disabled) and EnableBackupLog (1|0) say the same; engines send one or both.
  const backupLog = text(data.BackupLog)?.toLowerCase();
  const enableLog = text(data.EnableBackupLog);
  if (backupLog !== undefined) policy.logBackupEnabled = backupLog === 'enable' || backupLog === 'enabled';
  else if (enableLog !== undefined) policy.logBackupEnabled = enableLog === '1' || enableLog.toLowerCase() === 'true';
  const logRetention = num(data.LogBackupRetentionPeriod);
  if (logRetention !== undefined) policy.logRetentionDays = logRetention;
  const released = text(data.ReleasedKeepPolicy);
  if (released !== undefined) policy.releasedKeepPolicy = documented(released === 'Lastest' ? 'Latest' : released, RELEASED_KEEP_POLICIES);
  const protection = text(data.HighSpaceUsageProtection)?.toLowerCase();
  if (protection !== undefined) policy.highSpaceUsageProtection = protection === 'enable' || protection === 'enabled';
  const compress = text(data.CompressType);
  if (compress !== undefined) policy.compressType = documented(compress, COMPRESS_TYPES);
  const archive = num(data.ArchiveBackupRetentionPeriod);
  if (archive !== undefined) policy.archiveRetentionDays = Math.max(0, archive);
  return policy;
}

/**
 * Whether a scheduled backup can be starting or running at `nowMs`: inside PreferredBackupTime on
 * a scheduled weekday (of the window's start), or within `tailMs` after such a window ended.
 * Without a window or weekdays, always (nothing is known to rule it out).
 */
export function inBackupWindow(policy: BackupPolicy, nowMs: number, tailMs: number): boolean {
  if (!policy.window || policy.weekdays.length === 0) return true;
  const { start, end } = policy.window;
  const lengthMs = ((end - start + 1440) % 1440 || 1440) * 60_000;
  const day = Math.floor(nowMs / 86_400_000) * 86_400_000;
  // The window that began today, or yesterday (it may run past midnight, or its tail may).
  for (const began of [day + start * 60_000, day - 86_400_000 + start * 60_000]) {
    if (!policy.weekdays.includes(new Date(began).getUTCDay())) continue;
    if (nowMs >= began && nowMs < began + lengthMs + tailMs) return true;
  }
  return false;
}

export function normalizeInstancesPage(body: unknown): InstancesPage {
  const data = root(body);
  const instances = listOf(data, 'Items', 'DBInstance').map((item): DBInstance => {
    if (!isRecord(item)) throw new MalformedResponseError('a DBInstance entry is not an object');
    const id = text(item.DBInstanceId);
    if (id === undefined) throw new MalformedResponseError('a DBInstance entry has no DBInstanceId');
    const instance: DBInstance = {
      id,
      description: text(item.DBInstanceDescription) ?? '',
      engine: engineOf(item.Engine),
      engineVersion: engineVersionOf(item.EngineVersion),
      regionId: text(item.RegionId) ?? '',
      instanceType: labelOf(item.DBInstanceType, INSTANCE_TYPES),
      status: labelOf(item.DBInstanceStatus, INSTANCE_STATUSES),
      category: labelOf(item.Category, CATEGORIES),
      lockMode: labelOf(item.LockMode, LOCK_MODES),
    };
    const created = parseApiTime(item.CreateTime);
    if (created !== undefined) instance.createdMs = created;
    return instance;
  });
  return { instances, total: countOf(data, 'TotalRecordCount') };
}

export function normalizeTagsPage(body: unknown): TagsPage {
  const data = root(body);
  const tags = listOf(data, 'TagResources', 'TagResource').map((item) => {
    if (!isRecord(item)) throw new MalformedResponseError('a TagResource entry is not an object');
    const id = text(item.ResourceId);
    const key = text(item.TagKey);
    if (id === undefined || key === undefined) throw new MalformedResponseError('a TagResource entry lacks ResourceId or TagKey');
    return { id, key, value: typeof item.TagValue === 'string' ? item.TagValue : (text(item.TagValue) ?? '') };
  });
  const page: TagsPage = { tags };
  const next = text(data.NextToken);
  if (next !== undefined) page.nextToken = next;
  return page;
}
