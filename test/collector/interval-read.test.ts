// The shape every read made at its own interval shares: due at its interval or at once when
// asked; a standing error until a read works; which failures wait for the interval.
import assert from 'node:assert/strict';
import { IntervalRead, type ReadContext } from '../../src/collector/interval-read.js';
import { createLogger } from '../../src/log.js';
import { LogCapture } from '../helpers.js';
import { apiError, ScriptedApi } from './scripted-api.js';

class CountingRead extends IntervalRead<number> {
  readonly action = 'Counting';
  answer: () => number = () => 1;
  taken: number[] = [];
  protected async fetch(): Promise<number> {
    return this.answer();
  }
  protected take(value: number): void {
    this.taken.push(value);
  }
}

describe('IntervalRead', () => {
  let clock = 0;
  const ctx: ReadContext = { api: new ScriptedApi(), instanceId: 'rm-a', regionId: 'cn-hangzhou', call: {}, now: () => clock, log: createLogger({ destination: new LogCapture() }) };
  beforeEach(() => (clock = 1_000_000));

  it('is due at once, then after its interval; soon() makes it due again', async () => {
    const read = new CountingRead(60_000);
    assert.equal(read.due(clock), true);
    await read.run(ctx);
    assert.deepEqual(read.taken, [1]);
    assert.equal(read.due(clock + 59_999), false);
    assert.equal(read.due(clock + 60_000), true);
    read.soon();
    assert.equal(read.due(clock), true);
  });

  it('keeps its error standing until a read works, and retries a transient one at the next poll', async () => {
    const read = new CountingRead(60_000);
    read.answer = () => {
      throw apiError('Throttling', 'throttled', 'Counting');
    };
    await read.run(ctx);
    assert.equal(read.error?.code, 'Throttling');
    assert.equal(read.due(clock + 1), true, 'transient: due again at once');
    read.answer = () => 2;
    await read.run(ctx);
    assert.equal(read.error, undefined);
    assert.deepEqual(read.taken, [2]);
  });

  for (const [code, kind] of [['Forbidden.RAM', 'permission'], ['InvalidDBInstanceId.NotFound', 'not_found'], ['InvalidParameter', 'client'], ['IncorrectDBInstanceState', 'state']] as const) {
    it(`waits for the interval after ${code}, its error standing meanwhile`, async () => {
      const read = new CountingRead(60_000);
      read.answer = () => {
        throw apiError(code, kind, 'Counting');
      };
      await read.run(ctx);
      assert.equal(read.due(clock + 59_999), false);
      assert.equal(read.error?.code, code);
    });
  }

  it('spread by a phase: made at once, again that share of an interval later, then every interval on the same points', async () => {
    const read = new CountingRead(60_000);
    read.spreadBy(0.25);
    const start = clock;
    assert.equal(read.due(clock), true, 'the first read is made at once');
    await read.run(ctx);
    assert.equal(read.due(start + 14_999), false);
    assert.equal(read.due(start + 15_000), true, 'the second a quarter of an interval later');
    // made late (it queued for the limits): the one after stays on its point
    clock = start + 18_000;
    await read.run(ctx);
    assert.equal(read.due(start + 74_999), false);
    assert.equal(read.due(start + 75_000), true, 'not 18 s + 60 s');
    // made early (soon(), after a job ended): the next stays on its point too
    clock = start + 100_000;
    read.soon();
    await read.run(ctx);
    assert.equal(read.due(start + 134_999), false);
    assert.equal(read.due(start + 135_000), true);
    // a failure that waits for the interval waits for the next point
    read.answer = () => {
      throw apiError('Forbidden.RAM', 'permission', 'Counting');
    };
    clock = start + 135_000;
    await read.run(ctx);
    assert.equal(read.due(start + 194_999), false);
    assert.equal(read.due(start + 195_000), true);
    assert.deepEqual(read.taken, [1, 1, 1]);
  });

  it('retries bad credentials at the next poll, so that a fix shows at once', async () => {
    const read = new CountingRead(60_000);
    read.answer = () => {
      throw apiError('SignatureDoesNotMatch', 'auth', 'Counting');
    };
    await read.run(ctx);
    assert.equal(read.due(clock + 1), true);
  });
});
