// The Grafana dashboard: dashboards/alicloud-rds-backup.json with the alert thresholds its
// queries show (written %(name)s there) taken from _config.
{
  local fill(expr) = if std.length(std.findSubstr('%(', expr)) > 0 then expr % $._config else expr,
  local source = import 'dashboards/alicloud-rds-backup.json',

  grafanaDashboards+:: {
    'alicloud-rds-backup.json': source {
      panels: [
        p + (if std.objectHas(p, 'targets') then { targets: [t + (if std.objectHas(t, 'expr') then { expr: fill(t.expr) } else {}) for t in p.targets] } else {})
        for p in source.panels
      ],
    },
  },
}
