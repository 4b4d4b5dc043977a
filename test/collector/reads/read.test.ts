// The shape every read made at its own interval shares (ScheduledRead): due at its interval or at
// once when asked; its health standing until a read works; which failures wait, and how long.
import assert from 'node:assert/strict';
import { defineRead, PERMISSION_RETRY_MS, ScheduledRead, type ReadContext, type ReadSettings } from '../../../src/collector/reads/read.js';
import { createLogger } from '../../../src/log.js';
import { LogCapture } from '../../helpers.js';
import { apiError, ScriptedApi } from '../scripted-api.js';

const SETTINGS: ReadSettings = { intervalsMs: { counting: 60_000 }, backupsLookbackMs: 86400_000, logBackupsLookbackMs: 86400_000 };

/** A read whose answers the test sets: it keeps what it was given. */
function countingRead() {
  const script = { answer: (): number => 1, taken: [] as number[] };
  const plugin = defineRead<number[]>({
    name: 'counting',
    actions: ['Counting'],
    essential: false,
    defaultIntervalSeconds: 60,
    help: 'counts',
    create: () => ({
      async run() {
        script.taken.push(script.answer());
      },
      view: () => script.taken,
    }),
    families: [],
  });
  return { read: new ScheduledRead(plugin, SETTINGS), script };
}

describe('ScheduledRead', () => {
  let clock = 0;
  const ctx: ReadContext = {
    api: new ScriptedApi(),
    instanceId: 'rm-a',
    regionId: 'cn-hangzhou',
    call: {},
    now: () => clock,
    log: createLogger({ destination: new LogCapture() }),
    runningSinceMs: undefined,
    info: undefined,
  };
  beforeEach(() => (clock = 1_000_000));

  it('is due at once, then after its interval; soon() makes it due again', async () => {
    const { read, script } = countingRead();
    assert.equal(read.due(clock), true);
    assert.equal(await read.run(ctx), undefined);
    assert.deepEqual(script.taken, [1]);
    assert.deepEqual(read.status, { success: true, lastSuccessMs: clock });
    assert.equal(read.due(clock + 59_999), false);
    assert.equal(read.due(clock + 60_000), true);
    read.soon();
    assert.equal(read.due(clock), true);
  });

  it('keeps its failure standing until a read works, with the last success kept, and retries a transient one at the next poll', async () => {
    const { read, script } = countingRead();
    await read.run(ctx);
    const worked = clock;
    script.answer = () => {
      throw apiError('Throttling', 'throttled', 'Counting');
    };
    clock += 60_000;
    const failure = await read.run(ctx);
    assert.deepEqual(failure && { code: failure.code, kind: failure.kind, action: failure.action }, {
      code: 'Throttling',
      kind: 'throttled',
      action: 'Counting',
    });
    assert.equal(read.status?.success, false);
    assert.equal(read.status?.lastSuccessMs, worked);
    assert.equal(read.due(clock + 1), true, 'transient: due again at once');
    script.answer = () => 2;
    await read.run(ctx);
    assert.deepEqual(read.status, { success: true, lastSuccessMs: clock });
    assert.deepEqual(script.taken, [1, 2]);
  });

  for (const [code, kind] of [
    ['InvalidDBInstanceId.NotFound', 'not_found'],
    ['InvalidParameter', 'client'],
    ['IncorrectDBInstanceState', 'state'],
  ] as const) {
    it(`waits for the interval after ${code}, its failure standing meanwhile`, async () => {
      const { read, script } = countingRead();
      script.answer = () => {
        throw apiError(code, kind, 'Counting');
      };
      await read.run(ctx);
      assert.equal(read.due(clock + 59_999), false);
      assert.equal(read.due(clock + 60_000), true);
      assert.equal(read.status?.failure?.code, code);
    });
  }

  it('after a permission refusal waits the slow retry interval, which soon() does not cut and a reload does', async () => {
    const { read, script } = countingRead();
    script.answer = () => {
      throw apiError('Forbidden.RAM', 'permission', 'Counting');
    };
    await read.run(ctx);
    assert.equal(read.status?.failure?.kind, 'permission');
    assert.equal(read.due(clock + PERMISSION_RETRY_MS - 1), false);
    read.soon();
    assert.equal(read.due(clock + 60_000), false, 'a job that ended does not make a refused read ask again');
    assert.equal(read.due(clock + PERMISSION_RETRY_MS), true);
    read.reconfigure(SETTINGS);
    assert.equal(read.due(clock + 1), true, 'a reload tries at once: the permission may have been granted');
  });

  it('takes an exception other than an ApiError as a bug: code Bug, kind bug, the thrown value kept, and waits for the interval', async () => {
    const { read, script } = countingRead();
    script.answer = () => {
      throw new TypeError("Cannot read properties of undefined (reading 'x')");
    };
    const failure = await read.run(ctx);
    assert.equal(failure?.code, 'Bug');
    assert.equal(failure?.kind, 'bug');
    assert.ok(failure?.thrown instanceof TypeError, 'the thrown value is kept for its stack');
    assert.match(failure.message, /TypeError: Cannot read properties/);
    assert.equal(read.status?.success, false);
    assert.equal(read.due(clock + 59_999), false, 'a bug is not fixed by asking every poll');
  });

  it('spread by a phase: made at once, again that share of an interval later, then every interval on the same points', async () => {
    const { read, script } = countingRead();
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
    script.answer = () => {
      throw apiError('InvalidParameter', 'client', 'Counting');
    };
    clock = start + 135_000;
    await read.run(ctx);
    assert.equal(read.due(start + 194_999), false);
    assert.equal(read.due(start + 195_000), true);
    assert.deepEqual(script.taken, [1, 1, 1]);
  });

  it('retries bad credentials at the next poll, so that a fix shows at once', async () => {
    const { read, script } = countingRead();
    script.answer = () => {
      throw apiError('SignatureDoesNotMatch', 'auth', 'Counting');
    };
    await read.run(ctx);
    assert.equal(read.due(clock + 1), true);
  });

  it('is off while its interval is 0 or absent', () => {
    const plugin = countingRead().read.plugin;
    assert.equal(new ScheduledRead(plugin, { ...SETTINGS, intervalsMs: { counting: 0 } }).enabled, false);
    assert.equal(new ScheduledRead(plugin, { ...SETTINGS, intervalsMs: {} }).enabled, false);
  });
});
