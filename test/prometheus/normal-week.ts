// Generates prometheus/tests/normal-week.yml: seven days of series for healthy instances, as the
// exporter would serve them, and a promtool test that no alert ever fires.
// Deterministic (no clock, no randomness); test/prometheus/rules.test.ts checks that the
// checked-in file is what this prints. Regenerate with:
//   npx tsx test/prometheus/normal-week.ts > prometheus/tests/normal-week.yml
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';

const STEP = 300; // seconds between samples, and between rule evaluations
const DAY = 86400;
const HOUR = 3600;
const SAMPLES = (7 * DAY) / STEP + 1;
const TARGET = 'job="alicloud-rds-backup",instance="exporter:9877"';

/** Time 0 is the Unix epoch, a Thursday; weekday 0 = Sunday as in Date.getUTCDay(). */
const weekday = (t: number) => (Math.floor(t / DAY) + 4) % 7;

interface Backup {
  type: 'FullBackup' | 'IncrementalBackup';
  start: number;
  end: number;
  size: number;
}

interface Instance {
  id: string;
  /** what the policy's PreferredBackupPeriod implies */
  interval: number;
  backups: Backup[];
  /** DescribeDBInstances facts; by default a primary, running, unlocked MySQL created 100 days before time 0 */
  engine?: string;
  instanceType?: string;
  status?: string;
  createdAt?: number;
  /** restore window end at time t (default: log backups every 15 min, read every 15 min) */
  restoreEnd?: (t: number) => number;
}

/** Full backups at `hour` on `days` (weekdays) for `hours`; incrementals every `incrementalEvery` seconds otherwise. */
function schedule(id: string, interval: number, days: number[], hour: number, hours: number, size: number, incrementalEvery?: number): Instance {
  const backups: Backup[] = [];
  // from 8 days before time 0, so every instance starts with its newest full backup known
  for (let day = -8; day < 8; day++) {
    const start = day * DAY + hour * HOUR;
    if (days.includes(weekday(start))) {
      // sizes vary by a few per cent from backup to backup, deterministically
      backups.push({ type: 'FullBackup', start, end: start + hours * HOUR, size: Math.round(size * (1 + ((day * 7919) % 11) / 200)) });
    }
  }
  if (incrementalEvery) {
    for (let start = -8 * DAY; start < 8 * DAY; start += incrementalEvery) {
      const overlaps = backups.some((b) => b.type === 'FullBackup' && start < b.end && start + 600 > b.start);
      if (!overlaps) backups.push({ type: 'IncrementalBackup', start, end: start + 600, size: Math.round(size / 50) });
    }
  }
  return { id, interval, backups };
}

const INSTANCES: Instance[] = [
  // daily full backups of an hour at 02:00, incrementals hourly
  schedule('rm-daily', DAY, [0, 1, 2, 3, 4, 5, 6], 2, 1, 100e9, HOUR),
  // a large instance: daily full backups that run five hours
  schedule('rm-long', DAY, [0, 1, 2, 3, 4, 5, 6], 15, 5, 900e9),
  // Monday, Wednesday, Friday, Sunday at 19:00 (the longest gap is two days), incrementals every 6 h
  schedule('rm-mwfs', 2 * DAY, [1, 3, 5, 0], 19, 1, 40e9, 6 * HOUR),
  // weekly on Sunday at 01:00 for three hours, daily incrementals
  schedule('rm-weekly', 7 * DAY, [0], 1, 3, 300e9, DAY),
];

/** A fleet as real users run it: a read-only replica, a stopped instance, one created mid-week, a SQL Server. */
const NEW_AT = 3 * DAY + 10 * HOUR;
const fresh = schedule('rm-new', DAY, [0, 1, 2, 3, 4, 5, 6], 2, 1, 5e9, HOUR);
const sqlServer = schedule('rm-sqlserver', DAY, [0, 1, 2, 3, 4, 5, 6], 3, 2, 200e9);
const MIXED: Instance[] = [
  schedule('rm-daily', DAY, [0, 1, 2, 3, 4, 5, 6], 2, 1, 100e9, HOUR),
  { id: 'rm-replica', interval: 0, backups: [], instanceType: 'Readonly' },
  // stopped 10 days before time 0: its backups stopped with it
  { ...schedule('rm-stopped', DAY, [0, 1, 2, 3, 4, 5, 6], 2, 1, 50e9), status: 'Stopped', backups: [] },
  { ...fresh, createdAt: NEW_AT, backups: fresh.backups.filter((b) => b.start >= NEW_AT) },
  // SQL Server: log backups run with the data backups (the default LogBackupFrequency); the restore
  // window, read hourly, ends at the newest full backup
  {
    ...sqlServer,
    engine: 'SQLServer',
    restoreEnd: (t) => sqlServer.backups.filter((b) => b.end <= t - (t % HOUR)).reduce((a, b) => Math.max(a, b.end), -Infinity),
  },
];

