// Basic authentication: what a client without the password can cost. Comparisons are counted
// through an injected compare; none of these tests measures time.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { hashSync } from 'bcryptjs';
import express from 'express';
import { BasicAuth, bcryptCost, dummyHashFor } from '../../src/http/basic-auth.js';
import { BcryptWorker } from '../../src/http/bcrypt-worker.js';

const header = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
/** A well-formed bcrypt hash of the given cost (never compared for real here). */
const fakeHash = (cost: number, fill: string) => `$2y$${String(cost).padStart(2, '0')}$${fill.repeat(53).slice(0, 53)}`;

/** A compare that answers `password === 'right'`, when the test lets it, and counts what it was asked. */
function scriptedCompare(opts: { manual?: boolean } = {}) {
  const calls: Array<{ password: string; hash: string }> = [];
  const held: Array<() => void> = [];
  let running = 0;
  let maxRunning = 0;
  const compare = async (password: string, hash: string) => {
    calls.push({ password, hash });
    running++;
    maxRunning = Math.max(maxRunning, running);
    if (opts.manual) await new Promise<void>((resolve) => held.push(resolve));
    else await new Promise((r) => setImmediate(r));
    running--;
    return password === 'right';
  };
  return {
    compare,
    calls,
    get maxRunning() {
      return maxRunning;
    },
    /** lets every comparison waiting in compare() go on, until none is left */
    async drain() {
      while (held.length > 0 || running > 0) {
        held.splice(0).forEach((release) => {
          release();
        });
        await new Promise((r) => setImmediate(r));
      }
    },
  };
}

