import assert from 'node:assert/strict';
import { AdaptiveRate } from '../../src/alicloud/limits.js';
import { AbortedError, sleep } from '../../src/concurrency/abort.js';
import { Semaphore } from '../../src/concurrency/semaphore.js';
import { TokenBucket } from '../../src/concurrency/token-bucket.js';

describe('TokenBucket', () => {
  it('allows a burst, then paces acquisitions at the rate', async () => {
    let clock = 0;
    const bucket = new TokenBucket(100, 2, () => clock);
    await bucket.acquire();
    await bucket.acquire();
    // The bucket is empty: the third waits for 10 ms of refill. Advance the fake clock while it sleeps.
    let done = false;
    const third = bucket.acquire().then(() => (done = true));
    await sleep(1);
    assert.equal(done, false, 'third acquisition must wait for a token');
    clock += 10;
    await third;
    assert.equal(done, true);
  });

  it('never lets more than rate × time + burst through (real clock)', async () => {
    const bucket = new TokenBucket(200, 1);
    const started = performance.now();
    for (let i = 0; i < 21; i++) await bucket.acquire();
    // 1 from the burst, then 20 more at 200/s take at least 100 ms.
    assert.ok(performance.now() - started >= 95, `took ${performance.now() - started} ms`);
  });

  it('paces from the first request by default: one at once, then one every 1/rate s', async () => {
    let clock = 0;
    const bucket = new TokenBucket(10, undefined, () => clock);
    clock += 60_000; // idle for a minute: still one token saved, not ten
    await bucket.acquire();
    let second = false;
    const waiting = bucket.acquire().then(() => (second = true));
    await sleep(5);
    assert.equal(second, false, 'the second waits');
    clock += 100;
    await waiting;
  });

  it('by default lets at most rate + 1 requests into any one-second window (real clock)', async () => {
    const bucket = new TokenBucket(50);
    await sleep(100); // saved up while idle
    const at: number[] = [];
    const started = performance.now();
    while (performance.now() - started < 1500) {
      await bucket.acquire();
      at.push(performance.now());
    }
    for (let i = 0; i < at.length; i++) {
      const inWindow = at.filter((t) => t >= at[i]! && t < at[i]! + 1000).length;
      assert.ok(inWindow <= 51, `${inWindow} acquisitions in the second from the ${i + 1}th`);
    }
  });

  it('loses no tokens while requests wait, however late the timer wakes it: the pace stays the rate', async () => {
    let clock = 0;
    const bucket = new TokenBucket(1000, undefined, () => clock);
    let served = 0;
    const all = Array.from({ length: 100 }, () => bucket.acquire().then(() => served++));
    await sleep(5);
    assert.equal(served, 1, 'the one token saved');
    clock += 50; // the pump slept 50 ms where 1 was asked
    await sleep(5);
    assert.equal(served, 51, 'the 50 tokens of those 50 ms, not the burst of 1');
    clock += 49;
    await Promise.all(all);
    assert.equal(served, 100);
  });

  it('gives up at once on abort, without blocking later callers', async () => {
    let clock = 0;
    const bucket = new TokenBucket(1, 1, () => clock);
    await bucket.acquire();
    const controller = new AbortController();
    const waiting = bucket.acquire(controller.signal);
    controller.abort();
    await assert.rejects(waiting, AbortedError);
    clock += 1000;
    await bucket.acquire();
  });
});

describe('Semaphore', () => {
  it('holds at most `limit` at once and serves waiters in order', async () => {
    const sem = new Semaphore(2);
    let active = 0;
    let peak = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        const release = await sem.acquire();
        order.push(i);
        active++;
        peak = Math.max(peak, active);
        await sleep(2);
        active--;
        release();
      }),
    );
    assert.equal(peak, 2);
    assert.deepEqual(order, [0, 1, 2, 3, 4, 5, 6, 7]);
    assert.equal(sem.inUse, 0);
  });

  it('releasing twice frees one slot only', async () => {
    const sem = new Semaphore(1);
    const release = await sem.acquire();
    release();
    release();
    await sem.acquire();
    assert.equal(sem.inUse, 1);
  });

  it('a waiter that aborts leaves the queue', async () => {
    const sem = new Semaphore(1);
    const release = await sem.acquire();
    const controller = new AbortController();
    const waiting = sem.acquire(controller.signal);
    controller.abort();
    await assert.rejects(waiting, AbortedError);
    release();
    assert.equal(sem.inUse, 0);
  });
});

