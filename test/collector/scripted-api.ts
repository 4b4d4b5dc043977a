// A scripted fake of the RdsApi interface, for collector tests: each method answers from a
// function the test sets, records the call (with its priority), and keeps the interface's
// contract — it rejects only with an ApiError, and with code Timeout as soon as the call's
// signal aborts.
import { ApiError } from '../../src/alicloud/errors.js';
import type {
  BackupPolicy,
  BackupSet,
  BackupStorage,
  BackupTask,
  CallOptions,
  CrossRegionBackupSet,
  CrossRegionSettings,
  DBInstance,
  LogFile,
  Priority,
  RdsApi,
  RestoreWindow,
} from '../../src/alicloud/rds-api.js';

export interface RecordedCall {
  method: keyof RdsApi;
  /** the instance, region, or job id the call is about */
  args: unknown[];
  priority: Priority;
}

type Answer<T> = T | Promise<T>;

/** Never answers: the call ends only when its signal aborts. */
export const HANG = Symbol('hang');

export class ScriptedApi implements RdsApi {
  readonly calls: RecordedCall[] = [];
  tasks: (instanceId: string, jobId?: string) => Answer<BackupTask[] | typeof HANG> = () => [];
  backups: (instanceId: string, startMs: number, endMs: number) => Answer<BackupSet[] | typeof HANG> = () => [];
  policy: (instanceId: string) => Answer<BackupPolicy | typeof HANG> = () => ({ weekdays: [0, 1, 2, 3, 4, 5, 6], expectedIntervalSeconds: 86400 });
  instances: (regionId: string, ids?: readonly string[]) => Answer<DBInstance[] | typeof HANG> = (_, ids) => (ids ?? []).map((id) => dbInstance(id));
  tags: (regionId: string, ids: readonly string[]) => Answer<Map<string, Record<string, string>> | typeof HANG> = () => new Map();
  restoreWindow: (instanceId: string) => Answer<RestoreWindow | typeof HANG> = () => ({});
  binlogs: (instanceId: string, startMs: number, endMs: number) => Answer<LogFile[] | typeof HANG> = () => [];
  logBackups: (instanceId: string, startMs: number, endMs: number) => Answer<LogFile[] | typeof HANG> = () => [];
  crossRegion: (regionId: string, instanceId: string) => Answer<CrossRegionSettings | typeof HANG> = () => ({ enabled: false, logEnabled: false });
  crossRegionBackups: (regionId: string, instanceId: string, startMs: number, endMs: number) => Answer<CrossRegionBackupSet[] | typeof HANG> = () => [];
  storage: (instanceId: string) => Answer<BackupStorage | typeof HANG> = () => ({});

  callsOf(method: keyof RdsApi, first?: unknown): RecordedCall[] {
    return this.calls.filter((c) => c.method === method && (first === undefined || c.args[0] === first));
  }

  describeBackupTasks(instanceId: string, backupJobId?: string, opts?: CallOptions): Promise<BackupTask[]> {
    return this.answer('describeBackupTasks', [instanceId, backupJobId], opts, () => this.tasks(instanceId, backupJobId));
  }

  describeBackups(instanceId: string, startMs: number, endMs: number, opts?: CallOptions): Promise<BackupSet[]> {
    return this.answer('describeBackups', [instanceId, startMs, endMs], opts, () => this.backups(instanceId, startMs, endMs));
  }

  describeBackupPolicy(instanceId: string, opts?: CallOptions): Promise<BackupPolicy> {
    return this.answer('describeBackupPolicy', [instanceId], opts, () => this.policy(instanceId));
  }

  describeDBInstances(regionId: string, ids?: readonly string[], opts?: CallOptions): Promise<DBInstance[]> {
    return this.answer('describeDBInstances', [regionId, ids], opts, () => this.instances(regionId, ids));
  }

  listTags(regionId: string, ids: readonly string[], opts?: CallOptions): Promise<Map<string, Record<string, string>>> {
    return this.answer('listTags', [regionId, ids], opts, () => this.tags(regionId, ids));
  }

  describeRestoreWindow(instanceId: string, opts?: CallOptions): Promise<RestoreWindow> {
    return this.answer('describeRestoreWindow', [instanceId], opts, () => this.restoreWindow(instanceId));
  }

  describeBinlogFiles(instanceId: string, startMs: number, endMs: number, opts?: CallOptions): Promise<LogFile[]> {
    return this.answer('describeBinlogFiles', [instanceId, startMs, endMs], opts, () => this.binlogs(instanceId, startMs, endMs));
  }

  describeLogBackupFiles(instanceId: string, startMs: number, endMs: number, opts?: CallOptions): Promise<LogFile[]> {
    return this.answer('describeLogBackupFiles', [instanceId, startMs, endMs], opts, () => this.logBackups(instanceId, startMs, endMs));
  }

  describeCrossRegionSettings(regionId: string, instanceId: string, opts?: CallOptions): Promise<CrossRegionSettings> {
    return this.answer('describeCrossRegionSettings', [instanceId, regionId], opts, () => this.crossRegion(regionId, instanceId));
  }

  describeCrossRegionBackups(regionId: string, instanceId: string, startMs: number, endMs: number, opts?: CallOptions): Promise<CrossRegionBackupSet[]> {
    return this.answer('describeCrossRegionBackups', [instanceId, regionId, startMs, endMs], opts, () =>
      this.crossRegionBackups(regionId, instanceId, startMs, endMs),
    );
  }

  describeBackupStorage(instanceId: string, opts?: CallOptions): Promise<BackupStorage> {
    return this.answer('describeBackupStorage', [instanceId], opts, () => this.storage(instanceId));
  }

  private async answer<T>(method: keyof RdsApi, args: unknown[], opts: CallOptions | undefined, script: () => Answer<T | typeof HANG>): Promise<T> {
    this.calls.push({ method, args, priority: opts?.priority ?? 'backlog' });
    const timeout = () => new ApiError(String(method), 'Timeout', 'timeout', 'abandoned at the poll deadline');
    if (opts?.signal?.aborted) throw timeout();
    let value: T | typeof HANG;
    try {
      value = await script();
    } catch (err) {
      if (err instanceof ApiError) throw err;
      throw new Error(`the script of ${method} threw something else than an ApiError: ${String(err)}`);
    }
    if (value !== HANG) return value;
    return new Promise<T>((_, reject) => {
      if (!opts?.signal) return; // hangs for ever: only a test mistake gets here
      opts.signal.addEventListener('abort', () => reject(timeout()), { once: true });
    });
  }
}

export function apiError(code: string, kind: ApiError['kind'], action = 'DescribeBackupTasks'): ApiError {
  return new ApiError(action, code, kind, 'scripted');
}

export function task(jobId: string, status: string, jobMode = 'Automated'): BackupTask {
  return { jobId, status, jobMode, taskAction: 'NormalBackupTask' };
}

export function dbInstance(id: string, init: Partial<DBInstance> = {}): DBInstance {
  return {
    id,
    description: '',
    engine: 'MySQL',
    engineVersion: '8.0',
    regionId: 'cn-hangzhou',
    instanceType: 'Primary',
    status: 'Running',
    category: 'HighAvailability',
    lockMode: 'Unlock',
    ...init,
  };
}
