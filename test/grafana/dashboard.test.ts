// Static checks on the Grafana dashboard: importable shape, every query uses only metrics the
// exporter serves, recording rules of prometheus/rules.yml or this exporter's ALERTS, and honours
// the template variables, and the layout has no overlapping panels. When promtool is installed,
// every query is also parsed by Prometheus itself, and evaluated on sample series with the
// recording rules loaded.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { INSTANCE_LABELS, METRICS, type MetricDef } from '../../src/metrics/definitions.js';
import { allMetricDefs } from '../../src/metrics/exposition.js';

const DASHBOARD_FILE = 'grafana/alicloud-rds-backup.json';
const RULES_FILE = 'prometheus/rules.yml';
const PROMTOOL = '/usr/bin/promtool';
/** Variables Grafana defines itself. */
const BUILTIN_VARIABLES = new Set(['__rate_interval', '__interval', '__range', '__range_s', '__interval_ms']);
const HISTOGRAM_SUFFIXES = ['_bucket', '_sum', '_count'];

interface GridPos {
  x: number;
  y: number;
  w: number;
  h: number;
}
interface Target {
  refId?: string;
  expr?: string;
  datasource?: { type?: string; uid?: string };
}
interface Panel {
  id?: number;
  type?: string;
  title?: string;
  description?: string;
  gridPos?: GridPos;
  datasource?: { type?: string; uid?: string };
  targets?: Target[];
  panels?: Panel[];
  fieldConfig?: { defaults?: { unit?: string } };
}
interface Variable {
  name: string;
  type: string;
  query?: unknown;
  definition?: string;
  multi?: boolean;
  includeAll?: boolean;
  datasource?: { uid?: string };
}
interface Dashboard {
  uid?: string;
  title?: string;
  schemaVersion?: number;
  tags?: string[];
  __inputs?: Array<{ name: string; type: string; pluginId: string }>;
  panels: Panel[];
  templating: { list: Variable[] };
}

const dashboard = JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')) as Dashboard;

/** Top-level panels and the panels of collapsed rows. */
function allPanels(): Panel[] {
  return dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
}
const queryPanels = (): Panel[] => allPanels().filter((p) => p.type !== 'row');
const exprsOf = (p: Panel): string[] => (p.targets ?? []).map((t) => t.expr ?? '');

function variableQuery(v: Variable): string {
  if (typeof v.query === 'string') return v.query;
  const q = (v.query as { query?: unknown } | undefined)?.query;
  return typeof q === 'string' ? q : '';
}

/** Every query in the dashboard, named for messages. */
function allQueries(): Array<{ where: string; expr: string }> {
  const fromPanels = queryPanels().flatMap((p) => (p.targets ?? []).map((t) => ({ where: `panel "${p.title}" target ${t.refId}`, expr: t.expr ?? '' })));
  const fromVariables = dashboard.templating.list.filter((v) => v.type === 'query').map((v) => ({ where: `variable $${v.name}`, expr: variableQuery(v) }));
  return [...fromPanels, ...fromVariables];
}

const DEFS: MetricDef[] = allMetricDefs();
/** Metric name (with the histogram's series suffixes) → its definition. */
const SERIES = new Map<string, MetricDef>(
  DEFS.flatMap((d) => (d.type === 'histogram' ? HISTOGRAM_SUFFIXES.map((s) => [d.name + s, d] as const) : [[d.name, d] as const])),
);
/** Recording rule name → the expression it records (prometheus/rules.yml). */
const RECORDED = new Map(
  (parse(readFileSync(RULES_FILE, 'utf8')) as { groups: Array<{ rules: Array<{ record?: string; expr: string }> }> }).groups
    .flatMap((g) => g.rules)
    .filter((r) => r.record)
    .map((r) => [r.record!, r.expr] as const),
);
const metricTokens = (expr: string): string[] => expr.match(/(?:[a-z_]+:)?alicloud_rds_backup_[a-z0-9_]+(?::[a-z0-9_]+)?/g) ?? [];
/** The exporter metrics a token stands for: itself, or those its recording rule reads, through other rules. */
function baseMetrics(token: string, seen = new Set<string>()): string[] {
  const recorded = RECORDED.get(token);
  if (recorded === undefined) return [token];
  if (seen.has(token)) return [];
  seen.add(token);
  return metricTokens(recorded).flatMap((t) => baseMetrics(t, seen));
}
/** The template-variable labels a recording rule keeps, read from its level (e.g. account_region_instance_id:). */
function recordedLabels(name: string): string[] {
  const level = name.split(':')[0] ?? '';
  return INSTANCE_LABELS.filter((l) => (l === 'region' ? /(^|_)region(_|$)/ : new RegExp(`(^|_)${l}(_|$)`)).test(level));
}
/** This exporter's alerts, as the ALERTS series shows them. */
const ALERTS_SELECTOR = /ALERTS\{[^}]*alertname=~"AlicloudRdsBackup\.\*"/;

