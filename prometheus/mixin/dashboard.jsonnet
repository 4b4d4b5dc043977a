// jsonnet -o grafana/alicloud-rds-backup.json prometheus/mixin/dashboard.jsonnet (npm run mixin):
// the dashboard with the thresholds of _config.
(import 'mixin.libsonnet').grafanaDashboards['alicloud-rds-backup.json']
