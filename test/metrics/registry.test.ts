// The metrics of the polls are rendered when an instance publishes and kept as bytes between
// scrapes. What must hold: a scrape serves exactly what a fresh rendering of the same snapshot
// would, whatever was published, added or removed before; what did not change is not rendered
// again; gzip and both formats carry the same samples.
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import type { BackupTask } from '../../src/alicloud/normalize.js';
import type { InstanceSnapshot, RegionSnapshot, Snapshot } from '../../src/collector/poller.js';
import { GzipLine } from '../../src/metrics/gzip.js';
import { createMetrics, STORED_BUDGET, type ExporterMetrics, type Exposition } from '../../src/metrics/registry.js';
import { BLOCK_SIZE } from '../../src/metrics/series-cache.js';

const REGIONS: RegionSnapshot[] = [{ account: 'prod', region: 'cn-hangzhou', discoverySuccess: true, discoveryLastSuccessSeconds: 1_800_000_000 }];

function instance(id: string, version = 0, patch: Partial<InstanceSnapshot> = {}): InstanceSnapshot {
  const tasks: BackupTask[] =
    version % 3 === 0
      ? []
      : [{ jobId: `${9_000_000 + version}`, status: 'Uploading', jobMode: 'Automated', taskAction: 'NormalBackup', progressRatio: (version % 100) / 100 }];
  return {
    account: 'prod',
    region: 'cn-hangzhou',
    instanceId: id,
    success: version % 5 !== 4,
    tasks,
    lastSuccessSeconds: 1_800_000_000 + version,
    durationSeconds: 0.25 + version,
    pendingLookups: version % 2,
    skippedPolls: 0,
    counts: {
      failures: new Map([
        ['Automated', version % 4],
        ['Manual', 0],
      ]),
      completions: new Map([['Automated|Finished', version]]),
    },
    views: new Map<string, unknown>([
      ['policy', { weekdays: [1], expectedIntervalSeconds: 86400 * (1 + (version % 7)) }],
      ...(version > 0 ? [['backups', { summary: { newestSuccess: new Map(), seen: new Map(), usableEndMs: [] }, usableSets: 0 }] as const] : []),
    ]),
    reads: new Map([['tasks', { success: version % 5 !== 4, lastSuccessMs: 1_800_000_000_000 }]]),
    ...patch,
  };
}

function metricsOf(snapshot: () => Snapshot, taskStatuses: () => 'all' | 'nonzero' = () => 'all', gzipLine = new GzipLine()): ExporterMetrics {
  return createMetrics({ snapshot, version: '1.2.3', processMetrics: false, taskStatuses, gzipLine });
}

function text(body: Exposition): string {
  const bytes = Buffer.concat(body.chunks);
  assert.equal(bytes.length, body.length);
  return (body.gzip ? gunzipSync(bytes) : bytes).toString();
}

async function scrape(metrics: ExporterMetrics, openMetrics = false, gzip = false): Promise<string> {
  return text(await metrics.render({ openMetrics, gzip }));
}

