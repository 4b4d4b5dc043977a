// The state file: a restart loses nothing — a failure that happened while the exporter was down
// is counted once — and a missing, corrupt or unwritable file never stops the exporter.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema } from '../../src/config/schema.js';
import { startExporter, type Exporter } from '../../src/exporter.js';
import { createLogger } from '../../src/log.js';
import { DEMO_CREDENTIAL, startSimulator, type Simulator } from '../../simulator/server.js';
import { World } from '../../simulator/world.js';
import { LogCapture, sample } from '../helpers.js';

const MIN = 60_000;
const I = { instance_id: 'rm-state-01' };

describe('state file', function () {
  this.timeout(20_000);
  let sim: Simulator;
  let clock: number;
  const running: Exporter[] = [];

  beforeEach(async () => {
    clock = Math.floor(Date.now() / MIN) * MIN;
    sim = await startSimulator({ world: new World({ now: () => clock }), requestClock: Date.now });
    sim.world.addInstance('rm-state-01');
  });

  afterEach(async () => {
    for (const e of running.splice(0)) await e.close();
    await sim.close();
  });

  async function exporterWith(
    stateFile: string | undefined,
    logs = new LogCapture(),
    discovery?: Record<string, unknown>,
  ): Promise<{ exporter: Exporter; logs: LogCapture }> {
    const config = configSchema.parse({
      poll: { max_retries: 0, idle_interval: 0, backups_interval: '10m' },
      accounts: [
        {
          name: 'state',
          requests_per_second: 1000,
          access_key_id: DEMO_CREDENTIAL.accessKeyId,
          access_key_secret: DEMO_CREDENTIAL.accessKeySecret,
          endpoint: sim.url,
          regions: [discovery ? { region: 'cn-hangzhou', discovery } : { region: 'cn-hangzhou', instances: ['rm-state-01'] }],
        },
      ],
    });
    // Set after the check, which refuses a missing directory: one can still vanish at run time.
    if (stateFile !== undefined) config.state_file = stateFile;
    const exporter = await startExporter({
      config,
      log: createLogger({ level: 'debug', destination: logs }),
      listen: { host: '127.0.0.1', port: 0 },
      schedule: false,
      processMetrics: false,
      now: () => clock,
    });
    running.push(exporter);
    return { exporter, logs };
  }

  async function stop(exporter: Exporter): Promise<void> {
    running.splice(running.indexOf(exporter), 1);
    await exporter.close();
  }

  const scrape = async (e: Exporter) => (await fetch(`${e.url}/metrics`)).text();
  const tempDir = () => mkdtempSync(join(tmpdir(), 'rds-state-'));

  it('counts, after a restart, a failure that happened while the exporter was stopped — exactly once', async () => {
    const file = join(tempDir(), 'state.json');
    const w = sim.world;
    const earlier = w.addJob('rm-state-01', { status: 'Uploading', process: 50, mode: 'Manual' });
    const first = await exporterWith(file);
    await first.exporter.poller.tick();
    w.finishJob('rm-state-01', earlier.jobId, 'Failed');
    clock += MIN;
    await first.exporter.poller.tick();
    const running = w.addJob('rm-state-01', { status: 'Uploading', process: 20 });
    clock += MIN;
    await first.exporter.poller.tick();
    assert.equal(sample(await scrape(first.exporter), 'alicloud_rds_backup_task_failures_total', { ...I, job_mode: 'Manual' }), 1);
    await stop(first.exporter);
    assert.ok(existsSync(file), 'state written');
    assert.equal((statSync(file).mode & 0o777).toString(8), '600', 'readable by the exporter only');

    // While the exporter is down, the running job fails and leaves the listing.
    clock += 30 * MIN;
    w.finishJob('rm-state-01', running.jobId, 'Failed');
    clock += 30 * MIN;

    const second = await exporterWith(file);
    await second.exporter.poller.tick();
    await second.exporter.poller.tick();
    const text = await scrape(second.exporter);
    assert.equal(sample(text, 'alicloud_rds_backup_task_failures_total', { ...I, job_mode: 'Automated' }), 1, 'the failure while down, once');
    assert.equal(
      sample(text, 'alicloud_rds_backup_task_failures_total', { ...I, job_mode: 'Manual' }),
      1,
      'the earlier counter carried over, not counted again',
    );
    assert.equal(sample(text, 'alicloud_rds_backup_task_completions_total', { ...I, job_mode: 'Automated', status: 'Failed' }), 1);
    assert.equal(sample(text, 'alicloud_rds_backup_sets_total', { ...I, backup_type: 'FullBackup', status: 'Failed' }), 2, 'both failed sets, each once');
    assert.equal(sample(text, 'alicloud_rds_backup_last_failure_timestamp_seconds', I), clock / 1000, 'the failure while down, dated when it was learned');
    assert.equal(sim.requests.filter((r) => r.params.BackupJobId === running.jobId).length, 1, 'resolved by id once');
    assert.ok(
      second.logs.records().some((r) => r.msg === 'state restored' && r.instances === 1),
      'logged the restore',
    );
    // DescribeBackups resumed from the last look, not from the whole look-back
    const looks = sim.requests.filter((r) => r.action === 'DescribeBackups');
    const lastLook = looks.at(-1)!;
    assert.ok(Date.parse(lastLook.params.StartTime!.replace('Z', ':00Z')) > clock - 3 * 3600_000, `asked from ${lastLook.params.StartTime}`);

    // and a third start counts nothing again
    await stop(second.exporter);
    const third = await exporterWith(file);
    clock += MIN;
    await third.exporter.poller.tick();
    const thirdText = await scrape(third.exporter);
    assert.equal(sample(thirdText, 'alicloud_rds_backup_task_failures_total', { ...I, job_mode: 'Automated' }), 1);
    assert.equal(sample(thirdText, 'alicloud_rds_backup_last_failure_timestamp_seconds', I), (clock - MIN) / 1000, 'the last failure carried over');
  });

  it('keeps the saved state of discovered instances while discovery cannot answer', async () => {
    const file = join(tempDir(), 'state.json');
    sim.world.addInstance('rm-found-01', { tags: { env: 'prod' } });
    const job = sim.world.addJob('rm-found-01', { status: 'Uploading', process: 30 });
    const discovering = (stateFile: string) => exporterWith(stateFile, new LogCapture(), { tags: { env: 'prod' } });
    const first = await discovering(file);
    await first.exporter.poller.tick();
    await stop(first.exporter);
    sim.world.finishJob('rm-found-01', job.jobId, 'Failed');

    // Restarted while DescribeDBInstances fails: rm-found-01 is not known yet, and a cycle saves.
    sim.inject({ kind: 'ServiceUnavailable', action: 'DescribeDBInstances', times: 1 });
    const second = await discovering(file);
    await second.exporter.poller.tick();
    assert.ok(Object.keys(JSON.parse(readFileSync(file, 'utf8')).instances).includes('state/cn-hangzhou/rm-found-01'), 'its state is still saved');
    clock += 11 * MIN;
    await second.exporter.poller.tick();
    assert.equal(
      sample(await scrape(second.exporter), 'alicloud_rds_backup_task_failures_total', { instance_id: 'rm-found-01', job_mode: 'Automated' }),
      1,
      'and its failure counted once discovery answers',
    );
  });

  for (const [what, content] of [
    ['corrupt (not JSON)', '{"version": 1, "instances": {'],
    ['of the wrong shape', JSON.stringify({ version: 1, saved_at: 'x', instances: { 'state/cn-hangzhou/rm-state-01': { tracker: 'nope' } } })],
    ['of another version', JSON.stringify({ version: 99, saved_at: 'x', instances: {} })],
  ] as const) {
    it(`survives a state file ${what}: logs it, keeps it aside, starts fresh`, async () => {
      const dir = tempDir();
      const file = join(dir, 'state.json');
      writeFileSync(file, content);
      const { exporter, logs } = await startAndTick(file);
      assert.equal(sample(await scrape(exporter), 'alicloud_rds_backup_poll_success', I), 1, 'polls normally');
      const warn = logs.records().find((r) => r.level === 'warn' && String(r.msg).startsWith('state file ignored'));
      assert.ok(warn, 'one warning');
      const aside = readdirSync(dir).filter((f) => f.startsWith('state.json.corrupt-'));
      assert.equal(aside.length, 1, 'the bad file is kept aside');
      assert.equal(readFileSync(join(dir, aside[0]!), 'utf8'), content, 'unchanged');
      assert.equal(JSON.parse(readFileSync(file, 'utf8')).version, 1, 'a fresh state was written');
    });
  }

  async function startAndTick(file: string) {
    const started = await exporterWith(file);
    await started.exporter.poller.tick();
    return started;
  }

  it('starts fresh without a state file, and keeps running when it cannot write one', async () => {
    const file = join(tempDir(), 'no-such-dir', 'state.json');
    const { exporter, logs } = await startAndTick(file);
    await exporter.poller.tick();
    const text = await scrape(exporter);
    assert.equal(sample(text, 'alicloud_rds_backup_poll_success', I), 1);
    assert.equal(sample(text, 'alicloud_rds_backup_state_file_last_write_success'), 0);
    assert.equal(sample(text, 'alicloud_rds_backup_state_file_last_success_timestamp_seconds'), undefined, 'no file a restart would restore');
    const warnings = logs
      .records()
      .filter(
        (r) =>
          r.level === 'warn' && r.msg === 'cannot write the state file (tried again at each cycle); a restart now would find no state file and start fresh',
      );
    assert.equal(warnings.length, 1, 'logged once, not every cycle');
    assert.equal(warnings[0]?.code, 'ENOENT');
  });

  it('serves whether the last write worked and when the file a restart would restore was written; a failed write and a restart restore the older file', async () => {
    const dir = tempDir();
    const file = join(dir, 'state.json');
    const first = await exporterWith(file);
    assert.equal(sample(await scrape(first.exporter), 'alicloud_rds_backup_state_file_last_write_success'), undefined, 'before the first write');
    await first.exporter.poller.tick();
    const written = clock;
    let text = await scrape(first.exporter);
    assert.equal(sample(text, 'alicloud_rds_backup_state_file_last_write_success'), 1);
    assert.equal(sample(text, 'alicloud_rds_backup_state_file_last_success_timestamp_seconds'), written / 1000);
    // Writes now fail: a directory where the temporary file goes.
    mkdirSync(`${file}.tmp-${process.pid}`);
    clock += MIN;
    await first.exporter.poller.tick();
    text = await scrape(first.exporter);
    assert.equal(sample(text, 'alicloud_rds_backup_state_file_last_write_success'), 0);
    assert.equal(sample(text, 'alicloud_rds_backup_state_file_last_success_timestamp_seconds'), written / 1000, 'the older file');
    assert.ok(
      first.logs
        .records()
        .some(
          (r) =>
            r.msg ===
            `cannot write the state file (tried again at each cycle); a restart now would restore the older file, saved at ${new Date(written).toISOString()}`,
        ),
      'the warning names the older file and its time',
    );
    await stop(first.exporter);
    rmdirSync(`${file}.tmp-${process.pid}`);
    const second = await exporterWith(file);
    text = await scrape(second.exporter);
    assert.equal(sample(text, 'alicloud_rds_backup_state_file_last_success_timestamp_seconds'), written / 1000, 'the file found at start');
    assert.ok(
      second.logs.records().some((r) => r.msg === 'state restored' && r.saved_at === new Date(written).toISOString()),
      'the restore names the older file',
    );
  });

  it('a reload that removes the state_file drops its series; one that sets it again shows the file on disk', async () => {
    const file = join(tempDir(), 'state.json');
    const { exporter } = await exporterWith(file);
    await exporter.poller.tick();
    const config = configSchema.parse({ accounts: [{ name: 'state', endpoint: sim.url, regions: [{ region: 'cn-hangzhou', instances: ['rm-state-01'] }] }] });
    await exporter.reload(config);
    assert.doesNotMatch(await scrape(exporter), /state_file/, 'no series without a state_file');
    await exporter.reload({ ...config, state_file: file });
    const text = await scrape(exporter);
    assert.equal(sample(text, 'alicloud_rds_backup_state_file_last_write_success'), undefined, 'no write yet by this path');
    assert.equal(sample(text, 'alicloud_rds_backup_state_file_last_success_timestamp_seconds'), statSync(file).mtimeMs / 1000, 'the file on disk, by its time');
  });

  it('serves no state file series without a state_file', async () => {
    const { exporter } = await exporterWith(undefined);
    await exporter.poller.tick();
    const text = await scrape(exporter);
    assert.doesNotMatch(text, /state_file/);
  });

  it('without a state file, a restart publishes the backup history only once its first look covered the whole look-back: last_success never goes backwards', async () => {
    const DAY = 24 * 60 * MIN;
    const w = sim.world;
    w.addBackupSet('rm-state-01', { type: 'FullBackup', startTime: clock - 7 * DAY - 20 * MIN, endTime: clock - 7 * DAY });
    w.addBackupSet('rm-state-01', { type: 'FullBackup', startTime: clock - 80 * MIN, endTime: clock - 60 * MIN });
    const first = await exporterWith(undefined);
    await first.exporter.poller.tick();
    const published = sample(await scrape(first.exporter), 'alicloud_rds_backup_last_success_timestamp_seconds', { ...I, backup_type: 'FullBackup' });
    assert.equal(published, (clock - 60 * MIN) / 1000);
    await stop(first.exporter);

    clock += MIN;
    // The second 2-day window of the new first look fails once: only the oldest (the week-old set) has answered.
    const apiMinute = (ms: number) => `${new Date(ms).toISOString().slice(0, 16)}Z`;
    sim.inject({ kind: 'ServiceUnavailable', action: 'DescribeBackups', params: { StartTime: apiMinute(clock - 6 * DAY) }, times: 1 });
    const second = await exporterWith(undefined);
    const seen: Array<number | undefined> = [];
    for (let i = 0; i < 3; i++) {
      await second.exporter.poller.tick();
      seen.push(sample(await scrape(second.exporter), 'alicloud_rds_backup_last_success_timestamp_seconds', { ...I, backup_type: 'FullBackup' }));
      clock += MIN;
    }
    assert.ok(
      sim.requests.some((r) => r.action === 'DescribeBackups' && r.code === 'ServiceUnavailable'),
      'the fault cut the first look',
    );
    assert.equal(seen[0], undefined, 'nothing published while the first look is incomplete');
    for (const v of seen) assert.ok(v === undefined || v >= published!, `published ${v}, older than ${published} published before the restart`);
    assert.equal(seen.at(-1), published, 'then the newest, once the whole look-back has answered');
  });
});
