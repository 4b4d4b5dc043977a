// The one implementation of RdsApi: each method as requests to the RDS API (one a page), sent
// through a transport stack (transport.ts) that adds the limits, retries, observation and the
// caller's deadline. createRdsClient builds the client the exporter uses.
import type { TokenBucket } from '../concurrency/token-bucket.js';
import type { Semaphore } from '../concurrency/semaphore.js';
import type { TurnQueue } from '../concurrency/turn-queue.js';
import type { CredentialsProvider } from './credentials.js';
import { DeadlineTransport } from './deadline.js';
import { ApiError } from './errors.js';
import { LimitedTransport } from './limits.js';
import { ObservedTransport, type ApiObserver } from './observation.js';
import { PopCoreTransport } from './pop-transport.js';
import type { CallOptions, RdsApi } from './rds-api.js';
import { RetryingTransport } from './retries.js';
import type { RdsTransport } from './transport.js';
import {
  formatApiMinute,
  normalizeBackupPolicy,
  normalizeBackupsPage,
  normalizeInstancesPage,
  normalizeTagsPage,
  type BackupPolicy,
  type BackupSet,
  type DBInstance,
} from './backups.js';
import { normalizeBackupTaskLookup, normalizeBackupTasks, type BackupTask } from './normalize.js';
import {
  normalizeBackupStorage,
  normalizeCrossRegionBackupsPage,
  normalizeCrossRegionSettingsPage,
  normalizeLogFilesPage,
  normalizeRestoreWindow,
  type BackupStorage,
  type CrossRegionBackupSet,
  type CrossRegionSettings,
  type LogFile,
  type RestoreWindow,
} from './recovery.js';

export type { ApiAttempt, ApiObserver } from './observation.js';
export { API_VERSION } from './pop-transport.js';

/** A listing that pages on past this is not converging: stop rather than loop. */
const MAX_PAGES = 200;
/** DescribeDBInstances takes at most this many comma-separated ids (as DescribeDBInstanceAttribute documents; DescribeDBInstances states no limit). */
const ID_FILTER_BATCH = 30;
/** DescribeDBInstances' largest page (PageSize 1-100). */
const INSTANCES_PAGE_SIZE = 100;
/** ListTagResources takes at most 50 ResourceId.N. */
const TAG_BATCH = 50;
/** Largest page each listing takes: they differ per action. */
const PAGE_SIZE = {
  DescribeBackups: 100,
  DescribeBinlogFiles: 100,
  DescribeLogBackupFiles: 1000,
  DescribeCrossRegionBackups: 100,
  DescribeCrossRegionBackupDBInstance: 100,
} as const;

