// Turns raw DescribeBackupTasks bodies into typed records. The API's documented shape and what it
// sends differ: ids come as strings, numbers or (past 2^53, through pop-core's json-bigint
// parser) BigNumber objects; a lone job may come as an object instead of a one-element array;
// `BackupStatus` is absent until a task runs. What is not of the documented shape — `Items` or
// `BackupJob` missing, an id that is not an integer — is a MalformedResponseError, never "no
// tasks": an answer that says nothing must not make a running job look ended.
//
// Every value that becomes a label is one of the API's documented values or `Other` (OTHER), so
// that no answer can add series without bound.

/** The one label value for whatever the API sends outside the documented set of a field. */
export const OTHER = 'Other';

export const BACKUP_STATUSES = ['NoStart', 'Checking', 'Preparing', 'Waiting', 'Uploading', 'Finished', 'Failed'] as const;
export type KnownBackupStatus = (typeof BACKUP_STATUSES)[number];
export const JOB_MODES = ['Automated', 'Manual'] as const;
export const TASK_ACTIONS = ['NormalBackupTask', 'TempBackupTask'] as const;

/** `value` when it is one of `values`, else `Other` (absent included). */
export function documented(value: string | undefined, values: readonly string[]): string {
  return value !== undefined && values.includes(value) ? value : OTHER;
}

export interface BackupTask {
  /** every digit kept, whatever the wire type */
  jobId: string;
  backupId?: string;
  /** `BackupStatus`, else `BackupProgressStatus`, else NoStart (a task reports no status until it runs); BACKUP_STATUSES or Other */
  status: string;
  /** JOB_MODES or Other */
  jobMode: string;
  /** TASK_ACTIONS or Other */
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

/**
 * The entries of a documented list, `body[outer][inner]`: an array, or a lone object for a
 * one-entry list. The API answers an empty list as `{"Items": {"BackupJob": []}}`; a container or
 * list that is missing, or of another type, is not of the documented shape.
 */
export function listOf(body: Record<string, unknown>, outer: string, inner: string): unknown[] {
  const container = body[outer];
  if (!isRecord(container)) throw new MalformedResponseError(`the response has no "${outer}" object`);
  const list = container[inner];
  if (Array.isArray(list)) return list;
  if (isRecord(list)) return [list];
  throw new MalformedResponseError(`the response has no "${outer}.${inner}" list`);
}

/** A count the answer must carry (TotalRecordCount and the like): a whole number, as a string or a number. */
export function countOf(body: Record<string, unknown>, key: string): number {
  const t = text(body[key]);
  const n = Number(t);
  if (t === undefined || !Number.isSafeInteger(n) || n < 0) throw new MalformedResponseError(`the response has no whole "${key}"`);
  return n;
}

/** A job id: a decimal integer without leading zeros, whatever the wire type ("4762614.0" or "04762614" would be another job). */
const JOB_ID = /^(0|[1-9]\d{0,39})$/;

export function normalizeBackupTask(item: unknown): BackupTask {
  if (!isRecord(item)) throw new MalformedResponseError('a BackupJob entry is not an object');
  const jobId = idToString(item.BackupJobId);
  if (jobId === undefined || !JOB_ID.test(jobId)) throw new MalformedResponseError('a BackupJob entry has no integer BackupJobId');
  const process = Number(text(item.Process));
  const task: BackupTask = {
    jobId,
    status: documented(text(item.BackupStatus) ?? text(item.BackupProgressStatus) ?? 'NoStart', BACKUP_STATUSES),
    jobMode: documented(text(item.JobMode), JOB_MODES),
    taskAction: documented(text(item.TaskAction), TASK_ACTIONS),
  };
  const backupId = idToString(item.BackupId);
  if (backupId !== undefined && backupId !== '0') task.backupId = backupId;
  if (text(item.Process) !== undefined && Number.isFinite(process)) task.progressRatio = Math.min(1, Math.max(0, process / 100));
  return task;
}

export function normalizeBackupTasks(body: unknown): BackupTask[] {
  if (!isRecord(body)) throw new MalformedResponseError('the response is not a JSON object');
  return listOf(body, 'Items', 'BackupJob').map(normalizeBackupTask);
}

/**
 * The answer to a look-up of one job by BackupJobId: that job, or none (the API no longer knows
 * it). An answer that lists any other job is not an answer to the question: malformed, never
 * "no such job".
 */
export function normalizeBackupTaskLookup(jobId: string): (body: unknown) => BackupTask[] {
  return (body) => {
    const tasks = normalizeBackupTasks(body);
    if (tasks.some((task) => task.jobId !== jobId)) throw new MalformedResponseError('the answer to a look-up by BackupJobId lists another job');
    return tasks;
  };
}

export function isTerminal(status: string): status is 'Finished' | 'Failed' {
  return status === 'Finished' || status === 'Failed';
}
