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
  /**
   * labels named by the configuration, after the fixed ones: a pattern such as `tag_<key>` (one
   * label per key of tags_as_labels), as docs/metrics.md writes it
   */
  dynamicLabels?: string;
}

/** Longest tag value put in a label, in characters: the API's own limit for a tag value. */
export const TAG_VALUE_MAX_CHARS = 128;

/**
 * The label of a tag key (tags_as_labels): `tag_`, then the key with every character other than
 * an ASCII letter, digit or underscore replaced by `_` (`cost-center` → `tag_cost_center`, as
 * YACE names its tag labels). The prefix makes a valid label name of any key, and no clash with
 * the fixed labels.
 */
export function tagLabelName(key: string): string {
  return `tag_${key.replace(/[^A-Za-z0-9_]/g, '_')}`;
}

/** A tag value as a label value: at most TAG_VALUE_MAX_CHARS characters (never half a character); escaping is the writer's. */
export function tagLabelValue(value: string): string {
  if (value.length <= TAG_VALUE_MAX_CHARS) return value;
  return Array.from(value).slice(0, TAG_VALUE_MAX_CHARS).join('');
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
  lastFailureTimestamp: {
    name: `${PREFIX}_last_failure_timestamp_seconds`,
    type: 'gauge',
    help: `End of the newest backup failure: BackupEndTime of the newest Failed backup set, or when a tracked job was learned to have ended Failed, whichever is newer. Absent until one is known. ${FROM_POLL}`,
    labels: [],
    perInstance: true,
  },
  instanceInfo: {
    name: `${PREFIX}_instance_info`,
    type: 'gauge',
    help: "Always 1 for every watched instance DescribeDBInstances knows; labels describe it, each one of the values the API documents or Other: instance_type (DBInstanceType: Primary, Readonly, Guard, Temp), category (Basic, HighAvailability, AlwaysOn, Finance, ...), status (DBInstanceStatus: Running, Creating, Stopped, ...), lock_mode (LockMode: Unlock, ManualLock, LockByExpiration, LockByDiskQuota, ...), and one tag_<key> per key of tags_as_labels (the instance's tag value, empty when it has none). Join on instance_id to add them to other series.",
    labels: ['engine', 'engine_version', 'description', 'instance_type', 'category', 'status', 'lock_mode'],
    dynamicLabels: 'tag_<key>',
    perInstance: true,
  },
  instanceCreated: {
    name: `${PREFIX}_instance_created_timestamp_seconds`,
    type: 'gauge',
    help: 'CreateTime of the instance (DescribeDBInstances), as a Unix time: a new instance has no backup before its first scheduled window.',
    labels: [],
    perInstance: true,
  },
  readSuccess: {
    name: `${PREFIX}_read_success`,
    type: 'gauge',
    help: `1 if the last attempt of this read of the instance worked, else 0; one series per read that is on and applies to the instance (read: tasks, backups, policy, restore_window, log_files, cross_region, storage). ${FROM_POLL}`,
    labels: ['read'],
    perInstance: true,
  },
  readLastSuccess: {
    name: `${PREFIX}_read_last_success_timestamp_seconds`,
    type: 'gauge',
    help: 'Unix time of the end of the last attempt of this read of the instance that worked (absent before the first).',
    labels: ['read'],
    perInstance: true,
  },
  readError: {
    name: `${PREFIX}_read_error_info`,
    type: 'gauge',
    help: 'Always 1, while the last attempt of this read failed: action is the API action that failed, kind the class of the failure (permission for a RAM refusal, auth, credentials, throttled, server, timeout, network, malformed, not_found, state, client, or bug for an error inside the exporter), code the api_requests_total code (Bug for a bug).',
    labels: ['read', 'action', 'kind', 'code'],
    perInstance: true,
  },
  pollSuccess: {
    name: `${PREFIX}_poll_success`,
    type: 'gauge',
    help: `1 if the reads that say whether backups happen (tasks, backups, policy: those turned on) worked on their last attempt, else 0. The other reads never set it to 0: see read_success. ${FROM_POLL}`,
    labels: [],
    perInstance: true,
  },
  lastPollTimestamp: {
    name: `${PREFIX}_last_poll_timestamp_seconds`,
    type: 'gauge',
    help: 'Unix time of the end of the last poll of this instance whose task listing and essential reads worked (poll_success 1): a failing instance keeps its last good time, so its age shows staleness.',
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
    help: '1 if the last inventory refresh of this account and region (DescribeDBInstances, and ListTagResources with discovery tags or tags_as_labels) worked, else 0; while it fails the previous inventory is kept.',
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
  readErrors: {
    name: `${PREFIX}_read_errors_total`,
    type: 'counter',
    help: 'Failed attempts of each read, by code (an API error code, or Bug for an error inside the exporter), over all instances of the account and region.',
    labels: ['account', 'region', 'read', 'code'],
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
  stateFileWriteSuccess: {
    name: `${PREFIX}_state_file_last_write_success`,
    type: 'gauge',
    help: 'Whether the last write of the state file worked (1) or failed (0); a failed write is tried again at each cycle, and a restart meanwhile restores the older file. Absent without a state_file, and before its first write.',
    labels: [],
    perInstance: false,
  },
  stateFileLastSuccessTimestamp: {
    name: `${PREFIX}_state_file_last_success_timestamp_seconds`,
    type: 'gauge',
    help: 'Unix time at which the state file a restart would restore was written: the last write that worked, or the file found at start. Absent without a state_file, and while there is no such file.',
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
