// The only code that talks to the RDS API, and the one implementation of RdsApi. Every call goes
// through `call()`: the account's rate limit, the region's concurrency limit (both serving task
// listings first), a time-out, the caller's deadline, classification of failures, bounded retries
// with exponential backoff and full jitter, and one observation per HTTP attempt.
import RPCClient from '@alicloud/pop-core';
import type { Agent } from 'node:http';
import type { CredentialsProvider } from './credentials.js';
import { ApiError, classifyApiError, httpStatusError } from './errors.js';
import { AbortedError, SignalLinks, sleep, type Semaphore, type TokenBucket } from './limits.js';
import type { CallOptions, RdsApi } from './rds-api.js';
import {
  formatApiMinute, normalizeBackupPolicy, normalizeBackupsPage, normalizeInstancesPage, normalizeTagsPage,
  type BackupPolicy, type BackupSet, type DBInstance,
} from './backups.js';
import { MalformedResponseError, normalizeBackupTasks, type BackupTask } from './normalize.js';
import {
  normalizeBackupStorage, normalizeCrossRegionBackupsPage, normalizeCrossRegionSettingsPage, normalizeLogFilesPage, normalizeRestoreWindow,
  type BackupStorage, type CrossRegionBackupSet, type CrossRegionSettings, type LogFile, type LogFilesPage, type RestoreWindow,
} from './recovery.js';
import { guardedAgent, newExchange, tagExchange } from './response-guard.js';

export const API_VERSION = '2014-08-15';

/** A listing that pages on past this is not converging: stop rather than loop. */
const MAX_PAGES = 200;
/** DescribeDBInstances takes at most this many comma-separated ids (as DescribeDBInstanceAttribute documents; DescribeDBInstances states no limit). */
const ID_FILTER_BATCH = 30;
/** DescribeDBInstances' largest page (PageSize 1-100). */
const INSTANCES_PAGE_SIZE = 100;
/** ListTagResources takes at most 50 ResourceId.N. */
const TAG_BATCH = 50;
/** Largest page each listing takes: they differ per action. */
const PAGE_SIZE = { DescribeBackups: 100, DescribeBinlogFiles: 100, DescribeLogBackupFiles: 1000, DescribeCrossRegionBackups: 100, DescribeCrossRegionBackupDBInstance: 100 } as const;

/** `yyyy-MM-ddTHH:mm:ssZ`, the form DescribeBinlogFiles and DescribeCrossRegionBackups take. */
function formatApiSecond(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** One HTTP attempt, as told to the observer. */
export interface ApiAttempt {
  action: string;
  /** OK, or the classified error code */
  code: string;
  seconds: number;
  /** 0 for the first attempt of a call, 1 for its first retry... */
  retry: number;
  /** the DBInstanceId parameter, when the action has one */
  instanceId?: string;
}

/** Told about every HTTP attempt. */
export type ApiObserver = (attempt: ApiAttempt) => void;

export interface RdsClientOptions {
  endpoint: string;
  credentials: CredentialsProvider;
  /** the account's requests_per_second */
  bucket: TokenBucket;
  /** poll.concurrency, for this account and region */
  semaphore: Semaphore;
  timeoutMs: number;
  maxRetries: number;
  retryBaseDelayMs: number;
  /** longest wait between two attempts */
  retryMaxDelayMs?: number;
  observe?: ApiObserver;
  /** aborts waits (rate limit, concurrency, backoff) at shutdown */
  signal?: AbortSignal;
  random?: () => number;
}

export type Params = Record<string, string | number | undefined | null>;

/** pop-core sends undefined and null as the strings "undefined" and "null": drop them. */
function cleanParams(params: Params): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null) out[key] = String(value);
  }
  return out;
}

export class RdsClient implements RdsApi {
  private readonly rpc: RPCClient;
  private readonly random: () => number;
  /** each call's deadline linked to the shutdown signal */
  private readonly links: SignalLinks | undefined;

