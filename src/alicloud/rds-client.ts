// The only code that talks to the RDS API. Every call goes through `call()`: the account's rate
// limit, the process-wide concurrency limit, a time-out, classification of failures, bounded
// retries with exponential backoff and full jitter, and one observation per HTTP attempt.
import RPCClient from '@alicloud/pop-core';
import type { Agent } from 'node:http';
import type { CredentialsProvider } from './credentials.js';
import { ApiError, classifyApiError } from './errors.js';
import { sleep, type Semaphore, type TokenBucket } from './limits.js';
import { MalformedResponseError, normalizeBackupTasks, type BackupTask } from './normalize.js';

export const API_VERSION = '2014-08-15';

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
    try {
      const [body, exchange] = await withDeadline(
        // Exactly 'POST': GET would put AccessKeyId, SecurityToken and Signature in the URL,
        // and pop-core copies the URL into its error messages.
        this.rpc.request<[unknown, { response?: { statusCode?: number } }]>(action, params, { method: 'POST', timeout: timeoutMs }),
        timeoutMs + 1000,
      );
      const status = exchange?.response?.statusCode ?? 200;
      // An error status whose JSON body has no Code resolves in pop-core as if it had succeeded.
      if (status >= 400) throw new MalformedResponseError(`HTTP ${status} without an error code`);
      return parse(body);
    } catch (err) {
      code = classifyApiError(action, err).code;
      throw err;
    } finally {
      release();
      observe?.(action, code, (performance.now() - started) / 1000);
    }
  }

  describeBackupTasks(instanceId: string, backupJobId?: string): Promise<BackupTask[]> {
    return this.call('DescribeBackupTasks', { DBInstanceId: instanceId, BackupJobId: backupJobId }, normalizeBackupTasks);
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
