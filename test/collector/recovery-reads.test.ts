// The recoverability reads, each on its own against the scripted fake of the API, and together in
// the poll of an instance: what each asks, what it keeps, which engines it serves, and what a
// failure leaves.
import assert from 'node:assert/strict';
import type { LogFile } from '../../src/alicloud/rds-api.js';
import { LogChain } from '../../src/collector/log-chain.js';
import { Poller, type PollSettings } from '../../src/collector/poller.js';
import { crossRegionOf, crossRegionRead } from '../../src/collector/reads/cross-region.js';
import { logChainOf, logFilesRead, logSourceOf } from '../../src/collector/reads/log-files.js';
import { ScheduledRead, type ReadContext, type ReadSettings } from '../../src/collector/reads/read.js';
import { restoreWindowOf, restoreWindowRead } from '../../src/collector/reads/restore-window.js';
import { storageRead } from '../../src/collector/reads/storage.js';
import { createLogger } from '../../src/log.js';
import { LogCapture, until } from '../helpers.js';
import { apiError, dbInstance, ScriptedApi } from './scripted-api.js';

const H = 3600_000;
const MIN = 60_000;
const DAY = 24 * H;

function file(host: string, beginMs: number, endMs: number, extra: Partial<LogFile> = {}): LogFile {
  return { host, beginMs, endMs, sizeBytes: 100, uploaded: true, ...extra };
}

describe('LogChain', () => {
  const now = Date.UTC(2026, 10, 28, 12);

  it('counts per host the files that start after the previous ones ended, beyond the precision', () => {
    const chain = new LogChain({ lookbackMs: 7 * DAY, toleranceMs: 1000 });
    chain.ingest(
      [
        file('a', now - 5 * H, now - 4 * H),
        file('a', now - 4 * H + 1000, now - 3 * H), // within a second: no gap
        file('a', now - 2 * H, now - H), // an hour missing
        file('b', now - 5 * H, now - H),
      ],
      now,
    );
    const summary = chain.summary(now, 7 * DAY);
    assert.deepEqual(
      [...summary.gapsByHost],
      [
        ['a', 1],
        ['b', 0],
      ],
    );
    assert.equal(summary.sizeBytes, 400);
    assert.equal(summary.newestUploadedEndMs, now - H);
    assert.equal(summary.notUploaded, 0);
  });

  it('counts only gaps that end inside the retention, and a file that overlaps others is no gap', () => {
    const chain = new LogChain({ lookbackMs: 10 * DAY, toleranceMs: 1000 });
    chain.ingest(
      [
        file('a', now - 9 * DAY, now - 8 * DAY),
        file('a', now - 8 * DAY + H, now - DAY), // gap 8 days back
        file('a', now - 2 * DAY, now - 23 * H), // overlaps the long one
      ],
      now,
    );
    assert.equal(chain.summary(now, 10 * DAY).gapsByHost.get('a'), 1);
    assert.equal(chain.summary(now, 7 * DAY).gapsByHost.get('a'), 0);
  });

  it('asks the look-back first, then since the last look, reaching back to a file still uploading', () => {
    const chain = new LogChain({ lookbackMs: 7 * DAY, toleranceMs: 1000 });
    assert.deepEqual(chain.window(now), [now - 7 * DAY, now]);
    chain.ingest([file('a', now - 3 * H, now - 2 * H, { uploaded: false }), file('a', now - 4 * H, now - 3 * H)], now);
    assert.equal(chain.summary(now, 7 * DAY).notUploaded, 1);
    assert.equal(chain.summary(now, 7 * DAY).newestUploadedEndMs, now - 3 * H, 'a file still uploading is not restorable yet');
    assert.deepEqual(chain.window(now + 15 * MIN), [now - 2 * H - 1000, now + 15 * MIN]);
    chain.ingest([file('a', now - 3 * H, now - 2 * H, { uploaded: true })], now + 15 * MIN);
    assert.deepEqual(chain.window(now + 30 * MIN), [now + 15 * MIN - 1000, now + 30 * MIN], 'uploaded: back to the last look');
    assert.equal(chain.summary(now + 15 * MIN, 7 * DAY).notUploaded, 0, 'the same file, counted once');
  });

  it('forgets files older than the look-back', () => {
    const chain = new LogChain({ lookbackMs: DAY, toleranceMs: 1000 });
    chain.ingest([file('a', now - 3 * DAY, now - 2 * DAY), file('a', now - H, now)], now);
    assert.equal(chain.summary(now, DAY).sizeBytes, 100);
  });
});

