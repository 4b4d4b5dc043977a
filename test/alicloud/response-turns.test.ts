// The guarded agent ends API response bodies one per event-loop turn, so that the work each answer
// starts (parsing, normalising, publishing) does not hold up other I/O of the process, such as a
// scrape arriving while a burst of answers is worked through.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { guardedAgent } from '../../src/alicloud/response-guard.js';
import { TurnQueue } from '../../src/concurrency/turn-queue.js';

function busy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

function get(port: number, path: string, agent: http.Agent): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, agent }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      })
      .on('error', reject);
  });
}

describe('response ends, one per event-loop turn', () => {
  it('runs ends in order, each in a later turn than the one before', async () => {
    const ran: string[] = [];
    const turns = new TurnQueue();
    turns.push(() => ran.push('a'));
    turns.push(() => ran.push('b'));
    turns.push(() => ran.push('c'));
    assert.deepEqual(ran, [], 'none at once');
    // an immediate scheduled now runs in the first turn's check phase, after a's
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(ran, ['a']);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(ran, ['a', 'b']);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(ran, ['a', 'b', 'c']);
  });

  it('answers a request to this process after one or two of a burst of 20 answers, not after all', async () => {
    const N = 20;
    const held: http.ServerResponse[] = [];
    let ended = 0;
    let endedWhenProbed = -1;
    const server = http.createServer((req, res) => {
      if (req.url === '/probe') {
        endedWhenProbed = ended;
        res.end('ok');
        return;
      }
      // every answer sent at once, once all 20 requests are in: they arrive together
      held.push(res);
      if (held.length === N) for (const r of held) r.end(JSON.stringify({ Items: 'x'.repeat(2000) }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const agent = guardedAgent(`http://127.0.0.1:${port}`, new TurnQueue());
    const probeAgent = new http.Agent({ keepAlive: true });
    try {
      // the probe's connection is open before the burst
      assert.equal((await get(port, '/probe', probeAgent)).body, 'ok');
      let probe: Promise<unknown> | undefined;
      const answers = Array.from(
        { length: N },
        () =>
          new Promise<string>((resolve, reject) => {
            http
              .get({ host: '127.0.0.1', port, path: '/api', agent }, (res) => {
                let body = '';
                res.setEncoding('utf8');
                res.on('data', (c: string) => (body += c));
                res.on('end', () => {
                  probe ??= get(port, '/probe', probeAgent);
                  busy(10); // the work an answer starts
                  ended++;
                  resolve(body);
                });
              })
              .on('error', reject);
          }),
      );
      const bodies = await Promise.all(answers);
      await probe;
      assert.ok(
        bodies.every((b) => b === JSON.stringify({ Items: 'x'.repeat(2000) })),
        'every body whole',
      );
      // Ended as they came, all 20 answers' work ran in one turn before the probe was read (20).
      assert.ok(endedWhenProbed >= 1 && endedWhenProbed <= 3, `the probe was answered after ${endedWhenProbed} of ${N} answers`);
    } finally {
      agent.destroy();
      probeAgent.destroy();
      await new Promise((r) => server.close(r));
    }
  });
});
