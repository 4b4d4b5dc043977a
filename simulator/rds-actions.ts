/**
 * The RDS 2014-08-15 actions the exporter uses, rendered from the World the way the real
 * service answers: string-typed fields, the documented filters and paging, errors with the
 * real codes, and the per-instance quirks (quirks on SimInstance) that real clients meet.
 *
 * Each handler gets the already-authenticated request parameters and returns the response
 * body without RequestId (the server adds it), or throws an ApiError.
 */
import { ApiError, instanceNotFound, invalidParameter, missingParameter } from './api-error.js';
import { formatUtcMinutes, formatUtcSeconds, parseUtcMinutes, parseUtcSeconds } from './api-time.js';
import { JsonNumberLiteral } from './json-text.js';
import { fnv1a } from './random.js';
import type { SimBackupSet, SimCrossRegionSet, SimInstance, SimJob, SimLogFile, World } from './world.js';

export type ActionHandler = (world: World, params: Record<string, string>) => Record<string, unknown>;

export const RDS_ACTIONS: Readonly<Record<string, ActionHandler>> = {
  DescribeBackupTasks: describeBackupTasks,
  DescribeBackups: describeBackups,
  DescribeBackupPolicy: describeBackupPolicy,
  DescribeDBInstances: describeDBInstances,
  DescribeDBInstanceAttribute: describeDBInstanceAttribute,
  ListTagResources: listTagResources,
  DescribeRegions: describeRegions,
  DescribeLocalAvailableRecoveryTime: describeLocalAvailableRecoveryTime,
  DescribeBinlogFiles: describeBinlogFiles,
  DescribeLogBackupFiles: describeLogBackupFiles,
  DescribeCrossRegionBackupDBInstance: describeCrossRegionBackupDBInstance,
  DescribeCrossRegionBackups: describeCrossRegionBackups,
  DescribeResourceUsage: describeResourceUsage,
};

/** ListTagResources page length; the real default is small, which forces clients to page. */
export const TAG_PAGE_SIZE = 20;
const MAX_TAG_RESOURCE_IDS = 50;

function requireParam(params: Record<string, string>, name: string): string {
  const value = params[name];
  if (value === undefined || value === '') {
    throw missingParameter(name);
  }
  return value;
}

function requireInstance(world: World, params: Record<string, string>): SimInstance {
  const instance = world.instance(requireParam(params, 'DBInstanceId'));
  if (!instance) {
    throw instanceNotFound();
  }
  return instance;
}

function pageNumber(params: Record<string, string>): number {
  const text = params.PageNumber;
  if (text === undefined) {
    return 1;
  }
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1) {
    throw new ApiError('InvalidPageNumber', 400, `The specified PageNumber ${JSON.stringify(text)} is not valid.`);
  }
  return n;
}

function pageSize(params: Record<string, string>, accept: (n: number) => boolean, fallback: number): number {
  const text = params.PageSize;
  if (text === undefined) {
    return fallback;
  }
  const n = Number(text);
  if (!/^\d+$/.test(text) || !accept(n)) {
    throw new ApiError('InvalidPageSize', 400, `The specified PageSize ${JSON.stringify(text)} is not valid.`);
  }
  return n;
}

/** An id as the quirky variant sends it: a bare JSON number when it is all digits. */
function idValue(id: string, asNumber: boolean | undefined): string | JsonNumberLiteral {
  return asNumber && /^\d+$/.test(id) ? new JsonNumberLiteral(id) : id;
}

// ---------------------------------------------------------------------------------------------
// DescribeBackupTasks

function renderJob(job: SimJob, instance: SimInstance): Record<string, unknown> {
  const ended = job.outcome !== undefined;
  return {
    BackupJobId: idValue(job.jobId, instance.quirks.idsAsNumbers),
    BackupId: idValue(job.backupId, instance.quirks.idsAsNumbers),
    BackupProgressStatus: job.progressStatus,
    // Absent until the task reports one; some regions never send it while the task runs.
    BackupStatus: ended || !instance.quirks.omitBackupStatus ? job.status : undefined,
    JobMode: job.mode,
    Process: String(job.process),
    TaskAction: job.taskAction,
  };
}

/** NoStart = not begun yet; Progressing = everything else still listed. */
function isNotStarted(job: SimJob): boolean {
  return job.status === undefined || job.status === 'NoStart';
}

