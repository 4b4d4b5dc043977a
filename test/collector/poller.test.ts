// The collector against a scripted fake of the RDS API: independent polls, the deadline, the
// per-instance skip, publishing as each poll ends, jobs carried over a cut poll, look-up backlog,
// deleted instances, readiness and inventory health.
import assert from 'node:assert/strict';
import type { RegionConfig } from '../../src/config/schema.js';
import { Poller, POLLS_IN_FLIGHT, type PollSettings } from '../../src/collector/poller.js';
import type { InstanceSnapshot } from '../../src/collector/watched-instance.js';
import { createLogger } from '../../src/log.js';
import { LogCapture, until } from '../helpers.js';
import { apiError, dbInstance, HANG, ScriptedApi, task } from './scripted-api.js';

const SETTINGS: PollSettings = {
  deadlineMs: 250,
  idleListingMs: 0,
  lookupsPerPoll: 50,
  tasksEnabled: true,
  intervalsMs: { backups: 600_000, policy: 3600_000 },
  backupsLookbackMs: 8 * 86400_000,
  logBackupsLookbackMs: 7 * 86400_000,
};

interface Setup {
  poller: Poller;
  api: ScriptedApi;
  logs: LogCapture;
  advance(ms: number): void;
  inst(id: string): InstanceSnapshot | undefined;
}

function setup(regions: RegionConfig[], settings: Partial<PollSettings> = {}, refreshIntervalMs = 600_000): Setup {
  const api = new ScriptedApi();
  const logs = new LogCapture();
  let clock = Date.UTC(2026, 10, 28, 12);
  const poller = new Poller(
    regions.map((region) => ({ account: 'acct', region, api, refreshIntervalMs })),
    { ...SETTINGS, ...settings, log: createLogger({ level: 'debug', destination: logs }), now: () => clock },
  );
  return {
    poller,
    api,
    logs,
    advance: (ms) => (clock += ms),
    inst: (id) => poller.snapshot.instances.find((i) => i.instanceId === id),
  };
}

const hz = (...instances: string[]): RegionConfig => ({ region: 'cn-hangzhou', instances });
const failures = (s: InstanceSnapshot | undefined) => s?.counts.failures.get('Automated');
const completions = (s: InstanceSnapshot | undefined, state: string) => s?.counts.completions.get(`Automated|${state}`);

