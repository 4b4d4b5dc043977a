// Reads as plug-ins, against the scripted fake of the API: a read defined here is registered,
// polled and exposed like the built-in ones; each read has its own health; a refused optional
// read is one warning per account and never an outage; a bug inside a read is logged with its
// stack and counted; the instance's facts are exported.
import assert from 'node:assert/strict';
import { Poller, type PollSettings } from '../../../src/collector/poller.js';
import { BUILTIN_READS, describeReads } from '../../../src/collector/reads/index.js';
import { defineRead } from '../../../src/collector/reads/read.js';
import { createLogger } from '../../../src/log.js';
import { PREFIX } from '../../../src/metrics/definitions.js';
import { createMetrics } from '../../../src/metrics/registry.js';
import { LogCapture, sample } from '../../helpers.js';
import { apiError, dbInstance, ScriptedApi } from '../scripted-api.js';

const H = 3600_000;
const INTERVALS = { backups: 20 * 60_000, policy: H, restore_window: H, log_files: H, cross_region: 3 * H, storage: 6 * H };
const SETTINGS: PollSettings = {
  deadlineMs: 1000,
  idleListingMs: 0,
  lookupsPerPoll: 50,
  tasksEnabled: true,
  intervalsMs: INTERVALS,
  backupsLookbackMs: 8 * 86400_000,
  logBackupsLookbackMs: 7 * 86400_000,
};

/** A read the exporter does not have: the instance's parameter count, asked through the storage call. */
const parametersRead = defineRead<{ count: number }>({
  name: 'parameters',
  actions: ['DescribeParameters'],
  essential: false,
  defaultIntervalSeconds: 3600,
  help: 'a read defined by the test',
  create: () => {
    let last: { count: number } | undefined;
    return {
      async run(ctx) {
        const storage = await ctx.api.describeBackupStorage(ctx.instanceId, ctx.call);
        last = { count: storage.dataBytes ?? 0 };
      },
      view: () => last,
    };
  },
  families: [
    [{ name: `${PREFIX}_test_parameters`, type: 'gauge', help: 'Parameters of the instance (test).', labels: [], perInstance: true }, (l, v) => l.add(v.count)],
  ],
});

function setup(ids: string[], opts: { reads?: typeof BUILTIN_READS; intervals?: Record<string, number> } = {}) {
  const api = new ScriptedApi();
  const logs = new LogCapture();
  let clock = Date.UTC(2026, 10, 28, 12);
  const readErrors: string[] = [];
  const reads = opts.reads ?? BUILTIN_READS;
  const poller = new Poller([{ account: 'acct', region: { region: 'cn-hangzhou', instances: ids }, api, refreshIntervalMs: H }], {
    ...SETTINGS,
    intervalsMs: { ...INTERVALS, ...opts.intervals },
    reads,
    log: createLogger({ level: 'debug', destination: logs }),
    now: () => clock,
    onPublish: (s) => metrics.published(s),
    onReadError: (account, region, read, code) => readErrors.push(`${account}/${region}/${read}/${code}`),
  });
  const metrics = createMetrics({ snapshot: () => poller.snapshot, version: 'test', processMetrics: false, reads });
  const scrape = async () => {
    const body = await metrics.render({ openMetrics: false, gzip: false });
    return Buffer.concat(body.chunks).toString();
  };
  return {
    api,
    logs,
    poller,
    scrape,
    readErrors,
    advance: (ms: number) => (clock += ms),
    inst: (id: string) => poller.snapshot.instances.find((i) => i.instanceId === id),
  };
}

