// The narrow door the collector goes through: the RDS reads it needs, as typed records. The one
// implementation is RdsClient (pop-core beneath limits, retries and observation); tests hand the collector a scripted
// fake. Every method rejects only with an ApiError, already classified: nothing above
// src/alicloud/ looks at a raw rejection.
import type { BackupPolicy, BackupScope, BackupSet, DBInstance } from './backups.js';
import type { Priority } from '../concurrency/wait-queue.js';
import type { BackupTask } from './normalize.js';
import type { BackupStorage, CrossRegionBackupSet, CrossRegionSettings, LogFile, RestoreWindow } from './recovery.js';

export type { ApiError, ErrorKind } from './errors.js';
export type {
  BackupPolicy,
  BackupScope,
  BackupSet,
  BackupStorage,
  BackupTask,
  CrossRegionBackupSet,
  CrossRegionSettings,
  DBInstance,
  LogFile,
  Priority,
  RestoreWindow,
};

export interface CallOptions {
  /**
   * Ends the call: waits for the rate limit, a concurrency slot or a backoff stop at once, and a
   * request in flight is abandoned (and counted with code Timeout). Rejects with an ApiError of
   * code Timeout.
   */
  signal?: AbortSignal;
  /** `listing` goes before `backlog` when requests queue for the limits (default backlog) */
  priority?: Priority;
  /** whose backlog this is (an instance): backlog is served round-robin between owners */
  owner?: string;
}

export interface RdsApi {
  /** The task listing (not started or in progress), or the one job `backupJobId` whatever its state. */
  describeBackupTasks(instanceId: string, backupJobId?: string, opts?: CallOptions): Promise<BackupTask[]>;
  /** Every backup set whose start time falls in [startMs, endMs] (minute precision), all pages. */
  describeBackups(instanceId: string, startMs: number, endMs: number, opts?: CallOptions): Promise<BackupSet[]>;
  describeBackupPolicy(instanceId: string, opts?: CallOptions): Promise<BackupPolicy>;
  /** The region's instances (all pages), or only `ids` when given. */
  describeDBInstances(regionId: string, ids?: readonly string[], opts?: CallOptions): Promise<DBInstance[]>;
  /** The tags of `ids`, all pages. */
  listTags(regionId: string, ids: readonly string[], opts?: CallOptions): Promise<Map<string, Record<string, string>>>;
  /** DescribeLocalAvailableRecoveryTime: the times the instance can be restored to. */
  describeRestoreWindow(instanceId: string, opts?: CallOptions): Promise<RestoreWindow>;
  /** DescribeBinlogFiles (MySQL, MariaDB, PostgreSQL): every file overlapping [startMs, endMs] (second precision), all pages. */
  describeBinlogFiles(instanceId: string, startMs: number, endMs: number, opts?: CallOptions): Promise<LogFile[]>;
  /** DescribeLogBackupFiles (SQL Server): every file overlapping [startMs, endMs] (minute precision, widened to whole minutes), all pages. */
  describeLogBackupFiles(instanceId: string, startMs: number, endMs: number, opts?: CallOptions): Promise<LogFile[]>;
  /** DescribeCrossRegionBackupDBInstance: the instance's cross-region backup settings (disabled when the API does not list it). */
  describeCrossRegionSettings(regionId: string, instanceId: string, opts?: CallOptions): Promise<CrossRegionSettings>;
  /** DescribeCrossRegionBackups: the cross-region copies whose start falls in [startMs, endMs] (second precision), all pages. */
  describeCrossRegionBackups(regionId: string, instanceId: string, startMs: number, endMs: number, opts?: CallOptions): Promise<CrossRegionBackupSet[]>;
  /** DescribeResourceUsage: the instance's backup storage. */
  describeBackupStorage(instanceId: string, opts?: CallOptions): Promise<BackupStorage>;
}
