// The monitoring mixin of alicloud-rds-backup-exporter, laid out as the community mixins are:
// _config (every threshold), prometheusRules, prometheusAlerts, grafanaDashboards, plus the
// Alertmanager routing. build.jsonnet writes the checked-in files from it (npm run mixin).
(import 'config.libsonnet')
+ (import 'rules.libsonnet')
+ (import 'alerts.libsonnet')
+ (import 'dashboards.libsonnet')
+ (import 'alertmanager.libsonnet')
