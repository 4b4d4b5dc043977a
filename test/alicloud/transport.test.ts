// Each layer of the transport stack on its own, around a scripted inner transport, and RdsClient's
// one page loop over a scripted transport: no HTTP, no clock.
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { DeadlineTransport } from '../../src/alicloud/deadline.js';
import { ApiError } from '../../src/alicloud/errors.js';
import { LimitedTransport } from '../../src/alicloud/limits.js';
import { ObservedTransport, type ApiAttempt } from '../../src/alicloud/observation.js';
import { RdsClient } from '../../src/alicloud/rds-client.js';
import { RetryingTransport } from '../../src/alicloud/retries.js';
import type { RdsRequest, RdsTransport, SendOptions } from '../../src/alicloud/transport.js';
import { AbortedError } from '../../src/concurrency/abort.js';
import { Semaphore } from '../../src/concurrency/semaphore.js';
import { TokenBucket } from '../../src/concurrency/token-bucket.js';

/** Answers each request with what `answer` returns (a body, or a rejection), and remembers it. */
class ScriptedTransport implements RdsTransport {
  readonly sent: Array<{ action: string; params: Readonly<Record<string, string>>; opts: SendOptions }> = [];
  closed = false;
  constructor(private readonly answer: (params: Readonly<Record<string, string>>, n: number) => Promise<unknown>) {}
  async send<T>(request: RdsRequest<T>, opts: SendOptions): Promise<T> {
    this.sent.push({ action: request.action, params: request.params, opts });
    return request.parse(await this.answer(request.params, this.sent.length));
  }
  close(): void {
    this.closed = true;
  }
}

const request = (params: Record<string, string> = {}): RdsRequest<unknown> => ({ action: 'DescribeBackupPolicy', params, parse: (b) => b });
const throttled = () => new ApiError('DescribeBackupPolicy', 'Throttling', 'throttled', '');
const refused = () => new ApiError('DescribeBackupPolicy', 'Forbidden.RAM', 'permission', '');

/** Lets `n` event-loop turns pass (what is ready by then has run). */
async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
}

/** A promise and its settlers. */
function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

describe('RetryingTransport', () => {
  it('sends again while the failure is retryable, numbering each retry', async () => {
    const inner = new ScriptedTransport(async (_p, n) => {
      if (n < 3) throw throttled();
      return 'answer';
    });
    const retrying = new RetryingTransport(inner, { maxRetries: 5, retryBaseDelayMs: 1, random: () => 0 });
    assert.equal(await retrying.send(request(), {}), 'answer');
    assert.deepEqual(
      inner.sent.map((s) => s.opts.retry),
      [0, 1, 2],
    );
  });

  it('gives up after maxRetries, with the last failure', async () => {
    const inner = new ScriptedTransport(async () => {
      throw throttled();
    });
    const retrying = new RetryingTransport(inner, { maxRetries: 2, retryBaseDelayMs: 1, random: () => 0 });
    await assert.rejects(retrying.send(request(), {}), (err: unknown) => err instanceof ApiError && err.code === 'Throttling');
    assert.equal(inner.sent.length, 3);
  });

  it('never retries a refusal', async () => {
    const inner = new ScriptedTransport(async () => {
      throw refused();
    });
    const retrying = new RetryingTransport(inner, { maxRetries: 5, retryBaseDelayMs: 1, random: () => 0 });
    await assert.rejects(retrying.send(request(), {}), (err: unknown) => err instanceof ApiError && err.kind === 'permission');
    assert.equal(inner.sent.length, 1);
  });

  it('classifies what the layer beneath rejects with', async () => {
    const inner = new ScriptedTransport(async () => {
      throw Object.assign(new Error('x'), { code: 'ECONNRESET' });
    });
    const retrying = new RetryingTransport(inner, { maxRetries: 0, retryBaseDelayMs: 1 });
    await assert.rejects(retrying.send(request(), {}), (err: unknown) => err instanceof ApiError && err.code === 'NetworkError');
  });
});