/** The labels of a metric that the dashboard's variables filter on. */
function filterLabels(def: MetricDef): string[] {
  const labels: readonly string[] = def.perInstance ? [...INSTANCE_LABELS, ...def.labels] : def.labels;
  return INSTANCE_LABELS.filter((l) => labels.includes(l));
}

/** Each occurrence of a metric in an expression, with the text of its `{...}` matchers ('' if none). */
function selectors(expr: string): Array<{ name: string; matchers: string }> {
  return [...expr.matchAll(/((?:[a-z_]+:)?alicloud_rds_backup_[a-z0-9_]+(?::[a-z0-9_]+)?)\s*(\{[^}]*\})?/g)].map((m) => ({
    name: m[1] ?? '',
    matchers: m[2] ?? '',
  }));
}

/** A dashboard query as plain PromQL: variables match anything, Grafana's label_values() unwrapped. */
function asPromQL(expr: string): string {
  return expr
    .replace(/^label_values\((.*), *\w+\)$/, '$1')
    .replace(/\$__rate_interval|\$\{__rate_interval\}/g, '5m')
    .replace(/\$\{?\w+\}?/g, '.*');
}

const usedVariables = (expr: string): string[] => [...expr.matchAll(/\$\{?(\w+)/g)].map((m) => m[1] ?? '');

function overlaps(a: GridPos, b: GridPos): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

describe('Grafana dashboard', () => {
  it('is importable: uid, title, schemaVersion, tags and a DS_PROMETHEUS input', () => {
    assert.equal(dashboard.uid, 'alicloud-rds-backup');
    assert.equal(dashboard.title, 'Alibaba Cloud RDS backups');
    assert.ok(
      typeof dashboard.schemaVersion === 'number' && dashboard.schemaVersion >= 36 && dashboard.schemaVersion <= 41,
      `schemaVersion ${dashboard.schemaVersion} is not one Grafana 10/11 writes`,
    );
    assert.ok((dashboard.tags ?? []).length > 0, 'the dashboard has no tags');
    const input = dashboard.__inputs?.find((i) => i.name === 'DS_PROMETHEUS');
    assert.deepEqual(input && { type: input.type, pluginId: input.pluginId }, { type: 'datasource', pluginId: 'prometheus' });
    assert.equal((dashboard as unknown as { id: unknown }).id, null, 'an exported dashboard must not carry a database id');
  });

  it('defines the datasource, account, region and instance_id variables, chained', () => {
    const byName = new Map(dashboard.templating.list.map((v) => [v.name, v]));
    const ds = byName.get('datasource');
    assert.equal(ds?.type, 'datasource');
    assert.equal(ds?.query, 'prometheus');
    const chain: Array<[string, string[]]> = [
      ['account', []],
      ['region', ['account']],
      ['instance_id', ['account', 'region']],
    ];
    for (const [name, parents] of chain) {
      const v = byName.get(name);
      assert.ok(v, `variable ${name} is missing`);
      assert.equal(v.type, 'query', `variable ${name}`);
      assert.ok(v.multi === true && v.includeAll === true, `variable ${name} must be multi-select with All`);
      assert.equal(v.datasource?.uid, '${datasource}', `variable ${name} must query the selected datasource`);
      const q = variableQuery(v);
      assert.match(q, new RegExp(`^label_values\\(${METRICS.pollSuccess.name}\\b.*, ${name}\\)$`), `variable ${name}`);
      for (const parent of parents) assert.ok(q.includes(`${parent}=~"$${parent}"`), `variable ${name} is not filtered by $${parent}: ${q}`);
    }
  });

  it('gives every panel a unique id, a title and a gridPos inside the 24-column grid', () => {
    const seen = new Set<number>();
    for (const p of allPanels()) {
      assert.ok(typeof p.id === 'number', `panel "${p.title}" has no numeric id`);
      assert.ok(!seen.has(p.id), `panel id ${p.id} is used twice`);
      seen.add(p.id);
      assert.ok(typeof p.title === 'string' && p.title.trim() !== '', `panel ${p.id} has no title`);
      const g = p.gridPos;
      assert.ok(g && [g.x, g.y, g.w, g.h].every((n) => Number.isInteger(n) && n >= 0), `panel "${p.title}" has no valid gridPos`);
      assert.ok(g.w > 0 && g.h > 0 && g.x + g.w <= 24, `panel "${p.title}" does not fit the 24-column grid: ${JSON.stringify(g)}`);
    }
    assert.ok(seen.size >= 10, `only ${seen.size} panels`);
  });

  it('has no two panels overlapping', () => {
    const placed = dashboard.panels.filter((p): p is Panel & { gridPos: GridPos } => p.gridPos !== undefined);
    const clashes: string[] = [];
    placed.forEach((a, i) => {
      for (const b of placed.slice(i + 1)) if (overlaps(a.gridPos, b.gridPos)) clashes.push(`"${a.title}" / "${b.title}"`);
    });
    assert.deepEqual(clashes, []);
  });

  it('puts the rows in order: overview, alerts, backup freshness, recoverability, backup tasks, exporter, reads', () => {
    const rows = dashboard.panels.filter((p) => p.type === 'row').sort((a, b) => (a.gridPos?.y ?? 0) - (b.gridPos?.y ?? 0));
    const prefixes = ['Overview', 'Alerts', 'Backup freshness', 'Recoverability', 'Backup tasks', 'Exporter', 'Reads'];
    assert.deepEqual(
      rows.map((r, i) => (r.title ?? '').startsWith(prefixes[i] ?? '\0')),
      prefixes.map(() => true),
      `rows: ${rows.map((r) => r.title).join(' | ')}`,
    );
  });

  it('points every panel and target at the datasource variable', () => {
    for (const p of queryPanels()) {
      assert.equal(p.datasource?.uid, '${datasource}', `panel "${p.title}" datasource`);
      assert.ok((p.targets ?? []).length > 0, `panel "${p.title}" has no queries`);
      for (const t of p.targets ?? []) assert.equal(t.datasource?.uid, '${datasource}', `panel "${p.title}" target ${t.refId} datasource`);
    }
  });

  it('gives every panel a description that says what to do', () => {
    const missing = queryPanels()
      .filter((p) => (p.description ?? '').trim().length < 40)
      .map((p) => p.title);
    assert.deepEqual(missing, [], 'panels without a useful description');
  });

  it("queries only metrics the exporter serves, recording rules of prometheus/rules.yml and this exporter's ALERTS, at least one per query", () => {
    const unknown: string[] = [];
    for (const { where, expr } of allQueries()) {
      const tokens = metricTokens(expr);
      assert.ok(tokens.length > 0 || ALERTS_SELECTOR.test(expr), `${where} uses no exporter metric, recording rule or exporter alert: ${expr}`);
      for (const token of tokens) if (!SERIES.has(token) && !RECORDED.has(token)) unknown.push(`${where}: ${token}`);
      if (/\bALERTS\b/.test(expr)) assert.match(expr, ALERTS_SELECTOR, `${where} shows other alerts than this exporter's`);
    }
    assert.deepEqual(unknown, [], 'names neither served by the exporter nor recorded by prometheus/rules.yml');
  });

  it('uses every metric the exporter serves somewhere, directly or through a recording rule', () => {
    const used = new Set(
      allQueries()
        .flatMap(({ expr }) => metricTokens(expr))
        .flatMap((t) => baseMetrics(t))
        .map((t) => SERIES.get(t)?.name),
    );
    assert.deepEqual(
      DEFS.map((d) => d.name).filter((n) => !used.has(n)),
      [],
    );
  });

  it("has an alerts row: critical and warning counts and a table of this exporter's firing alerts", () => {
    const alertQueries = allQueries().filter(({ expr }) => ALERTS_SELECTOR.test(expr));
    assert.ok(
      alertQueries.some(({ expr }) => expr.includes('severity="critical"')) && alertQueries.some(({ expr }) => expr.includes('severity="warning"')),
      'a critical and a warning count',
    );
    assert.ok(
      alertQueries.every(({ expr }) => expr.includes('alertstate="firing"')),
      'only firing alerts',
    );
    assert.ok(
      queryPanels().some((p) => p.type === 'table' && exprsOf(p).some((e) => ALERTS_SELECTOR.test(e))),
      'a table of the firing alerts',
    );
  });

  it('filters every selector on the $account, $region and $instance_id labels it has', () => {
    const unfiltered: string[] = [];
    for (const { where, expr } of allQueries().filter((q) => q.where.startsWith('panel'))) {
      for (const { name, matchers } of selectors(expr)) {
        const def = SERIES.get(name);
        const labels = def ? filterLabels(def) : RECORDED.has(name) ? recordedLabels(name) : [];
        for (const label of labels) if (!matchers.includes(`${label}=~"$${label}"`)) unfiltered.push(`${where}: ${name} lacks ${label}=~"$${label}"`);
      }
    }
    assert.deepEqual(unfiltered, []);
  });

  it('uses only template variables that are defined', () => {
    const defined = new Set(dashboard.templating.list.map((v) => v.name));
    const undefinedUses = allQueries().flatMap(({ where, expr }) =>
      usedVariables(expr)
        .filter((v) => !defined.has(v) && !BUILTIN_VARIABLES.has(v))
        .map((v) => `${where}: $${v}`),
    );
    assert.deepEqual(undefinedUses, []);
  });

  it('sets units: percentunit for the progress ratio, s for durations, reqps for request rates, bytes for sizes', () => {
    const uses = (p: Panel, name: string) =>
      exprsOf(p).some((e) =>
        metricTokens(e)
          .flatMap((t) => baseMetrics(t))
          .some((t) => SERIES.get(t)?.name === name),
      );
    const graphs = queryPanels().filter((p) => p.type === 'timeseries' || p.type === 'stat');
    const expect: Array<[string, string]> = [
      [METRICS.taskProgress.name, 'percentunit'],
      [METRICS.apiRequestDuration.name, 's'],
      [METRICS.pollDuration.name, 's'],
      [METRICS.lastPollTimestamp.name, 's'],
      [METRICS.apiRequests.name, 'reqps'],
      ['alicloud_rds_backup_last_duration_seconds', 's'],
      ['alicloud_rds_backup_last_size_bytes', 'bytes'],
    ];
    let checked = 0;
    for (const [metric, unit] of expect) {
      for (const p of graphs.filter((g) => uses(g, metric))) {
        assert.equal(p.fieldConfig?.defaults?.unit, unit, `panel "${p.title}" shows ${metric}`);
        checked++;
      }
    }
    assert.ok(checked >= expect.length, `only ${checked} unit checks ran`);
  });

  const havePromtool = existsSync(PROMTOOL);
  /** Skips without promtool, except under CI where a missing promtool is a failure. */
  function needPromtool(ctx: Mocha.Context): void {
    if (havePromtool) return;
    if (process.env.CI) assert.fail(`${PROMTOOL} is required when CI is set (apt-get install -y --no-install-recommends prometheus)`);
    ctx.skip();
  }
  const promtoolNote = havePromtool || process.env.CI ? '' : ` (skipped: ${PROMTOOL} not found; apt-get install prometheus)`;

  /** Runs promtool on a YAML document written to a throwaway directory; fails with its output. */
  function promtool(command: string, fileName: string, doc: unknown): string {
    const dir = mkdtempSync(join(tmpdir(), 'dashboard-promql-'));
    try {
      const file = join(dir, fileName);
      writeFileSync(file, stringify(doc));
      try {
        return execFileSync(PROMTOOL, [command, 'rules', file], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      } catch (err) {
        const e = err as { stdout?: string; stderr?: string };
        assert.fail(`promtool ${command} rules failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  /** The query of the panel with this title (its first, or the one with this refId), as plain PromQL. */
  function panelExpr(title: string, refId?: string): string {
    const panel = queryPanels().find((p) => p.title === title);
    assert.ok(panel, `no panel titled "${title}"`);
    const target = refId === undefined ? panel.targets?.[0] : panel.targets?.find((t) => t.refId === refId);
    assert.ok(target?.expr, `panel "${title}" has no query${refId === undefined ? '' : ` ${refId}`}`);
    return asPromQL(target.expr);
  }

  it(`parses every query with promtool${promtoolNote}`, function () {
    needPromtool(this);
    const rules = allQueries().map(({ expr }, i) => ({ record: `dashboard:query_${i}`, expr: asPromQL(expr) }));
    const output = promtool('check', 'rules.yml', { groups: [{ name: 'dashboard', rules }] });
    assert.match(output, new RegExp(`SUCCESS: ${rules.length} rules found`));
  });

  it(`computes the overview stats as their titles say, on sample series${promtoolNote}`, function () {
    needPromtool(this);
    const stat = (title: string): string => panelExpr(title);
    // as Prometheus stores them: with the job and target labels the scrape adds (the rules select the job)
    const a = 'job="alicloud-rds-backup",instance="exporter:9877",account="prod",region="cn-hangzhou",instance_id="rm-a"';
    const b = 'job="alicloud-rds-backup",instance="exporter:9877",account="prod",region="cn-hangzhou",instance_id="rm-b"';
    // rm-a is healthy, has a task uploading and a job that failed at 30m; rm-b's polls fail from 30m.
    const inputSeries = [
      { series: `alicloud_rds_backup_poll_success{${a}}`, values: '1x60' },
      { series: `alicloud_rds_backup_poll_success{${b}}`, values: '1x30 0x30' },
      { series: `alicloud_rds_backup_last_poll_timestamp_seconds{${a}}`, values: '0+60x60' },
      { series: `alicloud_rds_backup_last_poll_timestamp_seconds{${b}}`, values: '0+60x30 1800x30' },
      { series: `alicloud_rds_backup_task_failures_total{${a},job_mode="Automated"}`, values: '0x30 1x30' },
      { series: `alicloud_rds_backup_task_failures_total{${b},job_mode="Automated"}`, values: '0x60' },
      { series: `alicloud_rds_backup_tasks{${a},status="Uploading"}`, values: '0x10 1x50' },
      { series: `alicloud_rds_backup_tasks{${a},status="Finished"}`, values: '3x60' },
      { series: `alicloud_rds_backup_tasks{${b},status="Failed"}`, values: '1x60' },
    ];
    const at = (evalTime: string, expr: string, value: number) => ({ expr, eval_time: evalTime, exp_samples: [{ labels: '{}', value }] });
    const tests = [
      {
        interval: '1m',
        input_series: inputSeries,
        promql_expr_test: [
          at('20m', stat('Backup failures (24h)'), 0),
          at('60m', stat('Backup failures (24h)'), 1),
          at('20m', stat('Instances with failing polls'), 0),
          at('60m', stat('Instances with failing polls'), 1),
          at('60m', stat('Running tasks'), 1),
          at('60m', stat('Oldest successful poll'), 1800),
          at('60m', stat('Instances watched'), 2),
        ],
      },
    ];
    const output = promtool('test', 'dashboard_test.yml', { rule_files: [resolve(RULES_FILE)], tests });
    assert.match(output, /SUCCESS/);
  });

  it(`computes the backup freshness stats and overdue flags against each instance's schedule, on sample series${promtoolNote}`, function () {
    needPromtool(this);
    // as Prometheus stores them: with the job and target labels the scrape adds (the rules select the job)
    const lbl = (id: string) => `account="prod",region="cn-hangzhou",instance_id="${id}"`;
    const ser = (id: string) => `job="alicloud-rds-backup",instance="exporter:9877",${lbl(id)}`;
    const full = (id: string) => `alicloud_rds_backup_last_success_timestamp_seconds{${ser(id)},backup_type="FullBackup"}`;
    const interval = (id: string) => `alicloud_rds_backup_policy_expected_interval_seconds{${ser(id)}}`;
    const sets = (id: string, type: string, status: string) => `alicloud_rds_backup_sets_total{${ser(id)},backup_type="${type}",status="${status}"}`;
    const succeeded = (id: string) => `alicloud_rds_backup_last_backup_succeeded{${ser(id)}}`;
    // One sample an hour for 30 hours; time() is the eval time in seconds.
    // rm-a: daily policy, last full backup ended at 2h (incrementals keep coming): overdue once older than 24h + 1h grace, i.e. after 27h.
    // rm-b: weekly policy, last full backup at 0: 28h old is on schedule; its newest backup set failed from 10h on.
    // rm-c: daily policy, full backups at 1h and 25h: never overdue.
    // rm-d: daily policy, created at 10h, its backup list read from 10h on, incrementals only: no full backup, counted
    //       apart; not overdue yet (created 18 h before 28h, less than its interval).
    const inputSeries = [
      ...['rm-a', 'rm-b', 'rm-c'].map((id) => ({ series: `alicloud_rds_backup_poll_success{${ser(id)}}`, values: '1x30' })),
      { series: `alicloud_rds_backup_poll_success{${ser('rm-d')}}`, values: '_x10 1x20' },
      { series: `alicloud_rds_backup_instance_created_timestamp_seconds{${ser('rm-d')}}`, values: '_x10 36000x20' },
      { series: full('rm-a'), values: '7200x30' },
      { series: `alicloud_rds_backup_last_success_timestamp_seconds{${ser('rm-a')},backup_type="IncrementalBackup"}`, values: '0+3600x30' },
      { series: full('rm-b'), values: '0x30' },
      { series: full('rm-c'), values: '3600x24 90000x6' },
      { series: `alicloud_rds_backup_last_success_timestamp_seconds{${ser('rm-d')},backup_type="IncrementalBackup"}`, values: '_x10 0+3600x20' },
      { series: interval('rm-a'), values: '86400x30' },
      { series: interval('rm-b'), values: '604800x30' },
      { series: interval('rm-c'), values: '86400x30' },
      { series: interval('rm-d'), values: '86400x30' },
      { series: sets('rm-a', 'FullBackup', 'Success'), values: '1x30' },
      { series: sets('rm-b', 'FullBackup', 'Success'), values: '1x30' },
      { series: sets('rm-c', 'FullBackup', 'Success'), values: '1x24 2x6' },
      { series: sets('rm-d', 'FullBackup', 'Success'), values: '_x10 0x20' },
      { series: sets('rm-d', 'FullBackup', 'Failed'), values: '_x10 0x20' },
      { series: sets('rm-d', 'IncrementalBackup', 'Success'), values: '_x10 1+1x20' },
      { series: succeeded('rm-a'), values: '1x30' },
      { series: succeeded('rm-b'), values: '1x10 0x20' },
      { series: succeeded('rm-c'), values: '1x30' },
      { series: succeeded('rm-d'), values: '_x10 1x20' },
    ];
    const at = (evalTime: string, expr: string, value: number) => ({ expr, eval_time: evalTime, exp_samples: [{ labels: '{}', value }] });
    const perInstance = (evalTime: string, expr: string, values: Record<string, number>) => ({
      expr,
      eval_time: evalTime,
      exp_samples: Object.entries(values).map(([id, value]) => ({ labels: `{${lbl(id)}}`, value })),
    });
    const overdue = panelExpr('Instances overdue for their schedule');
    const table = 'Backup freshness by instance';
    const tests = [
      {
        interval: '1h',
        input_series: inputSeries,
        promql_expr_test: [
          at('20h', overdue, 0),
          at('27h', overdue, 0),
          at('28h', overdue, 1),
          at('5h', panelExpr('Last backup failed'), 0),
          at('28h', panelExpr('Last backup failed'), 1),
          at('5h', panelExpr('Instances without a successful full backup'), 0),
          at('28h', panelExpr('Instances without a successful full backup'), 1),
          perInstance('28h', panelExpr(table, 'B'), { 'rm-a': 93600, 'rm-b': 100800, 'rm-c': 10800 }),
          perInstance('28h', panelExpr(table, 'D'), { 'rm-a': 93600 / 86400, 'rm-b': 100800 / 604800, 'rm-c': 10800 / 86400 }),
          perInstance('27h', panelExpr(table, 'E'), { 'rm-a': 0, 'rm-b': 0, 'rm-c': 0, 'rm-d': 0 }),
          perInstance('28h', panelExpr(table, 'E'), { 'rm-a': 1, 'rm-b': 0, 'rm-c': 0, 'rm-d': 0 }),
          perInstance('28h', panelExpr(table, 'I'), {}),
        ],
      },
    ];
    const output = promtool('test', 'freshness_test.yml', { rule_files: [resolve(RULES_FILE)], tests });
    assert.match(output, /SUCCESS/);
  });

  it(`computes the recoverability stats as their titles say, on sample series${promtoolNote}`, function () {
    needPromtool(this);
    const lbl = (id: string) => `account="prod",region="cn-hangzhou",instance_id="${id}"`;
    // One sample an hour for 30 hours (40 for the cross-region series).
    // rm-a: a log gap from 10h on; its cross-region copies stopped at 0 (daily schedule): stale after 24h + 6h grace.
    // rm-b: no usable set from 20h on; 5 GiB over the free quota; cross-region off with an old copy (never stale).
    const GIB = 1024 ** 3;
    const inputSeries = [
      { series: `alicloud_rds_backup_log_chain_gaps{${lbl('rm-a')},host_instance_id="1"}`, values: '0x10 1x20' },
      { series: `alicloud_rds_backup_log_chain_gaps{${lbl('rm-a')},host_instance_id="2"}`, values: '0x30' },
      { series: `alicloud_rds_backup_log_chain_gaps{${lbl('rm-b')},host_instance_id="3"}`, values: '0x30' },
      { series: `alicloud_rds_backup_usable_sets{${lbl('rm-a')}}`, values: '3x30' },
      { series: `alicloud_rds_backup_usable_sets{${lbl('rm-b')}}`, values: '1x20 0x10' },
      { series: `alicloud_rds_backup_cross_region_last_success_timestamp_seconds{${lbl('rm-a')}}`, values: '0x40' },
      { series: `alicloud_rds_backup_cross_region_last_success_timestamp_seconds{${lbl('rm-b')}}`, values: '0x40' },
      { series: `alicloud_rds_backup_cross_region_enabled{${lbl('rm-a')},target_region="cn-shanghai"}`, values: '1x40' },
      { series: `alicloud_rds_backup_cross_region_enabled{${lbl('rm-b')},target_region=""}`, values: '0x40' },
      { series: `alicloud_rds_backup_policy_expected_interval_seconds{${lbl('rm-a')}}`, values: '86400x40' },
      { series: `alicloud_rds_backup_policy_expected_interval_seconds{${lbl('rm-b')}}`, values: '86400x40' },
      { series: `alicloud_rds_backup_storage_over_free_quota_bytes{${lbl('rm-a')}}`, values: '0x30' },
      { series: `alicloud_rds_backup_storage_over_free_quota_bytes{${lbl('rm-b')}}`, values: `${5 * GIB}x30` },
      { series: `alicloud_rds_backup_restore_window_end_timestamp_seconds{${lbl('rm-a')}}`, values: '0+3600x30' },
    ];
    const at = (evalTime: string, expr: string, value: number) => ({ expr, eval_time: evalTime, exp_samples: [{ labels: '{}', value }] });
    const tests = [
      {
        interval: '1h',
        input_series: inputSeries,
        promql_expr_test: [
          at('5h', panelExpr('Instances with log chain gaps'), 0),
          at('12h', panelExpr('Instances with log chain gaps'), 1),
          at('12h', panelExpr('Instances without a usable backup'), 0),
          at('25h', panelExpr('Instances without a usable backup'), 1),
          at('30h', panelExpr('Stale cross-region copies'), 0),
          at('31h', panelExpr('Stale cross-region copies'), 1),
          at('10h', panelExpr('Backup storage over the free quota'), 5 * GIB),
          { expr: panelExpr('Restore lag by instance'), eval_time: '10h', exp_samples: [{ labels: `{${lbl('rm-a')}}`, value: 0 }] },
        ],
      },
    ];
    const output = promtool('test', 'recoverability_test.yml', { tests });
    assert.match(output, /SUCCESS/);
  });
});
