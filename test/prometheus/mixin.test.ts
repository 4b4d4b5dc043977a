// The monitoring mixin (prometheus/mixin): the checked-in files are what a fresh build writes,
// its _config reaches them, nothing shipped holds a placeholder, and the Alertmanager
// configuration passes amtool with the inhibitions in the documented order.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';

const JSONNET = process.env.JSONNET ?? '/usr/bin/jsonnet';
const AMTOOL = process.env.AMTOOL ?? '/usr/bin/amtool';
const BUILT = [
  'prometheus/rules.yml',
  'prometheus/alerts.yml',
  'prometheus/alertmanager.yml',
  'deploy/kubernetes/prometheusrule.yaml',
  'grafana/alicloud-rds-backup.json',
];

function requireTool(ctx: Mocha.Context, bin: string, pkg: string): void {
  if (existsSync(bin)) return;
  if (process.env.CI) throw new Error(`${bin} not found: .ci/run must install Debian's ${pkg} package`);
  ctx.skip();
}

/** Builds the mixin into a temporary directory, as `npm run mixin` does; returns path -> text. */
function build(): Map<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'mixin-'));
  try {
    for (const sub of ['prometheus', 'deploy/kubernetes', 'grafana']) mkdirSync(join(dir, sub), { recursive: true });
    const yaml = spawnSync(JSONNET, ['-S', '-m', dir, 'prometheus/mixin/build.jsonnet'], { encoding: 'utf8' });
    assert.equal(yaml.status, 0, yaml.stderr);
    const dashboard = spawnSync(JSONNET, ['-o', join(dir, 'grafana/alicloud-rds-backup.json'), 'prometheus/mixin/dashboard.jsonnet'], { encoding: 'utf8' });
    assert.equal(dashboard.status, 0, dashboard.stderr);
    return new Map(BUILT.map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('the monitoring mixin', function () {
  this.timeout(180_000);
  it('builds exactly the checked-in rules, alerts, PrometheusRule, Alertmanager configuration and dashboard (npm run mixin)', function () {
    requireTool(this, JSONNET, 'jsonnet');
    const fresh = build();
    assert.deepEqual([...fresh.keys()].sort(), [...BUILT].sort());
    for (const [file, text] of fresh) assert.equal(readFileSync(file, 'utf8'), text, `${file} differs from a fresh build of prometheus/mixin: npm run mixin`);
  });

  it('takes every threshold from _config: a changed grace reaches the alerts, the PrometheusRule and the dashboard', function () {
    requireTool(this, JSONNET, 'jsonnet');
    const code = `local m = (import 'prometheus/mixin/mixin.libsonnet') + { _config+:: { graceSeconds: 5400, exporterExternalURL: 'https://rds-backup.example.net' } };
        { alerts: m.prometheusAlerts, dashboard: m.grafanaDashboards['alicloud-rds-backup.json'].panels, rules: m.prometheusRules }`;
    const run = spawnSync(JSONNET, ['-J', '.', '-e', code], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const out = run.stdout;
    assert.match(out, /full_backup_lateness_seconds > 5400/);
    assert.doesNotMatch(out, /full_backup_lateness_seconds > 3600/);
    assert.match(out, /https:\/\/rds-backup\.example\.net\/runbook#alicloudrdsbackupoverdue/);
    assert.match(out, /> bool 5400/, 'the dashboard shows the same grace');
    assert.match(readFileSync('grafana/alicloud-rds-backup.json', 'utf8'), /> bool 3600/, 'the shipped dashboard has the default grace');
  });

  it("ships no placeholder: every runbook link points at the exporter's /runbook", () => {
    for (const file of BUILT) assert.doesNotMatch(readFileSync(file, 'utf8'), /\bOWNER\b|CHANGEME|%\(/, `${file} holds a placeholder`);
    const alerts = (
      parse(readFileSync('prometheus/alerts.yml', 'utf8')) as { groups: Array<{ rules: Array<{ alert: string; annotations: Record<string, string> }> }> }
    ).groups.flatMap((g) => g.rules);
    for (const a of alerts) assert.equal(a.annotations.runbook_url, `http://localhost:9877/runbook#${a.alert.toLowerCase()}`);
  });

  it('ships an Alertmanager configuration that amtool accepts, grouped per alert kind and region', function () {
    requireTool(this, AMTOOL, 'prometheus-alertmanager');
    const run = spawnSync(AMTOOL, ['check-config', 'prometheus/alertmanager.yml'], { encoding: 'utf8' });
    assert.equal(run.status, 0, `${run.stdout}${run.stderr}`);
    assert.match(run.stdout, /SUCCESS/);
    const config = parse(readFileSync('prometheus/alertmanager.yml', 'utf8')) as { route: { group_by: string[] } };
    assert.deepEqual(config.route.group_by, ['alertname', 'account', 'region']);
  });

  it('inhibits in the order ExporterDown > ApiAuthFailing > region > instance > late-alerts, and Failed > Overdue', () => {
    const config = parse(readFileSync('prometheus/alertmanager.yml', 'utf8')) as {
      inhibit_rules: Array<{ source_matchers: string[]; target_matchers: string[]; equal?: string[] }>;
    };
    const rules = config.inhibit_rules.map((r) => ({ source: r.source_matchers.join(), target: r.target_matchers.join(), equal: r.equal ?? [] }));
    const inhibits = (source: string, target: string) =>
      rules.filter(
        (r) =>
          r.source.includes(source) &&
          new RegExp(r.target.replace(/.*alertname=~"([^"]+)".*/, '^($1)$')).test(target) &&
          !r.target.includes(`alertname!="${target}"`),
      );
    const late = [
      'AlicloudRdsBackupOverdue',
      'AlicloudRdsBackupNoUsableBackup',
      'AlicloudRdsBackupRestoreWindowLagging',
      'AlicloudRdsBackupCrossRegionStale',
      'AlicloudRdsBackupSizeDrop',
    ];
    const chain = [
      ['AlicloudRdsBackupExporterDown', []],
      ['AlicloudRdsBackupApiAuthFailing', ['account']],
      ['AlicloudRdsBackupRegionUnreadable', ['account', 'region']],
      ['AlicloudRdsBackupPollFailing', ['account', 'region', 'instance_id']],
    ] as const;
    chain.forEach(([source, equal], i) => {
      for (const [below] of chain.slice(i + 1)) assert.ok(inhibits(source, below).length > 0, `${source} does not inhibit ${below}`);
      for (const alert of late)
        assert.deepEqual(
          inhibits(source, alert).map((r) => r.equal),
          [[...equal]],
          `${source} over ${alert}`,
        );
      for (const [above] of chain.slice(0, i)) assert.deepEqual(inhibits(source, above), [], `${source} must not inhibit ${above}`);
    });
    assert.deepEqual(
      inhibits('AlicloudRdsBackupFailed"', 'AlicloudRdsBackupOverdue').map((r) => r.equal),
      [['account', 'region', 'instance_id']],
    );
    assert.deepEqual(inhibits('AlicloudRdsBackupOverdue', 'AlicloudRdsBackupFailed'), []);
    assert.deepEqual(inhibits('AlicloudRdsBackupPollFailing', 'AlicloudRdsBackupFailed'), [], 'a known failure is not hidden by a poll failing later');
  });
});
