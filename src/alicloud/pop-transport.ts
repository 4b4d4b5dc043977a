// The bottom of the transport stack: one HTTP exchange with the RDS API through pop-core. The
// response guard bounds what is read; pop-core never checks the HTTP status, so it is checked
// here; whatever fails is classified with what the guard saw of the exchange.
import RPCClient from '@alicloud/pop-core';
import type { Agent } from 'node:http';
import { AbortedError } from '../concurrency/abort.js';
import type { TurnQueue } from '../concurrency/turn-queue.js';
import type { CredentialsProvider } from './credentials.js';
import { classifyApiError, httpStatusError } from './errors.js';
import { guardedAgent, newExchange, tagExchange } from './response-guard.js';
import type { RdsRequest, RdsTransport, SendOptions } from './transport.js';

export const API_VERSION = '2014-08-15';

export interface PopCoreTransportOptions {
  endpoint: string;
  credentials: CredentialsProvider;
  /** pop-core's connect and read time-out, per attempt */
  timeoutMs: number;
  /** where response bodies end, one an event-loop turn: one queue for the whole process */
  responseTurns: TurnQueue;
}

/**
 * Resolves or rejects when the request really ends (never earlier: a caller that stops waiting
 * does so above). Rejects only with an ApiError.
 */
export class PopCoreTransport implements RdsTransport {
  private readonly rpc: RPCClient;
  private readonly timeoutMs: number;

  constructor(opts: PopCoreTransportOptions) {
    this.timeoutMs = opts.timeoutMs;
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
    (this.rpc as unknown as { keepAliveAgent: Agent }).keepAliveAgent = guardedAgent(opts.endpoint, opts.responseTurns);
  }

  async send<T>({ action, params, parse }: RdsRequest<T>, { signal }: SendOptions): Promise<T> {
    const exchange = newExchange();
    try {
      // Exactly 'POST': GET would put AccessKeyId, SecurityToken and Signature in the URL, and
      // pop-core copies the URL into its error messages.
      const [body, entry] = await withDeadline(
        this.rpc.request<[unknown, { response?: { statusCode?: number } }]>(
          action,
          { ...params },
          { method: 'POST', timeout: this.timeoutMs, beforeRequest: tagExchange(exchange) },
        ),
        this.timeoutMs + 1000,
      );
      const status = entry?.response?.statusCode ?? 200;
      // An error status whose JSON body has no Code resolves in pop-core as if it had succeeded.
      if (status < 200 || status > 299) throw httpStatusError(action, status);
      // Abandoned meanwhile (the caller was told Timeout): no one reads the record.
      if (signal?.aborted) throw new AbortedError();
      return parse(body);
    } catch (err) {
      throw classifyApiError(action, err, exchange);
    }
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
