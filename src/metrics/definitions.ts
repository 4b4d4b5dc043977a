// Every metric the exporter serves: name, type, HELP and labels, in one place.
// docs/metrics.md mirrors this file; a test checks that the two agree.

export const PREFIX = 'alicloud_rds_backup';
export const INSTANCE_LABELS = ['account', 'region', 'instance_id'] as const;

export interface MetricDef {
  name: string;
  type: 'gauge' | 'counter' | 'histogram';
  help: string;
  /** labels beyond account/region/instance_id (or all labels when perInstance is false) */
  labels: readonly string[];
  perInstance: boolean;
}

const FROM_POLL = 'Value from the last completed poll of the instance, not from the scrape.';

export const METRICS = {
  tasks: {
    name: `${PREFIX}_tasks`,
    type: 'gauge',
    help: `Backup tasks listed by DescribeBackupTasks in each BackupStatus (a task without BackupStatus counts under its BackupProgressStatus). ${FROM_POLL}`,
    labels: ['status'],
    perInstance: true,
  },
  taskProgress: {
    name: `${PREFIX}_task_progress_ratio`,
    type: 'gauge',
    help: `Progress (Process/100, 0 to 1) of each listed backup task; the series ends when the task leaves the listing. ${FROM_POLL}`,
    labels: ['backup_job_id', 'job_mode', 'task_action'],
    perInstance: true,
  },
  taskFailures: {
    name: `${PREFIX}_task_failures_total`,
    type: 'counter',
    help: `Backup jobs that ended Failed, counted once per job. ${FROM_POLL}`,
    labels: ['job_mode'],
    perInstance: true,
  },
  taskCompletions: {
    name: `${PREFIX}_task_completions_total`,
    type: 'counter',
    help: `Backup jobs that left the task listing, by resolved end state (Finished, Failed, or Unknown when it could not be learned). ${FROM_POLL}`,
    labels: ['job_mode', 'status'],
    perInstance: true,
  },
  lastSuccessTimestamp: {
    name: `${PREFIX}_last_success_timestamp_seconds`,
    type: 'gauge',
    help: `BackupEndTime of the newest successful backup set of each type (DescribeBackups). ${FROM_POLL}`,
    labels: ['backup_type'],
    perInstance: true,
  },
  lastSize: {
    name: `${PREFIX}_last_size_bytes`,
    type: 'gauge',
    help: `BackupSize of the newest successful backup set of each type. ${FROM_POLL}`,
    labels: ['backup_type'],
    perInstance: true,
  },
  lastDuration: {
    name: `${PREFIX}_last_duration_seconds`,
    type: 'gauge',
    help: `BackupEndTime minus BackupStartTime of the newest successful backup set of each type. ${FROM_POLL}`,
    labels: ['backup_type'],
    perInstance: true,
  },
  lastBackupSucceeded: {
    name: `${PREFIX}_last_backup_succeeded`,
    type: 'gauge',
    help: `1 if the newest finished backup set (any type, by end time) succeeded, 0 if it failed. ${FROM_POLL}`,
    labels: [],
    perInstance: true,
  },
  lastFailureTimestamp: {
    name: `${PREFIX}_last_failure_timestamp_seconds`,
    type: 'gauge',
    help: `End of the newest backup failure: BackupEndTime of the newest Failed backup set, or when a tracked job was learned to have ended Failed, whichever is newer. Absent until one is known. ${FROM_POLL}`,
    labels: [],
    perInstance: true,
  },
  setsSeen: {
    name: `${PREFIX}_sets_total`,
    type: 'counter',
    help: `Backup sets seen in DescribeBackups, counted once per BackupId. ${FROM_POLL}`,
    labels: ['backup_type', 'status'],
    perInstance: true,
  },
  policyRetention: {
    // In seconds, not days: Prometheus base units (promtool check metrics rejects _days).
    name: `${PREFIX}_policy_retention_seconds`,
    type: 'gauge',
    help: 'BackupRetentionPeriod of the instance backup policy in seconds (days × 86400; DescribeBackupPolicy, refreshed every poll.policy_interval).',
    labels: [],
    perInstance: true,
  },
  policyExpectedInterval: {
    name: `${PREFIX}_policy_expected_interval_seconds`,
    type: 'gauge',
    help: 'Longest gap between two scheduled backups implied by PreferredBackupPeriod (daily 86400). Alert on time() - last_success_timestamp_seconds above this plus a grace.',
    labels: [],
    perInstance: true,
  },
  policyNextBackup: {
    name: `${PREFIX}_policy_next_backup_timestamp_seconds`,
    type: 'gauge',
    help: 'PreferredNextBackupTime of the backup policy, as a Unix time.',
    labels: [],
    perInstance: true,
  },
  policyLogBackupEnabled: {
    name: `${PREFIX}_policy_log_backup_enabled`,
    type: 'gauge',
    help: 'Whether log backup (point-in-time restore) is on in the backup policy: BackupLog / EnableBackupLog (DescribeBackupPolicy).',
    labels: [],
    perInstance: true,
  },
  policyLogRetention: {
    name: `${PREFIX}_policy_log_retention_seconds`,
    type: 'gauge',
    help: 'LogBackupRetentionPeriod of the backup policy in seconds (days × 86400).',
    labels: [],
    perInstance: true,
  },
  policyArchiveRetention: {
    name: `${PREFIX}_policy_archive_retention_seconds`,
    type: 'gauge',
    help: 'ArchiveBackupRetentionPeriod of the backup policy in seconds (days × 86400; 0: no archive).',
    labels: [],
    perInstance: true,
  },
  policyInfo: {
    name: `${PREFIX}_policy_info`,
    type: 'gauge',
    help: 'Always 1; labels give the backup policy settings that are not numbers: released_keep_policy (None, Latest — spelt Lastest by the API — or All: the backups kept when the instance is released), high_space_usage_protection (log files deleted under disk pressure), compress_type.',
    labels: ['released_keep_policy', 'high_space_usage_protection', 'compress_type'],
    perInstance: true,
  },
  usableSets: {
    name: `${PREFIX}_usable_sets`,
    type: 'gauge',
    help: `Successful backup sets the API calls usable (IsAvail) that ended within the retention period (at most poll.backups_lookback). ${FROM_POLL}`,
    labels: [],
    perInstance: true,
  },
  restoreWindowStart: {
    name: `${PREFIX}_restore_window_start_timestamp_seconds`,
    type: 'gauge',
    help: 'RecoveryBeginTime: the earliest time the instance can be restored to, as a Unix time (DescribeLocalAvailableRecoveryTime, every poll.restore_window_interval).',
    labels: [],
    perInstance: true,
  },
  restoreWindowEnd: {
    name: `${PREFIX}_restore_window_end_timestamp_seconds`,
    type: 'gauge',
    help: 'RecoveryEndTime: the latest time the instance can be restored to, as a Unix time. time() minus this is how much would be lost.',
    labels: [],
    perInstance: true,
  },
  logLastEnd: {
    name: `${PREFIX}_log_last_end_timestamp_seconds`,
    type: 'gauge',
    help: 'LogEndTime of the newest uploaded log backup file (DescribeBinlogFiles, or DescribeLogBackupFiles for SQL Server), as a Unix time.',
    labels: [],
    perInstance: true,
  },
  logFilesNotUploaded: {
    name: `${PREFIX}_log_files_not_uploaded`,
    type: 'gauge',
    help: 'Log backup files listed with RemoteStatus other than Completed (binlog engines only; SQL Server does not tell).',
    labels: [],
    perInstance: true,
  },
  logChainGaps: {
    name: `${PREFIX}_log_chain_gaps`,
    type: 'gauge',
    help: 'Gaps in the log chain of each host inside the log retention period: files starting later than the previous file ended. Point-in-time restore cannot cross a gap. host_instance_id is empty for SQL Server.',
    labels: ['host_instance_id'],
    perInstance: true,
  },
  logFilesSize: {
    name: `${PREFIX}_log_files_size_bytes`,
    type: 'gauge',
    help: 'FileSize of every log backup file known within poll.log_backups_lookback.',
    labels: [],
    perInstance: true,
  },
  crossRegionEnabled: {
    name: `${PREFIX}_cross_region_enabled`,
    type: 'gauge',
    help: 'Whether cross-region backup is on (BackupEnabled, DescribeCrossRegionBackupDBInstance); target_region is CrossBackupRegion (empty when none).',
    labels: ['target_region'],
    perInstance: true,
  },
  crossRegionLastSuccess: {
    name: `${PREFIX}_cross_region_last_success_timestamp_seconds`,
    type: 'gauge',
    help: 'BackupEndTime of the newest successful cross-region backup set (BackupSetStatus 0; DescribeCrossRegionBackups), as a Unix time; only while cross-region backup is on.',
    labels: [],
    perInstance: true,
  },
  crossRegionLastSucceeded: {
    name: `${PREFIX}_cross_region_last_backup_succeeded`,
    type: 'gauge',
    help: '1 if the newest cross-region backup set within poll.backups_lookback succeeded (BackupSetStatus 0), 0 if it failed (1).',
    labels: [],
    perInstance: true,
  },
  storageBytes: {
    name: `${PREFIX}_storage_bytes`,
    type: 'gauge',
    help: 'Backup storage used, by kind: data (BackupDataSize), log (BackupLogSize), archive (ArchiveBackupSize), cold (ColdBackupSize); DescribeResourceUsage, -1 read as 0.',
    labels: ['kind'],
    perInstance: true,
  },
  storageOverFreeQuota: {
    name: `${PREFIX}_storage_over_free_quota_bytes`,
    type: 'gauge',
    help: 'PaidBackupSize: backup storage billed beyond the free quota (DescribeResourceUsage).',
    labels: [],
    perInstance: true,
  },
  instanceInfo: {
    name: `${PREFIX}_instance_info`,
    type: 'gauge',
    help: 'Always 1 for every watched instance DescribeDBInstances knows; labels describe it. Join on instance_id to add them to other series.',
    labels: ['engine', 'engine_version', 'description', 'instance_type'],
    perInstance: true,
  },
  pollSuccess: {
    name: `${PREFIX}_poll_success`,
    type: 'gauge',
    help: `1 if every API call of the last poll of this instance succeeded, and the last attempt of each read made at its own interval (DescribeBackups, DescribeBackupPolicy, the recoverability reads) too; else 0. ${FROM_POLL}`,
    labels: [],
    perInstance: true,
  },
  lastPollTimestamp: {
    name: `${PREFIX}_last_poll_timestamp_seconds`,
    type: 'gauge',
    help: 'Unix time of the end of the last poll of this instance that succeeded (not of the last poll: a failing instance keeps its last good time, so its age shows staleness).',
    labels: [],
    perInstance: true,
  },
  pollDuration: {
    name: `${PREFIX}_poll_duration_seconds`,
    type: 'gauge',
    help: `Duration of the last poll of this instance, retries and job look-ups included; at most poll.deadline. ${FROM_POLL}`,
    labels: [],
    perInstance: true,
  },
  pollsSkipped: {
    name: `${PREFIX}_polls_skipped_total`,
    type: 'counter',
    help: 'Scheduled polls of this instance not started because its previous poll was still running (only possible with poll.deadline longer than the time between ticks minus the poll start-up).',
    labels: [],
    perInstance: true,
  },
  pendingLookups: {
    name: `${PREFIX}_pending_job_lookups`,
    type: 'gauge',
    help: `Backup jobs that left the task listing and whose end is still to be asked by id (at most poll.lookups_per_poll a poll, oldest first): a backlog that drains over several polls. ${FROM_POLL}`,
    labels: [],
    perInstance: true,
  },
  discoverySuccess: {
    name: `${PREFIX}_discovery_success`,
    type: 'gauge',
    help: '1 if the last inventory refresh of this account and region (DescribeDBInstances, and ListTagResources with discovery tags) worked, else 0; while it fails the previous inventory is kept.',
    labels: ['account', 'region'],
    perInstance: false,
  },
  discoveryLastSuccessTimestamp: {
    name: `${PREFIX}_discovery_last_success_timestamp_seconds`,
    type: 'gauge',
    help: 'Unix time of the last inventory refresh of this account and region that worked.',
    labels: ['account', 'region'],
    perInstance: false,
  },
  apiRequests: {
    name: `${PREFIX}_api_requests_total`,
    type: 'counter',
    help: 'RDS API HTTP requests by action and result: OK, a known API error code or OtherApiError, HTTP<status> without a code, Timeout, NetworkError, MalformedResponse, ResponseTooLarge or CredentialsUnavailable. Retries count one each.',
    labels: ['account', 'region', 'action', 'code'],
    perInstance: false,
  },
  apiRequestDuration: {
    name: `${PREFIX}_api_request_duration_seconds`,
    type: 'histogram',
    help: 'RDS API HTTP request latency, failed requests included.',
    labels: ['account', 'region', 'action'],
    perInstance: false,
  },
  apiRateLimit: {
    name: `${PREFIX}_api_rate_limit_requests_per_second`,
    type: 'gauge',
    help: 'The rate limit of the account now: requests_per_second, halved on throttling (at most once a second, down to 1/100) and given back by 1/10 a second without it.',
    labels: ['account'],
    perInstance: false,
  },
  configReloadSuccessful: {
    name: `${PREFIX}_config_last_reload_successful`,
    type: 'gauge',
    help: 'Whether the last configuration reload (SIGHUP or POST /-/reload) succeeded; a failed one leaves the previous configuration running.',
    labels: [],
    perInstance: false,
  },
  configReloadTimestamp: {
    name: `${PREFIX}_config_last_reload_success_timestamp_seconds`,
    type: 'gauge',
    help: 'Unix time of the last successful configuration load (start-up or reload).',
    labels: [],
    perInstance: false,
  },
  buildInfo: {
    name: `${PREFIX}_exporter_build_info`,
    type: 'gauge',
    help: 'Always 1; labels give the exporter version, the git revision and branch it was built from, the Node.js version it runs on, and the shard of the instances this replica watches (--shard.index of --shard.count).',
    labels: ['version', 'revision', 'branch', 'nodejs_version', 'shard_index', 'shard_count'],
    perInstance: false,
  },
} as const satisfies Record<string, MetricDef>;

/**
 * The metrics endpoint's own metrics, named as client_golang's promhttp names them; like process_*
 * and nodejs_*, they describe the exporter's runtime, and --web.disable-exporter-metrics drops them.
 */
export const HANDLER_METRICS = {
  requests: {
    name: 'promhttp_metric_handler_requests_total',
    type: 'counter',
    help: 'Total number of scrapes by HTTP status code.',
    labels: ['code'],
    perInstance: false,
  },
  inFlight: {
    name: 'promhttp_metric_handler_requests_in_flight',
    type: 'gauge',
    help: 'Current number of scrapes being served.',
    labels: [],
    perInstance: false,
  },
  duration: {
    name: 'promhttp_metric_handler_request_duration_seconds',
    type: 'histogram',
    help: 'Time spent serving scrapes of the metrics endpoint, from the request to the last byte written.',
    labels: [],
    perInstance: false,
  },
} as const satisfies Record<string, MetricDef>;

export const API_DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
export const SCRAPE_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