describe('reads as plug-ins (scripted API)', function () {
  this.timeout(10_000);

  it('a read defined in a test, registered beside the built-in ones, is polled at its interval and exposed with its health', async () => {
    const { api, poller, scrape, advance } = setup(['rm-a'], { reads: [...BUILTIN_READS, parametersRead], intervals: { parameters: H } });
    api.storage = () => ({ dataBytes: 42 });
    await poller.tick();
    let text = await scrape();
    assert.equal(sample(text, `${PREFIX}_test_parameters`, { instance_id: 'rm-a' }), 42);
    assert.equal(sample(text, `${PREFIX}_read_success`, { instance_id: 'rm-a', read: 'parameters' }), 1);
    assert.match(text, /# HELP alicloud_rds_backup_test_parameters Parameters of the instance \(test\)\.\n# TYPE alicloud_rds_backup_test_parameters gauge\n/);
    const asked = api.callsOf('describeBackupStorage').length;
    advance(60_000);
    await poller.tick();
    assert.equal(api.callsOf('describeBackupStorage').length, asked, 'not again before its interval');
    api.storage = () => {
      throw apiError('InternalError', 'server', 'DescribeParameters');
    };
    advance(2 * H);
    await poller.tick();
    text = await scrape();
    assert.equal(sample(text, `${PREFIX}_test_parameters`, { instance_id: 'rm-a' }), 42, 'the last value kept');
    assert.equal(sample(text, `${PREFIX}_read_success`, { instance_id: 'rm-a', read: 'parameters' }), 0);
    assert.equal(sample(text, `${PREFIX}_poll_success`, { instance_id: 'rm-a' }), 1, 'an optional read never fails the poll');
  });

  it('every read name is unique, and each built-in one that has an interval names its configuration key', () => {
    const names = describeReads().map((r) => r.name);
    assert.deepEqual(names, [...new Set(names)]);
    assert.deepEqual(names, ['tasks', 'policy', 'backups', 'restore_window', 'log_files', 'cross_region', 'storage']);
    for (const read of BUILTIN_READS) assert.match(read.intervalKey ?? '', /_interval$/, `${read.name} names poll.<key>`);
  });

  it('a read refused for permission: poll_success 1, read_success 0 with its code, one warning for the account, retried an hour later', async () => {
    const { api, logs, poller, scrape, advance, readErrors } = setup(['rm-a', 'rm-b', 'rm-c']);
    api.restoreWindow = () => {
      throw apiError('Forbidden.RAM', 'permission', 'DescribeLocalAvailableRecoveryTime');
    };
    await poller.tick();
    advance(60_000);
    await poller.tick();
    const text = await scrape();
    for (const id of ['rm-a', 'rm-b', 'rm-c']) {
      assert.equal(sample(text, `${PREFIX}_poll_success`, { instance_id: id }), 1, id);
      assert.equal(sample(text, `${PREFIX}_read_success`, { instance_id: id, read: 'restore_window' }), 0, id);
      assert.equal(
        sample(text, `${PREFIX}_read_error_info`, {
          instance_id: id,
          read: 'restore_window',
          action: 'DescribeLocalAvailableRecoveryTime',
          kind: 'permission',
          code: 'Forbidden.RAM',
        }),
        1,
        id,
      );
      assert.equal(sample(text, `${PREFIX}_read_success`, { instance_id: id, read: 'backups' }), 1, id);
    }
    const warnings = logs.records().filter((r) => r.level === 'warn' || r.level === 40);
    assert.equal(warnings.length, 1, `one warning for the account: ${JSON.stringify(warnings)}`);
    assert.equal(warnings[0]!.action, 'DescribeLocalAvailableRecoveryTime');
    assert.match(String(warnings[0]!.grant), /"Action": "rds:DescribeLocalAvailableRecoveryTime"/);
    assert.equal(api.callsOf('describeRestoreWindow').length, 3, 'not asked again at the next poll');
    assert.deepEqual(readErrors, [
      'acct/cn-hangzhou/restore_window/Forbidden.RAM',
      'acct/cn-hangzhou/restore_window/Forbidden.RAM',
      'acct/cn-hangzhou/restore_window/Forbidden.RAM',
    ]);
    advance(H);
    api.restoreWindow = () => ({ endMs: 1 });
    await poller.tick();
    assert.equal(api.callsOf('describeRestoreWindow').length, 6, 'asked again after the slow retry interval');
    assert.equal(sample(await scrape(), `${PREFIX}_read_success`, { instance_id: 'rm-a', read: 'restore_window' }), 1);
    assert.ok(
      logs.records().some((r) => r.msg === 'rds:DescribeLocalAvailableRecoveryTime is allowed again'),
      'the grant is logged once',
    );
  });

  it('an essential read refused for permission fails the poll (poll_success 0), its cause named', async () => {
    const { api, poller, inst } = setup(['rm-a']);
    api.policy = () => {
      throw apiError('Forbidden.RAM', 'permission', 'DescribeBackupPolicy');
    };
    await poller.tick();
    assert.equal(inst('rm-a')?.success, false);
    assert.equal(inst('rm-a')?.errorCode, 'Forbidden.RAM');
    assert.equal(inst('rm-a')?.reads.get('policy')?.failure?.kind, 'permission');
  });

  it('a bug inside a read is logged at error with its stack, counted under code Bug, and shows in read_success; the poll goes on', async () => {
    const { api, logs, poller, scrape, readErrors } = setup(['rm-a']);
    api.crossRegion = () => ({ enabled: true, logEnabled: false, targetRegion: 'cn-shanghai' });
    // A CrossRegionBackupSet without its fields: the read's own code throws on it.
    api.crossRegionBackups = () => null as never;
    await poller.tick();
    const text = await scrape();
    assert.equal(sample(text, `${PREFIX}_read_success`, { instance_id: 'rm-a', read: 'cross_region' }), 0);
    assert.equal(
      sample(text, `${PREFIX}_read_error_info`, {
        instance_id: 'rm-a',
        read: 'cross_region',
        action: 'DescribeCrossRegionBackupDBInstance',
        kind: 'bug',
        code: 'Bug',
      }),
      1,
    );
    assert.equal(sample(text, `${PREFIX}_poll_success`, { instance_id: 'rm-a' }), 1);
    const errors = logs.records().filter((r) => r.level === 'error' || r.level === 50);
    assert.equal(errors.length, 1);
    assert.match(String(errors[0]!.stack), /TypeError[\s\S]*at /, 'the stack is logged');
    assert.deepEqual(readErrors, ['acct/cn-hangzhou/cross_region/Bug']);
  });

  it('exports the facts that decide whether backups are expected: type, category, status, lock mode, creation time', async () => {
    const { api, poller, scrape } = setup(['rm-a', 'rm-ro']);
    const created = Date.UTC(2026, 10, 28, 10);
    api.instances = (_, ids) =>
      (ids ?? []).map((id) =>
        id === 'rm-ro'
          ? dbInstance(id, { instanceType: 'Readonly', category: 'Basic', status: 'Stopped', lockMode: 'LockByExpiration', createdMs: created })
          : dbInstance(id, { createdMs: created - 86400_000 }),
      );
    await poller.tick();
    const text = await scrape();
    assert.equal(
      sample(text, `${PREFIX}_instance_info`, {
        instance_id: 'rm-ro',
        instance_type: 'Readonly',
        category: 'Basic',
        status: 'Stopped',
        lock_mode: 'LockByExpiration',
      }),
      1,
    );
    assert.equal(
      sample(text, `${PREFIX}_instance_info`, {
        instance_id: 'rm-a',
        instance_type: 'Primary',
        category: 'HighAvailability',
        status: 'Running',
        lock_mode: 'Unlock',
      }),
      1,
    );
    assert.equal(sample(text, `${PREFIX}_instance_created_timestamp_seconds`, { instance_id: 'rm-ro' }), created / 1000);
  });

  it('the task listing turned off: no listing, no tasks series, poll_success from the other essential reads', async () => {
    const { api, poller, inst } = setup(['rm-a']);
    await poller.reconfigure([{ account: 'acct', region: { region: 'cn-hangzhou', instances: ['rm-a'] }, api, refreshIntervalMs: H }], {
      ...SETTINGS,
      tasksEnabled: false,
    });
    await poller.tick();
    assert.equal(api.callsOf('describeBackupTasks').length, 0);
    assert.equal(inst('rm-a')?.tasks, undefined);
    assert.equal(inst('rm-a')?.reads.has('tasks'), false);
    assert.equal(inst('rm-a')?.success, true);
    assert.notEqual(inst('rm-a')?.lastSuccessSeconds, undefined);
  });

  it('a read-only replica has no backups of its own: once the inventory says so, none of the backup reads nor the task listing is made', async () => {
    const { api, poller, inst, advance } = setup(['rr-a']);
    api.instances = (_, ids) => (ids ?? []).map((id) => dbInstance(id, { instanceType: 'Readonly' }));
    api.policy = () => {
      throw apiError('IncorrectDBInstanceType', 'client', 'DescribeBackupPolicy');
    };
    await poller.tick();
    const before = api.calls.filter((c) => c.method !== 'describeDBInstances').length;
    advance(2 * H);
    await poller.tick();
    assert.equal(api.calls.filter((c) => c.method !== 'describeDBInstances').length, before, "no call about the replica's backups");
    assert.deepEqual([...inst('rr-a')!.reads.keys()], [], 'no read health: no read applies');
    assert.equal(inst('rr-a')?.success, true, 'nothing essential failed: the replica is read fine');
    assert.equal(inst('rr-a')?.tasks, undefined);
  });
});
