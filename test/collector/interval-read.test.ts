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

  it('retries bad credentials at the next poll, so that a fix shows at once', async () => {
    const read = new CountingRead(60_000);
    read.answer = () => {
      throw apiError('SignatureDoesNotMatch', 'auth', 'Counting');
    };
    await read.run(ctx);
    assert.equal(read.due(clock + 1), true);
  });
});