function describeBackupTasks(world: World, params: Record<string, string>): Record<string, unknown> {
  const instance = requireInstance(world, params);
  const jobStatus = params.BackupJobStatus;
  if (jobStatus !== undefined && jobStatus !== 'NoStart' && jobStatus !== 'Progressing') {
    throw invalidParameter('BackupJobStatus', jobStatus);
  }
  const mode = params.BackupMode;
  if (mode !== undefined && mode !== 'Automated' && mode !== 'Manual') {
    throw invalidParameter('BackupMode', mode);
  }

  let jobs: SimJob[];
  const jobId = params.BackupJobId;
  if (jobId !== undefined) {
    if (!/^\d+$/.test(jobId)) {
      throw invalidParameter('BackupJobId', jobId);
    }
    // By id the service answers for ended tasks too (the only place their outcome is visible
    // before DescribeBackups); the status/mode filters do not apply to a lookup.
    const job = world.job(instance.id, jobId);
    jobs = job && !job.forgotten ? [job] : [];
  } else {
    jobs = world
      .listedJobs(instance.id)
      .filter((job) => jobStatus === undefined || (jobStatus === 'NoStart') === isNotStarted(job))
      .filter((job) => mode === undefined || job.mode === mode);
  }

  const rendered = jobs.map((job) => renderJob(job, instance));
  const backupJob = instance.quirks.singleObject && rendered.length === 1 ? rendered[0] : rendered;
  return { Items: { BackupJob: backupJob } };
}

// ---------------------------------------------------------------------------------------------
// DescribeBackups

function optionalMinutes(params: Record<string, string>, name: 'StartTime' | 'EndTime'): number | undefined {
  const text = params[name];
  if (text === undefined) {
    return undefined;
  }
  const ms = parseUtcMinutes(text);
  if (ms === undefined) {
    throw new ApiError(`Invalid${name}.Malformed`, 400, `The specified parameter "${name}" is not valid (expected yyyy-MM-ddTHH:mmZ).`);
  }
  return ms;
}

function describeBackups(world: World, params: Record<string, string>): Record<string, unknown> {
  const instance = requireInstance(world, params);
  const start = optionalMinutes(params, 'StartTime');
  const end = optionalMinutes(params, 'EndTime');
  const size = pageSize(params, (n) => n === 30 || n === 50 || n === 100, 30);
  const page = pageNumber(params);
  const { BackupStatus: status, BackupMode: mode, BackupType: type, BackupId: backupId } = params;

  // The time range selects on BackupStartTime (the reference calls it the range the backups
  // were taken in); both ends inclusive, at the minute the caller gave.
  const matching = world
    .backupSets(instance.id)
    .filter((set) => status === undefined || set.status === status)
    .filter((set) => mode === undefined || set.mode === mode)
    .filter((set) => type === undefined || set.type === type)
    .filter((set) => backupId === undefined || set.backupId === backupId)
    .filter((set) => start === undefined || set.startTime >= start)
    .filter((set) => end === undefined || set.startTime <= end);
  // The real order is undocumented. Order by a hash of the id: stable across calls (so pages
  // do not overlap) but unrelated to time, so a client that takes "the first one" is wrong.
  matching.sort((a, b) => fnv1a(a.backupId) - fnv1a(b.backupId) || a.backupId.localeCompare(b.backupId));

  const onPage = matching.slice((page - 1) * size, page * size);
  const numeric = instance.quirks.numericFields === true;
  const count = (n: number): number | string => (numeric ? n : String(n));
  return {
    PageNumber: count(page),
    PageRecordCount: count(onPage.length),
    TotalRecordCount: count(matching.length),
    TotalBackupSize: count(matching.reduce((sum, set) => sum + set.sizeBytes, 0)),
    Items: { Backup: onPage.map((set) => renderBackupSet(set, instance, count)) },
  };
}