  constructor(private readonly opts: RdsClientOptions) {
    this.random = opts.random ?? Math.random;
    this.links = opts.signal ? new SignalLinks(opts.signal) : undefined;
    this.rpc = new (RPCClient as unknown as new (config: object, verbose: boolean) => RPCClient)(
      {
        endpoint: opts.endpoint,
        apiVersion: API_VERSION,
        // The typings lack credentialsProvider; pop-core asks it before every request.
        credentialsProvider: opts.credentials,
      },
      // verbose: also return the HTTP exchange, because pop-core never checks the status itself.
      true,
    );
    // pop-core sends every request through its keep-alive agent: this one bounds each response.
    (this.rpc as unknown as { keepAliveAgent: Agent }).keepAliveAgent = guardedAgent(opts.endpoint);
  }

  /**
   * One API action, retried while the failure is transient. `parse` runs inside the attempt, so
   * a body of the wrong shape counts (and retries) as MalformedResponse. Rejects only with an
   * ApiError; once `opts.signal` aborts, with one of code Timeout.
   */
  async call<T>(action: string, params: Params, parse: (body: unknown) => T, opts: CallOptions = {}): Promise<T> {
    const { maxRetries, retryBaseDelayMs } = this.opts;
    const retryMaxDelayMs = this.opts.retryMaxDelayMs ?? 10_000;
    const deadline = opts.signal;
    const link = deadline && this.links ? this.links.link(deadline) : undefined;
    const signal = link ? link.signal : (deadline ?? this.opts.signal);
    const clean = cleanParams(params);
    try {
      for (let retry = 0; ; retry++) {
        let error: ApiError;
        try {
          return await this.attempt(action, clean, parse, retry, signal, opts);
        } catch (err) {
          error = classifyApiError(action, err);
        }
        if (!error.retryable || retry >= maxRetries || signal?.aborted) throw error;
        const ceiling = Math.min(retryMaxDelayMs, retryBaseDelayMs * 2 ** retry);
        await sleep(Math.round(this.random() * ceiling), signal);
      }
    } catch (err) {
      // Whatever was going on when the caller's deadline passed (a wait, a backoff, a request) ends as Timeout.
      if (deadline?.aborted && !this.opts.signal?.aborted) throw new ApiError(action, 'Timeout', 'timeout', 'abandoned at the poll deadline');
      throw classifyApiError(action, err);
    } finally {
      link?.release();
    }
  }

  private async attempt<T>(action: string, params: Record<string, string>, parse: (body: unknown) => T, retry: number, signal: AbortSignal | undefined, call: CallOptions): Promise<T> {
    const { bucket, semaphore, timeoutMs, observe } = this.opts;
    const priority = call.priority ?? 'backlog';
    await bucket.acquire(signal, priority, call.owner);
    const release = await semaphore.acquire(signal, priority, call.owner);
    const started = performance.now();
    let code = 'OK';
    const exchange = newExchange();
    // Exactly 'POST': GET would put AccessKeyId, SecurityToken and Signature in the URL, and
    // pop-core copies the URL into its error messages.
    const request = withDeadline(
      this.rpc.request<[unknown, { response?: { statusCode?: number } }]>(action, params, { method: 'POST', timeout: timeoutMs, beforeRequest: tagExchange(exchange) }),
      timeoutMs + 1000,
    );
    // The slot is held until the request really ends, even when the caller abandons it: pop-core
    // cannot cancel a request, and the region's concurrency must stay true.
    request.then(release, release);
    try {
      const [body, entry] = await abandonOnAbort(request, signal);
      const status = entry?.response?.statusCode ?? 200;
      // An error status whose JSON body has no Code resolves in pop-core as if it had succeeded.
      if (status < 200 || status > 299) throw httpStatusError(action, status);
      return parse(body);
    } catch (err) {
      if (err instanceof AbortedError) {
        code = 'Timeout';
        throw err;
      }
      const error = classifyApiError(action, err, exchange);
      code = error.code;
      throw error;
    } finally {
      const attempt: ApiAttempt = { action, code, seconds: (performance.now() - started) / 1000, retry };
      if (params.DBInstanceId !== undefined) attempt.instanceId = params.DBInstanceId;
      observe?.(attempt);
    }
  }

  describeBackupTasks(instanceId: string, backupJobId?: string, opts?: CallOptions): Promise<BackupTask[]> {
    return this.call('DescribeBackupTasks', { DBInstanceId: instanceId, BackupJobId: backupJobId }, normalizeBackupTasks, opts);
  }

