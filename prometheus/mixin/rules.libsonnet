// Recording rules, named level:metric:operations. Every per-instance rule aggregates by
// (account, region, instance_id), so that two jobs or two replicas never make a join
// many-to-many. None reads its own previous value.
local I = 'account, region, instance_id';
local P = 'account_region_instance_id:alicloud_rds_backup_';

{
  prometheusRules+:: {
    local c = $._config { I: I, P: P },
    local lastOf(metric, filter='') =
      'max by (%(I)s) (last_over_time(%(metric)s{%(selector)s%(filter)s}[%(holdWindow)s]))\nand on (%(I)s) %(P)swatched:present\n'
      % c { metric: metric, filter: filter },
    local rec(record, expr) = { record: record, expr: expr },

    groups+: [{
      name: 'alicloud-rds-backup.rules',
      rules: [
        // 1 for every instance the exporter serves. While its exporter serves no instance at all
        // (down, restarting, first poll cycle) an instance stays for holdWindow with its last
        // values; one the running exporter stops serving is dropped at once.
        rec(P + 'watched:present', |||
          group by (%(I)s) (
              alicloud_rds_backup_poll_success{%(selector)s}
            or
              (
                last_over_time(alicloud_rds_backup_poll_success{%(selector)s}[%(holdWindow)s])
                unless on (job, instance)
                  group by (job, instance) (alicloud_rds_backup_poll_success{%(selector)s})
              )
          )
        ||| % c),

        // Watched at some time within holdMax (10-minute samples of the rule above): how
        // long an alert of an instance that has vanished from sight holds its state.
        rec(P + 'seen:present', 'group by (%(I)s) (max_over_time(%(P)swatched:present[%(holdMax)s:10m]))' % c),

        // The instance's state is known: its last poll (within holdWindow) read the tasks, backups
        // and policy. Absent while it cannot be read, or its exporter is away longer: its
        // late-alerts then hold their state.
        rec(P + 'known:present', |||
          group by (%(I)s) (max by (%(I)s) (last_over_time(alicloud_rds_backup_poll_success{%(selector)s}[%(holdWindow)s])) == 1)
          and on (%(I)s) %(P)swatched:present
        ||| % c),

        // --- Backup freshness: last values of the past holdWindow, for watched instances -----
        rec(P + 'last_full_success_timestamp_seconds:max', lastOf('alicloud_rds_backup_last_success_timestamp_seconds', ',backup_type="FullBackup"')),
        rec(P + 'last_success_timestamp_seconds:max', lastOf('alicloud_rds_backup_last_success_timestamp_seconds')),
        rec(P + 'last_failure_timestamp_seconds:max', lastOf('alicloud_rds_backup_last_failure_timestamp_seconds')),
        rec(P + 'policy_expected_interval_seconds:max', lastOf('alicloud_rds_backup_policy_expected_interval_seconds')),
        rec(P + 'created_timestamp_seconds:max', lastOf('alicloud_rds_backup_instance_created_timestamp_seconds')),
        // Expected to back up now: 1 for a primary, running, unlocked instance past its first
        // scheduled window (created longer ago than its policy's interval plus the grace); 0 for
        // every other watched instance. Override: _config.notExpected, or replace this rule.
        rec(P + 'expected:bool', |||
          (
            group by (%(I)s) (last_over_time(alicloud_rds_backup_instance_info{%(selector)s,instance_type="Primary",status="Running",lock_mode="Unlock"}[%(holdWindow)s]))
            and on (%(I)s)
            (
                time() - %(P)screated_timestamp_seconds:max
              > on (%(I)s)
                %(P)spolicy_expected_interval_seconds:max + %(graceSeconds)s
            )
            %(notExpectedClause)s
          )
          or on (%(I)s)
            0 * group by (%(I)s) (last_over_time(alicloud_rds_backup_instance_info{%(selector)s}[%(holdWindow)s]))
          and on (%(I)s) %(P)swatched:present
        ||| % c { notExpectedClause: if c.notExpected == '' then '' else 'unless on (%s) (%s)' % [I, c.notExpected] }),

        // 1 once the exporter has read the instance's backup sets.
        rec(P + 'sets_read:present', |||
          group by (%(I)s) (last_over_time(alicloud_rds_backup_usable_sets{%(selector)s}[%(holdWindow)s]) or last_over_time(alicloud_rds_backup_sets_total{%(selector)s}[%(holdWindow)s]))
          and on (%(I)s) %(P)swatched:present
        ||| % c),

        // Age of the newest successful full backup, and that age against the schedule.
        rec(P + 'full_backup_age_seconds', 'time() - %(P)slast_full_success_timestamp_seconds:max' % c),
        rec(P + 'full_backup_age:ratio', |||
          %(P)sfull_backup_age_seconds
            / on (%(I)s)
          %(P)spolicy_expected_interval_seconds:max
        ||| % c),

        // How far past its interval the instance is without a successful full backup (negative:
        // on schedule). With none known although the sets were read, counted from its creation.
        rec(P + 'full_backup_lateness_seconds', |||
          (
              %(P)sfull_backup_age_seconds
            or on (%(I)s)
              (
                time() - %(P)screated_timestamp_seconds:max
                unless on (%(I)s) %(P)slast_full_success_timestamp_seconds:max
                and on (%(I)s) %(P)ssets_read:present
              )
          )
          - on (%(I)s)
          %(P)spolicy_expected_interval_seconds:max
        ||| % c),

        // --- Backup size -------------------------------------------------------------------
        rec(P + 'last_full_size_bytes:max', lastOf('alicloud_rds_backup_last_size_bytes', ',backup_type="FullBackup"')),
        // The largest full backup served within sizeDropWindow (hourly samples of the rule above).
        rec(P + 'last_full_size_bytes:max_over_time', |||
          max_over_time(%(P)slast_full_size_bytes:max[%(sizeDropWindow)s:1h])
          and on (%(I)s) %(P)slast_full_size_bytes:max
        ||| % c),

        // --- Restore window ----------------------------------------------------------------
        rec(P + 'restore_window_lag_seconds', 'time() - (\n%s)' % lastOf('alicloud_rds_backup_restore_window_end_timestamp_seconds')),
        // The lag the instance's own log backups allow: its data backup interval for engines whose
        // log backups run with the data backups (SQL Server), the longest binlog/WAL rotation
        // otherwise; plus the allowance.
        rec(P + 'restore_window_allowed_lag_seconds', |||
          (
              (
                %(P)spolicy_expected_interval_seconds:max
                and on (%(I)s) group by (%(I)s) (alicloud_rds_backup_instance_info{%(selector)s,engine=~"%(logWithDataBackupEngines)s"})
              )
            or on (%(I)s)
              (0 * %(P)srestore_window_lag_seconds + %(logRotationMaxSeconds)s)
          )
          + %(logLagAllowanceSeconds)s
        ||| % c),

        // --- Backup jobs -------------------------------------------------------------------
        rec(P + 'task_failures:increase1h', 'sum by (%(I)s) (increase(alicloud_rds_backup_task_failures_total{%(selector)s}[1h]))' % c),
        rec(P + 'tasks_running:sum', 'sum by (%(I)s) (alicloud_rds_backup_tasks{%(selector)s,status=~"Checking|Preparing|Waiting|Uploading"})' % c),

        // --- Region health -----------------------------------------------------------------
        // The account/regions an exporter serves now: an instance of one of them that is not
        // watched was removed, not lost from sight.
        rec('account_region:alicloud_rds_backup_served:present', 'group by (account, region) (alicloud_rds_backup_poll_success{%(selector)s})' % c),
        rec('account_region:alicloud_rds_backup_instances:count', 'count by (account, region) (max by (%(I)s) (alicloud_rds_backup_poll_success{%(selector)s}))' % c),
        rec('account_region:alicloud_rds_backup_poll_failing:ratio', '1 - avg by (account, region) (max by (%(I)s) (alicloud_rds_backup_poll_success{%(selector)s}))' % c),

        // --- API ---------------------------------------------------------------------------
        rec('account_region_action_code:alicloud_rds_backup_api_requests:rate5m', 'sum by (account, region, action, code) (rate(alicloud_rds_backup_api_requests_total{%(selector)s}[5m]))' % c),
        rec('account_region:alicloud_rds_backup_api_requests:rate5m', 'sum by (account, region) (account_region_action_code:alicloud_rds_backup_api_requests:rate5m)'),
        rec('account_region:alicloud_rds_backup_api_requests_throttled:ratio_rate5m', |||
          sum by (account, region) (account_region_action_code:alicloud_rds_backup_api_requests:rate5m{code=~"Throttling.*"})
            / on (account, region)
          account_region:alicloud_rds_backup_api_requests:rate5m
        |||),
      ],
    }],
  },
}
