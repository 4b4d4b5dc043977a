import assert from 'node:assert/strict';
import type { BackupSet } from '../../src/alicloud/backups.js';
import type { CrossRegionSettings, RestoreWindow } from '../../src/alicloud/rds-api.js';
import type { BackupSummary } from '../../src/collector/backup-history.js';
import type { LogChainSummary } from '../../src/collector/log-chain.js';
import type { CrossRegionCopies } from '../../src/collector/reads/cross-region.js';
import type { InstanceSnapshot } from '../../src/collector/poller.js';
import { dbInstance } from '../collector/scripted-api.js';
import { humanAge, humanBytes, MAX_ROWS, parseStatusFilter, renderStatusPage, type StatusInput } from '../../src/http/status-page.js';

const NOW = Date.parse('2026-11-28T12:00:00Z');
const H = 3600_000;

/** What the reads know, as the tests give it; made into the snapshot's views. */
interface ReadsPatch {
  backups?: BackupSummary;
  /** false: the first backups read has not completed (no view) */
  backupsKnown?: boolean;
  restoreWindow?: RestoreWindow;
  logChain?: LogChainSummary;
  crossRegion?: CrossRegionSettings;
  crossRegionCopies?: CrossRegionCopies;
  fullEndMs?: number;
  intervalSeconds?: number;
}

function instance(id: string, patch: Partial<InstanceSnapshot> & ReadsPatch = {}): InstanceSnapshot {
  const { fullEndMs, intervalSeconds, backups, backupsKnown, restoreWindow, logChain, crossRegion, crossRegionCopies, ...rest } = patch;
  const newestSuccess = new Map<string, BackupSet>();
  if (fullEndMs !== undefined)
    newestSuccess.set('FullBackup', {
      backupId: `b-${id}`,
      status: 'Success',
      type: 'FullBackup',
      startMs: fullEndMs - H,
      endMs: fullEndMs,
      scope: 'instance',
    });
  const views = new Map<string, unknown>([['policy', { weekdays: [0, 1, 2, 3, 4, 5, 6], expectedIntervalSeconds: intervalSeconds ?? 86400 }]]);
  if (backupsKnown !== false) views.set('backups', { summary: backups ?? { newestSuccess, seen: new Map(), usableEndMs: [] }, usableSets: 1 });
  if (restoreWindow) views.set('restore_window', restoreWindow);
  if (logChain) views.set('log_files', logChain);
  if (crossRegion) views.set('cross_region', crossRegionCopies ? { settings: crossRegion, copies: crossRegionCopies } : { settings: crossRegion });
  return {
    account: 'prod',
    region: 'cn-hangzhou',
    instanceId: id,
    success: true,
    tasks: [],
    lastSuccessSeconds: NOW / 1000 - 30,
    durationSeconds: 0.2,
    pendingLookups: 0,
    skippedPolls: 0,
    counts: { failures: new Map(), completions: new Map() },
    views,
    reads: new Map(),
    ...rest,
  };
}

function input(instances: InstanceSnapshot[], patch: Partial<StatusInput> = {}): StatusInput {
  return {
    snapshot: { instances, regions: [{ account: 'prod', region: 'cn-hangzhou', discoverySuccess: true, discoveryLastSuccessSeconds: NOW / 1000 - 60 }] },
    version: '0.1.0',
    ready: true,
    configSummary: '1 account, 2 regions, 3 instances, schedule "*/60 * * * * *"',
    reload: { successful: true, lastSuccessMs: NOW - 2 * H },
    nowMs: NOW,
    metricsPath: '/metrics',
    ...patch,
  };
}

/** The <tr> of the body row whose row header is `id`. */
function rowOf(html: string, id: string): string {
  const row = html.split('<tr').find((r) => r.includes(`<th scope="row">${id}`));
  assert.ok(row, `no row for ${id}`);
  return row;
}
const rowIds = (html: string) => [...html.matchAll(/<th scope="row">([^<]+)/g)].map((m) => m[1]);