/** promtool's expanded notation: one value per sample, runs of equal values folded as `vxN`. */
function values(at: (t: number) => number | undefined): string {
  const out: string[] = [];
  let run: { v: number | undefined; n: number } | undefined;
  const flush = () => {
    if (!run) return;
    const v = run.v === undefined ? '_' : String(run.v);
    out.push(run.n === 1 ? v : `${v}x${run.n - 1}`);
  };
  for (let i = 0; i < SAMPLES; i++) {
    const v = at(i * STEP);
    if (run && run.v === v) run.n++;
    else {
      flush();
      run = { v, n: 1 };
    }
  }
  flush();
  return out.join(' ');
}

function series(name: string, labels: string, at: (t: number) => number | undefined) {
  return { series: `${name}{${TARGET},${labels}}`, values: values(at) };
}

function instanceSeries(inst: Instance) {
  const l = `account="prod",region="cn-hangzhou",instance_id="${inst.id}"`;
  const ended = (t: number, type?: string) => inst.backups.filter((b) => b.end <= t && (!type || b.type === type));
  const newest = (t: number, type: string) => ended(t, type).reduce<Backup | undefined>((a, b) => (!a || b.end > a.end ? b : a), undefined);
  const running = (t: number) => inst.backups.find((b) => b.type === 'FullBackup' && b.start <= t && t < b.end);
  const types = [...new Set(inst.backups.map((b) => b.type))];
  // one poll in a day is slow and times out (poll_success 0 for one sample)
  const slowPoll = (t: number) => t % DAY === 13 * HOUR + 1800;
  const created = inst.createdAt ?? -100 * DAY;
  const exists = (t: number) => t >= created;
  const info = `${l},engine="${inst.engine ?? 'MySQL'}",engine_version="8.0",description="",instance_type="${inst.instanceType ?? 'Primary'}",category="HighAvailability",status="${inst.status ?? 'Running'}",lock_mode="Unlock"`;
  const out = [
    series('alicloud_rds_backup_poll_success', l, (t) => (!exists(t) ? undefined : slowPoll(t) ? 0 : 1)),
    series('alicloud_rds_backup_instance_info', info, (t) => (exists(t) ? 1 : undefined)),
    series('alicloud_rds_backup_instance_created_timestamp_seconds', l, (t) => (exists(t) ? created : undefined)),
    // a read-only replica has no backup policy of its own (interval 0: no series)
    series('alicloud_rds_backup_policy_expected_interval_seconds', l, (t) => (exists(t) && inst.interval > 0 ? inst.interval : undefined)),
    series('alicloud_rds_backup_tasks', `${l},status="Uploading"`, (t) => (running(t) ? 1 : 0)),
    series('alicloud_rds_backup_task_failures_total', `${l},job_mode="Automated"`, () => 0),
  ];
  for (const type of types) {
    out.push(series('alicloud_rds_backup_last_success_timestamp_seconds', `${l},backup_type="${type}"`, (t) => newest(t, type)?.end));
    out.push(series('alicloud_rds_backup_last_size_bytes', `${l},backup_type="${type}"`, (t) => newest(t, type)?.size));
    out.push(series('alicloud_rds_backup_sets_total', `${l},backup_type="${type}",status="Success"`, (t) => ended(t, type).length));
  }
  out.push(series('alicloud_rds_backup_sets_total', `${l},backup_type="FullBackup",status="Failed"`, () => 0));
  // recoverability: logs uploaded and the restore window read every 15 min (up to 20 min behind),
  // a whole log chain, usable sets within a week's retention, copies to another region 10 min after
  // each full backup, backup storage within the free quota, backups kept after release
  out.push(
    series('alicloud_rds_backup_policy_log_backup_enabled', l, () => 1),
    series('alicloud_rds_backup_restore_window_end_timestamp_seconds', l, (t) => (inst.restoreEnd ?? ((u: number) => u - (u % 900) - 300))(t)),
    series('alicloud_rds_backup_log_chain_gaps', `${l},host_instance_id="5841973"`, () => 0),
    series('alicloud_rds_backup_usable_sets', l, (t) => ended(t).filter((b) => b.end > t - 7 * DAY).length),
    series('alicloud_rds_backup_cross_region_enabled', `${l},target_region="cn-shanghai"`, () => 1),
    series('alicloud_rds_backup_cross_region_last_success_timestamp_seconds', l, (t) => {
      const copied = ended(t - 600, 'FullBackup').reduce((a, b) => Math.max(a, b.end + 600), -Infinity);
      return Number.isFinite(copied) ? copied : undefined;
    }),
    series('alicloud_rds_backup_storage_over_free_quota_bytes', l, () => 0),
    series('alicloud_rds_backup_policy_info', `${l},released_keep_policy="Latest",high_space_usage_protection="Enable",compress_type="4"`, () => 1),
  );
  // the progress of each full backup's task, moving every sample, as a series of its own
  inst.backups
    .filter((b) => b.type === 'FullBackup')
    .forEach((b, n) => {
      if (b.end <= 0 || b.start >= 7 * DAY) return;
      out.push(
        series('alicloud_rds_backup_task_progress_ratio', `${l},backup_job_id="${1000 + n}",job_mode="Automated",task_action="NormalBackupTask"`, (t) =>
          b.start <= t && t < b.end ? Math.round(((t - b.start) / (b.end - b.start)) * 100) / 100 : undefined,
        ),
      );
    });
  return out;
}