describe('priorities', () => {
  it('TokenBucket serves a waiting listing before backlog that queued earlier', async () => {
    let clock = 0;
    const bucket = new TokenBucket(100, 1, () => clock);
    await bucket.acquire();
    const order: string[] = [];
    const waits = [
      bucket.acquire(undefined, 'backlog').then(() => order.push('backlog-1')),
      bucket.acquire(undefined, 'backlog').then(() => order.push('backlog-2')),
      bucket.acquire(undefined, 'listing').then(() => order.push('listing')),
    ];
    for (let i = 0; i < 3; i++) {
      await sleep(15);
      clock += 10;
    }
    await Promise.all(waits);
    assert.deepEqual(order, ['listing', 'backlog-1', 'backlog-2']);
  });

  it('Semaphore hands a freed slot to a waiting listing before earlier backlog', async () => {
    const sem = new Semaphore(1);
    const release = await sem.acquire();
    const order: string[] = [];
    const waits = [
      sem.acquire(undefined, 'backlog').then((r) => (order.push('backlog'), r())),
      sem.acquire(undefined, 'listing').then((r) => (order.push('listing'), r())),
    ];
    release();
    await Promise.all(waits);
    assert.deepEqual(order, ['listing', 'backlog']);
  });
});

describe('backlog fairness', () => {
  it('serves backlog round-robin between owners, each in its own order', async () => {
    const sem = new Semaphore(1);
    const release = await sem.acquire();
    const order: string[] = [];
    const waits = ['a1', 'a2', 'a3', 'b1', 'c1', 'b2'].map((name) => sem.acquire(undefined, 'backlog', name[0]).then((r) => (order.push(name), r())));
    release();
    await Promise.all(waits);
    assert.deepEqual(order, ['a1', 'b1', 'c1', 'a2', 'b2', 'a3']);
    assert.equal(sem.inUse, 0);
  });

  it("a waiter that aborts leaves its owner's queue; the owner keeps its turn for the rest", async () => {
    const sem = new Semaphore(1);
    const release = await sem.acquire();
    const controller = new AbortController();
    const order: string[] = [];
    const gone = sem.acquire(controller.signal, 'backlog', 'a');
    const waits = [
      sem.acquire(undefined, 'backlog', 'b').then((r) => (order.push('b'), r())),
      sem.acquire(undefined, 'backlog', 'a').then((r) => (order.push('a'), r())),
    ];
    controller.abort();
    await assert.rejects(gone, AbortedError);
    release();
    await Promise.all(waits);
    assert.deepEqual(order, ['a', 'b']);
  });
});

describe('AdaptiveRate', () => {
  it('halves on throttling at most once a second, down to a floor, and gives back 1/10 a second up to the configured rate', () => {
    let clock = 0;
    const bucket = new TokenBucket(100, 100, () => clock);
    const rate = new AdaptiveRate(bucket, 100, () => clock);
    rate.record(true);
    assert.equal(rate.current, 50);
    clock += 200;
    rate.record(true);
    assert.equal(rate.current, 50, 'a burst of throttled answers halves it once');
    clock += 1000;
    rate.record(true);
    assert.equal(rate.current, 25);
    for (let i = 0; i < 20; i++) {
      clock += 1000;
      rate.record(true);
    }
    assert.equal(rate.current, 1, 'never below 1/100 of the configured rate');
    clock += 1000;
    rate.record(false);
    assert.equal(rate.current, 11, 'one second without throttling gives back 10');
    clock += 30_000;
    rate.record(false);
    assert.equal(rate.current, 100, 'and never more than configured');
  });

  it('makes the bucket follow: a halved rate paces at the new rate', async () => {
    let clock = 0;
    const bucket = new TokenBucket(10, undefined, () => clock);
    bucket.setRate(2);
    assert.equal(bucket.ratePerSecond, 2);
    await bucket.acquire();
    let second = false;
    const waiting = bucket.acquire().then(() => (second = true));
    clock += 400;
    await sleep(5);
    assert.equal(second, false, 'at 2/s the next token comes after 500 ms, not 100');
    clock += 100;
    await waiting;
  });
});
