/**
 * Shared fixtures for the simulator tests: a simulator per test, and real pop-core clients
 * whose keep-alive agents are destroyed afterwards so mocha exits on its own.
 */
import RPCClient from '@alicloud/pop-core';
import { request as httpRequest, type Agent } from 'node:http';
import { DEMO_CREDENTIAL, startSimulator, type SimCredential, type Simulator, type SimulatorOptions } from '../../simulator/server.js';

export const API_VERSION = '2014-08-15';

/** pop-core's typings lack the runtime fields the tests touch. */
export type PopClient = RPCClient & { keepAliveAgent: Agent };

export interface Harness {
  sim: Simulator;
  /** A pop-core client for the simulator, signing with `credential` (default DEMO_CREDENTIAL). */
  client(credential?: SimCredential, extra?: { credentialsProvider?: unknown }): PopClient;
  /** POSTs like the exporter does. */
  call(action: string, params?: Record<string, unknown>, opts?: Record<string, unknown>): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

export async function startHarness(opts: SimulatorOptions = {}): Promise<Harness> {
  const sim = await startSimulator(opts);
  const clients: PopClient[] = [];
  const client = (credential: SimCredential = DEMO_CREDENTIAL, extra: { credentialsProvider?: unknown } = {}): PopClient => {
    const c = new RPCClient({
      endpoint: sim.url,
      apiVersion: API_VERSION,
      ...(extra.credentialsProvider ? {} : credential),
      ...extra,
    } as RPCClient.Config) as PopClient;
    clients.push(c);
    return c;
  };
  const main = client();
  return {
    sim,
    client,
    call: (action, params = {}, opts = {}) => main.request<Record<string, unknown>>(action, params, { method: 'POST', timeout: 2000, ...opts }),
    async close() {
      for (const c of clients) {
        c.keepAliveAgent.destroy();
      }
      await sim.close();
    },
  };
}

/** Awaits a promise that must reject, returning the rejection value (which may not be an Error). */
export async function rejection(promise: Promise<unknown>): Promise<Record<string, unknown>> {
  try {
    await promise;
  } catch (err) {
    return err as Record<string, unknown>;
  }
  throw new Error('expected the call to reject, but it resolved');
}

/** `YYYY-MM-DDTHH:mm:ssZ`, the RPC Timestamp format. */
export function rpcTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

let nonceCounter = 0;

/** The common parameters pop-core adds, for hand-made requests. */
export function commonParams(action: string, accessKeyId: string, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    Action: action,
    Format: 'JSON',
    Version: API_VERSION,
    AccessKeyId: accessKeyId,
    SignatureMethod: 'HMAC-SHA1',
    SignatureVersion: '1.0',
    SignatureNonce: `test-nonce-${process.pid}-${++nonceCounter}-${Date.now()}`,
    Timestamp: rpcTimestamp(Date.now()),
    ...overrides,
  };
}

/** Sends `params` (already including Signature if wanted) as a form POST or a GET query, without keep-alive. */
export function rawRpc(url: string, method: 'GET' | 'POST', params: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> {
  const encoded = new URLSearchParams(params).toString();
  const target = method === 'GET' ? `${url}/?${encoded}` : `${url}/`;
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      target,
      { method, agent: false, headers: method === 'POST' ? { 'content-type': 'application/x-www-form-urlencoded' } : {} },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          try {
            resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown> });
          } catch (err) {
            reject(err as Error);
          }
        });
      },
    );
    req.on('error', reject);
    req.end(method === 'POST' ? encoded : undefined);
  });
}