  /** Every backup set whose start time falls in [startMs, endMs] (minute precision), all pages. */
  async describeBackups(instanceId: string, startMs: number, endMs: number, opts?: CallOptions): Promise<BackupSet[]> {
    const sets: BackupSet[] = [];
    for (let page = 1; page <= MAX_PAGES; page++) {
      const { sets: onPage, total } = await this.call(
        'DescribeBackups',
        { DBInstanceId: instanceId, StartTime: formatApiMinute(startMs), EndTime: formatApiMinute(endMs + 59_999), PageSize: PAGE_SIZE.DescribeBackups, PageNumber: page },
        normalizeBackupsPage,
        opts,
      );
      sets.push(...onPage);
      if (onPage.length === 0 || sets.length >= total) return sets;
    }
    throw endless('DescribeBackups');
  }

  describeBackupPolicy(instanceId: string, opts?: CallOptions): Promise<BackupPolicy> {
    return this.call('DescribeBackupPolicy', { DBInstanceId: instanceId }, normalizeBackupPolicy, opts);
  }

  /**
   * The region's instances (all pages), or only `ids` when given. The id batches, and the pages
   * after the first (which tells how many there are), are asked at once: the region's concurrency
   * limit bounds how many are in flight, and the refresh takes about as long as one call, not one
   * call per 30 instances or per page.
   */
  async describeDBInstances(regionId: string, ids?: readonly string[], opts?: CallOptions): Promise<DBInstance[]> {
    if (ids && ids.length > ID_FILTER_BATCH) {
      const batches: Array<Promise<DBInstance[]>> = [];
      for (let i = 0; i < ids.length; i += ID_FILTER_BATCH) batches.push(this.describeDBInstances(regionId, ids.slice(i, i + ID_FILTER_BATCH), opts));
      return (await Promise.all(batches)).flat();
    }
    const page = (n: number) =>
      this.call('DescribeDBInstances', { RegionId: regionId, DBInstanceId: ids?.join(','), PageSize: INSTANCES_PAGE_SIZE, PageNumber: n }, normalizeInstancesPage, opts);
    const first = await page(1);
    const instances = [...first.instances];
    let { total } = first;
    let last = 1;
    let more = first.instances.length > 0;
    const pages = Math.ceil(total / INSTANCES_PAGE_SIZE);
    if (pages > MAX_PAGES) throw endless('DescribeDBInstances');
    if (more && pages > 1) {
      const rest = await Promise.all(Array.from({ length: pages - 1 }, (_, i) => page(i + 2)));
      for (const onPage of rest) {
        instances.push(...onPage.instances);
        total = Math.max(total, onPage.total);
      }
      last = pages;
      more = rest.at(-1)!.instances.length > 0;
    }
    // The listing grew while it was read: go on page by page.
    while (more && instances.length < total) {
      if (++last > MAX_PAGES) throw endless('DescribeDBInstances');
      const onPage = await page(last);
      instances.push(...onPage.instances);
      total = onPage.total;
      more = onPage.instances.length > 0;
    }
    return instances;
  }

  /** The tags of `ids`, all pages, 50 resources a call. */
  async listTags(regionId: string, ids: readonly string[], opts?: CallOptions): Promise<Map<string, Record<string, string>>> {
    const tags = new Map<string, Record<string, string>>(ids.map((id) => [id, {}]));
    for (let i = 0; i < ids.length; i += TAG_BATCH) {
      const params: Params = { RegionId: regionId, ResourceType: 'INSTANCE' };
      ids.slice(i, i + TAG_BATCH).forEach((id, n) => (params[`ResourceId.${n + 1}`] = id));
      let nextToken: string | undefined;
      for (let page = 1; ; page++) {
        if (page > MAX_PAGES) throw endless('ListTagResources');
        const result = await this.call('ListTagResources', { ...params, NextToken: nextToken }, normalizeTagsPage, opts);
        for (const { id, key, value } of result.tags) tags.set(id, { ...tags.get(id), [key]: value });
        nextToken = result.nextToken;
        if (!nextToken || result.tags.length === 0) break;
      }
    }
    return tags;
  }

