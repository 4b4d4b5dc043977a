// The whole /metrics exposition for a fixed scenario, diffed against a checked-in file so that
// every rename, new label or changed HELP shows in review. UPDATE_GOLDEN=1 rewrites the file.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promtool, requirePromtool } from '../promtool.js';
import { World } from '../../simulator/world.js';
import { startRig, type Rig } from '../helpers.js';

const GOLDEN = 'test/fixtures/golden/metrics.prom';
const NOW = Date.parse('2026-11-27T12:00:00Z');

/**
 * The API request series are created as requests first complete, and requests of different
 * instances and regions run at once: order them by their labels (a histogram's lines keep their
 * own order), so that the file does not depend on which answer came first.
 */
function orderApiSeries(lines: string[]): string[] {
  const out = [...lines];
  const isApi = (line: string) => /^alicloud_rds_backup_api_request/.test(line);
  const seriesKey = (line: string) =>
    line
      .replace(/^[a-z_]+?(_bucket|_sum|_count)?\{/, '{')
      .replace(/le="[^"]*",?/, '')
      .replace(/ [^ ]+$/, '');
  for (let start = 0; start < out.length; start++) {
    if (!isApi(out[start]!)) continue;
    let end = start;
    while (end < out.length && isApi(out[end]!)) end++;
    const block = out.slice(start, end).map((line, i) => ({ line, i, key: seriesKey(line) }));
    block.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.i - b.i));
    out.splice(start, block.length, ...block.map((b) => b.line));
    start = end;
  }
  return out;
}

/**
 * Latencies vary from run to run, the Node.js version from machine to machine and the git
 * revision and branch from build to build: keep the series, blank those values. Counts stay exact.
 */