describe('Poller (scripted API)', function () {
  this.timeout(10_000);

  it('cuts a poll at its deadline: success 0 with Timeout, the jobs it followed kept and counted once later', async () => {
    const { poller, api, inst } = setup([hz('rm-a')]);
    api.tasks = () => [task('1', 'Uploading')];
    await poller.tick();
    assert.equal(inst('rm-a')?.success, true);

    api.tasks = () => HANG;
    const started = performance.now();
    await poller.tick();
    const took = performance.now() - started;
    assert.ok(took >= 240 && took < 600, `the tick ended at its 250 ms deadline (${Math.round(took)} ms)`);
    assert.equal(inst('rm-a')?.success, false);
    assert.equal(inst('rm-a')?.errorCode, 'Timeout');
    assert.ok(inst('rm-a')!.durationSeconds < 0.6, `poll_duration ${inst('rm-a')!.durationSeconds}`);
    assert.equal(inst('rm-a')?.tasks, undefined, 'no listing shown for the cut poll');

    api.tasks = (_, jobId) => (jobId === '1' ? [task('1', 'Failed')] : []);
    await poller.tick();
    assert.equal(failures(inst('rm-a')), 1, 'the job followed before the cut poll is counted');
    await poller.tick();
    assert.equal(failures(inst('rm-a')), 1, 'and only once');
    assert.equal(inst('rm-a')?.success, true);
  });

  it('asks again at the next poll for a look-up the deadline cut, and counts the job once', async () => {
    const { poller, api, inst } = setup([hz('rm-a')]);
    api.tasks = () => [task('7', 'Uploading')];
    await poller.tick();
    api.tasks = (_, jobId) => (jobId === undefined ? [] : HANG);
    await poller.tick();
    assert.equal(inst('rm-a')?.pendingLookups, 1);
    assert.equal(inst('rm-a')?.errorCode, 'Timeout');
    api.tasks = (_, jobId) => (jobId === '7' ? [task('7', 'Failed')] : []);
    await poller.tick();
    assert.equal(failures(inst('rm-a')), 1);
    assert.equal(inst('rm-a')?.pendingLookups, 0);
    await poller.tick();
    assert.equal(failures(inst('rm-a')), 1);
  });

  it('skips and counts only the instance whose poll is still running; the others are polled', async () => {
    const { poller, api, inst, logs } = setup([hz('rm-a', 'rm-b')], { deadlineMs: 400 });
    api.tasks = (id) => (id === 'rm-a' ? HANG : []);
    const first = poller.tick();
    await until('rm-b published', () => inst('rm-b') !== undefined);
    await poller.tick();
    await poller.tick();
    assert.equal(api.callsOf('describeBackupTasks', 'rm-b').length, 3, 'rm-b polled at every tick');
    assert.equal(api.callsOf('describeBackupTasks', 'rm-a').length, 1, 'rm-a not polled again while busy');
    await first;
    assert.equal(inst('rm-a')?.skippedPolls, 2);
    assert.equal(inst('rm-b')?.skippedPolls, 0);
    assert.equal(
      logs.records().filter((r) => r.msg === 'poll skipped: the previous poll of this instance is still running').length,
      1,
      'logged once per run of skips',
    );
  });

  it('skips a region whose inventory refresh is still running, and logs it once for the run of skips', async () => {
    const { poller, api, logs } = setup([hz('rm-a')], { deadlineMs: 400 }, 0);
    api.instances = () => HANG;
    const first = poller.tick();
    await poller.tick();
    await poller.tick();
    await first;
    assert.equal(api.callsOf('describeDBInstances').length, 1, 'one refresh at a time');
    const skips = logs.records().filter((r) => r.msg === 'instance inventory refresh skipped: the previous refresh of this region is still running');
    assert.equal(skips.length, 1);
    assert.equal(skips[0]!.region, 'cn-hangzhou');
  });

  it('publishes each instance as its own poll ends, without waiting for the others', async () => {
    const { poller, api, inst } = setup([hz('rm-slow', 'rm-fast')], { deadlineMs: 400 });
    api.tasks = (id) => (id === 'rm-slow' ? HANG : [task('9', 'Uploading')]);
    const tick = poller.tick();
    await until('rm-fast published', () => inst('rm-fast') !== undefined, 300);
    assert.equal(inst('rm-fast')?.tasks?.length, 1);
    assert.equal(inst('rm-slow'), undefined, 'rm-slow has no finished poll yet');
    assert.equal(poller.ready, false, 'not ready while a watched instance has had no first poll');
    await tick;
    assert.equal(inst('rm-slow')?.errorCode, 'Timeout');
    assert.equal(poller.ready, true);
  });

  it('is ready within one deadline even when the inventory and every call hang', async () => {
    const { poller, api, inst } = setup([hz('rm-a'), { region: 'cn-shanghai', instances: [], discovery: { instance_types: ['Primary'] } }]);
    api.instances = () => HANG;
    api.tasks = () => HANG;
    const started = performance.now();
    await poller.tick();
    assert.ok(performance.now() - started < 600, `${Math.round(performance.now() - started)} ms`);
    assert.equal(poller.ready, true);
    assert.equal(inst('rm-a')?.success, false);
    assert.deepEqual(
      poller.snapshot.regions.map((r) => [r.region, r.discoverySuccess, r.discoveryLastSuccessSeconds]),
      [
        ['cn-hangzhou', false, undefined],
        ['cn-shanghai', false, undefined],
      ],
    );
  });

  it('reports each region inventory: success and the time of the last one that worked', async () => {
    const { poller, api, advance } = setup([hz('rm-a')], {}, 60_000);
    await poller.tick();
    const first = poller.snapshot.regions[0]!;
    assert.equal(first.discoverySuccess, true);
    assert.equal(first.discoveryLastSuccessSeconds, Date.UTC(2026, 10, 28, 12) / 1000);
    api.instances = () => {
      throw apiError('Forbidden.RAM', 'permission', 'DescribeDBInstances');
    };
    advance(61_000);
    await poller.tick();
    assert.equal(poller.snapshot.regions[0]!.discoverySuccess, false);
    assert.equal(poller.snapshot.regions[0]!.discoveryLastSuccessSeconds, first.discoveryLastSuccessSeconds, 'keeps the last good time');
  });

  it('looks up at most lookups_per_poll departed jobs a poll, oldest first, behind the listings', async () => {
    const { poller, api, inst, advance } = setup([hz('rm-a')], { lookupsPerPoll: 2 });
    const listed: string[] = [];
    api.tasks = (_, jobId) => (jobId === undefined ? listed.map((id) => task(id, 'Uploading')) : [task(jobId, 'Finished')]);
    for (const id of ['3', '1', '2']) {
      listed.push(id);
      await poller.tick();
      advance(60_000);
    }
    listed.length = 0;
    api.calls.length = 0;
    await poller.tick();
    const lookups = api.callsOf('describeBackupTasks').filter((c) => c.args[1] !== undefined);
    assert.deepEqual(
      lookups.map((c) => c.args[1]),
      ['3', '1'],
      'the two first seen',
    );
    assert.ok(
      lookups.every((c) => c.priority === 'backlog'),
      'look-ups queue as backlog',
    );
    assert.equal(api.callsOf('describeBackupTasks').find((c) => c.args[1] === undefined)?.priority, 'listing');
    assert.equal(inst('rm-a')?.pendingLookups, 1);
    await poller.tick();
    assert.equal(inst('rm-a')?.pendingLookups, 0);
    assert.equal(completions(inst('rm-a'), 'Finished'), 3);
  });

  it('resolves the jobs of a configured instance that was deleted: counted once as Unknown', async () => {
    const { poller, api, inst } = setup([hz('rm-gone')]);
    api.tasks = () => [task('5', 'Uploading')];
    await poller.tick();
    api.tasks = () => {
      throw apiError('InvalidDBInstanceId.NotFound', 'not_found');
    };
    await poller.tick();
    assert.equal(completions(inst('rm-gone'), 'Unknown'), 1);
    assert.equal(inst('rm-gone')?.errorCode, 'InvalidDBInstanceId.NotFound');
    const lookups = api.callsOf('describeBackupTasks').filter((c) => c.args[1] === '5').length;
    await poller.tick();
    assert.equal(completions(inst('rm-gone'), 'Unknown'), 1, 'once');
    assert.equal(api.callsOf('describeBackupTasks').filter((c) => c.args[1] === '5').length, lookups, 'never asked again');
  });

  it('keeps a deleted discovered instance until its jobs are counted, then drops it a tick later', async () => {
    const region: RegionConfig = { region: 'cn-hangzhou', instances: [], discovery: { instance_types: ['Primary'] } };
    const { poller, api, inst } = setup([region], {}, 0);
    let present = true;
    api.instances = () => (present ? [dbInstance('rm-d'), dbInstance('rm-other')] : [dbInstance('rm-other')]);
    api.tasks = (id) => (id === 'rm-d' ? [task('11', 'Uploading')] : []);
    await poller.tick();
    assert.equal(inst('rm-d')?.tasks?.length, 1);

    present = false;
    api.tasks = (id) => {
      if (id === 'rm-d') throw apiError('InvalidDBInstanceId.NotFound', 'not_found');
      return [];
    };
    await poller.tick();
    assert.equal(completions(inst('rm-d'), 'Unknown'), 1, 'the job in flight is counted, and shown');
    await poller.tick();
    assert.equal(inst('rm-d'), undefined, 'then the instance goes');
    assert.ok(inst('rm-other'), 'the instance still listed stays');
  });

  it('drops at once a discovered instance that merely stops matching, jobs or not', async () => {
    const region: RegionConfig = { region: 'cn-hangzhou', instances: [], discovery: { instance_types: ['Primary'], engines: ['MySQL'] } };
    const { poller, api, inst } = setup([region], {}, 0);
    let engine = 'MySQL';
    api.instances = () => [dbInstance('rm-m', { engine })];
    api.tasks = () => [task('12', 'Uploading')];
    await poller.tick();
    assert.ok(inst('rm-m'), 'watched while it matches');
    engine = 'PostgreSQL';
    await poller.tick();
    assert.equal(inst('rm-m'), undefined);
  });

  it('polls an instance as soon as the refresh that discovers it ends', async () => {
    const region: RegionConfig = { region: 'cn-hangzhou', instances: [], discovery: { instance_types: ['Primary'] } };
    const { poller, api, inst } = setup([region]);
    api.instances = () => [dbInstance('rm-new')];
    await poller.tick();
    assert.equal(inst('rm-new')?.success, true, 'polled by the tick that discovered it');
    assert.equal(poller.ready, true);
  });

  it('applies a reload at once, and its promise resolves when the polls that were running have ended', async () => {
    const { poller, api, inst } = setup([hz('rm-a', 'rm-b')], { deadlineMs: 300 });
    api.tasks = (id) => (id === 'rm-b' ? HANG : []);
    const tick = poller.tick();
    await until('rm-a published', () => inst('rm-a') !== undefined);
    let drained = false;
    const reconfigured = poller.reconfigure([{ account: 'acct', region: hz('rm-a'), api, refreshIntervalMs: 600_000 }], SETTINGS).then(() => (drained = true));
    assert.equal(poller.watchedCount, 1, 'rm-b is dropped at once');
    assert.equal(drained, false, 'the poll of rm-b is still running');
    await tick;
    await reconfigured;
    assert.equal(inst('rm-b'), undefined, 'its poll ending does not bring it back');
  });
});

