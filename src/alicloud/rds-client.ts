// The only code that talks to the RDS API. Every call goes through `call()`: the account's rate
// limit, the process-wide concurrency limit, a time-out, classification of failures, bounded
// retries with exponential backoff and full jitter, and one observation per HTTP attempt.
import RPCClient from '@alicloud/pop-core';
import type { Agent } from 'node:http';
import type { CredentialsProvider } from './credentials.js';
import { ApiError, classifyApiError, httpStatusError } from './errors.js';
import { sleep, type Semaphore, type TokenBucket } from './limits.js';
import {
  formatApiMinute, normalizeBackupPolicy, normalizeBackupsPage, normalizeInstancesPage, normalizeTagsPage,
  type BackupPolicy, type BackupSet, type DBInstance,
} from './backups.js';
import { MalformedResponseError, normalizeBackupTasks, type BackupTask } from './normalize.js';
import { guardedAgent, newExchange, tagExchange } from './response-guard.js';

export const API_VERSION = '2014-08-15';

/** A listing that pages on past this is not converging: stop rather than loop. */
const MAX_PAGES = 200;
/** DescribeDBInstances takes at most this many comma-separated ids. */
const ID_FILTER_BATCH = 30;
/** ListTagResources takes at most 50 ResourceId.N. */
const TAG_BATCH = 50;

/** Told about every HTTP attempt: the action, its result code and how long it took. */
export type ApiObserver = (action: string, code: string, seconds: number) => void;

export interface RdsClientOptions {
  endpoint: string;
  credentials: CredentialsProvider;
  /** the account's requests_per_second */
  bucket: TokenBucket;
  /** poll.concurrency, shared by every client */
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
export function cleanParams(params: Params): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null) out[key] = String(value);
  }
  return out;
}

export class RdsClient {
  private readonly rpc: RPCClient;
  private readonly random: () => number;

