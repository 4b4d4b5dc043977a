// The documentation mirrors the code: every metric, label and configuration key is described.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { parse as parseYamlText } from 'yaml';
import type { z } from 'zod';
import { INVENTORY_ACTIONS } from '../src/collector/inventory.js';
import { describeReads } from '../src/collector/reads/index.js';
import { configSchema, parseDuration } from '../src/config/schema.js';
import { HANDLER_METRICS, INSTANCE_LABELS } from '../src/metrics/definitions.js';
import { allMetricDefs } from '../src/metrics/exposition.js';

const metricsDoc = readFileSync('docs/metrics.md', 'utf8');
const configDoc = readFileSync('docs/configuration.md', 'utf8');
const readme = readFileSync('README.md', 'utf8');
const changelog = readFileSync('CHANGELOG.md', 'utf8');

/** Every key path of the schema, e.g. accounts[].regions[].instances. */
function keyPaths(schema: z.ZodType, prefix = ''): string[] {
  const def = (
    schema as unknown as {
      def: { type: string; innerType?: z.ZodType; in?: z.ZodType; out?: z.ZodType; element?: z.ZodType; shape?: Record<string, z.ZodType> };
    }
  ).def;
  switch (def.type) {
    case 'default':
    case 'optional':
    case 'nullable':
      return keyPaths(def.innerType!, prefix);
    // A preprocess or a transform is one side of a pipe; the keys are on the other.
    case 'pipe':
      return keyPaths((def.out as unknown as { def: { type: string } }).def.type === 'transform' ? def.in! : def.out!, prefix);
    case 'array':
      return keyPaths(def.element!, `${prefix}[]`);
    case 'object':
      return Object.entries(def.shape!).flatMap(([key, inner]) => {
        const path = prefix ? `${prefix}.${key}` : key;
        return [path, ...keyPaths(inner, path)];
      });
    default:
      return [];
  }
}