describe('ObservedTransport', () => {
  it('tells each attempt once: action, code, retry and instance', async () => {
    const seen: ApiAttempt[] = [];
    let fail = true;
    const inner = new ScriptedTransport(async () => {
      if (fail) throw refused();
      return {};
    });
    const observed = new ObservedTransport(inner, (a) => seen.push(a));
    await assert.rejects(observed.send(request({ DBInstanceId: 'rm-1' }), { retry: 0 }));
    fail = false;
    await observed.send(request(), { retry: 2 });
    assert.deepEqual(
      seen.map(({ action, code, retry, instanceId }) => ({ action, code, retry, instanceId })),
      [
        { action: 'DescribeBackupPolicy', code: 'Forbidden.RAM', retry: 0, instanceId: 'rm-1' },
        { action: 'DescribeBackupPolicy', code: 'OK', retry: 2, instanceId: undefined },
      ],
    );
    assert.ok(
      seen.every((a) => a.seconds >= 0),
      'durations are not negative',
    );
  });

  it('an attempt abandoned when its signal aborts is told as Timeout then, and not again when it answers', async () => {
    const seen: string[] = [];
    const answer = deferred<unknown>();
    const observed = new ObservedTransport(new ScriptedTransport(() => answer.promise), (a) => seen.push(a.code));
    const controller = new AbortController();
    const sent = observed.send(request(), { signal: controller.signal });
    controller.abort();
    assert.deepEqual(seen, ['Timeout']);
    answer.resolve({});
    await sent;
    assert.deepEqual(seen, ['Timeout']);
    assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
  });
});

describe('LimitedTransport', () => {
  it('an abandoned request rejects at once and frees its slot; its late answer goes to no one', async () => {
    const answers = [deferred<unknown>(), deferred<unknown>()];
    const semaphore = new Semaphore(1);
    const limited = new LimitedTransport(new ScriptedTransport((_p, n) => answers[n - 1]!.promise), new TokenBucket(1000, 1000), semaphore);
    const controller = new AbortController();
    const first = limited.send(request(), { signal: controller.signal });
    await turns(1);
    controller.abort();
    await assert.rejects(first, AbortedError);
    assert.equal(semaphore.inUse, 0, 'freed although the request is still in flight');
    const second = limited.send(request(), {});
    answers[1]!.resolve('second');
    assert.equal(await second, 'second', 'served while the abandoned request still hangs');
    answers[0]!.resolve('late');
    await turns(1);
    assert.equal(semaphore.inUse, 0, 'the late answer frees nothing twice');
  });

  it('two requests hung past the poll deadline (pop-core time-out longer than it) free their slots at the deadline for the next call of the region', async () => {
    // The stack createRdsClient builds, over a bottom layer that, like pop-core, cannot be
    // cancelled: the two hung requests never end, whatever their signal.
    const semaphore = new Semaphore(2);
    const bottom = new ScriptedTransport((params) => (params.DBInstanceId === 'rm-healthy' ? Promise.resolve({ ok: true }) : new Promise(() => {})));
    const stack = new RdsClient(
      new DeadlineTransport(
        new RetryingTransport(new LimitedTransport(bottom, new TokenBucket(1000, 1000), semaphore), { maxRetries: 3, retryBaseDelayMs: 0 }),
      ),
    );
    const tick1 = new AbortController();
    const hung = ['rm-hung-1', 'rm-hung-2'].map((id) => stack.call('DescribeBackupTasks', { DBInstanceId: id }, (b) => b, { signal: tick1.signal }));
    await turns(3);
    assert.equal(semaphore.inUse, 2, 'both slots held by the hung requests');
    const tick2 = new AbortController();
    let healthy: unknown;
    const asking = stack.call('DescribeBackupTasks', { DBInstanceId: 'rm-healthy' }, (b) => b, { signal: tick2.signal }).then((v) => (healthy = v));
    await turns(3);
    assert.equal(healthy, undefined, 'waits for a slot while the deadline has not passed');
    tick1.abort(new DOMException('the poll deadline passed', 'TimeoutError'));
    for (const call of hung) await assert.rejects(call, (err: unknown) => err instanceof ApiError && err.code === 'Timeout');
    await turns(3);
    assert.deepEqual(healthy, { ok: true }, 'answered once the deadline freed the slots, the hung requests still in flight');
    await asking;
    assert.equal(bottom.sent.length, 3, 'the hung requests were not retried past their deadline');
  });

  it('passes priority and owner on to the concurrency limit (backlog when unsaid)', async () => {
    const asked: Array<[string | undefined, string | undefined]> = [];
    class Recording extends Semaphore {
      override acquire(signal?: AbortSignal, priority?: 'listing' | 'backlog', owner?: string) {
        asked.push([priority, owner]);
        return super.acquire(signal, priority, owner);
      }
    }
    const limited = new LimitedTransport(new ScriptedTransport(async () => 1), new TokenBucket(1000, 1000), new Recording(2));
    await limited.send(request(), { priority: 'listing', owner: 'rm-1' });
    await limited.send(request(), {});
    assert.deepEqual(asked, [
      ['listing', 'rm-1'],
      ['backlog', undefined],
    ]);
  });
});