function renderBackupSet(set: SimBackupSet, instance: SimInstance, count: (n: number) => number | string): Record<string, unknown> {
  return {
    BackupId: set.backupId,
    DBInstanceId: instance.id,
    BackupStatus: set.status,
    BackupStartTime: formatUtcSeconds(set.startTime),
    BackupEndTime: formatUtcSeconds(set.endTime),
    BackupSize: count(set.sizeBytes),
    BackupMode: set.mode,
    BackupMethod: set.method,
    BackupType: set.type,
    // The reference shows DBInstance for an instance backup; "Database" for a backup of some
    // databases is not documented (CreateBackup calls that strategy "db").
    BackupScale: set.databases === undefined ? 'DBInstance' : 'Database',
    ...(set.databases === undefined ? {} : { BackupDBNames: set.databases.join(',') }),
    BackupInitiator: set.initiator,
    BackupLocation: 'OSS',
    StoreStatus: 'Disabled',
    Engine: set.engine,
    EngineVersion: set.engineVersion,
    HostInstanceID: String(fnv1a(instance.id) % 100_000_000),
    IsAvail: set.status === 'Success' ? 1 : 0,
  };
}

// ---------------------------------------------------------------------------------------------
// DescribeBackupPolicy

function describeBackupPolicy(world: World, params: Record<string, string>): Record<string, unknown> {
  const instance = requireInstance(world, params);
  // A read-only replica has no backup settings of its own (its primary's backups cover it).
  // The action's reference does not say what it answers; this is the code RDS documents for
  // "this instance type does not support the operation".
  if (instance.instanceType === 'Readonly') {
    throw new ApiError('IncorrectDBInstanceType', 403, 'Current DB instance type does not support this operation.');
  }
  const { policy } = instance;
  return {
    PreferredBackupTime: policy.preferredBackupTime,
    PreferredBackupPeriod: policy.preferredBackupPeriod,
    PreferredNextBackupTime: formatUtcMinutes(world.nextBackupTime(instance.id)),
    BackupRetentionPeriod: policy.retentionDays,
    LogBackupRetentionPeriod: policy.logRetentionDays,
    BackupLog: policy.logBackupEnabled ? 'Enable' : 'Disabled',
    EnableBackupLog: policy.logBackupEnabled ? '1' : '0',
    LocalLogRetentionHours: 18,
    LocalLogRetentionSpace: '30',
    HighSpaceUsageProtection: policy.highSpaceUsageProtection,
    BackupMethod: 'Physical',
    Category: 'Standard',
    CompressType: policy.compressType,
    ArchiveBackupRetentionPeriod: String(policy.archiveRetentionDays),
    ReleasedKeepPolicy: policy.releasedKeepPolicy,
  };
}

// ---------------------------------------------------------------------------------------------
// DescribeDBInstances

function parseTagFilter(text: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalidParameter('Tags', text);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw invalidParameter('Tags', text);
  }
  const tags: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed)) {
    tags[key] = String(value);
  }
  return tags;
}

function describeDBInstances(world: World, params: Record<string, string>): Record<string, unknown> {
  const regionId = requireParam(params, 'RegionId');
  const size = pageSize(params, (n) => n >= 1 && n <= 100, 30);
  const page = pageNumber(params);
  const tagFilter = params.Tags === undefined ? undefined : parseTagFilter(params.Tags);
  const idFilter = params.DBInstanceId === undefined ? undefined : new Set(params.DBInstanceId.split(',').map((id) => id.trim()));
  const { Engine: engine, DBInstanceStatus: status, DBInstanceType: type, Category: category } = params;

  const matching = (idFilter === undefined ? world.instances() : world.instancesAmong(idFilter))
    .filter((i) => i.regionId === regionId)
    .filter((i) => engine === undefined || i.engine === engine)
    .filter((i) => status === undefined || i.status === status)
    .filter((i) => type === undefined || i.instanceType === type)
    .filter((i) => category === undefined || i.category === category)
    .filter((i) => tagFilter === undefined || Object.entries(tagFilter).every(([k, v]) => i.tags[k] === v));
  const onPage = matching.slice((page - 1) * size, page * size);
  return {
    PageNumber: page,
    PageRecordCount: onPage.length,
    TotalRecordCount: matching.length,
    Items: { DBInstance: onPage.map((i) => renderInstance(world, i)) },
  };
}

/** No tags here: the real API only returns them through ListTagResources. */
function renderInstance(world: World, instance: SimInstance): Record<string, unknown> {
  return { ...instanceFacts(world, instance), MutriORsignle: false, CreateTime: formatUtcSeconds(instance.createdAt) };
}

/**
 * What DescribeDBInstances and DescribeDBInstanceAttribute both say of an instance (the creation
 * time each names its own way). MasterInstanceId only on a read-only replica, ReadOnlyDBInstanceIds
 * only on a primary that has replicas.
 */
