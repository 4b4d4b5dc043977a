// The shipped recording rules and alerts: their contract (names, severities, annotations,
// runbook anchors), promtool's own check, and every promtool unit test in prometheus/tests/.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { promtool, promtoolAsync, requirePromtool } from '../promtool.js';
import { normalWeek } from './normal-week.js';

const RULES = 'prometheus/rules.yml';
const ALERTS = 'prometheus/alerts.yml';
const TESTS = 'prometheus/tests';

interface Rule {
  record?: string;
  alert?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RuleFile {
  groups: Array<{ name: string; rules: Rule[] }>;
}

const rulesOf = (file: string): Rule[] => (parse(readFileSync(file, 'utf8')) as RuleFile).groups.flatMap((g) => g.rules);
const alerts = rulesOf(ALERTS);
const records = rulesOf(RULES);
const testFiles = readdirSync(TESTS)
  .filter((f) => f.endsWith('.yml'))
  .sort();

/** The issues' tables (7: backups and the exporter; 8: recoverability; 17: alerts an on-call trusts): the contract. */
const CONTRACT: Record<string, { severity: 'critical' | 'warning' | 'info'; perInstance: boolean }> = {
  AlicloudRdsBackupFailed: { severity: 'critical', perInstance: true },
  AlicloudRdsBackupFailedManual: { severity: 'warning', perInstance: true },
  AlicloudRdsBackupOverdue: { severity: 'critical', perInstance: true },
  AlicloudRdsBackupStuck: { severity: 'warning', perInstance: true },
  AlicloudRdsBackupPollFailing: { severity: 'warning', perInstance: true },
  AlicloudRdsBackupInstanceGone: { severity: 'warning', perInstance: true },
  AlicloudRdsBackupInstanceInactive: { severity: 'info', perInstance: true },
  AlicloudRdsBackupRegionUnreadable: { severity: 'critical', perInstance: false },
  AlicloudRdsBackupDiscoveryFailing: { severity: 'warning', perInstance: false },
  AlicloudRdsBackupApiThrottled: { severity: 'warning', perInstance: false },
  AlicloudRdsBackupApiAuthFailing: { severity: 'critical', perInstance: false },
  AlicloudRdsBackupReadForbidden: { severity: 'warning', perInstance: false },
  AlicloudRdsBackupExporterDown: { severity: 'critical', perInstance: false },
  AlicloudRdsBackupConfigReloadFailed: { severity: 'warning', perInstance: false },
  AlicloudRdsBackupStateFileNotWritten: { severity: 'warning', perInstance: false },
  AlicloudRdsBackupSizeDrop: { severity: 'warning', perInstance: true },
  AlicloudRdsBackupRestoreWindowLagging: { severity: 'critical', perInstance: true },
  AlicloudRdsBackupLogChainGap: { severity: 'warning', perInstance: true },
  AlicloudRdsBackupCrossRegionStale: { severity: 'warning', perInstance: true },
  AlicloudRdsBackupCrossRegionNeverSucceeded: { severity: 'warning', perInstance: true },
  AlicloudRdsBackupNoUsableBackup: { severity: 'critical', perInstance: true },
  AlicloudRdsBackupStorageOverFreeQuota: { severity: 'warning', perInstance: true },
  AlicloudRdsBackupReleasePolicyNone: { severity: 'info', perInstance: true },
};

describe('Prometheus rules and alerts', () => {
  it('ship exactly the alerts of the contract, with their severities', () => {
    assert.deepEqual(alerts.map((a) => a.alert).sort(), Object.keys(CONTRACT).sort());
    for (const a of alerts) assert.equal(a.labels?.severity, CONTRACT[a.alert!]!.severity, `${a.alert} severity`);
  });

  it('give every alert a summary and a description naming what it is about, and a runbook anchor that exists', () => {
    const runbook = readFileSync('docs/runbook.md', 'utf8');
    for (const a of alerts) {
      const { summary, description, runbook_url: url } = a.annotations ?? {};
      assert.ok(summary && description && url, `${a.alert} lacks an annotation`);
      if (CONTRACT[a.alert!]!.perInstance) {
        for (const label of ['account', 'region', 'instance_id'])
          assert.ok(description.includes(`$labels.${label}`), `${a.alert} description does not name ${label}`);
        assert.match(a.expr, /\b(account, region, instance_id)\b/, `${a.alert} keeps the instance labels`);
      }
      assert.ok(description.includes('$value') || description.includes('$labels.code') || !/\$value/.test(a.expr), `${a.alert} description says what was seen`);
      const anchor = url.split('#')[1];
      assert.equal(anchor, a.alert!.toLowerCase(), `${a.alert} runbook anchor`);
      assert.ok(runbook.includes(`\n## ${a.alert}\n`), `docs/runbook.md has no section "## ${a.alert}"`);
    }
  });

  it('hold every per-instance alert while the instance\'s state is unknown, and gate every late-alert by "expected"', () => {
    for (const a of alerts.filter((x) => CONTRACT[x.alert!]!.perInstance))
      assert.match(a.expr, new RegExp(`ALERTS\\{alertname="${a.alert}",alertstate="firing"\\}`), `${a.alert} does not hold its state`);
    for (const name of ['Overdue', 'NoUsableBackup', 'RestoreWindowLagging', 'LogChainGap', 'CrossRegionStale', 'CrossRegionNeverSucceeded', 'SizeDrop']) {
      assert.match(
        alerts.find((a) => a.alert === `AlicloudRdsBackup${name}`)!.expr,
        /account_region_instance_id:alicloud_rds_backup_expected:bool == 1/,
        `${name} is not gated by expected:bool`,
      );
    }
  });

  it("never read a recording rule's own previous value", () => {
    for (const r of records) assert.ok(!r.expr.includes(r.record!), `${r.record} reads itself`);
  });

  it("name recording rules level:metric:operations, from this exporter's metrics", () => {
    assert.ok(records.length >= 10, `only ${records.length} recording rules`);
    for (const r of records) assert.match(r.record ?? '', /^[a-z_]+:alicloud_rds_backup_[a-z0-9_]+(:[a-z0-9_]+)?$/, `recording rule ${r.record}`);
  });

  it('have a promtool test file per alert, with tests named "fires when" and "stays quiet when"', () => {
    const names = testFiles.flatMap((f) => (parse(readFileSync(join(TESTS, f), 'utf8')) as { tests: Array<{ name?: string }> }).tests.map((t) => t.name ?? ''));
    for (const alert of Object.keys(CONTRACT)) {
      const mine = names.filter((n) => n.startsWith(`${alert} `));
      assert.ok(
        mine.some((n) => / fires when /.test(n)),
        `no "${alert} fires when" test`,
      );
      assert.ok(
        mine.some((n) => /stays quiet /.test(n)),
        `no "${alert} stays quiet when" test`,
      );
    }
  });

  it('keep the generated normal week as its generator prints it', () => {
    assert.equal(
      readFileSync(join(TESTS, 'normal-week.yml'), 'utf8'),
      normalWeek(),
      'regenerate: npx tsx test/prometheus/normal-week.ts > prometheus/tests/normal-week.yml',
    );
  });

  it('pass promtool check rules', function () {
    requirePromtool(this);
    const { status, output } = promtool(['check', 'rules', RULES, ALERTS]);
    assert.equal(status, 0, output);
    assert.match(output, new RegExp(`SUCCESS: ${records.length} rules found[\\s\\S]*SUCCESS: ${alerts.length} rules found`));
  });

  it('pass every promtool unit test in prometheus/tests (each alert before and after its for, and a silent normal week)', async function () {
    requirePromtool(this);
    this.timeout(600_000);
    // One promtool per file, as many at once as there are cores: the files are independent, and a
    // single promtool evaluates them one after another on one core.
    const results = new Map<string, { status: number | null; output: string }>();
    const queue = [...testFiles];
    const worker = async () => {
      for (let file = queue.shift(); file !== undefined; file = queue.shift())
        results.set(file, await promtoolAsync(['test', 'rules', join(TESTS, file)], 590_000));
    };
    await Promise.all(Array.from({ length: Math.min(availableParallelism(), testFiles.length) }, worker));
    assert.deepEqual([...results.keys()].sort(), testFiles);
    for (const [file, { status, output }] of results) {
      assert.equal(status, 0, `${file}: ${output}`);
      assert.equal(output.match(/SUCCESS/g)?.length, 1, `${file}: ${output}`);
    }
  });
});
