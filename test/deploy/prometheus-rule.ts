// Renders deploy/kubernetes/prometheusrule.yaml from the shipped prometheus/rules.yml and
// prometheus/alerts.yml: their groups, in that order, node for node (comments kept), inside a
// prometheus-operator PrometheusRule. test/deploy/kubernetes.test.ts checks the file is this
// output. After changing the rules:
//   npx tsx test/deploy/prometheus-rule.ts > deploy/kubernetes/prometheusrule.yaml
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Document, isSeq, parseDocument, type YAMLSeq } from 'yaml';

export const RULE_FILES = ['prometheus/rules.yml', 'prometheus/alerts.yml'] as const;

export function renderPrometheusRule(read: (path: string) => string = (p) => readFileSync(p, 'utf8')): string {
  const doc = new Document({
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: { name: 'alicloud-rds-backup-exporter', labels: { 'app.kubernetes.io/name': 'alicloud-rds-backup-exporter' } },
    spec: { groups: [] },
  });
  const groups = doc.getIn(['spec', 'groups'], true) as YAMLSeq;
  for (const file of RULE_FILES) {
    const source = parseDocument(read(file));
    if (source.errors.length > 0) throw new Error(`${file}: ${source.errors[0]?.message}`);
    const fileGroups = source.get('groups', true);
    if (!isSeq(fileGroups)) throw new Error(`${file}: no groups list`);
    groups.items.push(...fileGroups.items);
  }
  doc.commentBefore = [
    ' Generated from prometheus/rules.yml and prometheus/alerts.yml (the recording rules, then the',
    ' alerts) by test/deploy/prometheus-rule.ts; do not edit by hand. A test fails when they differ:',
    '   npx tsx test/deploy/prometheus-rule.ts > deploy/kubernetes/prometheusrule.yaml',
    ' Your Prometheus resource\'s ruleSelector must match these labels (kube-prometheus-stack: add',
    ' `release: <its release name>`, or set ruleSelectorNilUsesHelmValues: false).',
  ].join('\n');
  return doc.toString({ lineWidth: 0 });
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) process.stdout.write(renderPrometheusRule());