describe('DeadlineTransport', () => {
  it("what ends at the caller's deadline is Timeout; what ends at shutdown is not", async () => {
    const shutdown = new AbortController();
    const never = new ScriptedTransport(() => new Promise(() => {}));
    const stack = new DeadlineTransport(new LimitedTransport(never, new TokenBucket(1000, 1000), new Semaphore(4)), shutdown.signal);
    const deadline = new AbortController();
    const late = stack.send(request(), { signal: deadline.signal });
    deadline.abort();
    await assert.rejects(late, (err: unknown) => err instanceof ApiError && err.code === 'Timeout');
    const stopped = stack.send(request(), { signal: new AbortController().signal });
    shutdown.abort();
    await assert.rejects(stopped, (err: unknown) => err instanceof ApiError && err.code !== 'Timeout');
  });

  it('close leaves the shutdown signal and closes the layers beneath', () => {
    const shutdown = new AbortController();
    const inner = new ScriptedTransport(async () => ({}));
    const stack = new DeadlineTransport(inner, shutdown.signal);
    assert.equal(getEventListeners(shutdown.signal, 'abort').length, 1);
    stack.close();
    assert.equal(getEventListeners(shutdown.signal, 'abort').length, 0);
    assert.equal(inner.closed, true);
  });
});

describe('RdsClient paging', () => {
  const set = (id: number) => ({ BackupId: String(id), BackupStartTime: '2026-11-20T16:00Z', BackupEndTime: '2026-11-20T16:20Z' });

  it('asks page after page until the entries reach the total', async () => {
    const transport = new ScriptedTransport(async (params) => {
      const page = Number(params.PageNumber);
      return { TotalRecordCount: 250, Items: { Backup: Array.from({ length: page < 3 ? 100 : 50 }, (_, i) => set(page * 1000 + i)) } };
    });
    const sets = await new RdsClient(transport).describeBackups('rm-1', 0, 60_000);
    assert.equal(sets.length, 250);
    assert.deepEqual(
      transport.sent.map((s) => [s.params.PageNumber, s.params.PageSize]),
      [
        ['1', '100'],
        ['2', '100'],
        ['3', '100'],
      ],
    );
  });

  it('stops at an empty page, and gives up on a listing that never ends', async () => {
    const shrinking = new ScriptedTransport(async (params) => ({
      TotalRecordCount: 500,
      Items: { BinLogFile: params.PageNumber === '1' ? [{ LogBeginTime: '2026-11-20T16:00:00Z', LogEndTime: '2026-11-20T16:10:00Z' }] : [] },
    }));
    assert.equal((await new RdsClient(shrinking).describeBinlogFiles('rm-1', 0, 1000)).length, 1);
    assert.equal(shrinking.sent.length, 2);

    const endless = new ScriptedTransport(async (params) => ({
      TotalRecordCount: 1e9,
      Items: { Item: [{ CrossBackupId: params.PageNumber, BackupEndTime: '2026-11-20T16:10:00Z' }] },
    }));
    await assert.rejects(
      new RdsClient(endless).describeCrossRegionBackups('cn-hangzhou', 'rm-1', 0, 1000),
      (err: unknown) => err instanceof ApiError && err.code === 'MalformedResponse',
    );
    assert.equal(endless.sent.length, 200);
  });
});
