// DescribeResourceUsage, at poll.resource_usage_interval: the instance's backup storage by kind,
// and what is billed beyond the free quota (every engine).
import type { BackupStorage } from '../../alicloud/rds-api.js';
import { PREFIX } from '../../metrics/definitions.js';
import { extra } from '../../metrics/lines.js';
import { latestValue } from './latest-value.js';
import { defineRead, hasOwnBackups } from './read.js';

const STORAGE_KINDS = [
  ['data', 'dataBytes'],
  ['log', 'logBytes'],
  ['archive', 'archiveBytes'],
  ['cold', 'coldBytes'],
] as const;

export const storageRead = defineRead<BackupStorage>({
  name: 'storage',
  actions: ['DescribeResourceUsage'],
  essential: false,
  appliesTo: hasOwnBackups,
  intervalKey: 'resource_usage_interval',
  defaultIntervalSeconds: 6 * 3600,
  help: 'backup storage by kind and beyond the free quota (DescribeResourceUsage)',
  create: latestValue((ctx) => ctx.api.describeBackupStorage(ctx.instanceId, ctx.call)),
  families: [
    [
      {
        name: `${PREFIX}_storage_bytes`,
        type: 'gauge',
        labels: ['kind'],
        perInstance: true,
        help: 'Backup storage used, by kind: data (BackupDataSize), log (BackupLogSize), archive (ArchiveBackupSize), cold (ColdBackupSize); DescribeResourceUsage, -1 read as 0.',
      },
      (l, s) => {
        for (const [kind, key] of STORAGE_KINDS) {
          const v = s[key];
          if (v !== undefined) l.add(v, extra(['kind', kind]));
        }
      },
    ],
    [
      {
        name: `${PREFIX}_storage_over_free_quota_bytes`,
        type: 'gauge',
        labels: [],
        perInstance: true,
        help: 'PaidBackupSize: backup storage billed beyond the free quota (DescribeResourceUsage).',
      },
      (l, s) => l.maybe(s.overFreeQuotaBytes),
    ],
  ],
});