  constructor(private readonly opts: RdsClientOptions) {
    this.random = opts.random ?? Math.random;
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

  get endpoint(): string {
    return this.opts.endpoint;
  }

  /**
   * One API action, retried while the failure is transient. `parse` runs inside the attempt, so
   * a body of the wrong shape counts (and retries) as MalformedResponse.
   */
  async call<T>(action: string, params: Params, parse: (body: unknown) => T): Promise<T> {
    const { maxRetries, retryBaseDelayMs, signal } = this.opts;
    const retryMaxDelayMs = this.opts.retryMaxDelayMs ?? 10_000;
    for (let attempt = 0; ; attempt++) {
      let error: ApiError;
      try {
        return await this.attempt(action, cleanParams(params), parse);
      } catch (err) {
        error = classifyApiError(action, err);
      }
      if (!error.retryable || attempt >= maxRetries || signal?.aborted) throw error;
      const ceiling = Math.min(retryMaxDelayMs, retryBaseDelayMs * 2 ** attempt);
      await sleep(Math.round(this.random() * ceiling), signal);
    }
  }

  private async attempt<T>(action: string, params: Record<string, string>, parse: (body: unknown) => T): Promise<T> {
    const { bucket, semaphore, timeoutMs, observe, signal } = this.opts;
    await bucket.acquire(signal);
    const release = await semaphore.acquire(signal);
    const started = performance.now();
    let code = 'OK';
    const exchange = newExchange();
    try {
      const [body, entry] = await withDeadline(
        // Exactly 'POST': GET would put AccessKeyId, SecurityToken and Signature in the URL,
        // and pop-core copies the URL into its error messages.
        this.rpc.request<[unknown, { response?: { statusCode?: number } }]>(action, params, { method: 'POST', timeout: timeoutMs, beforeRequest: tagExchange(exchange) }),
        timeoutMs + 1000,
      );
      const status = entry?.response?.statusCode ?? 200;
      // An error status whose JSON body has no Code resolves in pop-core as if it had succeeded.
      if (status < 200 || status > 299) throw httpStatusError(action, status);
      return parse(body);
    } catch (err) {
      const error = classifyApiError(action, err, exchange);
      code = error.code;
      throw error;
    } finally {
      release();
      observe?.(action, code, (performance.now() - started) / 1000);
    }
  }

  describeBackupTasks(instanceId: string, backupJobId?: string): Promise<BackupTask[]> {
    return this.call('DescribeBackupTasks', { DBInstanceId: instanceId, BackupJobId: backupJobId }, normalizeBackupTasks);
  }

  /** Every backup set whose start time falls in [startMs, endMs] (minute precision), all pages. */
  async describeBackups(instanceId: string, startMs: number, endMs: number): Promise<BackupSet[]> {
    const sets: BackupSet[] = [];
    for (let page = 1; page <= MAX_PAGES; page++) {
      const { sets: onPage, total } = await this.call(
        'DescribeBackups',
        { DBInstanceId: instanceId, StartTime: formatApiMinute(startMs), EndTime: formatApiMinute(endMs + 59_999), PageSize: 100, PageNumber: page },
        normalizeBackupsPage,
      );
      sets.push(...onPage);
      if (onPage.length === 0 || sets.length >= total) return sets;
    }
    throw new MalformedResponseError(`DescribeBackups did not end within ${MAX_PAGES} pages`);
  }

  describeBackupPolicy(instanceId: string): Promise<BackupPolicy> {
    return this.call('DescribeBackupPolicy', { DBInstanceId: instanceId }, normalizeBackupPolicy);
  }

  /** The region's instances (all pages), or only `ids` when given. */
  async describeDBInstances(regionId: string, ids?: readonly string[]): Promise<DBInstance[]> {
    if (ids && ids.length > ID_FILTER_BATCH) {
      const batches: DBInstance[][] = [];
      for (let i = 0; i < ids.length; i += ID_FILTER_BATCH) batches.push(await this.describeDBInstances(regionId, ids.slice(i, i + ID_FILTER_BATCH)));
      return batches.flat();
    }
    const instances: DBInstance[] = [];
    for (let page = 1; page <= MAX_PAGES; page++) {
      const { instances: onPage, total } = await this.call(
        'DescribeDBInstances',
        { RegionId: regionId, DBInstanceId: ids?.join(','), PageSize: 100, PageNumber: page },
        normalizeInstancesPage,
      );
      instances.push(...onPage);
      if (onPage.length === 0 || instances.length >= total) return instances;
    }
    throw new MalformedResponseError(`DescribeDBInstances did not end within ${MAX_PAGES} pages`);
  }

  /** The tags of `ids`, all pages, 50 resources a call. */
  async listTags(regionId: string, ids: readonly string[]): Promise<Map<string, Record<string, string>>> {
    const tags = new Map<string, Record<string, string>>(ids.map((id) => [id, {}]));
    for (let i = 0; i < ids.length; i += TAG_BATCH) {
      const params: Params = { RegionId: regionId, ResourceType: 'INSTANCE' };
      ids.slice(i, i + TAG_BATCH).forEach((id, n) => (params[`ResourceId.${n + 1}`] = id));
      let nextToken: string | undefined;
      for (let page = 1; ; page++) {
        if (page > MAX_PAGES) throw new MalformedResponseError(`ListTagResources did not end within ${MAX_PAGES} pages`);
        const result = await this.call('ListTagResources', { ...params, NextToken: nextToken }, normalizeTagsPage);
        for (const { id, key, value } of result.tags) tags.set(id, { ...tags.get(id), [key]: value });
        nextToken = result.nextToken;
        if (!nextToken || result.tags.length === 0) break;
      }
    }
    return tags;
  }

  /** Closes the keep-alive sockets. */
  close(): void {
    (this.rpc as unknown as { keepAliveAgent?: Agent }).keepAliveAgent?.destroy();
  }
}

/** pop-core has its own time-outs; this is the guard for a request stuck anywhere else. */
function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error('deadline'), { name: 'RequestTimeoutError' })), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