function instanceFacts(world: World, instance: SimInstance): Record<string, unknown> {
  const replicas = world.readOnlyReplicas(instance.id);
  return {
    DBInstanceId: instance.id,
    DBInstanceDescription: instance.description,
    Engine: instance.engine,
    EngineVersion: instance.engineVersion,
    RegionId: instance.regionId,
    ZoneId: instance.zoneId,
    DBInstanceStatus: instance.status,
    DBInstanceType: instance.instanceType,
    DBInstanceClass: instance.instanceClass,
    DBInstanceNetType: 'Intranet',
    DBInstanceStorageType: 'cloud_essd',
    InstanceNetworkType: 'VPC',
    ConnectionMode: 'Standard',
    PayType: 'Prepaid',
    LockMode: instance.lockMode,
    LockReason: instance.lockReason,
    ResourceGroupId: 'rg-acfmdemo0000000',
    Category: instance.category,
    ExpireTime: formatUtcSeconds(instance.expiresAt),
    ...(instance.masterInstanceId === undefined ? {} : { MasterInstanceId: instance.masterInstanceId }),
    ...(replicas.length === 0 ? {} : { ReadOnlyDBInstanceIds: { ReadOnlyDBInstanceId: replicas.map((r) => ({ DBInstanceId: r.id })) } }),
  };
}

// ---------------------------------------------------------------------------------------------
// DescribeDBInstanceAttribute

/** DBInstanceId takes up to this many comma-separated ids. */
const MAX_ATTRIBUTE_IDS = 30;
const GIB = 1024 ** 3;

/**
 * The same facts as DescribeDBInstances, one entry per asked id, in the attribute shape: the
 * creation time is `CreationTime` here (`CreateTime` in the listing). No RegionId needed.
 * Ids that do not exist are left out; when none exists the answer is InvalidDBInstanceId.NotFound.
 */
function describeDBInstanceAttribute(world: World, params: Record<string, string>): Record<string, unknown> {
  const ids = requireParam(params, 'DBInstanceId')
    .split(',')
    .map((id) => id.trim());
  if (ids.length > MAX_ATTRIBUTE_IDS) throw invalidParameter('DBInstanceId', params.DBInstanceId ?? '');
  const found = world.instancesAmong(ids);
  if (found.length === 0) throw instanceNotFound();
  return {
    Items: {
      DBInstanceAttribute: found.map((instance) => ({
        ...instanceFacts(world, instance),
        DBInstanceStorage: Math.round(instance.storageBytes / GIB),
        CreationTime: formatUtcSeconds(instance.createdAt),
        MaintainTime: '18:00Z-22:00Z',
      })),
    },
  };
}

// ---------------------------------------------------------------------------------------------
// ListTagResources

/** Collects `Prefix.1`, `Prefix.2`, ... in index order (the indices need not be contiguous). */
function indexedParams(params: Record<string, string>, pattern: RegExp): Map<number, Record<string, string>> {
  const byIndex = new Map<number, Record<string, string>>();
  for (const [key, value] of Object.entries(params)) {
    const m = pattern.exec(key);
    if (!m) {
      continue;
    }
    const index = Number(m[1]);
    const entry = byIndex.get(index) ?? {};
    entry[m[2] ?? ''] = value;
    byIndex.set(index, entry);
  }
  return new Map([...byIndex.entries()].sort(([a], [b]) => a - b));
}

function encodeNextToken(offset: number): string {
  return Buffer.from(`tags:${offset}`).toString('base64url');
}