function apiSeries(calls = INSTANCES.length) {
  const l = 'account="prod",region="cn-hangzhou"';
  return [
    // every instance's task listing once a minute
    series('alicloud_rds_backup_api_requests_total', `${l},action="DescribeBackupTasks",code="OK"`, (t) => (t / 60) * calls),
    // now and then a throttled call (retried): one every 6 hours
    series('alicloud_rds_backup_api_requests_total', `${l},action="DescribeBackupTasks",code="Throttling.User"`, (t) => Math.floor(t / (6 * HOUR))),
    series('alicloud_rds_backup_api_requests_total', `${l},action="DescribeBackups",code="OK"`, (t) => Math.floor(t / 600) * calls),
    series('alicloud_rds_backup_api_requests_total', `${l},action="DescribeDBInstances",code="OK"`, (t) => Math.floor(t / 600) + 1),
    // one listing a day fails once with a server error, and its retry works
    series('alicloud_rds_backup_api_requests_total', `${l},action="DescribeDBInstances",code="ServiceUnavailable"`, (t) => Math.floor(t / DAY)),
    // ... and once a day a whole refresh fails, to work again at the next tick
    series('alicloud_rds_backup_discovery_success', l, (t) => (t % DAY === 12 * HOUR ? 0 : 1)),
    series('alicloud_rds_backup_discovery_last_success_timestamp_seconds', l, (t) => Math.floor(t / 600) * 600),
    { series: `up{${TARGET}}`, values: values(() => 1) },
    { series: `alicloud_rds_backup_config_last_reload_successful{${TARGET}}`, values: values(() => 1) },
  ];
}