/** `yyyy-MM-ddTHH:mm:ssZ`, the form DescribeBinlogFiles and DescribeCrossRegionBackups take. */
function formatApiSecond(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export interface RdsClientOptions {
  endpoint: string;
  credentials: CredentialsProvider;
  /** the account's requests_per_second */
  bucket: TokenBucket;
  /** poll.concurrency, for this account and region */
  semaphore: Semaphore;
  /** where response bodies end, one an event-loop turn: one queue for the whole process */
  responseTurns: TurnQueue;
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

/** The RdsApi of one account and region: the transport stack of transport.ts around pop-core. */
export function createRdsClient(opts: RdsClientOptions): RdsClient {
  const { endpoint, credentials, timeoutMs, responseTurns } = opts;
  let transport: RdsTransport = new PopCoreTransport({ endpoint, credentials, timeoutMs, responseTurns });
  if (opts.observe) transport = new ObservedTransport(transport, opts.observe);
  transport = new LimitedTransport(transport, opts.bucket, opts.semaphore);
  transport = new RetryingTransport(transport, opts);
  return new RdsClient(new DeadlineTransport(transport, opts.signal));
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

/** One page of a numbered listing: its entries, and how many the whole listing holds. */
interface Page<T> {
  items: T[];
  total: number;
}

/** A normaliser of pages that holds its entries under `key`, as one giving Pages. */
function pageOf<K extends string, T>(key: K, normalize: (body: unknown) => { [k in K]: T[] } & { total: number }): (body: unknown) => Page<T> {
  return (body) => {
    const page = normalize(body);
    return { items: page[key], total: page.total };
  };
}

export class RdsClient implements RdsApi {
  /** `transport` rejects only with an ApiError (as DeadlineTransport's stack does). */
  constructor(private readonly transport: RdsTransport) {}

  /** One API action. Rejects only with an ApiError; once `opts.signal` aborts, with one of code Timeout. */
  call<T>(action: string, params: Params, parse: (body: unknown) => T, opts: CallOptions = {}): Promise<T> {
    return this.transport.send({ action, params: cleanParams(params), parse }, opts);
  }

  /**
   * Every entry of a listing numbered by PageNumber, asked one page after another until a page
   * comes back empty or the entries reach its total.
   */
  private async allPages<T>(action: keyof typeof PAGE_SIZE, params: Params, parse: (body: unknown) => Page<T>, opts?: CallOptions): Promise<T[]> {
    const items: T[] = [];
    for (let page = 1; page <= MAX_PAGES; page++) {
      const result = await this.call(action, { ...params, PageSize: PAGE_SIZE[action], PageNumber: page }, parse, opts);
      items.push(...result.items);
      if (result.items.length === 0 || items.length >= result.total) return items;
    }
    throw endless(action);
  }

  describeBackupTasks(instanceId: string, backupJobId?: string, opts?: CallOptions): Promise<BackupTask[]> {
    const parse = backupJobId === undefined ? normalizeBackupTasks : normalizeBackupTaskLookup(backupJobId);
    return this.call('DescribeBackupTasks', { DBInstanceId: instanceId, BackupJobId: backupJobId }, parse, opts);
  }

  /** Every backup set whose start time falls in [startMs, endMs] (minute precision), all pages. */
  describeBackups(instanceId: string, startMs: number, endMs: number, opts?: CallOptions): Promise<BackupSet[]> {
    return this.allPages(
      'DescribeBackups',
      { DBInstanceId: instanceId, StartTime: formatApiMinute(startMs), EndTime: formatApiMinute(endMs + 59_999) },
      pageOf('sets', normalizeBackupsPage),
      opts,
    );
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
    // InstanceLevel 1: the SDK's model says Category is returned only then.
    const page = (n: number) =>
      this.call(
        'DescribeDBInstances',
        { RegionId: regionId, DBInstanceId: ids?.join(','), InstanceLevel: 1, PageSize: INSTANCES_PAGE_SIZE, PageNumber: n },
        normalizeInstancesPage,
        opts,
      );
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
      ids.slice(i, i + TAG_BATCH).forEach((id, n) => {
        params[`ResourceId.${n + 1}`] = id;
      });
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

  private pagedLogFiles(action: 'DescribeBinlogFiles' | 'DescribeLogBackupFiles', params: Params, opts?: CallOptions): Promise<LogFile[]> {
    return this.allPages(action, params, pageOf('files', normalizeLogFilesPage), opts);
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

  describeCrossRegionBackups(regionId: string, instanceId: string, startMs: number, endMs: number, opts?: CallOptions): Promise<CrossRegionBackupSet[]> {
    return this.allPages(
      'DescribeCrossRegionBackups',
      { RegionId: regionId, DBInstanceId: instanceId, StartTime: formatApiSecond(startMs), EndTime: formatApiSecond(Math.max(endMs, startMs + 1000)) },
      pageOf('sets', normalizeCrossRegionBackupsPage),
      opts,
    );
  }

  describeBackupStorage(instanceId: string, opts?: CallOptions): Promise<BackupStorage> {
    return this.call('DescribeResourceUsage', { DBInstanceId: instanceId }, normalizeBackupStorage, opts);
  }

  /** Closes the keep-alive sockets and leaves the shutdown signal. */
  close(): void {
    this.transport.close();
  }
}

function endless(action: string): ApiError {
  return new ApiError(action, 'MalformedResponse', 'malformed', `the listing did not end within ${MAX_PAGES} pages`);
}