function decodeNextToken(token: string): number {
  const m = /^tags:(\d+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
  if (!m) {
    throw new ApiError('InvalidNextToken', 400, 'The specified NextToken is not valid.');
  }
  return Number(m[1]);
}

function listTagResources(world: World, params: Record<string, string>): Record<string, unknown> {
  const regionId = requireParam(params, 'RegionId');
  const resourceType = requireParam(params, 'ResourceType');
  if (resourceType.toUpperCase() !== 'INSTANCE') {
    throw invalidParameter('ResourceType', resourceType);
  }
  const ids = [...indexedParams(params, /^ResourceId\.(\d+)()$/).values()].map((entry) => entry[''] ?? '');
  if (ids.length > MAX_TAG_RESOURCE_IDS) {
    throw new ApiError('InvalidParameter.ResourceIdCountExceed', 400, `At most ${MAX_TAG_RESOURCE_IDS} ResourceId.N are allowed.`);
  }
  const tagFilters = [...indexedParams(params, /^Tag\.(\d+)\.(Key|Value)$/).values()];
  if (ids.length === 0 && tagFilters.length === 0) {
    throw missingParameter('ResourceId.N');
  }
  const offset = params.NextToken ? decodeNextToken(params.NextToken) : 0;

  // Resources in the region, narrowed by ResourceId.N, then to those carrying every Tag.N
  // (a Tag.N without Value matches any value). All tags of the selected resources are returned.
  const wanted = ids.length > 0 ? new Set(ids) : undefined;
  const pairs = world
    .instances()
    .filter((i) => i.regionId === regionId && (wanted === undefined || wanted.has(i.id)))
    .filter((i) => tagFilters.every(({ Key: key, Value: value }) => key !== undefined && key in i.tags && (value === undefined || i.tags[key] === value)))
    .flatMap((i) =>
      Object.entries(i.tags).map(([key, value]) => ({
        ResourceId: i.id,
        ResourceType: 'ALIYUN::RDS::INSTANCE',
        TagKey: key,
        TagValue: value,
      })),
    );
  const page = pairs.slice(offset, offset + TAG_PAGE_SIZE);
  const next = offset + TAG_PAGE_SIZE < pairs.length ? encodeNextToken(offset + TAG_PAGE_SIZE) : undefined;
  return { NextToken: next, TagResources: { TagResource: page } };
}

// ---------------------------------------------------------------------------------------------
// DescribeRegions

/** Regions every account sees, whether or not it has instances there. */
const FIXED_ZONES: ReadonlyArray<readonly [regionId: string, zoneId: string]> = [
  ['cn-hangzhou', 'cn-hangzhou-h'],
  ['cn-hangzhou', 'cn-hangzhou-i'],
  ['cn-hangzhou', 'cn-hangzhou-j'],
  ['cn-shanghai', 'cn-shanghai-b'],
  ['cn-shanghai', 'cn-shanghai-l'],
  ['cn-beijing', 'cn-beijing-h'],
  ['ap-southeast-1', 'ap-southeast-1a'],
  ['eu-central-1', 'eu-central-1a'],
];

/** Mirrors the endpoint table: the central endpoint for the old regions, a regional one otherwise. */
const CENTRAL_ENDPOINT_REGIONS = new Set([
  'cn-qingdao',
  'cn-beijing',
  'cn-hangzhou',
  'cn-shanghai',
  'cn-shenzhen',
  'cn-heyuan',
  'cn-hongkong',
  'ap-southeast-1',
  'us-west-1',
  'us-east-1',
]);

function describeRegions(world: World): Record<string, unknown> {
  const zones = new Map<string, string>();
  for (const [regionId, zoneId] of FIXED_ZONES) {
    zones.set(zoneId, regionId);
  }
  for (const instance of world.instances()) {
    zones.set(instance.zoneId, instance.regionId);
  }
  // One entry per zone, so RegionId repeats: clients must de-duplicate.
  const entries = [...zones.entries()].map(([zoneId, regionId]) => ({
    RegionId: regionId,
    ZoneId: zoneId,
    LocalName: regionId,
    ZoneName: zoneId,
    RegionEndpoint: CENTRAL_ENDPOINT_REGIONS.has(regionId) ? 'rds.aliyuncs.com' : `rds.${regionId}.aliyuncs.com`,
  }));
  return { Regions: { RDSRegion: entries } };
}

// ---------------------------------------------------------------------------------------------
// Recoverability: DescribeLocalAvailableRecoveryTime, DescribeBinlogFiles, DescribeLogBackupFiles,
// DescribeCrossRegionBackupDBInstance, DescribeCrossRegionBackups, DescribeResourceUsage

const DAY_MS = 24 * 3600_000;
const BINLOG_ENGINES = new Set(['MySQL', 'MariaDB', 'PostgreSQL']);

/** Sizes and counts: strings by default, numbers with the numericFields quirk (both are met). */
function counter(instance: SimInstance): (n: number) => number | string {
  return (n) => (instance.quirks.numericFields ? n : String(n));
}

function engineNotSupported(instance: SimInstance, action: string): ApiError {
  return new ApiError('InvalidDBInstanceEngine.NotSupport', 400, `${action} is not supported for instances that run ${instance.engine}.`);
}

function requiredTime(params: Record<string, string>, name: 'StartTime' | 'EndTime', parse: (text: string) => number | undefined, form: string): number {
  const text = requireParam(params, name);
  const ms = parse(text);
  if (ms === undefined) {
    throw new ApiError(`Invalid${name}.Malformed`, 400, `The specified parameter "${name}" is not valid (expected ${form}).`);
  }
  return ms;
}

function timeRange(params: Record<string, string>, parse: (text: string) => number | undefined, form: string): [number, number] {
  const start = requiredTime(params, 'StartTime', parse, form);
  const end = requiredTime(params, 'EndTime', parse, form);
  if (end <= start) {
    throw new ApiError('InvalidEndTime.Malformed', 400, 'The EndTime must be later than the StartTime.');
  }
  return [start, end];
}

/** Newest first in the real service? Undocumented: ordered by a hash, like DescribeBackups. */
function hashOrder<T>(items: T[], key: (item: T) => string): T[] {
  return items.sort((a, b) => fnv1a(key(a)) - fnv1a(key(b)) || key(a).localeCompare(key(b)));
}

function describeLocalAvailableRecoveryTime(world: World, params: Record<string, string>): Record<string, unknown> {
  const instance = requireInstance(world, params);
  const now = world.now();
  const usable = world
    .backupSets(instance.id)
    .filter(
      (set) =>
        set.status === 'Success' && set.type === 'FullBackup' && set.databases === undefined && set.endTime >= now - instance.policy.retentionDays * DAY_MS,
    );
  // No full backup within retention: nothing to restore from, and the service answers with empty strings.
  if (usable.length === 0) {
    return { DBInstanceId: instance.id, RecoveryBeginTime: '', RecoveryEndTime: '' };
  }
  const begin = Math.min(...usable.map((set) => set.endTime));
  const uploaded = world.logFiles(instance.id).filter((f) => f.uploaded);
  // With log backups, any time up to the newest uploaded log; without, only the backup sets themselves.
  const end = uploaded.length > 0 ? Math.max(...uploaded.map((f) => f.endMs)) : Math.max(...usable.map((set) => set.endTime));
  return { DBInstanceId: instance.id, RecoveryBeginTime: formatUtcSeconds(begin), RecoveryEndTime: formatUtcSeconds(Math.max(begin, end)) };
}

/** A signed OSS link, as the service sends it: a client must never log or export it. */
function downloadLink(instance: SimInstance, file: SimLogFile, internal: boolean): string {
  const host = internal ? 'rdslog-hz-v3.oss-cn-hangzhou-internal.aliyuncs.com' : 'rdslog-hz-v3.oss-cn-hangzhou.aliyuncs.com';
  return `http://${host}/${instance.id}/${file.host}/${file.seq}?OSSAccessKeyId=LTAI5tSimOssKey&Expires=1700000000&Signature=c2ltLXNpZ25hdHVyZQ%3D%3D`;
}

function logFileName(instance: SimInstance, file: SimLogFile): string {
  return instance.engine === 'PostgreSQL'
    ? file.seq.toString(16).toUpperCase().padStart(24, '0')
    : `mysql-bin.${String(file.seq % 1_000_000).padStart(6, '0')}`;
}

/** Files whose time overlaps the range: ending after its start and starting before its end. */
function overlapping(world: World, instance: SimInstance, start: number, end: number): SimLogFile[] {
  return hashOrder(
    world.logFiles(instance.id).filter((f) => f.endMs > start && f.beginMs < end),
    (f) => `${f.host}/${f.seq}`,
  );
}

function logFilesAnswer(
  instance: SimInstance,
  files: SimLogFile[],
  size: number,
  page: number,
  render: (f: SimLogFile) => Record<string, unknown>,
): Record<string, unknown> {
  const onPage = files.slice((page - 1) * size, page * size);
  const count = counter(instance);
  return {
    TotalRecordCount: count(files.length),
    PageNumber: count(page),
    PageRecordCount: count(onPage.length),
    TotalFileSize: count(files.reduce((sum, f) => sum + f.sizeBytes, 0)),
    Items: { BinLogFile: onPage.map(render) },
  };
}

function describeBinlogFiles(world: World, params: Record<string, string>): Record<string, unknown> {
  const instance = requireInstance(world, params);
  if (!BINLOG_ENGINES.has(instance.engine)) throw engineNotSupported(instance, 'DescribeBinlogFiles');
  // Second precision: yyyy-MM-ddTHH:mm:ssZ.
  const [start, end] = timeRange(params, parseUtcSeconds, 'yyyy-MM-ddTHH:mm:ssZ');
  const size = pageSize(params, (n) => n >= 30 && n <= 100, 30);
  const page = pageNumber(params);
  const count = counter(instance);
  return logFilesAnswer(instance, overlapping(world, instance, start, end), size, page, (f) => ({
    FileSize: count(f.sizeBytes),
    LogBeginTime: formatUtcSeconds(f.beginMs),
    LogEndTime: formatUtcSeconds(f.endMs),
    DownloadLink: downloadLink(instance, f, false),
    IntranetDownloadLink: downloadLink(instance, f, true),
    LinkExpiredTime: formatUtcSeconds(world.now() + 3600_000),
    HostInstanceID: f.host,
    LogFileName: logFileName(instance, f),
    RemoteStatus: f.uploaded ? 'Completed' : 'Uploading',
    Checksum: String(fnv1a(`${instance.id}/${f.host}/${f.seq}`)),
  }));
}

function describeLogBackupFiles(world: World, params: Record<string, string>): Record<string, unknown> {
  const instance = requireInstance(world, params);
  if (instance.engine !== 'SQLServer') throw engineNotSupported(instance, 'DescribeLogBackupFiles');
  // Minute precision: yyyy-MM-ddTHH:mmZ, in the request and in the answer.
  const [start, end] = timeRange(params, parseUtcMinutes, 'yyyy-MM-ddTHH:mmZ');
  const size = pageSize(params, (n) => n >= 30 && n <= 1000, 30);
  const page = pageNumber(params);
  const count = counter(instance);
  // SQL Server's log backups are uploaded whole: only the finished ones are listed.
  const files = overlapping(world, instance, start, end).filter((f) => f.uploaded);
  return logFilesAnswer(instance, files, size, page, (f) => ({
    FileSize: count(f.sizeBytes),
    LogBeginTime: formatUtcMinutes(f.beginMs),
    LogEndTime: formatUtcMinutes(f.endMs),
    DownloadLink: downloadLink(instance, f, false),
    IntranetDownloadLink: downloadLink(instance, f, true),
    LinkExpiredTime: formatUtcSeconds(world.now() + 3600_000),
  }));
}

function requireRegion(params: Record<string, string>, instance: SimInstance): void {
  if (requireParam(params, 'RegionId') !== instance.regionId) throw instanceNotFound();
}

function describeCrossRegionBackupDBInstance(world: World, params: Record<string, string>): Record<string, unknown> {
  const regionId = requireParam(params, 'RegionId');
  const ids = params.DBInstanceId === undefined ? undefined : params.DBInstanceId.split(',').map((id) => id.trim());
  if (ids && ids.length > 30) throw invalidParameter('DBInstanceId', params.DBInstanceId ?? '');
  const size = pageSize(params, (n) => n >= 1 && n <= 100, 30);
  const page = pageNumber(params);
  // Only instances whose cross-region backup was ever set up are listed.
  const matching = world.instances().filter((i) => i.regionId === regionId && i.crossRegion !== undefined && (ids === undefined || ids.includes(i.id)));
  const onPage = matching.slice((page - 1) * size, page * size);
  return {
    RegionId: regionId,
    PageNumber: page,
    PageSize: size,
    TotalRecords: matching.length,
    ItemsNumbers: onPage.length,
    Items: {
      Item: onPage.map((i) => {
        const cross = i.crossRegion!;
        return {
          DBInstanceId: i.id,
          DBInstanceDescription: i.description,
          DBInstanceStatus: i.status,
          Engine: i.engine,
          EngineVersion: i.engineVersion,
          LockMode: i.lockMode,
          BackupEnabled: cross.enabled ? 'Enable' : 'Disable',
          BackupEnabledTime: cross.enabled ? '2026-01-05T08:00:00Z' : '',
          LogBackupEnabled: cross.logEnabled ? 'Enable' : 'Disable',
          LogBackupEnabledTime: cross.logEnabled ? '2026-01-05T08:00:00Z' : '',
          CrossBackupRegion: cross.enabled ? cross.region : '',
          CrossBackupType: '1',
          RetentType: 1,
          Retention: cross.retentionDays,
        };
      }),
    },
  };
}

function describeCrossRegionBackups(world: World, params: Record<string, string>): Record<string, unknown> {
  const instance = requireInstance(world, params);
  requireRegion(params, instance);
  const size = pageSize(params, (n) => n === 30 || n === 50 || n === 100, 30);
  const page = pageNumber(params);
  const crossBackupId = params.CrossBackupId;
  let sets: SimCrossRegionSet[];
  let range: [number, number] | undefined;
  if (crossBackupId !== undefined) {
    sets = world.crossRegionSets(instance.id).filter((set) => String(set.crossBackupId) === crossBackupId);
  } else {
    // Second precision; the range selects on BackupStartTime.
    range = timeRange(params, parseUtcSeconds, 'yyyy-MM-ddTHH:mm:ssZ');
    const [start, end] = range;
    sets = world.crossRegionSets(instance.id).filter((set) => set.startTime >= start && set.startTime <= end);
  }
  hashOrder(sets, (set) => String(set.crossBackupId));
  const onPage = sets.slice((page - 1) * size, page * size);
  const count = counter(instance);
  const answer: Record<string, unknown> = {
    RegionId: instance.regionId,
    PageNumber: page,
    PageRecordCount: onPage.length,
    TotalRecordCount: sets.length,
    Items: {
      Item: onPage.map((set) => ({
        CrossBackupId: set.crossBackupId,
        BackupSetStatus: set.status,
        BackupStartTime: formatUtcSeconds(set.startTime),
        BackupEndTime: formatUtcSeconds(set.endTime),
        ConsistentTime: formatUtcSeconds(set.startTime),
        BackupType: 'F',
        BackupMethod: 'P',
        BackupSetScale: 0,
        Category: 'HighAvailability',
        CrossBackupRegion: set.region,
        CrossBackupSetFile: `${instance.regionId}_${instance.id}_data_${set.crossBackupId}_qp.xb`,
        CrossBackupSetLocation: 'oss',
        CrossBackupSetSize: count(set.sizeBytes),
        CrossBackupDownloadLink: `http://rdsddrbak-${set.region}.oss-${set.region}.aliyuncs.com/${set.crossBackupId}?OSSAccessKeyId=LTAI5tSimOssKey&Signature=c2ltLXNpZ25hdHVyZQ%3D%3D`,
        DBInstanceStorageType: 'cloud_essd',
        Engine: instance.engine.toLowerCase(),
        EngineVersion: instance.engineVersion,
        InstanceId: fnv1a(instance.id) % 10_000_000,
        RestoreRegions: { RestoreRegion: [set.region] },
      })),
    },
  };
  if (range) {
    answer.StartTime = formatUtcSeconds(range[0]);
    answer.EndTime = formatUtcSeconds(range[1]);
  }
  return answer;
}

function describeResourceUsage(world: World, params: Record<string, string>): Record<string, unknown> {
  const instance = requireInstance(world, params);
  const now = world.now();
  const data = world
    .backupSets(instance.id)
    .filter((set) => set.status === 'Success' && set.endTime >= now - instance.policy.retentionDays * DAY_MS)
    .reduce((sum, set) => sum + set.sizeBytes, 0);
  const log = world.logFiles(instance.id).reduce((sum, f) => sum + f.sizeBytes, 0);
  const total = data + log;
  // The free quota is half the purchased storage; -1 stands for "none stored".
  const orNone = (n: number) => (n > 0 ? n : -1);
  return {
    DBInstanceId: instance.id,
    Engine: instance.engine,
    DiskUsed: Math.round(instance.storageBytes * 0.4),
    DataSize: Math.round(instance.storageBytes * 0.3),
    LogSize: Math.round(instance.storageBytes * 0.1),
    SQLSize: -1,
    BackupSize: orNone(total),
    BackupDataSize: data,
    BackupLogSize: log,
    BackupOssDataSize: data,
    BackupOssLogSize: log,
    ArchiveBackupSize: 0,
    ColdBackupSize: -1,
    BackupEcsSnapshotSize: '0',
    PaidBackupSize: Math.max(0, total - Math.round(instance.storageBytes / 2)),
  };
}