describe('recoverability reads (scripted API)', () => {
  let clock: number;
  let api: ScriptedApi;
  let ctx: ReadContext;
  const settings: ReadSettings = {
    intervalsMs: { restore_window: 15 * MIN, log_files: 15 * MIN, cross_region: H, storage: H },
    backupsLookbackMs: 8 * DAY,
    logBackupsLookbackMs: 7 * DAY,
  };
  const view = <V>(read: ScheduledRead<V>) => read.state.view({ nowMs: clock, settings, policy: undefined });
  beforeEach(() => {
    clock = Date.UTC(2026, 10, 28, 12);
    api = new ScriptedApi();
    ctx = {
      api,
      instanceId: 'rm-a',
      regionId: 'cn-hangzhou',
      call: {},
      now: () => clock,
      log: createLogger({ destination: new LogCapture() }),
      runningSinceMs: undefined,
      info: undefined,
    };
  });

  it('restore_window keeps the last window while a read fails', async () => {
    const read = new ScheduledRead(restoreWindowRead, settings);
    api.restoreWindow = () => ({ beginMs: clock - DAY, endMs: clock - MIN });
    await read.run(ctx);
    api.restoreWindow = () => {
      throw apiError('InternalError', 'server', 'DescribeLocalAvailableRecoveryTime');
    };
    await read.run(ctx);
    assert.deepEqual(view(read), { beginMs: clock - DAY, endMs: clock - MIN });
    assert.equal(read.status?.failure?.code, 'InternalError');
  });

  it('log_files serves MySQL, MariaDB and PostgreSQL with DescribeBinlogFiles, SQL Server with DescribeLogBackupFiles, not an unknown engine', () => {
    for (const engine of ['MySQL', 'MariaDB', 'PostgreSQL']) assert.equal(logSourceOf(dbInstance('rm-a', { engine }))?.action, 'DescribeBinlogFiles', engine);
    assert.equal(logSourceOf(dbInstance('rm-a', { engine: 'SQLServer' }))?.action, 'DescribeLogBackupFiles');
    assert.equal(logFilesRead.appliesTo?.(dbInstance('rm-a', { engine: 'Redis' })), false);
    assert.equal(logFilesRead.appliesTo?.(undefined), false, 'not before the engine is known');
  });

  it('log_files asks the look-back, then only since the last look', async () => {
    const read = new ScheduledRead(logFilesRead, settings);
    const info = dbInstance('rm-a', { engine: 'MySQL' });
    api.binlogs = () => [file('h', clock - 2 * H, clock - H)];
    await read.run({ ...ctx, info });
    clock += 15 * MIN;
    await read.run({ ...ctx, info });
    const asked = api.callsOf('describeBinlogFiles').map((c) => [c.args[1], c.args[2]]);
    assert.deepEqual(asked, [
      [clock - 15 * MIN - 7 * DAY, clock - 15 * MIN],
      [clock - 15 * MIN - 1000, clock],
    ]);
  });

  it('log_files of SQL Server treats files a minute apart as one chain (minute precision)', async () => {
    const read = new ScheduledRead(logFilesRead, settings);
    api.logBackups = () => [file('', clock - 2 * H, clock - H, { uploaded: undefined }), file('', clock - H + MIN, clock - 30 * MIN, { uploaded: undefined })];
    await read.run({ ...ctx, info: dbInstance('rm-a', { engine: 'SQLServer' }) });
    const summary = view(read);
    assert.equal(summary?.gapsByHost.get(''), 0);
    assert.equal(summary?.notUploaded, undefined);
  });

  it('cross_region asks for the copies only while cross-region backup is on, and keeps the newest success', async () => {
    const read = new ScheduledRead(crossRegionRead, settings);
    assert.equal(view(read), undefined, 'settings not read yet');
    api.crossRegion = () => ({ enabled: false, logEnabled: false });
    await read.run(ctx);
    assert.deepEqual(view(read), { settings: { enabled: false, logEnabled: false } });
    assert.equal(api.callsOf('describeCrossRegionBackups').length, 0);
    api.crossRegion = () => ({ enabled: true, logEnabled: false, targetRegion: 'cn-shanghai' });
    api.crossRegionBackups = () => [
      { id: '1', status: 'Success', endMs: clock - DAY },
      { id: '2', status: 'Failed', endMs: clock - H },
    ];
    await read.run(ctx);
    assert.deepEqual(view(read)?.copies, { newestSuccessEndMs: clock - DAY, newestSucceeded: false });
    assert.deepEqual(api.callsOf('describeCrossRegionBackups')[0]?.args, ['rm-a', 'cn-hangzhou', clock - 8 * DAY, clock]);
    // Later the old success leaves the look-back: it is still the newest success known.
    api.crossRegionBackups = () => [];
    await read.run(ctx);
    assert.equal(view(read)?.copies?.newestSuccessEndMs, clock - DAY);
  });

  it('storage keeps the last answer; a refusal waits the slow retry interval', async () => {
    const read = new ScheduledRead(storageRead, settings);
    api.storage = () => ({ dataBytes: 5, overFreeQuotaBytes: 0 });
    await read.run(ctx);
    api.storage = () => {
      throw apiError('Forbidden.RAM', 'permission', 'DescribeResourceUsage');
    };
    await read.run(ctx);
    assert.deepEqual(view(read), { dataBytes: 5, overFreeQuotaBytes: 0 });
    assert.equal(read.due(clock + H - 1), false, 'a permission error waits');
  });
});

