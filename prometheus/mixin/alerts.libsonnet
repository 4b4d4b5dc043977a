// The alerts. Every per-instance alert is "held": it fires anew only while the instance's state
// is known (its last poll read it), and while the state is unknown (the instance, its region or
// its account cannot be read, or its exporter is away longer than holdWindow) it keeps firing if
// it fired, and stays quiet if it did not, for at most holdMax. An instance that a serving
// exporter no longer serves (deleted, removed from the configuration) is not unknown: its alerts
// resolve at once. The late-alerts apply only to instances expected to
// back up now (the expected:bool rule).
local I = 'account, region, instance_id';
local P = 'account_region_instance_id:alicloud_rds_backup_';
local where = '{{ $labels.instance_id }} ({{ $labels.account }}/{{ $labels.region }})';
local instance = 'RDS instance {{ $labels.instance_id }} in account {{ $labels.account }}, region {{ $labels.region }}';

{
  local c = $._config { I: I, P: P },

  // The reads that say whether backups happen (poll_success is built from them).
  local essentialReads = 'tasks|backups|policy',

  local firingOf(name, by) = 'max by (%s) (ALERTS{alertname="%s",alertstate="firing"})' % [by, name],

  // cond: the alert's condition, labelled by `by`; value: what $value shows while held (the
  // condition's measure without its threshold); known: the rule that says the state is known.
  local held(name, cond, by=I, value=null, known=P + 'known:present') =
    local f = firingOf(name, by);
    |||
      (
      %(cond)s)
      and on (%(I)s) %(known)s
      or on (%(by)s)
      (
        %(heldValue)s
        unless on (%(I)s) %(known)s
        unless on (%(I)s) (%(firing)s and on (account, region) account_region:alicloud_rds_backup_served:present unless on (%(I)s) %(P)swatched:present)
        and on (%(I)s) %(P)sseen:present
      )
    ||| % { cond: std.join('\n', ['  ' + l for l in std.split(std.rstripChars(cond, '\n'), '\n')]) + '\n', I: I, P: P, known: known, by: by, firing: f,
            heldValue: if value == null then f else '(%s or on (%s) %s) and on (%s) %s' % [value, by, f, by, f] },

  local expected = 'and on (%(I)s) %(P)sexpected:bool == 1' % c,

  local alert(name, severity, expr, summary, description, forDuration=null, keepFiringFor=null) = {
    alert: name,
    expr: expr,
    [if forDuration != null then 'for']: forDuration,
    [if keepFiringFor != null then 'keep_firing_for']: keepFiringFor,
    labels: { severity: severity },
    annotations: {
      summary: summary,
      description: description,
      runbook_url: c.runbookURLPattern % std.asciiLower(name),
    },
  },

  local failedState = |||
    %(P)slast_failure_timestamp_seconds:max
      > on (%(I)s)
      (
          %(P)slast_success_timestamp_seconds:max
        or on (%(I)s)
          0 * %(P)slast_failure_timestamp_seconds:max
      )
  ||| % c,

  // A failure of that job_mode counted within failureClassifyWindow (a counter series born with
  // the failure counts too).
  local failedJobs(mode) = |||
    (
        sum by (%(I)s) (increase(alicloud_rds_backup_task_failures_total{%(selector)s,job_mode%(mode)s}[%(failureClassifyWindow)s])) > 0
      or on (%(I)s)
        group by (%(I)s) (
          alicloud_rds_backup_task_failures_total{%(selector)s,job_mode%(mode)s} > 0
          unless alicloud_rds_backup_task_failures_total{%(selector)s,job_mode%(mode)s} offset %(failureClassifyWindow)s
        )
    )
  ||| % c { mode: mode },

  // The standing failure is of a manual backup only: a manual job failed, no scheduled one did
  // (or it was already classified so), and it is not already paged as scheduled.
  local manualOnly = |||
    (
        %(manual)s
      or on (%(I)s)
        %(firingManual)s
    )
    unless on (%(I)s) %(scheduled)s
    unless on (%(I)s) %(firingFailed)s
  ||| % c {
    manual: failedJobs('="Manual"'),
    scheduled: failedJobs('!="Manual"'),
    firingManual: firingOf('AlicloudRdsBackupFailedManual', I),
    firingFailed: firingOf('AlicloudRdsBackupFailed', I),
  },

  prometheusAlerts+:: {
    groups+: [{
      name: 'alicloud-rds-backup.alerts',
      rules: [
        // --- The exporter, accounts, regions -------------------------------------------------
        alert('AlicloudRdsBackupExporterDown', 'critical',
              'up{%(selector)s} == 0 or absent(up{%(selector)s})' % c,
              'alicloud-rds-backup-exporter is down{{ with $labels.instance }} ({{ . }}){{ end }}',
              'Prometheus cannot scrape the RDS backup exporter ({{ with $labels.instance }}target {{ . }}{{ else }}no target of the job is up or none is configured{{ end }}{{ with $labels.job }}, job {{ . }}{{ end }}): no backup of any instance is watched. Every other alert of the exporter holds its state meanwhile.',
              c['for'].exporterDown),

        alert('AlicloudRdsBackupConfigReloadFailed', 'warning',
              'alicloud_rds_backup_config_last_reload_successful{%(selector)s} == 0' % c,
              'alicloud-rds-backup-exporter configuration reload failed ({{ $labels.instance }})',
              'The last configuration reload of the exporter at {{ $labels.instance }} failed; it still runs the previous configuration, so the changes made are not in effect.',
              c['for'].configReloadFailed, c.keepFiringFor),

        // A state file that cannot be written: a restart now would restore an older file, and the
        // counters served since would go back (a reset to Prometheus). Absent without a state_file
        // and before the first write, so a restart or a fleet without one never fires it.
        alert('AlicloudRdsBackupStateFileNotWritten', 'warning',
              'alicloud_rds_backup_state_file_last_write_success{%(selector)s} == 0' % c,
              'alicloud-rds-backup-exporter cannot write its state file ({{ $labels.instance }})',
              'The exporter at {{ $labels.instance }} has failed to write its state file at every cycle for ' + c['for'].stateFileNotWritten + ': it keeps counting, but a restart now would restore an older file (or none), and the failure counters served since would go back.',
              c['for'].stateFileNotWritten, c.keepFiringFor),

        // Credentials, signature, clock: one alert per account and code. A refused RAM permission
        // is here only for the reads that say whether backups happen (tasks, backups, policy).
        alert('AlicloudRdsBackupApiAuthFailing', 'critical',
              |||
                sum by (account, code) (
                  increase(alicloud_rds_backup_api_requests_total{%(selector)s,code=~"InvalidAccessKeyId.*|InvalidAccessKeySecret.*|SignatureDoesNotMatch.*|InvalidSecurityToken.*|InvalidTimeStamp.*|CredentialsUnavailable"}[15m])
                ) > 0
                or
                count by (account, code) (
                    alicloud_rds_backup_read_error_info{%(selector)s,kind=~"auth|credentials"}
                  or
                    alicloud_rds_backup_read_error_info{%(selector)s,kind="permission",read=~"%(essential)s"}
                )
              ||| % c { essential: essentialReads },
              'RDS API calls of account {{ $labels.account }} rejected: {{ $labels.code }}',
              'Calls of account {{ $labels.account }} fail with {{ $labels.code }} ({{ $value | humanize }} in the last 15 min, or reads failing): its credentials are wrong, revoked or expired, the clock is off, or the RAM policy lacks a permission that backups need. Backups of its instances are not watched; their alerts hold their state.',
              c['for'].apiAuthFailing, c.keepFiringFor),

        // An optional read (restore window, log files, cross-region, storage) refused by RAM:
        // one warning per account and action; the other reads go on.
        alert('AlicloudRdsBackupReadForbidden', 'warning',
              'count by (account, action) (alicloud_rds_backup_read_error_info{%(selector)s,kind="permission",read!~"%(essential)s"}) > 0' % c { essential: essentialReads },
              'RDS API action {{ $labels.action }} refused for account {{ $labels.account }}',
              'The RAM policy of account {{ $labels.account }} does not allow {{ $labels.action }}: {{ $value }} instance(s) go without that read (and the alerts built on it), everything else is watched. Grant the action, or turn the read off in the configuration.',
              c['for'].readForbidden, c.keepFiringFor),

        alert('AlicloudRdsBackupRegionUnreadable', 'critical',
              |||
                account_region:alicloud_rds_backup_poll_failing:ratio > %(regionUnreadableRatio)s
                and on (account, region)
                  account_region:alicloud_rds_backup_instances:count >= %(regionMinInstances)s
              ||| % c,
              'RDS backups of region {{ $labels.region }} ({{ $labels.account }}) cannot be read',
              'The exporter cannot read {{ $value | humanizePercentage }} of the instances of account {{ $labels.account }}, region {{ $labels.region }}: the region\'s API is failing or unreachable. Their late-alerts hold their state until it answers again.',
              c['for'].regionUnreadable, c.keepFiringFor),

        alert('AlicloudRdsBackupDiscoveryFailing', 'warning',
              'max by (account, region) (alicloud_rds_backup_discovery_success{%(selector)s}) == 0' % c,
              'RDS instance listing failing in {{ $labels.account }}/{{ $labels.region }}',
              'The instance inventory of account {{ $labels.account }}, region {{ $labels.region }} (DescribeDBInstances, and ListTagResources with discovery tags) has failed for ' + c['for'].discoveryFailing + ': instances created, deleted or retagged there are not seen, and the previous list is still watched.',
              c['for'].discoveryFailing, c.keepFiringFor),

        alert('AlicloudRdsBackupApiThrottled', 'warning',
              'account_region:alicloud_rds_backup_api_requests_throttled:ratio_rate5m > %(throttledRatio)s' % c,
              'RDS API throttling in {{ $labels.account }}/{{ $labels.region }}',
              '{{ $value | humanizePercentage }} of the RDS API calls of account {{ $labels.account }}, region {{ $labels.region }} are throttled: polls fall behind and backups may be seen late.',
              c['for'].apiThrottled, c.keepFiringFor),

        // --- The instance cannot be read ---------------------------------------------------
        alert('AlicloudRdsBackupPollFailing', 'warning',
              held('AlicloudRdsBackupPollFailing', |||
                max by (%(I)s) (last_over_time(alicloud_rds_backup_poll_success{%(selector)s}[%(holdWindow)s])) == 0
                unless on (%(I)s) alicloud_rds_backup_read_error_info{%(selector)s,kind="not_found",read=~"%(essential)s"}
              ||| % c { essential: essentialReads }, known=P + 'watched:present'),
              'Cannot poll RDS backups of ' + where,
              'The exporter cannot read the backups of ' + instance + ' (poll_success is {{ $value }}): failures, overdue and stuck backups of it go unseen, and its late-alerts hold their state. The failing reads and codes are in alicloud_rds_backup_read_error_info and on the exporter\'s /status page.',
              c['for'].pollFailing),

        alert('AlicloudRdsBackupInstanceGone', 'warning',
              held('AlicloudRdsBackupInstanceGone',
                   'count by (%(I)s) (alicloud_rds_backup_read_error_info{%(selector)s,kind="not_found",read=~"%(essential)s"}) > 0' % c { essential: essentialReads },
                   known=P + 'watched:present'),
              'RDS instance ' + where + ' is gone: remove it from the configuration',
              'The RDS API says ' + instance + ' does not exist ({{ $value }} read(s) answer NotFound): it was released or its id is wrong. It is gone — remove it from the configuration; nothing else is alerted for it.',
              c['for'].instanceGone),

        alert('AlicloudRdsBackupInstanceInactive', 'info',
              held('AlicloudRdsBackupInstanceInactive',
                   'max by (%(I)s, status, lock_mode) (alicloud_rds_backup_instance_info{%(selector)s,instance_type="Primary",status!~"Running|Creating|"} or alicloud_rds_backup_instance_info{%(selector)s,instance_type="Primary",lock_mode!~"Unlock|"})' % c,
                   by=I + ', status, lock_mode', known=P + 'watched:present'),
              'RDS instance ' + where + ' does not back up: {{ $labels.status }}, {{ $labels.lock_mode }}',
              instance + ' is {{ $labels.status }} with lock mode {{ $labels.lock_mode }}: it takes no backups in that state, so no alert says it is late. Start or unlock it (renew it, free disk space), or release it.',
              c['for'].instanceInactive),

        // --- Backups failed or late ----------------------------------------------------------
        alert('AlicloudRdsBackupFailed', 'critical',
              held('AlicloudRdsBackupFailed', '%s  unless on (%s) (\n%s)\n' % [failedState, I, manualOnly],
                   value=P + 'last_failure_timestamp_seconds:max'),
              'RDS backup failed on ' + where,
              'A backup of ' + instance + ' failed; the failure ended {{ $value | humanizeTimestamp }} and no backup has succeeded since. The alert stays until one does.'),

        alert('AlicloudRdsBackupFailedManual', 'warning',
              held('AlicloudRdsBackupFailedManual', '%s  and on (%s) (\n%s)\n' % [failedState, I, manualOnly],
                   value=P + 'last_failure_timestamp_seconds:max'),
              'Manual RDS backup failed on ' + where,
              'A manual backup of ' + instance + ' failed; the failure ended {{ $value | humanizeTimestamp }}. Its scheduled backups are not failing: the next successful backup resolves this.'),

        alert('AlicloudRdsBackupOverdue', 'critical',
              held('AlicloudRdsBackupOverdue', |||
                %(P)sfull_backup_lateness_seconds > %(graceSeconds)s
                %(expected)s
                unless on (%(I)s)
                (
                    %(P)sfull_backup_lateness_seconds < %(graceSeconds)s + %(runningTaskWaitSeconds)s
                  and on (%(I)s)
                    %(P)stasks_running:sum > 0
                )
                unless on (%(I)s) %(firingFailed)s
              ||| % c { expected: expected, firingFailed: firingOf('AlicloudRdsBackupFailed', I) },
                   value=P + 'full_backup_lateness_seconds'),
              'RDS backup overdue on ' + where,
              instance + ' has had no successful full backup for {{ $value | humanizeDuration }} longer than its backup policy\'s longest gap between backups.',
              c['for'].overdue),

        alert('AlicloudRdsBackupStuck', 'warning',
              held('AlicloudRdsBackupStuck', |||
                max by (%(I)s, backup_job_id) (
                    alicloud_rds_backup_task_progress_ratio{%(selector)s} < 1
                  and
                    changes(alicloud_rds_backup_task_progress_ratio{%(selector)s}[%(stuckWindow)s]) == 0
                  and
                    alicloud_rds_backup_task_progress_ratio{%(selector)s} offset %(stuckWindow)s
                )
              ||| % c, by=I + ', backup_job_id'),
              'RDS backup task stuck on ' + where,
              'Backup job {{ $labels.backup_job_id }} of ' + instance + ' has stayed at {{ $value | humanizePercentage }} for an hour.',
              c['for'].stuck),

        alert('AlicloudRdsBackupNoUsableBackup', 'critical',
              held('AlicloudRdsBackupNoUsableBackup',
                   'max by (%(I)s) (last_over_time(alicloud_rds_backup_usable_sets{%(selector)s}[%(holdWindow)s])) == 0\n%(expected)s\n' % c { expected: expected }),
              'No usable RDS backup of ' + where,
              instance + ' has {{ $value }} usable backup sets within its retention period: if it were lost now it could not be restored.',
              c['for'].noUsableBackup),

        alert('AlicloudRdsBackupSizeDrop', 'warning',
              held('AlicloudRdsBackupSizeDrop', |||
                %(P)slast_full_size_bytes:max
                  < on (%(I)s)
                %(sizeDropRatio)s * %(P)slast_full_size_bytes:max_over_time
                %(expected)s
              ||| % c { expected: expected }, value=P + 'last_full_size_bytes:max'),
              'RDS full backup shrank on ' + where,
              'The newest full backup of ' + instance + ' is {{ $value | humanize1024 }}B, less than %(pct)s %% of the largest full backup of the last %(sizeDropWindow)s: check that it is complete and that no data was lost.' % c { pct: c.sizeDropRatio * 100 }),

        // --- Recoverability ------------------------------------------------------------------
        alert('AlicloudRdsBackupRestoreWindowLagging', 'critical',
              held('AlicloudRdsBackupRestoreWindowLagging', |||
                %(P)srestore_window_lag_seconds
                  > on (%(I)s)
                %(P)srestore_window_allowed_lag_seconds
                and on (%(I)s)
                  max by (%(I)s) (last_over_time(alicloud_rds_backup_policy_log_backup_enabled{%(selector)s}[%(holdWindow)s])) == 1
                %(expected)s
              ||| % c { expected: expected }, value=P + 'restore_window_lag_seconds'),
              'RDS restore window lagging on ' + where,
              instance + ' has log backup on, but can only be restored to {{ $value | humanizeDuration }} ago, longer than its own log backups allow: log backups have stopped, and what was written since would be lost with the instance.',
              c['for'].restoreWindowLagging),

        alert('AlicloudRdsBackupLogChainGap', 'warning',
              held('AlicloudRdsBackupLogChainGap',
                   'max by (%(I)s, host_instance_id) (alicloud_rds_backup_log_chain_gaps{%(selector)s}) > 0\n%(expected)s\n' % c { expected: expected },
                   by=I + ', host_instance_id'),
              'RDS log backup chain broken on ' + where,
              'The log backups of ' + instance + ' (host {{ $labels.host_instance_id }}) have {{ $value }} gap(s) inside the log retention period: no point-in-time restore can cross a gap.',
              c['for'].logChainGap),

        alert('AlicloudRdsBackupCrossRegionStale', 'warning',
              held('AlicloudRdsBackupCrossRegionStale', |||
                (time() - max by (%(I)s) (alicloud_rds_backup_cross_region_last_success_timestamp_seconds{%(selector)s}))
                  > on (%(I)s)
                (%(P)spolicy_expected_interval_seconds:max + %(crossRegionAllowanceSeconds)s)
                and on (%(I)s)
                  max by (%(I)s) (alicloud_rds_backup_cross_region_enabled{%(selector)s}) == 1
                %(expected)s
              ||| % c { expected: expected }),
              'RDS cross-region backup stale on ' + where,
              'Cross-region backup of ' + instance + ' is on, but its newest successful copy is {{ $value | humanizeDuration }} old, more than its backup schedule allows: a regional outage would lose more than planned.',
              c['for'].crossRegionStale),

        alert('AlicloudRdsBackupCrossRegionNeverSucceeded', 'warning',
              held('AlicloudRdsBackupCrossRegionNeverSucceeded', |||
                max by (%(I)s) (alicloud_rds_backup_cross_region_enabled{%(selector)s}) == 1
                unless on (%(I)s) alicloud_rds_backup_cross_region_last_success_timestamp_seconds{%(selector)s}
                %(expected)s
              ||| % c { expected: expected }),
              'RDS cross-region backup of ' + where + ' has never succeeded',
              'Cross-region backup of ' + instance + ' is on, but no copy in the other region has succeeded in %(for)s (cross_region_enabled is {{ $value }}): a regional outage would leave nothing to restore.' % { 'for': c['for'].crossRegionNeverSucceeded },
              c['for'].crossRegionNeverSucceeded),

        // --- Cost and policy -----------------------------------------------------------------
        alert('AlicloudRdsBackupStorageOverFreeQuota', 'warning',
              held('AlicloudRdsBackupStorageOverFreeQuota',
                   'max by (%(I)s) (alicloud_rds_backup_storage_over_free_quota_bytes{%(selector)s}) > 0' % c),
              'RDS backup storage over the free quota on ' + where,
              'The backups of ' + instance + ' use {{ $value | humanize1024 }}B beyond the free quota, billed every hour.',
              c['for'].storageOverFreeQuota),

        alert('AlicloudRdsBackupReleasePolicyNone', 'info',
              held('AlicloudRdsBackupReleasePolicyNone',
                   'max by (%(I)s) (alicloud_rds_backup_policy_info{%(selector)s,released_keep_policy="None"}) == 1' % c),
              'RDS backups of {{ $labels.instance_id }} go with the instance ({{ $labels.account }}/{{ $labels.region }})',
              'The backup policy of ' + instance + ' keeps no backup when the instance is released (ReleasedKeepPolicy None; policy_info is {{ $value }}): releasing it by mistake, or a compromised account, leaves nothing to restore.',
              c['for'].releasePolicyNone),
      ],
    }],
  },
}