describe('status page', () => {
  it('shows the exporter health at the top: version, configuration, watched instances, skipped polls, inventories, reload', () => {
    const html = renderStatusPage(
      input([instance('rm-a', { skippedPolls: 2 }), instance('rm-b', { region: 'cn-shanghai', success: false, errorCode: 'Forbidden.RAM', skippedPolls: 1 })]),
      {},
    );
    const health = html.slice(html.indexOf('<h2 id="health">'), html.indexOf('<h2 id="instances">'));
    assert.match(health, /0\.1\.0 · ready/);
    assert.match(health, /1 account, 2 regions, 3 instances/);
    assert.match(health, /2 instances \(discovered ones included\) in 2 account regions of 1 account; <strong class="bad">1 with failing polls/);
    assert.match(health, /<strong class="bad">3 skipped<\/strong> \(an instance's previous poll was still running\); instance inventory read in every region/);
    assert.match(health, /successful<\/span>, configuration loaded <time[^>]*>2 h ago/);
    const failed = renderStatusPage(
      input([], {
        reload: { successful: false, lastSuccessMs: NOW - H },
        ready: false,
        snapshot: { instances: [], regions: [{ account: 'prod', region: 'cn-<b>', discoverySuccess: false }] },
      }),
      {},
    );
    assert.match(failed, /the last reload failed/);
    assert.match(failed, /waiting for the first polls/);
    assert.match(failed, /none skipped; instance inventory <strong class="bad">failing in prod\/cn-&#60;b&#62;<\/strong>/, 'escaped');
  });

  it('is a table a screen reader can follow: caption, column headers, a row header per instance, progress with a text equivalent', () => {
    const html = renderStatusPage(
      input([
        instance('rm-a', { tasks: [{ jobId: '4762614', status: 'Uploading', jobMode: 'Automated', taskAction: 'NormalBackupTask', progressRatio: 0.45 }] }),
      ]),
      {},
    );
    assert.match(html, /<html lang="en">/);
    assert.match(html, /<table>\n<caption>1 of 1 watched instance\. Instances with a problem come first\.<\/caption>/);
    assert.equal(html.match(/<th scope="col">/g)?.length, 9);
    assert.deepEqual(rowIds(html), ['rm-a']);
    assert.match(
      rowOf(html, 'rm-a'),
      /job 4762614 \(Automated\): Uploading <progress max="100" value="45" aria-label="job 4762614 progress">45 %<\/progress> 45 %/,
    );
    assert.doesNotMatch(html, /<script/i, 'no JavaScript needed');
    assert.match(html, /<form method="get" action="\/status" role="search"/);
  });

  it("says when a backup is overdue against the instance's own schedule, and shows the newest failure and the failing code", () => {
    const html = renderStatusPage(
      input([
        // daily, last full backup 26 h ago: past 24 h + 1 h grace
        instance('rm-late', { fullEndMs: NOW - 26 * H }),
        // weekly, 3 days ago: on schedule
        instance('rm-weekly', { fullEndMs: NOW - 72 * H, intervalSeconds: 604800 }),
        // daily, 24.5 h: late but within the grace
        instance('rm-grace', { fullEndMs: NOW - 24.5 * H }),
        instance('rm-failed', {
          fullEndMs: NOW - 20 * H,
          backups: { newestSuccess: new Map(), seen: new Map(), usableEndMs: [], newestFailedEndMs: NOW - 3 * H },
          counts: { failures: new Map(), completions: new Map(), lastFailureMs: NOW - 2 * H },
        }),
        instance('rm-unread', { backupsKnown: false, tasks: undefined, success: false, errorCode: 'Throttling.User' }),
      ]),
      {},
    );
    assert.match(rowOf(html, 'rm-late'), /1 d 2 h ago<\/time> <strong class="bad">Overdue<\/strong>.*expected every 1 d, 108 % of the interval/s);
    assert.doesNotMatch(rowOf(html, 'rm-weekly'), /Overdue/);
    assert.match(rowOf(html, 'rm-weekly'), /expected every 7 d, 43 % of the interval/);
    assert.doesNotMatch(rowOf(html, 'rm-grace'), /Overdue/);
    assert.match(
      rowOf(html, 'rm-failed'),
      /<time datetime="2026-11-28T10:00:00Z"[^>]*>2 h ago<\/time><\/td>/,
      'the newer of the failed set and the failed job',
    );
    assert.match(rowOf(html, 'rm-weekly'), /none known/);
    assert.match(rowOf(html, 'rm-unread'), /<strong class="bad">Failed<\/strong>: <code>Throttling.User<\/code>/);
    assert.match(rowOf(html, 'rm-unread'), /unknown \(the task listing failed\)/);
    assert.match(rowOf(html, 'rm-unread'), /not read yet/);
    assert.deepEqual(rowIds(html).slice(0, 3).sort(), ['rm-failed', 'rm-late', 'rm-unread'], 'problems first');
  });

  it('says to what point each instance can be restored: the restore window, log chain gaps, the newest cross-region copy', () => {
    const gaps = new Map([
      ['5841973', 2],
      ['5841974', 0],
    ]);
    const html = renderStatusPage(
      input([
        instance('rm-ok', {
          restoreWindow: { beginMs: NOW - 7 * 24 * H, endMs: NOW - 5 * 60_000 },
          crossRegion: { enabled: true, logEnabled: false, targetRegion: 'cn-shanghai' },
          crossRegionCopies: { newestSuccessEndMs: NOW - 3 * H },
        }),
        instance('rm-gap', { restoreWindow: { beginMs: NOW - 24 * H, endMs: NOW - 10 * 60_000 }, logChain: { gapsByHost: gaps, sizeBytes: 1 } }),
        instance('rm-empty', { restoreWindow: {} }),
        instance('rm-off'),
      ]),
      {},
    );
    assert.match(html, /<th scope="col">Last successful full backup<\/th><th scope="col">Restorable to<\/th>/);
    assert.match(
      rowOf(html, 'rm-ok'),
      /<td><time datetime="2026-11-28T11:55:00Z"[^>]*>5 min ago<\/time><br><span class="muted">back to <time[^>]*>7 d ago<\/time><\/span><br><span class="muted">copied to cn-shanghai: <time[^>]*>3 h ago<\/time><\/span><\/td>/,
    );
    assert.match(rowOf(html, 'rm-gap'), /<strong class="bad">2 gaps in the log chain<\/strong>: no point-in-time restore across/);
    assert.match(rowOf(html, 'rm-empty'), /<strong class="bad">nothing<\/strong> \(no backup to restore from\)/);
    assert.match(rowOf(html, 'rm-off'), /not read \(or turned off\)/);
    assert.doesNotMatch(rowOf(html, 'rm-ok'), /gap/);
    assert.deepEqual(rowIds(html).slice(0, 2).sort(), ['rm-empty', 'rm-gap'], 'a broken log chain and nothing to restore come first');
  });

  it('escapes everything that comes from the API or the configuration', () => {
    const evil = '<img src=x onerror="alert(1)">&';
    const html = renderStatusPage(
      input(
        [
          instance('rm-<b>x</b>', {
            account: `a${evil}`,
            info: dbInstance('rm-x', { description: evil, engine: `My${evil}` }),
            tasks: [{ jobId: `1${evil}`, status: evil, jobMode: evil, taskAction: 'x', progressRatio: 0.5 }],
            success: false,
            errorCode: evil,
          }),
        ],
        { configSummary: evil, version: evil },
      ),
      { instance: evil, account: `a${evil}` },
    );
    assert.doesNotMatch(html, /<img|<b>x/);
    assert.ok(html.includes('&#60;img src=x onerror=&#34;alert(1)&#34;&#62;&#38;'), 'shown, escaped');
  });

  it('shows control and bidirectional characters from the API as their code points, never raw', () => {
    const description = 'backup\u202Egnp.exe\u0000\u001b[31m\u2066x\u2069\u0085';
    const html = renderStatusPage(
      input([
        instance('rm-bidi', {
          info: dbInstance('rm-bidi', { description, engine: 'MySQL\u200F' }),
          tasks: [{ jobId: '1', status: 'Uploading\u0007', jobMode: 'Automated', taskAction: 'x', progressRatio: 0.5 }],
        }),
      ]),
      {},
    );
    assert.doesNotMatch(html, /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u);
    assert.ok(html.includes('backup[U+202E]gnp.exe[U+0000][U+001B][31m[U+2066]x[U+2069][U+0085]'), 'the description, each hidden character shown');
    assert.ok(html.includes('MySQL[U+200F]'), 'the engine');
    assert.ok(html.includes('Uploading[U+0007]'), 'a task status');
    const filtered = renderStatusPage(input([instance('rm-bidi')]), { instance: 'rm-\u202Ebidi' });
    assert.ok(filtered.includes('value="rm-[U+202E]bidi"'), 'the filter echoed back too');
  });

  it('filters by account, region and a case-insensitive part of the id or description', () => {
    const fleet = [
      instance('rm-web-01', { account: 'prod' }),
      instance('rm-web-02', { account: 'staging' }),
      instance('rm-db-01', {
        account: 'prod',
        region: 'eu-central-1',
        info: {
          id: 'rm-db-01',
          description: 'Orders WEB backend',
          engine: 'MySQL',
          engineVersion: '8.0',
          regionId: 'eu-central-1',
          instanceType: 'Primary',
          status: 'Running',
          category: 'HighAvailability',
          lockMode: 'Unlock',
        },
      }),
    ];
    const ids = (filter: Record<string, unknown>) => rowIds(renderStatusPage(input(fleet), parseStatusFilter(filter))).sort();
    assert.deepEqual(ids({}), ['rm-db-01', 'rm-web-01', 'rm-web-02']);
    assert.deepEqual(ids({ account: 'prod' }), ['rm-db-01', 'rm-web-01']);
    assert.deepEqual(ids({ region: 'eu-central-1' }), ['rm-db-01']);
    assert.deepEqual(ids({ instance: 'WEB' }), ['rm-db-01', 'rm-web-01', 'rm-web-02'], 'the id or the description');
    assert.deepEqual(ids({ instance: 'web-0', account: 'prod' }), ['rm-web-01']);
    assert.deepEqual(ids({ account: 'nobody' }), []);
    const html = renderStatusPage(input(fleet), parseStatusFilter({ account: 'prod', instance: 'web' }));
    assert.match(html, /<caption>2 of 3 watched instances match the filter/);
    assert.match(html, /<option selected>prod<\/option>/);
    assert.match(html, /name="instance" value="web"/);
    assert.match(html, /<a href="\/status">Clear<\/a>/);
  });

  it('reads only string query parameters', () => {
    assert.deepEqual(parseStatusFilter({ account: ['a', 'b'], region: '  ', instance: ' rm ', other: 'x' }), { instance: 'rm' });
  });

  it(`renders at most ${MAX_ROWS} rows of a thousand instances, problems first, and says so`, () => {
    const fleet = Array.from({ length: 1000 }, (_, i) => instance(`rm-${String(i).padStart(4, '0')}`, { success: i % 100 !== 7 }));
    const html = renderStatusPage(input(fleet), {});
    const ids = rowIds(html);
    assert.equal(ids.length, MAX_ROWS);
    assert.deepEqual(
      ids.slice(0, 10),
      Array.from({ length: 10 }, (_, k) => `rm-${String(k * 100 + 7).padStart(4, '0')}`),
    );
    assert.match(html, new RegExp(`1000 of 1000 watched instances; the first ${MAX_ROWS} are shown — narrow the filter`));
    assert.equal(rowIds(renderStatusPage(input(fleet), { instance: 'rm-09' })).length, 100);
  });

  it('says what is wrong in words, one line per problem, its severity written out', () => {
    const refused = { action: 'DescribeResourceUsage', code: 'Forbidden.RAM', kind: 'permission' as const, message: 'x' };
    const html = renderStatusPage(
      input([
        instance('rm-late', { fullEndMs: NOW - 30 * H }),
        instance('rm-failed', {
          fullEndMs: NOW - 20 * H,
          backups: {
            newestSuccess: new Map([
              ['FullBackup', { backupId: 'b', status: 'Success', type: 'FullBackup', startMs: NOW - 21 * H, endMs: NOW - 20 * H, scope: 'instance' }],
            ]),
            seen: new Map(),
            usableEndMs: [],
            newestFailedEndMs: NOW - 3 * H,
          },
        }),
        instance('rm-copy', {
          fullEndMs: NOW - 2 * H,
          crossRegion: { enabled: true, logEnabled: false, targetRegion: 'cn-shanghai' },
          crossRegionCopies: { newestSuccessEndMs: NOW - 31 * H },
        }),
        instance('rm-paid', { fullEndMs: NOW - 2 * H, reads: new Map([['storage', { success: false, failure: refused }]]) }),
        instance('rm-quota', { fullEndMs: NOW - 2 * H }),
        instance('rm-essential', {
          success: false,
          errorCode: 'Forbidden.RAM',
          reads: new Map([['tasks', { success: false, failure: { ...refused, action: 'DescribeBackupTasks' } }]]),
        }),
        instance('rm-fine', { fullEndMs: NOW - 2 * H }),
      ]),
      {},
    );
    const problems = (id: string) => /<ul class="problems">(.*?)<\/ul>/s.exec(rowOf(html, id))?.[1]?.replace(/<[^>]+>/g, '') ?? rowOf(html, id);
    assert.equal(problems('rm-late'), '✖ Critical: the full backup is overdue by 6 h: the last one ended 1 d 6 h ago, one is expected every 1 d');
    assert.equal(problems('rm-failed'), '✖ Critical: a backup failed 3 h ago, after the last success (20 h ago)');
    assert.equal(
      problems('rm-copy'),
      '▲ Warning: the cross-region copy to cn-shanghai is stale: the newest ended 1 d 7 h ago, more than 1 d 6 h (the expected interval and 6 h to copy)',
    );
    assert.equal(problems('rm-paid'), '▲ Warning: the storage read (DescribeResourceUsage) is refused by RAM (Forbidden.RAM): grant rds:DescribeResourceUsage');
    assert.equal(
      problems('rm-essential'),
      '✖ Critical: the tasks read (DescribeBackupTasks) is refused by RAM (Forbidden.RAM): grant rds:DescribeBackupTasks: the exporter cannot tell whether backups happen',
    );
    assert.match(rowOf(html, 'rm-fine'), /<td><span class="ok">No problem known<\/span><\/td>/);
    assert.match(
      rowOf(html, 'rm-late'),
      /<li class="sev-critical"><span aria-hidden="true">✖ <\/span><strong>Critical:<\/strong>/,
      'the symbol is for the eye only; the word is read',
    );
    // critical rows, then warnings, then the rest
    const order = rowIds(html);
    assert.deepEqual(order.slice(0, 3).sort(), ['rm-essential', 'rm-failed', 'rm-late']);
    assert.deepEqual(order.slice(3, 5).sort(), ['rm-copy', 'rm-paid']);

    const quota = instance('rm-quota', { fullEndMs: NOW - 2 * H });
    (quota.views as Map<string, unknown>).set('storage', { dataBytes: 1, overFreeQuotaBytes: 3.5 * 2 ** 30 });
    assert.match(renderStatusPage(input([quota]), {}), /<strong>Warning:<\/strong> backup storage is 3\.5 GiB over the free quota \(billed\)/);
  });

  it('says why an instance is not expected to back up, as a note rather than a problem: replica, stopped, creating, locked, new', () => {
    const info = (patch: Partial<NonNullable<InstanceSnapshot['info']>>) => ({
      id: 'x',
      description: '',
      engine: 'MySQL',
      engineVersion: '8.0',
      regionId: 'cn-hangzhou',
      instanceType: 'Primary',
      status: 'Running',
      category: 'Basic',
      lockMode: 'Unlock',
      ...patch,
    });
    const html = renderStatusPage(
      input([
        instance('rm-replica', { info: info({ instanceType: 'Readonly' }), backupsKnown: false }),
        // stopped for two days: its last backup is old, and that is not an overdue backup
        instance('rm-stopped', { info: info({ status: 'Stopped' }), fullEndMs: NOW - 50 * H }),
        instance('rm-creating', { info: info({ status: 'Creating' }), backups: { newestSuccess: new Map(), seen: new Map(), usableEndMs: [] } }),
        instance('rm-locked', { info: info({ lockMode: 'LockByExpiration' }), fullEndMs: NOW - 50 * H }),
        instance('rm-new', { info: info({ createdMs: NOW - 5 * H }), restoreWindow: {} }),
        instance('rm-late', { info: info({ createdMs: NOW - 90 * 24 * H }), fullEndMs: NOW - 30 * H }),
      ]),
      {},
    );
    const notes = (id: string) => [...rowOf(html, id).matchAll(/<li class="sev-expected">(.*?)<\/li>/g)].map((m) => m[1]!.replace(/<[^>]+>/g, ''));
    assert.deepEqual(notes('rm-replica'), ["○ Note: not expected to back up: a read-only replica: its primary's backups cover it"]);
    assert.deepEqual(notes('rm-stopped'), ['○ Note: not expected to back up: the instance is stopped (Stopped)']);
    assert.deepEqual(notes('rm-creating'), ['○ Note: not expected to back up: the instance is still being created (Creating)']);
    assert.deepEqual(notes('rm-locked'), ['○ Note: not expected to back up: the instance is locked: its subscription expired (LockByExpiration)']);
    assert.deepEqual(notes('rm-new'), [
      '○ Note: not expected to back up: created 5 h ago, less than one expected interval (1 d): its first scheduled backup may not have come yet',
    ]);
    for (const id of ['rm-replica', 'rm-stopped', 'rm-creating', 'rm-locked', 'rm-new']) {
      assert.doesNotMatch(rowOf(html, id), /Critical|Warning|Overdue|class="problem"/, `${id}: a note, not a problem`);
    }
    assert.deepEqual(notes('rm-late'), [], 'an old instance gets no note');
    assert.match(rowOf(html, 'rm-late'), /Critical:<\/strong> the full backup is overdue by 6 h/);
    assert.equal(rowIds(html)[0], 'rm-late');
  });

  it("says in the header whether the exporter is degraded, and how many instances' essential reads fail", () => {
    const degraded = renderStatusPage(
      input([
        instance('rm-a', { success: false, errorCode: 'Timeout' }),
        instance('rm-b', { success: false }),
        instance('rm-c', { fullEndMs: NOW - 30 * H }),
        instance('rm-d'),
      ]),
      {},
    );
    const header = (html: string) => html.slice(html.indexOf('<header>'), html.indexOf('</header>')).replace(/<[^>]+>/g, '');
    assert.match(
      header(degraded),
      /Degraded: the essential reads of 2 of 4 instances fail \(poll_success 0\): the exporter cannot tell whether their backups happen\. 3 instances have a problem\./,
    );
    assert.match(degraded, /<p class="state degraded" role="status">/);
    assert.match(rowOf(degraded, 'rm-a'), /Critical:<\/strong> polls failing: <code>Timeout<\/code>: the exporter cannot tell whether backups happen/);
    const healthy = renderStatusPage(input([instance('rm-c', { fullEndMs: NOW - 30 * H }), instance('rm-d')]), {});
    assert.match(header(healthy), /Healthy: the essential reads of every instance work\. 1 instance has a problem: see the Problems column\./);
    assert.doesNotMatch(healthy, /Degraded/);
  });

  it('says sizes in binary units', () => {
    assert.equal(humanBytes(512), '512 B');
    assert.equal(humanBytes(1536), '1.5 KiB');
    assert.equal(humanBytes(300 * 2 ** 20), '300 MiB');
    assert.equal(humanBytes(3.5 * 2 ** 30), '3.5 GiB');
  });

  it('says ages in their two largest units', () => {
    assert.equal(humanAge(0), '0 s');
    assert.equal(humanAge(59.6), '1 min');
    assert.equal(humanAge(3 * 86400 + 4 * 3600 + 59), '3 d 4 h');
    assert.equal(humanAge(2 * 3600 + 5 * 60 + 3), '2 h 5 min');
    assert.equal(humanAge(-5), '0 s');
  });
});
