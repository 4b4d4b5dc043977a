// DescribeBackupPolicy, at poll.policy_interval: the schedule the instance's backups should follow.
import type { BackupPolicy } from '../alicloud/rds-api.js';
import { IntervalRead, type ReadContext } from './interval-read.js';

export class PolicyRead extends IntervalRead<BackupPolicy> {
  readonly action = 'DescribeBackupPolicy';
  /** the last policy read; kept while later reads fail */
  policy: BackupPolicy | undefined;

  protected fetch(ctx: ReadContext): Promise<BackupPolicy> {
    return ctx.api.describeBackupPolicy(ctx.instanceId, ctx.call);
  }

  protected take(policy: BackupPolicy): void {
    this.policy = policy;
  }
}
