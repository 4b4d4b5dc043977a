// Every metric, recording rule and alert that docs/ names exists: metrics among those the exporter
// serves (src/metrics/definitions.ts and each read's families), recording rules in
// prometheus/rules.yml, alerts in prometheus/alerts.yml.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { allMetricDefs } from '../../src/metrics/exposition.js';

/** Names that were renamed; docs/metrics.md may say what replaced them, nothing else may use them. */
const RETIRED_IN_METRICS_MD = ['alicloud_rds_backup_poll_cycles_skipped_total'];

interface RuleFile {
  groups: Array<{ rules: Array<{ record?: string; alert?: string }> }>;
}
const rulesOf = (file: string) => (parse(readFileSync(file, 'utf8')) as RuleFile).groups.flatMap((g) => g.rules);
const defined = new Set<string>(allMetricDefs().map((m) => m.name));
// a histogram's series
for (const m of allMetricDefs()) if (m.type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) defined.add(m.name + s);
const records = new Set(rulesOf('prometheus/rules.yml').map((r) => r.record!));
const alerts = new Set(rulesOf('prometheus/alerts.yml').map((r) => r.alert!));
const docs = readdirSync('docs')
  .filter((f) => f.endsWith('.md'))
  .map((f) => ({ file: join('docs', f), text: readFileSync(join('docs', f), 'utf8') }));

describe('names in docs/', () => {
  it('name only metrics the exporter serves and recording rules that exist', () => {
    const missing: string[] = [];
    for (const { file, text } of docs) {
      for (const [name] of text.matchAll(/\b(?:[a-z_]+:)?alicloud_rds_backup_[a-z0-9_]+(?::[a-z0-9_]+)?/g)) {
        const known = name.includes(':') ? records.has(name) : defined.has(name) || (file === 'docs/metrics.md' && RETIRED_IN_METRICS_MD.includes(name));
        if (!known) missing.push(`${file}: ${name}`);
      }
    }
    assert.deepEqual([...new Set(missing)], []);
  });

  it('name only alerts that exist, and the runbook has a section for every alert', () => {
    const missing: string[] = [];
    for (const { file, text } of docs)
      for (const [name] of text.matchAll(/\bAlicloudRdsBackup[A-Za-z]+/g)) if (!alerts.has(name)) missing.push(`${file}: ${name}`);
    assert.deepEqual([...new Set(missing)], []);
    const runbook = readFileSync('docs/runbook.md', 'utf8');
    for (const alert of alerts) assert.ok(runbook.includes(`\n## ${alert}\n`), `docs/runbook.md has no section for ${alert}`);
  });
});