describe('metrics: rendered on publish, served from cached bytes', () => {
  it('serves after any sequence of publishes, arrivals and departures what a fresh rendering serves', async () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('publish' as const), id: fc.nat(299), hook: fc.boolean() }),
      fc.record({ kind: fc.constant('add' as const), id: fc.nat(299) }),
      fc.record({ kind: fc.constant('remove' as const), id: fc.nat(299) }),
      fc.record({ kind: fc.constant('statuses' as const) }),
      fc.record({ kind: fc.constant('scrape' as const), openMetrics: fc.boolean(), gzip: fc.boolean() }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 40 }), async (ops) => {
        // 300 instances: three blocks, the last one partial
        const ids = Array.from({ length: 300 }, (_, i) => `rm-${String(i).padStart(3, '0')}`);
        const versions = new Map(ids.map((id) => [id, 0]));
        let snapshots = new Map(ids.map((id) => [id, instance(id)]));
        let statuses: 'all' | 'nonzero' = 'all';
        const current = (): Snapshot => ({ instances: [...snapshots.values()], regions: REGIONS });
        const kept = metricsOf(current, () => statuses);
        for (const s of snapshots.values()) kept.published(s);
        for (const o of ops) {
          const id = 'id' in o ? ids[o.id]! : '';
          if (o.kind === 'publish' && snapshots.has(id)) {
            const v = versions.get(id)! + 1;
            versions.set(id, v);
            const next = instance(id, v);
            snapshots.set(id, next);
            if (o.hook) kept.published(next);
          } else if (o.kind === 'add' && !snapshots.has(id)) {
            // an arrival goes where the poller lists it: here, first
            snapshots = new Map([[id, instance(id, versions.get(id))], ...snapshots]);
          } else if (o.kind === 'remove') {
            snapshots.delete(id);
          } else if (o.kind === 'statuses') {
            statuses = statuses === 'all' ? 'nonzero' : 'all';
          } else if (o.kind === 'scrape') {
            await scrape(kept, o.openMetrics, o.gzip);
          }
        }
        for (const openMetrics of [false, true]) {
          const fresh = await scrape(
            metricsOf(current, () => statuses),
            openMetrics,
          );
          assert.equal(await scrape(kept, openMetrics, false), fresh);
          assert.equal(await scrape(kept, openMetrics, true), fresh);
        }
      }),
      { numRuns: 40 },
    );
  });

  it('renders nothing again at a scrape when nothing was published, and one block of one family after one change', async () => {
    const ids = Array.from({ length: 3 * BLOCK_SIZE }, (_, i) => `rm-${i}`);
    const snapshots = ids.map((id) => instance(id));
    const gzipLine = new GzipLine();
    const metrics = metricsOf(() => ({ instances: snapshots, regions: REGIONS }), undefined, gzipLine);
    const first = await metrics.render({ openMetrics: false, gzip: true });
    const again = await metrics.render({ openMetrics: false, gzip: true });
    // the same compressed buffers, not equal copies: all but the per-scrape tail (own metrics and
    // regions: one stored block, its header and bytes) and the trailer
    const same = (a: Exposition, b: Exposition) => a.chunks.filter((c, i) => c === b.chunks[i]).length;
    assert.equal(again.chunks.length, first.chunks.length);
    assert.equal(same(first, again), first.chunks.length - 3);

    // one instance of the second block polls again: only its duration and timestamp change
    snapshots[BLOCK_SIZE + 5] = { ...snapshots[BLOCK_SIZE + 5]!, durationSeconds: 9.5, lastSuccessSeconds: 1_800_000_100 };
    metrics.published(snapshots[BLOCK_SIZE + 5]!);
    const changed = /alicloud_rds_backup_poll_duration_seconds\{account="prod",region="cn-hangzhou",instance_id="rm-133"\} 9.5\n/;
    const after = await metrics.render({ openMetrics: false, gzip: true });
    assert.match(text(after), changed);
    // The two rebuilt pieces are still in the background line: the scrape does not wait for them
    // but sends them stored (a block header and the bytes), each beside its family's two other
    // pieces, sent apart now rather than joined: 1 chunk becomes 2 + 2.
    assert.equal(after.chunks.length, first.chunks.length + 2 * 3);
    assert.ok(
      after.chunks.some((c) => changed.test(c.toString())),
      'the changed lines go as they are',
    );

    // Once compressed, the next scrape sends them compressed: two new chunks, the rest the same.
    await gzipLine.drained();
    const settled = await metrics.render({ openMetrics: false, gzip: true });
    assert.equal(settled.chunks.length, first.chunks.length);
    assert.equal(same(first, settled), first.chunks.length - 3 - 2);
    assert.match(text(settled), changed);
    assert.ok(!settled.chunks.some((c) => changed.test(c.toString())), 'the changed lines go compressed now');
  });

  it(`waits for the compression of rebuilt pieces beyond ${STORED_BUDGET / 1024 / 1024} MiB rather than send them stored`, async () => {
    // 128 instances of 10 KB of description each: one block's info piece is 1.3 MB
    const info = (v: number) => ({ id: 'x', engine: 'MySQL', engineVersion: '8.0', description: `${v}`.repeat(10_000), instanceType: 'Primary' });
    let snapshots = Array.from({ length: BLOCK_SIZE }, (_, i) => instance(`rm-${i}`, 0, { info: info(0) } as Partial<InstanceSnapshot>));
    const metrics = metricsOf(() => ({ instances: snapshots, regions: REGIONS }));
    const first = await metrics.render({ openMetrics: false, gzip: true });
    assert.ok(first.length < 200_000, 'compressed');
    snapshots = snapshots.map((s) => ({ ...s, info: info(1) }) as InstanceSnapshot);
    for (const s of snapshots) metrics.published(s);
    const after = await metrics.render({ openMetrics: false, gzip: true });
    assert.ok(after.length < 200_000, `${after.length} bytes: the 1.3 MB piece was compressed, not sent stored`);
    assert.match(text(after), /description="1111111111/);
  });

  it('writes the same sample lines in both formats, headers apart', async () => {
    const metrics = metricsOf(() => ({ instances: [instance('rm-a', 7), instance('rm-b', 2)], regions: REGIONS }));
    const samples = (body: string) => body.split('\n').filter((l) => l.startsWith('alicloud_rds_backup_'));
    const plain = await scrape(metrics, false);
    const om = await scrape(metrics, true);
    assert.deepEqual(samples(om), samples(plain));
    assert.match(plain, /^# TYPE alicloud_rds_backup_task_failures_total counter$/m);
    assert.match(om, /^# TYPE alicloud_rds_backup_task_failures counter$/m);
    assert.match(om, /\n# EOF\n$/);
    assert.doesNotMatch(om, /\n\n/);
  });

  it('escapes label values and counts Content-Length in bytes, not characters', async () => {
    const info = { id: 'rm-x', engine: 'MySQL', engineVersion: '8.0', description: '订单库 "main"\\\nsecond line', instanceType: 'Primary' };
    const metrics = metricsOf(() => ({ instances: [instance('rm-x', 0, { info } as Partial<InstanceSnapshot>)], regions: REGIONS }));
    const body = await metrics.render({ openMetrics: false, gzip: false });
    const served = text(body);
    assert.ok(served.includes('description="订单库 \\"main\\"\\\\\\nsecond line"'), 'quote, backslash and new line escaped; UTF-8 kept');
    assert.equal(body.length, Buffer.byteLength(served));
    assert.ok(body.length > served.length, 'the Chinese characters take 3 bytes each');
  });

  it('drops the empty task statuses with task_statuses nonzero, and takes a change of it at the next scrape', async () => {
    let statuses: 'all' | 'nonzero' = 'all';
    const metrics = metricsOf(
      () => ({ instances: [instance('rm-a', 1)], regions: REGIONS }),
      () => statuses,
    );
    const tasks = (body: string) => body.split('\n').filter((l) => l.startsWith('alicloud_rds_backup_tasks{'));
    assert.equal(tasks(await scrape(metrics)).length, 7);
    statuses = 'nonzero';
    assert.deepEqual(tasks(await scrape(metrics)), ['alicloud_rds_backup_tasks{account="prod",region="cn-hangzhou",instance_id="rm-a",status="Uploading"} 1']);
  });

  it('takes a change of tags_as_labels at the next scrape: every instance_info gets the new labels at once', async () => {
    let keys: string[] = ['team'];
    const info = {
      id: 'rm-a',
      description: '',
      engine: 'MySQL',
      engineVersion: '8.0',
      regionId: 'cn-hangzhou',
      instanceType: 'Primary',
      status: 'Running',
      category: 'Basic',
      lockMode: 'Unlock',
      tags: { team: 'pay', env: 'prod' },
    };
    const metrics = createMetrics({
      snapshot: () => ({ instances: [instance('rm-a', 1, { info }), instance('rm-b', 1, { info: { ...info, id: 'rm-b', tags: {} } })], regions: REGIONS }),
      version: '1.2.3',
      processMetrics: false,
      tagKeys: () => keys,
    });
    const infoLines = (body: string) =>
      body
        .split('\n')
        .filter((l) => l.startsWith('alicloud_rds_backup_instance_info{'))
        .map((l) => l.replace(/^.*lock_mode="Unlock"/, ''));
    assert.deepEqual(infoLines(await scrape(metrics)), [',tag_team="pay"} 1', ',tag_team=""} 1']);
    keys = ['env', 'team'];
    assert.deepEqual(infoLines(await scrape(metrics, true)), [',tag_env="prod",tag_team="pay"} 1', ',tag_env="",tag_team=""} 1']);
    keys = [];
    assert.deepEqual(infoLines(await scrape(metrics)), ['} 1', '} 1']);
  });

  it('serves one series per label set when a listing repeats a job', async () => {
    const task: BackupTask = { jobId: '42', status: 'Uploading', jobMode: 'Manual', taskAction: 'NormalBackup', progressRatio: 0.1 };
    const metrics = metricsOf(() => ({ instances: [instance('rm-a', 0, { tasks: [task, { ...task, progressRatio: 0.6 }] })], regions: REGIONS }));
    const progress = (await scrape(metrics)).split('\n').filter((l) => l.startsWith('alicloud_rds_backup_task_progress_ratio{'));
    assert.deepEqual(progress, [
      'alicloud_rds_backup_task_progress_ratio{account="prod",region="cn-hangzhou",instance_id="rm-a",backup_job_id="42",job_mode="Manual",task_action="NormalBackup"} 0.6',
    ]);
  });
});

describe('metrics: the exporter itself', () => {
  const empty = (): Snapshot => ({ instances: [], regions: [] });
  const render = async (metrics: ExporterMetrics, openMetrics = false) => text(await metrics.render({ openMetrics, gzip: false }));

  it('counts scrapes by status code, those in flight, and the time spent, as promhttp names them', async () => {
    const metrics = createMetrics({ snapshot: empty, version: '1.2.3', processMetrics: false });
    const first = metrics.scrapeStarted();
    const during = await render(metrics);
    assert.match(during, /^promhttp_metric_handler_requests_in_flight 1$/m, 'the scrape being served');
    for (const code of ['200', '500', '503'])
      assert.match(during, new RegExp(`^promhttp_metric_handler_requests_total\\{code="${code}"\\} 0$`, 'm'), `code ${code} from the start`);
    first(200);
    metrics.scrapeStarted()(200);
    metrics.scrapeStarted()(405);
    const after = await render(metrics);
    assert.match(after, /^promhttp_metric_handler_requests_in_flight 0$/m);
    assert.match(after, /^promhttp_metric_handler_requests_total\{code="200"\} 2$/m);
    assert.match(after, /^promhttp_metric_handler_requests_total\{code="405"\} 1$/m);
    assert.match(after, /^promhttp_metric_handler_request_duration_seconds_count 3$/m);
    assert.match(await render(metrics, true), /^promhttp_metric_handler_requests_total\{code="200"\} 2$/m, 'OpenMetrics counts the same');
  });

  it('has no promhttp_* metrics with handlerMetrics false, and scrapes cost nothing then', async () => {
    const metrics = createMetrics({ snapshot: empty, version: '1.2.3', processMetrics: false, handlerMetrics: false });
    metrics.scrapeStarted()(200);
    assert.doesNotMatch(await render(metrics), /promhttp_/);
  });

  it('build_info carries the revision and branch of the build, unknown without them', async () => {
    const built = createMetrics({ snapshot: empty, version: '1.2.3', processMetrics: false, build: { revision: '0123abc', branch: 'main' } });
    assert.match(
      await render(built),
      /^alicloud_rds_backup_exporter_build_info\{version="1\.2\.3",revision="0123abc",branch="main",nodejs_version="v[^"]+",shard_index="0",shard_count="1"\} 1$/m,
    );
    const bare = createMetrics({ snapshot: empty, version: '1.2.3', processMetrics: false });
    assert.match(await render(bare), /^alicloud_rds_backup_exporter_build_info\{version="1\.2\.3",revision="unknown",branch="unknown",/m);
  });
});
