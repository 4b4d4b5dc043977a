// DescribeLocalAvailableRecoveryTime, at poll.restore_window_interval: how far back and how
// recently the instance can be restored to, here (every engine).
import type { RestoreWindow } from '../../alicloud/rds-api.js';
import { PREFIX } from '../../metrics/definitions.js';
import { seconds } from '../../metrics/lines.js';
import { latestValue } from './latest-value.js';
import { defineRead, hasOwnBackups, viewOf } from './read.js';

export const restoreWindowRead = defineRead<RestoreWindow>({
  name: 'restore_window',
  actions: ['DescribeLocalAvailableRecoveryTime'],
  essential: false,
  appliesTo: hasOwnBackups,
  intervalKey: 'restore_window_interval',
  defaultIntervalSeconds: 3600,
  help: 'the times the instance can be restored to (DescribeLocalAvailableRecoveryTime)',
  create: latestValue((ctx) => ctx.api.describeRestoreWindow(ctx.instanceId, ctx.call)),
  families: [
    [
      {
        name: `${PREFIX}_restore_window_start_timestamp_seconds`,
        type: 'gauge',
        labels: [],
        perInstance: true,
        help: 'RecoveryBeginTime: the earliest time the instance can be restored to, as a Unix time (DescribeLocalAvailableRecoveryTime, every poll.restore_window_interval).',
      },
      (l, w) => l.maybe(seconds(w.beginMs)),
    ],
    [
      {
        name: `${PREFIX}_restore_window_end_timestamp_seconds`,
        type: 'gauge',
        labels: [],
        perInstance: true,
        help: 'RecoveryEndTime: the latest time the instance can be restored to, as a Unix time. time() minus this is how much would be lost.',
      },
      (l, w) => l.maybe(seconds(w.endMs)),
    ],
  ],
});

export const restoreWindowOf = viewOf(restoreWindowRead);
