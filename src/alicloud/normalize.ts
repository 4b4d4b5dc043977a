// Turns raw DescribeBackupTasks bodies into typed records. The API's documented shape and what it
// sends differ: ids come as strings, numbers or (past 2^53, through pop-core's json-bigint
// parser) BigNumber objects; `Items` or `BackupJob` may be missing; a lone job may come as an
// object instead of a one-element array; `BackupStatus` is absent until a task runs.

export const BACKUP_STATUSES = ['NoStart', 'Checking', 'Preparing', 'Waiting', 'Uploading', 'Finished', 'Failed'] as const;
export type KnownBackupStatus = (typeof BACKUP_STATUSES)[number];
export const JOB_MODES = ['Automated', 'Manual'] as const;

export interface BackupTask {
  /** every digit kept, whatever the wire type */
  jobId: string;
  backupId?: string;
  /** `BackupStatus`, else `BackupProgressStatus`, else NoStart (a task reports no status until it runs) */
  status: string;
  jobMode: string;
  taskAction: string;
  /** `Process`/100, clamped to 0..1; undefined when absent or not a number */
  progressRatio?: number;
}

export class MalformedResponseError extends Error {
  override name = 'MalformedResponseError';
}

/**
 * `value` trimmed, as a string of its own. pop-core's JSON parser (json-bigint) cuts every string
 * out of the response body with substring(), and V8 keeps a whole string alive while any slice of
 * it is: a binlog file name kept from a 60 KB DescribeBinlogFiles page kept the page, about 100 KB
 * per instance in all. Strings shorter than 13 characters are copied by V8 itself.
 */
export function ownText(value: string): string | undefined {
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  return trimmed.length < 13 ? trimmed : ` ${trimmed}`.slice(1);
}

/** A JSON id as a decimal string with every digit: string, safe integer or json-bigint BigNumber. */
export function idToString(value: unknown): string | undefined {
  if (typeof value === 'string') return ownText(value);
  if (typeof value === 'number') return Number.isFinite(value) ? (Number.isInteger(value) ? BigInt(value).toString() : String(value)) : undefined;
  if (typeof value === 'bigint') return value.toString();
  if (value !== null && typeof value === 'object') {
    const big = value as { isBigNumber?: boolean; _isBigNumber?: boolean; toFixed?: () => string };
    // bignumber.js: toFixed() without arguments never switches to exponent notation.
    if ((big.isBigNumber === true || big._isBigNumber === true) && typeof big.toFixed === 'function') return big.toFixed();
  }
  return undefined;
}

/** A JSON string (trimmed, of its own), number or id as text; undefined when empty or absent. */
export function text(value: unknown): string | undefined {
  if (typeof value === 'string') return ownText(value);
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  return idToString(value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The API answers a list as an array, a lone object, or nothing at all. */
export function listOf(container: unknown, key: string): unknown[] {
  if (container === undefined || container === null || container === '') return [];
  if (!isRecord(container)) throw new MalformedResponseError(`expected an object holding "${key}"`);
  const inner = container[key];
  if (inner === undefined || inner === null) return [];
  return Array.isArray(inner) ? inner : [inner];
}

const KNOWN: ReadonlySet<string> = new Set(BACKUP_STATUSES);

export function normalizeBackupTask(item: unknown): BackupTask {
  if (!isRecord(item)) throw new MalformedResponseError('a BackupJob entry is not an object');
  const jobId = idToString(item.BackupJobId);
  if (jobId === undefined) throw new MalformedResponseError('a BackupJob entry has no BackupJobId');
  const status = text(item.BackupStatus) ?? text(item.BackupProgressStatus) ?? 'NoStart';
  const process = Number(text(item.Process));
  const task: BackupTask = {
    jobId,
    status: KNOWN.has(status) ? status : status.replace(/[^A-Za-z0-9_]/g, '_').slice(0, 32),
    jobMode: text(item.JobMode) ?? 'Unknown',
    taskAction: text(item.TaskAction) ?? 'Unknown',
  };
  const backupId = idToString(item.BackupId);
  if (backupId !== undefined && backupId !== '0') task.backupId = backupId;
  if (text(item.Process) !== undefined && Number.isFinite(process)) task.progressRatio = Math.min(1, Math.max(0, process / 100));
  return task;
}

export function normalizeBackupTasks(body: unknown): BackupTask[] {
  if (!isRecord(body)) throw new MalformedResponseError('the response is not a JSON object');
  return listOf(body.Items, 'BackupJob').map(normalizeBackupTask);
}

export function isTerminal(status: string): status is 'Finished' | 'Failed' {
  return status === 'Finished' || status === 'Failed';
}
