// The shutdown signal lives as long as the process, and every API call is also bounded by its
// poll's deadline. The two are linked per call and unlinked when the call ends: nothing of a
// finished call stays attached to the shutdown signal (Node 20's AbortSignal.any() kept a WeakRef
// per call in it, nodejs/node#55351: a leak of one entry per API call).
import assert from 'node:assert/strict';
import { getEventListeners, setMaxListeners } from 'node:events';
import { staticCredentials } from '../../src/alicloud/credentials.js';
import { ApiError } from '../../src/alicloud/errors.js';
import { createRdsClient, type RdsClient } from '../../src/alicloud/rds-client.js';
import { Semaphore } from '../../src/concurrency/semaphore.js';
import { SignalLinks } from '../../src/concurrency/signal-links.js';
import { TokenBucket } from '../../src/concurrency/token-bucket.js';
import { TurnQueue } from '../../src/concurrency/turn-queue.js';
import { DEMO_CREDENTIAL, startSimulator, type Simulator } from '../../simulator/server.js';

/** The entries Node keeps in `signal` for the signals AbortSignal.any() made from it (0 when it keeps none). */
function dependants(signal: AbortSignal): number {
  const key = Object.getOwnPropertySymbols(signal).find((s) => s.description === 'kDependantSignals');
  const set = key ? (signal as unknown as Record<symbol, Set<unknown> | undefined>)[key] : undefined;
  return set?.size ?? 0;
}

describe('SignalLinks', () => {
  it('a link aborts when its child or the parent aborts, with that reason', () => {
    const parent = new AbortController();
    const links = new SignalLinks(parent.signal);
    const child = new AbortController();
    const a = links.link(child.signal);
    const b = links.link(new AbortController().signal);
    const reason = new Error('deadline');
    child.abort(reason);
    assert.equal(a.signal.aborted, true);
    assert.equal(a.signal.reason, reason);
    assert.equal(b.signal.aborted, false);
    assert.equal(links.size, 1, 'the aborted link is no longer tracked');
    parent.abort('shutdown');
    assert.equal(b.signal.aborted, true);
    assert.equal(b.signal.reason, 'shutdown');
    assert.equal(links.size, 0);
  });

  it('the parent carries one listener however many links; release() leaves nothing behind', () => {
    const parent = new AbortController();
    const links = new SignalLinks(parent.signal);
    const child = new AbortController();
    setMaxListeners(0, child.signal);
    const made = Array.from({ length: 1000 }, () => links.link(child.signal));
    assert.equal(getEventListeners(parent.signal, 'abort').length, 1);
    assert.equal(links.size, 1000);
    for (const link of made) link.release();
    assert.equal(links.size, 0);
    assert.equal(getEventListeners(child.signal, 'abort').length, 0);
    parent.abort();
    assert.ok(
      made.every((link) => !link.signal.aborted),
      'a released link never aborts',
    );
    links.close();
    assert.equal(getEventListeners(parent.signal, 'abort').length, 0);
  });

  it('a link is aborted at once when its child or the parent already is', () => {
    const parent = new AbortController();
    const links = new SignalLinks(parent.signal);
    const child = new AbortController();
    child.abort('late');
    assert.equal(links.link(child.signal).signal.reason, 'late');
    parent.abort('stopping');
    assert.equal(links.link(new AbortController().signal).signal.reason, 'stopping');
    assert.equal(links.size, 0);
  });
});

describe("RdsClient: the shutdown signal and each call's deadline", function () {
  this.timeout(20_000);
  let sim: Simulator;
  let shutdown: AbortController;
  let client: RdsClient;

  beforeEach(async () => {
    sim = await startSimulator();
    sim.world.addInstance('rm-signals');
    shutdown = new AbortController();
    client = createRdsClient({
      endpoint: sim.url,
      credentials: staticCredentials(DEMO_CREDENTIAL.accessKeyId, DEMO_CREDENTIAL.accessKeySecret),
      bucket: new TokenBucket(10_000),
      semaphore: new Semaphore(8),
      responseTurns: new TurnQueue(),
      timeoutMs: 5000,
      maxRetries: 2,
      retryBaseDelayMs: 1,
      signal: shutdown.signal,
    });
  });
  afterEach(async () => {
    client.close();
    assert.equal(getEventListeners(shutdown.signal, 'abort').length, 0, 'a closed client leaves the shutdown signal');
    await sim.close();
  });

  it('leaves nothing attached to the shutdown signal after 300 calls, answered or failed', async () => {
    const deadline = new AbortController();
    setMaxListeners(0, deadline.signal); // one poll's deadline, shared here by 300 calls at once
    const answered = Array.from({ length: 200 }, () => client.describeBackupPolicy('rm-signals', { signal: deadline.signal }));
    const failed = Array.from({ length: 100 }, () => client.describeBackupPolicy('rm-nosuch', { signal: deadline.signal }).catch((e: unknown) => e));
    await Promise.all(answered);
    for (const err of await Promise.all(failed)) assert.ok(err instanceof ApiError, String(err));
    assert.equal(getEventListeners(shutdown.signal, 'abort').length, 1, "the client's one listener on the shutdown signal");
    assert.equal(dependants(shutdown.signal), 0, 'signals left following the shutdown signal');
    assert.equal(getEventListeners(deadline.signal, 'abort').length, 0, 'listeners left on the deadline');
  });

  it('a call waiting at its deadline ends as Timeout; one waiting at shutdown, as aborted', async () => {
    sim.latencyMs = 5_000;
    const deadline = new AbortController();
    const late = client.describeBackupPolicy('rm-signals', { signal: deadline.signal });
    setTimeout(() => deadline.abort(), 50);
    await assert.rejects(late, (err: unknown) => err instanceof ApiError && err.code === 'Timeout');

    const stopped = client.describeBackupPolicy('rm-signals', { signal: new AbortController().signal });
    setTimeout(() => shutdown.abort(), 50);
    await assert.rejects(stopped, (err: unknown) => err instanceof ApiError && err.code !== 'Timeout');
  });
});