describe('documentation', () => {
  it('docs/metrics.md lists every metric with its type and labels', () => {
    for (const def of [...allMetricDefs(), ...Object.values(HANDLER_METRICS)]) {
      const row = metricsDoc.split('\n').find((l) => l.startsWith(`| \`${def.name}\` |`));
      assert.ok(row, `${def.name} has no row in docs/metrics.md`);
      const cells = row.split('|').map((c) => c.trim());
      assert.equal(cells[2], def.type, `${def.name} type`);
      const labels = [...(def.perInstance ? INSTANCE_LABELS : []), ...def.labels];
      const documented = [...cells[3]!.matchAll(/`([a-z_]+)`/g)].map((m) => m[1]);
      assert.deepEqual(documented, labels, `${def.name} labels`);
      // labels the configuration names (tag_<key>) are written as their pattern, last
      const patterns = [...cells[3]!.matchAll(/`([a-z_]*<[a-z]+>)`/g)].map((m) => m[1]);
      assert.deepEqual(patterns, 'dynamicLabels' in def && def.dynamicLabels ? [def.dynamicLabels] : [], `${def.name} configured labels`);
      if (patterns.length > 0) assert.ok(cells[3]!.trimEnd().endsWith(`\`${patterns[0]}\``), `${def.name}: the configured labels come after the fixed ones`);
    }
  });

  it('docs/metrics.md names no metric that does not exist', () => {
    const known = new Set<string>(allMetricDefs().map((d) => d.name));
    const rows = [...metricsDoc.matchAll(/^\| `(alicloud_rds_backup_[a-z_]+)` \|/gm)].map((m) => m[1]!);
    assert.deepEqual(
      rows.filter((n) => !known.has(n)),
      [],
    );
  });

  it('docs/configuration.md describes every configuration key', () => {
    const paths = keyPaths(configSchema);
    assert.ok(paths.includes('accounts[].regions[].instances'), `schema walk found ${paths.join(', ')}`);
    for (const path of paths) {
      const key = path.split('.').at(-1)!.replace('[]', '');
      const described =
        configDoc.includes(`| \`${key}\` |`) ||
        configDoc.split('\n').some((l) => l.startsWith('### ') && (l.includes(`\`${path}\``) || l.includes(`\`${path}[]\``)));
      assert.ok(described, `${path} is described neither in a table row nor by a heading of docs/configuration.md`);
      assert.ok(configDoc.includes(`${key}:`), `${path} is missing from the grammar block`);
    }
  });

  it('the README starts with exactly the two commands', () => {
    const firstScreen = readme.split('\n').slice(0, 30).join('\n');
    const commands = [...firstScreen.matchAll(/^```(?:sh|console|bash)?\n([\s\S]*?)^```/gm)].map((m) => m[1]!.trim());
    assert.deepEqual(commands, ['npm ci && npm run demo', 'npm ci && npm test']);
  });

  it('the README gives the minimal RAM policy (the essential reads) and the full one (every action the code can call)', () => {
    const policies = [...readme.matchAll(/"Action": \[([\s\S]*?)\]/g)].map((m) => [...m[1]!.matchAll(/"rds:([A-Za-z]+)"/g)].map((a) => a[1]!).sort());
    assert.equal(policies.length, 2, 'two policies in the README');
    const [minimal, full] = policies as [string[], string[]];
    const reads = describeReads();
    assert.deepEqual(
      minimal,
      [...reads.filter((r) => r.essential).flatMap((r) => r.actions), 'DescribeDBInstances'].sort(),
      'minimal: the essential reads and the instance list',
    );
    const declared = [...new Set([...reads.flatMap((r) => r.actions), ...INVENTORY_ACTIONS])].sort();
    assert.deepEqual(full, declared, 'full: every action the reads and the inventory declare');
    // and every action the client can send: each quoted action name in it
    const client = readFileSync('src/alicloud/rds-client.ts', 'utf8');
    const sent = [...new Set([...client.matchAll(/'((?:Describe|List)[A-Za-z]+)'/g)].map((m) => m[1]!))].sort();
    assert.deepEqual(sent, declared, 'the actions the client sends are those the reads declare');
  });

  it('every RAM policy and action list in the docs (README, docs/, deploy/) is one of the two true ones', () => {
    const reads = describeReads();
    const minimal = [...reads.filter((r) => r.essential).flatMap((r) => r.actions), 'DescribeDBInstances'].sort();
    const full = [...new Set([...reads.flatMap((r) => r.actions), ...INVENTORY_ACTIONS])].sort();
    const optional = reads
      .filter((r) => !r.essential)
      .flatMap((r) => r.actions)
      .sort();
    const files = [
      'README.md',
      ...readdirSync('docs').map((f) => `docs/${f}`),
      ...readdirSync('deploy', { recursive: true, encoding: 'utf8' }).map((f) => `deploy/${f}`),
    ].filter((f) => /\.(md|ya?ml|json)$/.test(f));
    let policies = 0;
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      for (const [, name] of text.matchAll(/rds:([A-Za-z]+)/g)) assert.ok(full.includes(name!), `${file} names rds:${name}, which the exporter never calls`);
      for (const [, actions] of text.matchAll(/"Action": \[([\s\S]*?)\]/g)) {
        const granted = [...actions!.matchAll(/"rds:([A-Za-z]+)"/g)].map((a) => a[1]!).sort();
        assert.ok(
          [minimal, full].some((p) => JSON.stringify(p) === JSON.stringify(granted)),
          `${file}: a policy granting ${granted.join(', ')} is neither the minimal nor the full one`,
        );
        policies++;
      }
    }
    assert.ok(policies >= 2, `${policies} policies found`);
    // docs/security.md lists both policies in words: the minimal one in its parentheses, the full one in all.
    const security = /^## RAM policies\n([\s\S]*?)^## /m.exec(readFileSync('docs/security.md', 'utf8'))?.[1] ?? '';
    const named = (text: string) => [...new Set([...text.matchAll(/`((?:Describe|List)[A-Za-z]+)`/g)].map((m) => m[1]!))].sort();
    const minimalNamed = named(/\*\*minimal\*\* one \(([^)]*)\)/.exec(security)?.[1] ?? '');
    assert.deepEqual(minimalNamed, minimal, 'docs/security.md: the minimal policy');
    const fullNamed = named(/\*\*full\*\* one,([\s\S]*?\))\./.exec(security)?.[1] ?? '');
    assert.deepEqual([...new Set([...minimalNamed, ...fullNamed])].sort(), full, 'docs/security.md: the full policy ("those four" and the rest)');
    // docs/recoverability.md: what the optional reads need.
    const recoverability = /^## RAM\n([\s\S]*?)(?=^## |$(?![\s\S]))/m.exec(readFileSync('docs/recoverability.md', 'utf8'))?.[1] ?? '';
    assert.deepEqual([...recoverability.matchAll(/`rds:([A-Za-z]+)`/g)].map((m) => m[1]!).sort(), optional, 'docs/recoverability.md: the optional reads');
  });

  it("the README's sample configuration shows every poll setting at its real default", () => {
    const block = [...readme.matchAll(/^```yaml\n([\s\S]*?)^```/gm)].map((m) => m[1]!).find((b) => b.startsWith('poll:\n'));
    assert.ok(block, 'a sample that starts with poll:');
    const sample = (parseYamlText(block) as { poll: Record<string, unknown> }).poll;
    const accounts = [{ name: 'a', regions: [{ region: 'cn-hangzhou', instances: ['rm-abc'] }] }];
    const defaults = configSchema.parse({ accounts }).poll as Record<string, unknown>;
    const shown = configSchema.parse({ poll: sample, accounts }).poll as Record<string, unknown>;
    assert.ok(Object.keys(sample).length >= 17, `every poll key shown: ${Object.keys(sample).join(', ')}`);
    for (const key of Object.keys(sample)) assert.equal(shown[key], defaults[key], `poll.${key}: the sample shows ${String(sample[key])}`);
  });

  it("docs/configuration.md's grammar gives every poll default as it is", () => {
    const accounts = [{ name: 'a', regions: [{ region: 'cn-hangzhou', instances: ['rm-abc'] }] }];
    const defaults = configSchema.parse({ accounts }).poll as Record<string, unknown>;
    const poll = /^poll:.*\n((?: {2}.*\n)+)/m.exec(configDoc)?.[1] ?? '';
    const stated = [...poll.matchAll(/^ {2}([a-z_]+): <[^\n]*?# default ("[^"]*"|[0-9.]+[a-z]*)(?=;|$)/gm)];
    assert.ok(stated.length >= 16, `${stated.length} poll defaults stated`);
    for (const [, key, text] of stated) {
      const value = text!.startsWith('"') ? text!.slice(1, -1) : /^[0-9.]+$/.test(text!) ? Number(text) : parseDuration(text!);
      assert.equal(value, defaults[key!], `poll.${key}: the grammar says ${text}`);
    }
  });

  it('config/exporter.yml gives poll.concurrency the scope docs/configuration.md gives it', () => {
    const comment = /^ {2}concurrency: \d+ +# (.*)$/m.exec(readFileSync('config/exporter.yml', 'utf8'))?.[1];
    const row = configDoc
      .split('\n')
      .find((l) => l.startsWith('| `concurrency` |'))
      ?.split('|')[4]
      ?.trim();
    assert.ok(comment && row, `comment: ${comment}; docs row: ${row}`);
    const scope = (text: string) => /at once, ([a-z ]+)/.exec(text)?.[1]?.trim();
    assert.equal(scope(comment), scope(row), 'the example and the reference name the same scope');
    assert.equal(scope(row), 'per account and region', 'the reference states the scope');
  });

  it('CHANGELOG.md has an Unreleased section', () => {
    assert.match(changelog, /^## Unreleased$/m, '## Unreleased');
  });
});