export function normalizeVariable(text: string): string {
  return orderApiSeries(text.split('\n'))
    .map((line) =>
      /^(alicloud_rds_backup_(api_request_duration_seconds_(bucket|sum)|poll_duration_seconds)\{|promhttp_metric_handler_request_duration_seconds_(bucket\{|sum ))/.test(
        line,
      )
        ? line.replace(/ [^ ]+$/, ' <measured>')
        : line,
    )
    .join('\n')
    .replace(/nodejs_version="[^"]*"/g, 'nodejs_version="<node>"')
    .replace(/revision="[^"]*",branch="[^"]*"/g, 'revision="<revision>",branch="<branch>"');
}

async function scenario(processMetrics: boolean): Promise<Rig> {
  // One clock for the simulated data and the exporter, so that every time in the output is fixed.
  let clock = NOW - 30 * 60_000;
  const world = new World({ now: () => clock });
  const rig = await startRig({
    config: {
      account: 'golden',
      tagsAsLabels: ['team', 'cost-center'],
      regions: { 'cn-hangzhou': ['rm-golden-01', 'rm-golden-02'], 'eu-central-1': ['rm-golden-03'] },
    },
    sim: { world, requestClock: Date.now },
    // The handler's metrics are in the file: the scrape is the first, so their counts are fixed.
    exporter: { now: () => clock, processMetrics, handlerMetrics: true },
    // so that the state file's own series are in the file too
    stateFile: join(mkdtempSync(join(tmpdir(), 'rds-golden-')), 'state.json'),
  });
  const hour = 3600_000;
  world.instance('rm-golden-01')!.policy.preferredBackupPeriod = 'Monday,Wednesday,Friday,Sunday';
  world.instance('rm-golden-03')!.policy.retentionDays = 30;
  world.addBackupSet('rm-golden-01', {
    backupId: '9001',
    type: 'FullBackup',
    status: 'Success',
    startTime: NOW - 26 * hour,
    endTime: NOW - 25 * hour,
    sizeBytes: 1_073_741_824,
  });
  world.addBackupSet('rm-golden-01', {
    backupId: '9002',
    type: 'IncrementalBackup',
    status: 'Success',
    startTime: NOW - 6 * hour,
    endTime: NOW - 6 * hour + 300_000,
    sizeBytes: 52_428_800,
  });
  world.addBackupSet('rm-golden-03', {
    backupId: '9003',
    type: 'FullBackup',
    status: 'Failed',
    startTime: NOW - 3 * hour,
    endTime: NOW - 2 * hour,
    sizeBytes: 0,
  });
  world.addBackupSet('rm-golden-03', {
    backupId: '9004',
    type: 'FullBackup',
    status: 'Success',
    startTime: NOW - 50 * hour,
    endTime: NOW - 49 * hour,
    sizeBytes: 2_147_483_648,
  });
  world.instance('rm-golden-02')!.quirks.omitBackupStatus = true;
  // Tags as labels: both keys, one of them only, none (rm-golden-02); a value that needs escaping.
  world.instance('rm-golden-01')!.tags = { team: 'payments', 'cost-center': 'cc "42"', env: 'prod' };
  world.instance('rm-golden-03')!.tags = { team: 'dba' };
  // Recoverability: copies to another region for one instance, a broken log chain for another.
  world.instance('rm-golden-01')!.crossRegion = { enabled: true, logEnabled: true, region: 'cn-shanghai', retentionDays: 15 };
  world.addCrossRegionSet('rm-golden-01', { crossBackupId: 14377, startTime: NOW - 25 * hour, endTime: NOW - 24 * hour, sizeBytes: 1_073_741_824 });
  world.breakLogChain('rm-golden-02', NOW - 30 * hour, NOW - 28 * hour);
  world.addJob('rm-golden-01', { status: 'Uploading', progressStatus: 'Uploading', process: 45, mode: 'Automated' });
  world.addJob('rm-golden-01', { mode: 'Manual', taskAction: 'TempBackupTask', progressStatus: 'NoStart', process: 0 });
  const failing = world.addJob('rm-golden-01', { status: 'Uploading', process: 80, mode: 'Automated' });
  // its size pinned, so that the golden file does not follow the simulator's size model
  const finishing = world.addJob('rm-golden-02', { status: 'Checking', progressStatus: 'Checking', process: 99, mode: 'Manual', sizeBytes: 42_156_164_579 });
  world.addJob('rm-golden-03', { status: 'Preparing', progressStatus: 'Preparing', process: 5 });
  await rig.cycle();
  clock += 20 * 60_000;
  world.finishJob('rm-golden-01', failing.jobId, 'Failed');
  world.finishJob('rm-golden-02', finishing.jobId, 'Finished');
  rig.sim.inject({ kind: 'Forbidden.RAM', instanceId: 'rm-golden-03', times: Infinity });
  clock += 60_000;
  await rig.cycle();
  return rig;
}

describe('golden /metrics', () => {
  let rig: Rig | undefined;
  afterEach(async () => {
    await rig?.close();
    rig = undefined;
  });

  it('matches test/fixtures/golden/metrics.prom', async () => {
    rig = await scenario(false);
    const actual = normalizeVariable(await rig.scrape());
    if (process.env.UPDATE_GOLDEN) writeFileSync(GOLDEN, actual);
    const expected = readFileSync(GOLDEN, 'utf8');
    assert.equal(actual, expected, 'the exposition changed: review the diff, then run `npm run test:update-golden`');
  });

  it('passes promtool check metrics, process metrics included', async function () {
    requirePromtool(this);
    rig = await scenario(true);
    const text = await rig.scrape();
    assert.match(text, /^process_cpu_seconds_total /m, 'process metrics present');
    const check = promtool(['check', 'metrics'], text);
    assert.equal(check.output.trim(), '', `promtool complained:\n${check.output}`);
    assert.equal(check.status, 0);
  });

  it('serves valid OpenMetrics (promtool reads it back)', async function () {
    requirePromtool(this);
    rig = await scenario(true);
    const text = await rig.scrape('application/openmetrics-text; version=1.0.0');
    assert.ok(text.endsWith('# EOF\n'), 'ends with # EOF');
    assert.match(text, /^# TYPE alicloud_rds_backup_task_failures counter$/m, 'OpenMetrics counter family name');
    assert.match(
      text,
      /^alicloud_rds_backup_task_failures_total\{account="golden",region="cn-hangzhou",instance_id="rm-golden-01",job_mode="Automated"\} 1$/m,
      'the failure in OpenMetrics',
    );
  });
});
