// DescribeBackupPolicy, at poll.policy_interval: the schedule the instance's backups should follow,
// and how long backups and logs are kept.
import type { BackupPolicy } from '../../alicloud/rds-api.js';
import { PREFIX } from '../../metrics/definitions.js';
import { days, extra, flag, seconds } from '../../metrics/lines.js';
import { latestValue } from './latest-value.js';
import { defineRead, hasOwnBackups, viewOf } from './read.js';

export const policyRead = defineRead<BackupPolicy>({
  name: 'policy',
  actions: ['DescribeBackupPolicy'],
  essential: true,
  appliesTo: hasOwnBackups,
  intervalKey: 'policy_interval',
  defaultIntervalSeconds: 3600,
  help: 'the backup policy: schedule, retention, log backup (DescribeBackupPolicy)',
  create: latestValue((ctx) => ctx.api.describeBackupPolicy(ctx.instanceId, ctx.call)),
  families: [
    [
      {
        // In seconds, not days: Prometheus base units (promtool check metrics rejects _days).
        name: `${PREFIX}_policy_retention_seconds`,
        type: 'gauge',
        labels: [],
        perInstance: true,
        help: 'BackupRetentionPeriod of the instance backup policy in seconds (days × 86400; DescribeBackupPolicy, refreshed every poll.policy_interval).',
      },
      (l, p) => l.maybe(days(p.retentionDays)),
    ],
    [
      {
        name: `${PREFIX}_policy_expected_interval_seconds`,
        type: 'gauge',
        labels: [],
        perInstance: true,
        help: 'Longest gap between two scheduled backups implied by PreferredBackupPeriod (daily 86400). Alert on time() - last_success_timestamp_seconds above this plus a grace.',
      },
      (l, p) => l.maybe(p.expectedIntervalSeconds),
    ],
    [
      {
        name: `${PREFIX}_policy_next_backup_timestamp_seconds`,
        type: 'gauge',
        labels: [],
        perInstance: true,
        help: 'PreferredNextBackupTime of the backup policy, as a Unix time.',
      },
      (l, p) => l.maybe(seconds(p.nextBackupMs)),
    ],
    [
      {
        name: `${PREFIX}_policy_log_backup_enabled`,
        type: 'gauge',
        labels: [],
        perInstance: true,
        help: 'Whether log backup (point-in-time restore) is on in the backup policy: BackupLog / EnableBackupLog (DescribeBackupPolicy).',
      },
      (l, p) => l.maybe(flag(p.logBackupEnabled)),
    ],
    [
      {
        name: `${PREFIX}_policy_log_retention_seconds`,
        type: 'gauge',
        labels: [],
        perInstance: true,
        help: 'LogBackupRetentionPeriod of the backup policy in seconds (days × 86400).',
      },
      (l, p) => l.maybe(days(p.logRetentionDays)),
    ],
    [
      {
        name: `${PREFIX}_policy_archive_retention_seconds`,
        type: 'gauge',
        labels: [],
        perInstance: true,
        help: 'ArchiveBackupRetentionPeriod of the backup policy in seconds (days × 86400; 0: no archive).',
      },
      (l, p) => l.maybe(days(p.archiveRetentionDays)),
    ],
    [
      {
        name: `${PREFIX}_policy_info`,
        type: 'gauge',
        labels: ['released_keep_policy', 'high_space_usage_protection', 'compress_type'],
        perInstance: true,
        help: 'Always 1; labels give the backup policy settings that are not numbers: released_keep_policy (None, Latest — spelt Lastest by the API — or All: the backups kept when the instance is released), high_space_usage_protection (log files deleted under disk pressure), compress_type.',
      },
      (l, p) => {
        const protection = p.highSpaceUsageProtection === undefined ? '' : p.highSpaceUsageProtection ? 'Enable' : 'Disable';
        l.add(
          1,
          extra(['released_keep_policy', p.releasedKeepPolicy ?? ''], ['high_space_usage_protection', protection], ['compress_type', p.compressType ?? '']),
        );
      },
    ],
  ],
});

export const policyOf = viewOf(policyRead);