describe('basic authentication', () => {
  it("compares an unknown user's password against a hash of the highest configured cost", async () => {
    const users = new Map([
      ['cheap', fakeHash(4, 'a')],
      ['dear', fakeHash(12, 'b')],
      ['usual', fakeHash(10, 'c')],
    ]);
    assert.equal(bcryptCost(dummyHashFor(users)!), 12);
    const spy = scriptedCompare();
    const auth = new BasicAuth(() => users, { compare: spy.compare });
    assert.equal(bcryptCost(auth.dummyHash()!), 12);
    assert.equal(await auth.check(header('nobody', 'right')), 'refused', 'a matching password does not let an unknown user in');
    assert.deepEqual(
      spy.calls.map((c) => bcryptCost(c.hash)),
      [12],
      'the same work as the dearest known user',
    );
    // The users change (a reload): the dummy follows.
    users.delete('dear');
    const fewer = new Map(users);
    const auth2 = new BasicAuth(() => fewer, { compare: spy.compare });
    assert.equal(bcryptCost(auth2.dummyHash()!), 10);
  });

  it('compares an accepted user and password once, then remembers it', async () => {
    const spy = scriptedCompare();
    const auth = new BasicAuth(() => new Map([['prometheus', fakeHash(10, 'a')]]), { compare: spy.compare });
    for (let i = 0; i < 5; i++) assert.equal(await auth.check(header('prometheus', 'right')), 'allowed');
    assert.equal(spy.calls.length, 1);
  });

  it('never remembers a wrong password as good, and a flood of wrong ones does not push out the good one', async () => {
    const spy = scriptedCompare();
    const auth = new BasicAuth(() => new Map([['prometheus', fakeHash(10, 'a')]]), { compare: spy.compare });
    assert.equal(await auth.check(header('prometheus', 'right')), 'allowed');
    assert.equal(await auth.check(header('prometheus', 'wrong')), 'refused');
    assert.equal(await auth.check(header('prometheus', 'wrong')), 'refused', 'the refusal is remembered');
    assert.equal(spy.calls.length, 2);
    for (let i = 0; i < 2000; i++) assert.equal(await auth.check(header('prometheus', `wrong-${i}`)), 'refused');
    const before = spy.calls.length;
    assert.equal(await auth.check(header('prometheus', 'right')), 'allowed');
    assert.equal(spy.calls.length, before, 'the accepted pair was still remembered');
    assert.equal(await auth.check(header('prometheus', 'wrong-0')), 'refused', 'an old refusal, forgotten, is compared again and refused again');
  });

  it('a changed hash for the same user is compared again', async () => {
    const spy = scriptedCompare();
    let users = new Map([['prometheus', fakeHash(10, 'a')]]);
    const auth = new BasicAuth(() => users, { compare: spy.compare });
    assert.equal(await auth.check(header('prometheus', 'right')), 'allowed');
    users = new Map([['prometheus', fakeHash(10, 'b')]]);
    assert.equal(await auth.check(header('prometheus', 'right')), 'allowed');
    assert.equal(spy.calls.length, 2);
  });

  it('runs one comparison at a time, lets a bounded number wait, and answers the rest busy at once', async () => {
    const spy = scriptedCompare({ manual: true });
    const auth = new BasicAuth(() => new Map([['prometheus', fakeHash(10, 'a')]]), { compare: spy.compare, maxWaiting: 5 });
    const outcomes = Array.from({ length: 20 }, (_, i) => auth.check(header(i % 2 === 0 ? 'prometheus' : 'nobody', `wrong-${i}`)));
    const early = await Promise.race([Promise.all(outcomes.slice(6)), new Promise((r) => setImmediate(() => r('pending')))]);
    assert.deepEqual(early, Array(14).fill('busy'), 'past 1 running and 5 waiting: busy, without waiting');
    await spy.drain();
    assert.deepEqual(await Promise.all(outcomes.slice(0, 6)), Array(6).fill('refused'));
    assert.equal(spy.maxRunning, 1);
    assert.equal(spy.calls.length, 6);
    const after = auth.check(header('prometheus', 'right'));
    await spy.drain();
    assert.equal(await after, 'allowed', 'the queue is free again');
  });

  it('the same user and password asked many times at once is compared once', async () => {
    const spy = scriptedCompare({ manual: true });
    const auth = new BasicAuth(() => new Map([['prometheus', fakeHash(10, 'a')]]), { compare: spy.compare });
    const outcomes = Array.from({ length: 50 }, () => auth.check(header('prometheus', 'right')));
    await spy.drain();
    assert.deepEqual(new Set(await Promise.all(outcomes)), new Set(['allowed']));
    assert.equal(spy.calls.length, 1);
  });

  it('answers 503 with Retry-After when too many comparisons wait, 401 to a wrong password', async () => {
    const spy = scriptedCompare({ manual: true });
    const auth = new BasicAuth(() => new Map([['prometheus', fakeHash(10, 'a')]]), { compare: spy.compare, maxWaiting: 0 });
    const app = express();
    app.use(auth.middleware());
    app.get('/', (_req, res) => res.send('ok'));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    try {
      const first = fetch(url, { headers: { authorization: header('prometheus', 'wrong') } });
      while (spy.calls.length === 0) await new Promise((r) => setTimeout(r, 5));
      const busy = await fetch(url, { headers: { authorization: header('prometheus', 'other') } });
      assert.equal(busy.status, 503);
      assert.equal(busy.headers.get('retry-after'), '1');
      await spy.drain();
      const refused = await first;
      assert.equal(refused.status, 401);
      assert.match(refused.headers.get('www-authenticate') ?? '', /^Basic realm=/);
    } finally {
      server.close();
    }
  });

  it('compares in a worker thread: the event loop keeps turning during a comparison', async () => {
    const worker = new BcryptWorker();
    try {
      const hash = hashSync('the-password', 10);
      let turns = 0;
      let comparing = true;
      const spin = () => {
        turns++;
        if (comparing) setImmediate(spin);
      };
      setImmediate(spin);
      const [right, wrong] = await Promise.all([worker.compare('the-password', hash), worker.compare('not-it', hash)]);
      comparing = false;
      assert.deepEqual([right, wrong], [true, false]);
      // On the event loop (bcryptjs compareSync) not one turn would pass; its async compare yields once per 100 ms.
      assert.ok(turns > 20, `${turns} turns of the event loop during two cost-10 comparisons`);
      assert.equal(await worker.compare('x', 'not a hash'), false, 'a malformed hash is a mismatch');
    } finally {
      await worker.close();
    }
  });
});
