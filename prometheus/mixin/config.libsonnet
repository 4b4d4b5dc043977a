// Every threshold of the shipped alerts, in one place. Override any of them in your own jsonnet:
//   (import 'prometheus/mixin/mixin.libsonnet') + { _config+:: { graceSeconds: 7200 } }
// docs/alerts.md gives the reason for each default.
{
  _config+:: {
    // The Prometheus job that scrapes the exporter (the README's scrape config and the
    // ServiceMonitor of deploy/kubernetes both name it so).
    selector: 'job="alicloud-rds-backup"',

    // Where runbook links point: the exporter's own GET /runbook, one anchor per alert. Set
    // exporterExternalURL to the address the on-call's browser reaches the exporter at (its
    // --web.external-url when it sits behind a proxy). runbookURLPattern takes the anchor (%s).
    exporterExternalURL: 'http://localhost:9877',
    runbookURLPattern: self.exporterExternalURL + '/runbook#%s',

    // How long the last values of an instance count when its series are gone (an exporter restart,
    // a missed scrape); a longer gap makes the instance's state unknown, and its alerts hold.
    holdWindow: '10m',
    // The longest an alert holds its state while its instance is out of sight (its exporter down,
    // its region or account unreadable): after that it resolves.
    holdMax: '1d',
    // keep_firing_for of the account- and region-level alerts: a restart neither resolves nor
    // re-sends them.
    keepFiringFor: '10m',

    // A backup is late once its age passes the policy's longest gap between backups plus this.
    graceSeconds: 3600,
    // While a backup task runs, Overdue waits at most this much past the grace.
    runningTaskWaitSeconds: 43200,
    // A task whose progress has not moved for this window (twice: stuck, then for) is stuck.
    stuckWindow: '45m',
    // SizeDrop: the newest full backup is smaller than this share of the largest full backup
    // served within sizeDropWindow (cover the longest schedule: a week, plus a day).
    sizeDropRatio: 0.5,
    sizeDropWindow: '8d',
    // Restore window: the allowed lag is the instance's own log backup interval plus this
    // allowance (the restore window and log files are read hourly by default).
    logLagAllowanceSeconds: 7200,
    // Engines whose log backups run with the data backups by default (SQL Server's
    // LogBackupFrequency "same as data backup"): their log interval is the data backup interval.
    logWithDataBackupEngines: 'SQLServer',
    // Other engines (MySQL binlogs, PostgreSQL WAL): the longest time between two log files of a
    // quiet instance (RDS MySQL rotates its binlog at least every 4 h).
    logRotationMaxSeconds: 14400,
    // Cross-region copies run after the backup; their allowance past the backup interval.
    crossRegionAllowanceSeconds: 21600,
    // Failures: a failed job counts as manual or scheduled by the job_mode of the failure
    // counted within this window.
    failureClassifyWindow: '1h',
    // Region-level: more than this share of a region's instances unreadable (at least
    // regionMinInstances of them) is one alert for the region.
    regionUnreadableRatio: 0.5,
    regionMinInstances: 3,
    // ApiThrottled: share of throttled calls.
    throttledRatio: 0.5,

    // Which instances are expected to back up now (AlicloudRdsBackup*: the late-alerts apply to
    // them only): primary, running, not locked, past their first scheduled window. Add a PromQL
    // vector by (account, region, instance_id) of instances to leave out, e.g.
    //   'alicloud_rds_backup_instance_info{description=~".*-scratch"}'
    notExpected: '',

    'for': {
      overdue: '10m',
      stuck: '15m',
      pollFailing: '15m',
      instanceGone: '15m',
      regionUnreadable: '15m',
      discoveryFailing: '30m',
      apiThrottled: '15m',
      apiAuthFailing: '5m',
      readForbidden: '15m',
      exporterDown: '5m',
      configReloadFailed: '5m',
      stateFileNotWritten: '15m',
      restoreWindowLagging: '30m',
      logChainGap: '5m',
      crossRegionStale: '30m',
      crossRegionNeverSucceeded: '30h',
      noUsableBackup: '30m',
      storageOverFreeQuota: '1h',
      releasePolicyNone: '1h',
      instanceInactive: '1h',
    },

    // Dashboard only: an inventory refresh older than this shows red (AlicloudRdsBackupDiscoveryFailing's for).
    dashboardDiscoveryStaleSeconds: 1800,

    // Alertmanager (prometheus/alertmanager.yml).
    alertmanager: {
      groupBy: ['alertname', 'account', 'region'],
      groupWait: '30s',
      groupInterval: '5m',
      repeatInterval: '12h',
    },
  },
}