describe('recoverability reads in the poll of an instance (scripted API)', function () {
  this.timeout(10_000);
  const INTERVALS = { backups: 10 * MIN, policy: H, restore_window: 15 * MIN, log_files: 15 * MIN, cross_region: H, storage: H };
  const SETTINGS: PollSettings = {
    deadlineMs: 1000,
    idleListingMs: 0,
    lookupsPerPoll: 50,
    tasksEnabled: true,
    intervalsMs: INTERVALS,
    backupsLookbackMs: 8 * DAY,
    logBackupsLookbackMs: 7 * DAY,
  };

  function setup(engine: string, settings: Partial<PollSettings> = {}) {
    const api = new ScriptedApi();
    let clock = Date.UTC(2026, 10, 28, 12);
    api.instances = (_, ids) => (ids ?? []).map((id) => dbInstance(id, { engine }));
    const poller = new Poller([{ account: 'acct', region: { region: 'cn-hangzhou', instances: ['rm-a'] }, api, refreshIntervalMs: 10 * MIN }], {
      ...SETTINGS,
      ...settings,
      log: createLogger({ destination: new LogCapture() }),
      now: () => clock,
    });
    return { api, poller, advance: (ms: number) => (clock += ms), inst: () => poller.snapshot.instances.find((i) => i.instanceId === 'rm-a') };
  }

  it("waits in the first poll for the inventory to tell the engine, then makes only that engine's reads", async () => {
    const { api, poller, inst } = setup('SQLServer');
    // The inventory answers well after the task listing.
    api.instances = async (_, ids) => {
      await new Promise((r) => setTimeout(r, 100));
      return (ids ?? []).map((id) => dbInstance(id, { engine: 'SQLServer' }));
    };
    api.logBackups = () => [file('', Date.UTC(2026, 10, 28, 10), Date.UTC(2026, 10, 28, 11), { uploaded: undefined })];
    await poller.tick();
    assert.equal(api.callsOf('describeBinlogFiles').length, 0);
    assert.equal(api.callsOf('describeLogBackupFiles').length, 1);
    assert.equal(logChainOf(inst()!)?.newestUploadedEndMs, Date.UTC(2026, 10, 28, 11));
    assert.equal(api.callsOf('describeCrossRegionBackups').length, 0, 'cross-region is off');
    assert.equal(crossRegionOf(inst()!)?.settings.enabled, false);
  });

  it('makes the reads that do not depend on the engine while the inventory is still running; only the log read waits for it', async () => {
    const { api, poller, inst } = setup('MySQL');
    let answer!: () => void;
    api.instances = (_, ids) => new Promise((resolve) => (answer = () => resolve((ids ?? []).map((id) => dbInstance(id, { engine: 'MySQL' })))));
    const ticking = poller.tick();
    await until('the reads before the log read are made', () => api.callsOf('describeBackupStorage').length === 1);
    // the backup sets in 4 windows (8 days of look-back), then one call each
    for (const [method, calls] of [
      ['describeBackups', 4],
      ['describeBackupPolicy', 1],
      ['describeRestoreWindow', 1],
      ['describeCrossRegionSettings', 1],
    ] as const) {
      assert.equal(api.callsOf(method).length, calls, `${method} made before the inventory answered`);
    }
    assert.equal(api.callsOf('describeBinlogFiles').length, 0, 'the log read waits for the engine');
    assert.equal(inst(), undefined, 'the first poll has not ended');
    answer();
    await ticking;
    assert.equal(api.callsOf('describeBinlogFiles').length, 1);
    assert.equal(inst()?.success, true);
    assert.equal(api.callsOf('describeDBInstances')[0]?.priority, 'listing', 'the inventory queues with the listings, ahead of the backlog');
  });

  it('asks the due reads together, the cross-region copies only once the settings said it is on', async () => {
    const { api, poller, inst, advance } = setup('MySQL');
    await poller.tick();
    const answers: Array<() => void> = [];
    const gated = <T>(value: T) => new Promise<T>((resolve) => answers.push(() => resolve(value)));
    api.policy = () => gated({ weekdays: [0, 1, 2, 3, 4, 5, 6], expectedIntervalSeconds: 86400 });
    api.restoreWindow = () => gated({ beginMs: 1, endMs: 2 });
    api.crossRegion = () => gated({ enabled: true, logEnabled: false, region: 'cn-shanghai' });
    api.storage = () => gated({ dataBytes: 3 });
    const before = api.calls.length;
    advance(2 * H);
    const ticking = poller.tick();
    await until('four reads asked, none answered', () => answers.length === 4);
    const asked = api.calls.slice(before).map((c) => c.method);
    for (const method of [
      'describeBackupPolicy',
      'describeRestoreWindow',
      'describeCrossRegionSettings',
      'describeBackupStorage',
      'describeBackups',
      'describeBinlogFiles',
    ] as const) {
      assert.ok(asked.includes(method), `${method} asked while the others are unanswered`);
    }
    assert.equal(asked.includes('describeCrossRegionBackups'), false, 'the copies wait for the settings');
    for (const answer of answers.splice(0)) answer();
    await ticking;
    assert.equal(api.callsOf('describeCrossRegionBackups').length, 1, 'then asked, in the same poll');
    assert.equal(crossRegionOf(inst()!)?.settings.enabled, true);
    assert.equal(inst()?.success, true);
  });

  it('a failing optional read keeps poll_success 1 and what the read knew, with its own health 0; a read turned off by a reload is neither made nor shown', async () => {
    const { api, poller, inst, advance } = setup('MySQL');
    api.restoreWindow = () => ({ beginMs: 1, endMs: 2 });
    api.storage = () => ({ dataBytes: 7 });
    await poller.tick();
    await poller.tick();
    assert.equal(inst()?.success, true);
    assert.equal(inst()?.reads.get('restore_window')?.success, true);
    api.restoreWindow = () => {
      throw apiError('ServiceUnavailable', 'server', 'DescribeLocalAvailableRecoveryTime');
    };
    advance(20 * MIN);
    await poller.tick();
    assert.equal(inst()?.success, true, 'an optional read never makes the poll fail');
    assert.equal(inst()?.errorCode, undefined);
    assert.equal(inst()?.reads.get('restore_window')?.success, false);
    assert.equal(inst()?.reads.get('restore_window')?.failure?.code, 'ServiceUnavailable');
    assert.deepEqual(restoreWindowOf(inst()!), { beginMs: 1, endMs: 2 });

    await poller.reconfigure([{ account: 'acct', region: { region: 'cn-hangzhou', instances: ['rm-a'] }, api, refreshIntervalMs: 10 * MIN }], {
      ...SETTINGS,
      intervalsMs: { ...INTERVALS, restore_window: 0, storage: 0 },
    });
    const before = api.callsOf('describeRestoreWindow').length + api.callsOf('describeBackupStorage').length;
    advance(2 * H);
    await poller.tick();
    assert.equal(api.callsOf('describeRestoreWindow').length + api.callsOf('describeBackupStorage').length, before, 'no call');
    assert.equal(restoreWindowOf(inst()!), undefined, 'no series');
    assert.equal(inst()?.views.has('storage'), false);
    assert.equal(inst()?.reads.has('restore_window'), false, 'no health series for a read turned off');
  });
});