describe('Poller (scripted API): a first history look longer than a deadline', function () {
  this.timeout(10_000);

  it('goes on window by window across polls instead of starting over', async () => {
    const { poller, api, inst } = setup([hz('rm-a')], { deadlineMs: 200 });
    let answered = 0;
    // Each window answers after 120 ms: one fits in a 200 ms poll, four do not.
    api.backups = async () => {
      await new Promise((r) => setTimeout(r, 120));
      answered++;
      return [];
    };
    await poller.tick();
    assert.equal(inst('rm-a')?.errorCode, 'Timeout');
    assert.equal(inst('rm-a')?.views.has('backups'), false, 'nothing published of a first look not complete');
    for (let i = 0; i < 6 && !inst('rm-a')?.views.has('backups'); i++) await poller.tick();
    assert.equal(inst('rm-a')?.views.has('backups'), true, 'the first look completed across polls');
    assert.ok(answered <= 6, `${answered} windows asked for 4 (+ the one cut at each deadline)`);
  });
});

describe('Poller (scripted API): interval reads spread by instance', function () {
  this.timeout(30_000);

  it("makes every read in an instance's first poll, then spreads each over its interval: no tick of the next two hours makes many more than the mean", async () => {
    const ids = Array.from({ length: 600 }, (_, i) => `rm-${String(i).padStart(4, '0')}`);
    const { poller, api, advance } = setup([hz(...ids)], {
      idleListingMs: 86_400_000,
      intervalsMs: { backups: 20 * 60_000, policy: 3600_000, restore_window: 3600_000 },
      deadlineMs: 5000,
    });
    // a backup window far from these two hours (from 12:00): the task listing stays idle
    api.policy = () => ({ weekdays: [0, 1, 2, 3, 4, 5, 6], expectedIntervalSeconds: 86400, window: { start: 120, end: 180 } });
    await poller.tick();
    for (const method of ['describeBackupPolicy', 'describeRestoreWindow'] as const)
      assert.equal(api.callsOf(method).length, 600, `${method} in every first poll`);
    assert.equal(new Set(api.callsOf('describeBackups').map((c) => c.args[0])).size, 600, 'describeBackups in every first poll');
    const perTick: Array<Record<string, number>> = [];
    for (let minute = 1; minute <= 120; minute++) {
      advance(60_000);
      const before = api.calls.length;
      await poller.tick();
      const counts: Record<string, number> = {};
      for (const c of api.calls.slice(before)) counts[c.method] = (counts[c.method] ?? 0) + 1;
      perTick.push(counts);
    }
    // per tick: 600 / 20 backups looks and 600 / 60 of each hourly read on average
    for (const [method, mean] of [
      ['describeBackups', 30],
      ['describeBackupPolicy', 10],
      ['describeRestoreWindow', 10],
    ] as const) {
      const counts = perTick.map((c) => c[method] ?? 0);
      assert.equal(
        counts.reduce((a, b) => a + b, 0),
        mean * 120,
        `${method}: one read per instance and interval`,
      );
      assert.ok(Math.max(...counts) <= 2 * mean, `${method}: at most ${2 * mean} in a tick, not ${Math.max(...counts)}`);
      assert.ok(Math.min(...counts) >= mean / 4, `${method}: at least ${mean / 4} in a tick, not ${Math.min(...counts)}`);
    }
  });

  it(`starts at most ${POLLS_IN_FLIGHT} of a region's polls at once; those left waiting at the deadline fail with Timeout; another region is not held up`, async () => {
    const many = Array.from({ length: 600 }, (_, i) => `rm-${String(i).padStart(3, '0')}`);
    const { poller, api, inst } = setup([hz(...many), { region: 'cn-shanghai', instances: ['rm-sh'] }], { deadlineMs: 300 });
    let inFlight = 0;
    let peak = 0;
    let answer = false;
    api.tasks = async (id) => {
      if (id === 'rm-sh') return [];
      inFlight++;
      peak = Math.max(peak, inFlight);
      if (!answer) return HANG; // hangs until the deadline; the count is not taken back, which is fine: the peak is read before
      await new Promise((r) => setTimeout(r, 1));
      inFlight--;
      return [];
    };
    const askedBeforeDeadline = new Promise<number>((resolve) =>
      setTimeout(() => resolve(api.callsOf('describeBackupTasks').filter((c) => c.args[0] !== 'rm-sh').length), 200),
    );
    await poller.tick();
    assert.equal(peak, POLLS_IN_FLIGHT, 'listings asked at once in the region');
    assert.equal(await askedBeforeDeadline, POLLS_IN_FLIGHT, 'the others not asked before the deadline');
    assert.equal(inst('rm-sh')?.success, true, 'the other region answered');
    const failed = many.filter((id) => inst(id)?.success === false && inst(id)?.errorCode === 'Timeout');
    assert.equal(failed.length, many.length, 'every instance of the region, admitted or still waiting, failed with Timeout');
    assert.deepEqual(
      many.filter((id) => inst(id)?.skippedPolls !== 0),
      [],
      'waiting for a place is not a skipped poll',
    );

    inFlight = 0;
    peak = 0;
    answer = true;
    await poller.tick();
    assert.ok(peak <= POLLS_IN_FLIGHT && peak > 1, `at most ${POLLS_IN_FLIGHT} at once (${peak})`);
    assert.deepEqual(
      many.filter((id) => inst(id)?.success !== true),
      [],
      'then every instance is polled in one tick',
    );
  });
});