  describeRestoreWindow(instanceId: string, opts?: CallOptions): Promise<RestoreWindow> {
    return this.call('DescribeLocalAvailableRecoveryTime', { DBInstanceId: instanceId }, normalizeRestoreWindow, opts);
  }

  describeBinlogFiles(instanceId: string, startMs: number, endMs: number, opts?: CallOptions): Promise<LogFile[]> {
    // Second precision; the end must be later than the start.
    const start = formatApiSecond(startMs);
    const end = formatApiSecond(Math.max(endMs, startMs + 1000));
    return this.pagedLogFiles('DescribeBinlogFiles', { DBInstanceId: instanceId, StartTime: start, EndTime: end }, opts);
  }

  describeLogBackupFiles(instanceId: string, startMs: number, endMs: number, opts?: CallOptions): Promise<LogFile[]> {
    // Minute precision: the start rounded down, the end up, so that the range only widens.
    const start = formatApiMinute(startMs);
    const end = formatApiMinute(Math.max(endMs + 59_999, startMs + 60_000));
    return this.pagedLogFiles('DescribeLogBackupFiles', { DBInstanceId: instanceId, StartTime: start, EndTime: end }, opts);
  }

  private async pagedLogFiles(action: 'DescribeBinlogFiles' | 'DescribeLogBackupFiles', params: Params, opts?: CallOptions): Promise<LogFile[]> {
    const files: LogFile[] = [];
    for (let page = 1; page <= MAX_PAGES; page++) {
      const result: LogFilesPage = await this.call(action, { ...params, PageSize: PAGE_SIZE[action], PageNumber: page }, normalizeLogFilesPage, opts);
      files.push(...result.files);
      if (result.files.length === 0 || files.length >= result.total) return files;
    }
    throw endless(action);
  }

  async describeCrossRegionSettings(regionId: string, instanceId: string, opts?: CallOptions): Promise<CrossRegionSettings> {
    const { settings } = await this.call(
      'DescribeCrossRegionBackupDBInstance',
      { RegionId: regionId, DBInstanceId: instanceId, PageSize: PAGE_SIZE.DescribeCrossRegionBackupDBInstance, PageNumber: 1 },
      normalizeCrossRegionSettingsPage,
      opts,
    );
    // An instance never set up for cross-region backup may be left out of the answer.
    return settings.get(instanceId) ?? { enabled: false, logEnabled: false };
  }

  async describeCrossRegionBackups(regionId: string, instanceId: string, startMs: number, endMs: number, opts?: CallOptions): Promise<CrossRegionBackupSet[]> {
    const sets: CrossRegionBackupSet[] = [];
    for (let page = 1; page <= MAX_PAGES; page++) {
      const result = await this.call(
        'DescribeCrossRegionBackups',
        {
          RegionId: regionId, DBInstanceId: instanceId, StartTime: formatApiSecond(startMs), EndTime: formatApiSecond(Math.max(endMs, startMs + 1000)),
          PageSize: PAGE_SIZE.DescribeCrossRegionBackups, PageNumber: page,
        },
        normalizeCrossRegionBackupsPage,
        opts,
      );
      sets.push(...result.sets);
      if (result.sets.length === 0 || sets.length >= result.total) return sets;
    }
    throw endless('DescribeCrossRegionBackups');
  }

  describeBackupStorage(instanceId: string, opts?: CallOptions): Promise<BackupStorage> {
    return this.call('DescribeResourceUsage', { DBInstanceId: instanceId }, normalizeBackupStorage, opts);
  }

  /** Closes the keep-alive sockets. */
  close(): void {
    this.links?.close();
    (this.rpc as unknown as { keepAliveAgent?: Agent }).keepAliveAgent?.destroy();
  }
}

function endless(action: string): ApiError {
  return new ApiError(action, 'MalformedResponse', 'malformed', `the listing did not end within ${MAX_PAGES} pages`);
}

/** Rejects with AbortedError as soon as `signal` aborts; otherwise settles as `promise` does. */
function abandonOnAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(new AbortedError());
  let onAbort!: () => void;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(new AbortedError());
    signal.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([promise, aborted]).finally(() => signal.removeEventListener('abort', onAbort));
}

/** pop-core has its own time-outs; this is the guard for a request stuck anywhere else. */
function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error('deadline'), { name: 'RequestTimeoutError' })), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
