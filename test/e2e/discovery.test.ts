// Discovery: instances found by DescribeDBInstances and ListTagResources come and go with all
// their series; configured ones stay; an API failure never drops anything.
import assert from 'node:assert/strict';
import { configSchema } from '../../src/config/schema.js';
import { startExporter, type Exporter } from '../../src/exporter.js';
import { createLogger } from '../../src/log.js';
import { DEMO_CREDENTIAL, startSimulator, type Simulator } from '../../simulator/server.js';
import { World } from '../../simulator/world.js';
import { LogCapture, sample, series } from '../helpers.js';

const MIN = 60_000;

describe('discovery', function () {
  this.timeout(20_000);
  let sim: Simulator;
  let exporter: Exporter;
  let clock: number;
  let logs: LogCapture;

  async function start(discovery: Record<string, unknown>, instances: string[] = []): Promise<void> {
    clock = Math.floor(Date.now() / MIN) * MIN;
    sim = await startSimulator({ world: new World({ now: () => clock }), requestClock: Date.now });
    logs = new LogCapture();
    const config = configSchema.parse({
      poll: { max_retries: 0, discovery_interval: '10m', idle_interval: 0 },
      accounts: [
        {
          name: 'disc',
          requests_per_second: 1000,
          access_key_id: DEMO_CREDENTIAL.accessKeyId,
          access_key_secret: DEMO_CREDENTIAL.accessKeySecret,
          endpoint: sim.url,
          regions: [{ region: 'cn-hangzhou', instances, discovery }],
        },
      ],
    });
    exporter = await startExporter({
      config,
      log: createLogger({ level: 'debug', destination: logs }),
      listen: { host: '127.0.0.1', port: 0 },
      schedule: false,
      processMetrics: false,
      now: () => clock,
    });
  }

  afterEach(async () => {
    await exporter?.close();
    await sim?.close();
  });

  const scrape = async () => (await fetch(`${exporter.url}/metrics`)).text();
  const watchedIds = (text: string) =>
    series(text, 'alicloud_rds_backup_poll_success')
      .map((s) => s.labels.instance_id)
      .sort();
  const seriesOf = (text: string, id: string) => text.split('\n').filter((l) => l.includes(`instance_id="${id}"`));

  it('finds the instances matching engine, type and every tag, through pages of both listings', async () => {
    await start({ engines: ['mysql'], tags: { env: 'prod', team: 'pay' } }, ['rm-listed-01']);
    const w = sim.world;
    w.addInstance('rm-listed-01', { engine: 'PostgreSQL', tags: {} });
    w.addInstance('rm-match-01', { engine: 'MySQL', engineVersion: '8.0', description: 'payments', tags: { env: 'prod', team: 'pay', extra: 'x' } });
    w.addInstance('rm-match-02', { engine: 'MySQL', tags: { env: 'prod', team: 'pay' } });
    w.addInstance('rm-wrong-engine', { engine: 'PostgreSQL', tags: { env: 'prod', team: 'pay' } });
    w.addInstance('rm-wrong-tag', { engine: 'MySQL', tags: { env: 'staging', team: 'pay' } });
    w.addInstance('rm-one-tag', { engine: 'MySQL', tags: { env: 'prod' } });
    w.addInstance('rm-readonly', { engine: 'MySQL', instanceType: 'Readonly', masterInstanceId: 'rm-match-01', tags: { env: 'prod', team: 'pay' } });
    w.addInstance('rm-other-region', { engine: 'MySQL', regionId: 'cn-shanghai', tags: { env: 'prod', team: 'pay' } });
    // enough others for DescribeDBInstances to page (100 a page) and ListTagResources too
    for (let i = 0; i < 130; i++) w.addInstance(`rm-filler-${i}`, { engine: 'MySQL', tags: { env: 'dev', team: `t${i}`, owner: 'someone' } });
    await exporter.poller.tick();
    const text = await scrape();
    assert.deepEqual(watchedIds(text), ['rm-listed-01', 'rm-match-01', 'rm-match-02']);
    const landing = await (await fetch(`${exporter.url}/`)).text();
    assert.match(
      landing,
      /1 instance \(\+ discovery in 1 region\).*; 3 instances watched now \(configured and discovered\)/,
      'the landing page counts the discovered ones',
    );
    assert.equal(
      sample(text, 'alicloud_rds_backup_instance_info', {
        instance_id: 'rm-match-01',
        engine: 'MySQL',
        engine_version: '8.0',
        description: 'payments',
        instance_type: 'Primary',
      }),
      1,
    );
    assert.equal(
      sample(text, 'alicloud_rds_backup_instance_info', { instance_id: 'rm-listed-01', engine: 'PostgreSQL' }),
      1,
      'a configured instance is watched whatever the filters',
    );
    assert.ok(
      sim.requests.some((r) => r.action === 'DescribeDBInstances' && r.params.PageNumber === '2'),
      'DescribeDBInstances paged',
    );
    const tagCalls = sim.requests.filter((r) => r.action === 'ListTagResources');
    assert.ok(tagCalls.length >= 3, `ListTagResources in batches of 50 (${tagCalls.length} calls)`);
    assert.ok(
      tagCalls.every((r) => Object.keys(r.params).filter((k) => k.startsWith('ResourceId.')).length <= 50),
      'at most 50 ids a call',
    );
    assert.ok(
      tagCalls.some((r) => r.params.NextToken !== undefined),
      'followed NextToken',
    );
  });

  it('adds a new match and drops one that stops matching at the next refresh, a deleted one a tick later, with every series', async () => {
    await start({ tags: { env: 'prod' } });
    const w = sim.world;
    w.addInstance('rm-a', { tags: { env: 'prod' } });
    w.addInstance('rm-b', { tags: { env: 'prod' } });
    w.addJob('rm-b', { status: 'Uploading', process: 40 });
    w.addBackupSet('rm-b', { status: 'Success', startTime: clock - 2 * 3600_000, endTime: clock - 3600_000 });
    await exporter.poller.tick();
    let text = await scrape();
    assert.deepEqual(watchedIds(text), ['rm-a', 'rm-b']);
    assert.ok(seriesOf(text, 'rm-b').length > 20, 'rm-b has its series');

    w.addInstance('rm-c', { tags: { env: 'prod' } });
    w.instance('rm-b')!.tags.env = 'retired';
    clock += 5 * MIN;
    await exporter.poller.tick();
    assert.deepEqual(watchedIds(await scrape()), ['rm-a', 'rm-b'], 'nothing changes before the refresh interval');

    clock += 6 * MIN;
    await exporter.poller.tick();
    text = await scrape();
    assert.deepEqual(watchedIds(text), ['rm-a', 'rm-c']);
    assert.deepEqual(seriesOf(text, 'rm-b'), [], 'no stale series of the untagged instance, although its backup was running');
    assert.equal(sample(text, 'alicloud_rds_backup_instance_info', { instance_id: 'rm-c' }), 1);
    assert.ok(
      logs.records().some((r) => r.msg === 'instance discovered' && r.instance_id === 'rm-c'),
      'logged the new one',
    );

    w.removeInstance('rm-a');
    clock += 11 * MIN;
    await exporter.poller.tick();
    assert.deepEqual(watchedIds(await scrape()), ['rm-a', 'rm-c'], 'a deleted instance is kept for the tick in which it is found gone');
    await exporter.poller.tick();
    text = await scrape();
    assert.deepEqual(watchedIds(text), ['rm-c']);
    assert.deepEqual(seriesOf(text, 'rm-a'), [], 'no stale series of the deleted instance');
  });

  it('keeps every instance when DescribeDBInstances fails', async () => {
    await start({ engines: ['MySQL'] });
    sim.world.addInstance('rm-a');
    sim.world.addInstance('rm-b');
    await exporter.poller.tick();
    sim.inject({ kind: 'ServiceUnavailable', action: 'DescribeDBInstances', times: Infinity });
    clock += 11 * MIN;
    await exporter.poller.tick();
    const text = await scrape();
    assert.deepEqual(watchedIds(text), ['rm-a', 'rm-b']);
    assert.equal(sample(text, 'alicloud_rds_backup_api_requests_total', { action: 'DescribeDBInstances', code: 'ServiceUnavailable' }), 1);
    assert.equal(sample(text, 'alicloud_rds_backup_poll_success', { instance_id: 'rm-a' }), 1, 'the instances themselves are fine');
    assert.ok(
      logs.records().some((r) => r.level === 'warn' && String(r.msg).startsWith('instance inventory failed')),
      'logged once, for the region',
    );
  });

  it('keeps polling a configured instance that no longer exists, and says it fails', async () => {
    await start({ engines: ['MySQL'] }, ['rm-gone']);
    sim.world.addInstance('rm-here');
    await exporter.poller.tick();
    const text = await scrape();
    assert.deepEqual(watchedIds(text), ['rm-gone', 'rm-here']);
    assert.equal(sample(text, 'alicloud_rds_backup_poll_success', { instance_id: 'rm-gone' }), 0);
    assert.deepEqual(series(text, 'alicloud_rds_backup_instance_info', { instance_id: 'rm-gone' }), [], 'no info for an instance the API does not know');
    assert.equal(sample(text, 'alicloud_rds_backup_api_requests_total', { action: 'DescribeBackupTasks', code: 'InvalidDBInstanceId.NotFound' }), 1);
  });
});