export function normalWeek(): string {
  const doc = {
    rule_files: ['../rules.yml', '../alerts.yml'],
    group_eval_order: ['alicloud-rds-backup.rules', 'alicloud-rds-backup.alerts'],
    evaluation_interval: `${STEP / 60}m`,
    tests: [
      {
        name: 'A normal week stays silent: daily, 5-hour, four-a-week and weekly full backups, incrementals, moving progress, a slow poll a day, a throttled call now and then, logs and cross-region copies keeping up',
        interval: `${STEP / 60}m`,
        input_series: [...INSTANCES.flatMap(instanceSeries), ...apiSeries()],
        promql_expr_test: [
          // never firing, at any evaluation of the week
          { expr: 'count by (alertname) (count_over_time(ALERTS{alertstate="firing"}[7d]))', eval_time: '7d', exp_samples: [] },
          // the only alerts ever pending: the slow poll of each instance, once a day, which the 15 min of
          // AlicloudRdsBackupPollFailing's for absorb, and the failed inventory refresh once a day,
          // which the 30 min of AlicloudRdsBackupDiscoveryFailing's for absorb
          {
            expr: 'count by (alertname) (count_over_time(ALERTS{alertstate="pending"}[7d]))',
            eval_time: '7d',
            // (the slow polls of all four instances fall on the same sample: AlicloudRdsBackupRegionUnreadable pends too, and its 15 min absorb it)
            exp_samples: [
              { labels: '{alertname="AlicloudRdsBackupDiscoveryFailing"}', value: 1 },
              { labels: '{alertname="AlicloudRdsBackupPollFailing"}', value: INSTANCES.length },
              { labels: '{alertname="AlicloudRdsBackupRegionUnreadable"}', value: 1 },
            ],
          },
          // and the week is what it claims: every instance watched, backups ran and tasks moved
          {
            expr: 'count(account_region_instance_id:alicloud_rds_backup_watched:present)',
            eval_time: '7d',
            exp_samples: [{ labels: '{}', value: INSTANCES.length }],
          },
          {
            expr: 'count(max_over_time(account_region_instance_id:alicloud_rds_backup_tasks_running:sum[7d]) == 1)',
            eval_time: '7d',
            exp_samples: [{ labels: '{}', value: INSTANCES.length }],
          },
          {
            expr: 'count(min_over_time(alicloud_rds_backup_poll_success[7d]) == 0)',
            eval_time: '7d',
            exp_samples: [{ labels: '{}', value: INSTANCES.length }],
          },
          // recoverability was watched all week: restorable, copied, never without a usable set
          { expr: 'count(min_over_time(alicloud_rds_backup_usable_sets[7d]) >= 1)', eval_time: '7d', exp_samples: [{ labels: '{}', value: INSTANCES.length }] },
          {
            expr: 'count(max_over_time(alicloud_rds_backup_cross_region_last_success_timestamp_seconds[7d]) > 0)',
            eval_time: '7d',
            exp_samples: [{ labels: '{}', value: INSTANCES.length }],
          },
          // the weekly instance came close to its interval without passing it and its grace
          {
            expr: 'max_over_time(account_region_instance_id:alicloud_rds_backup_full_backup_age:ratio{instance_id="rm-weekly"}[7d]) > 0.95 < 1',
            eval_time: '7d',
            exp_samples: [{ labels: '{account="prod",region="cn-hangzhou",instance_id="rm-weekly"}', value: weeklyMaxRatio() }],
          },
        ],
      },
      {
        name: 'A week of a mixed fleet stays silent but for one info notice: a read-only replica, a stopped instance (AlicloudRdsBackupInstanceInactive), an instance created on day 3, a SQL Server whose log backups follow its daily backups',
        interval: `${STEP / 60}m`,
        input_series: [...MIXED.flatMap(instanceSeries), ...apiSeries(MIXED.length)],
        promql_expr_test: [
          {
            expr: 'count by (alertname, instance_id) (count_over_time(ALERTS{alertstate="firing"}[7d]))',
            eval_time: '7d',
            exp_samples: [{ labels: '{alertname="AlicloudRdsBackupInstanceInactive",instance_id="rm-stopped"}', value: 1 }],
          },
          // what the rule says: only the running primaries past their first window are expected; the new one from day 4 11:00
          {
            expr: 'account_region_instance_id:alicloud_rds_backup_expected:bool == 1',
            eval_time: '4d10h',
            exp_samples: ['rm-daily', 'rm-sqlserver'].map((id) => ({
              labels: `account_region_instance_id:alicloud_rds_backup_expected:bool{account="prod",region="cn-hangzhou",instance_id="${id}"}`,
              value: 1,
            })),
          },
          { expr: 'count(account_region_instance_id:alicloud_rds_backup_expected:bool == 1)', eval_time: '7d', exp_samples: [{ labels: '{}', value: 3 }] },
          // the SQL Server's restore window lagged by almost a day, its normal (a 2 h allowance would have paged daily)
          {
            expr: 'max_over_time(account_region_instance_id:alicloud_rds_backup_restore_window_lag_seconds{instance_id="rm-sqlserver"}[7d]) > 20 * 3600',
            eval_time: '7d',
            exp_samples: [{ labels: '{account="prod",region="cn-hangzhou",instance_id="rm-sqlserver"}', value: DAY - 300 }],
          },
        ],
      },
    ],
  };
  return `# Generated by test/prometheus/normal-week.ts - do not edit; regenerate with
#   npx tsx test/prometheus/normal-week.ts > prometheus/tests/normal-week.yml
${stringify(doc, { lineWidth: 0 })}`;
}

/** The largest age/interval ratio of rm-weekly's full backups over the sampled week. */
function weeklyMaxRatio(): number {
  const inst = INSTANCES.find((i) => i.id === 'rm-weekly')!;
  let max = 0;
  for (let i = 0; i < SAMPLES; i++) {
    const t = i * STEP;
    const newest = inst.backups.filter((b) => b.type === 'FullBackup' && b.end <= t).reduce((a, b) => Math.max(a, b.end), -Infinity);
    max = Math.max(max, (t - newest) / inst.interval);
  }
  return max;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.stdout.write(normalWeek());
