// DescribeResourceUsage, at poll.resource_usage_interval: the instance's backup storage by kind,
// and what is billed beyond the free quota (every engine).
import type { BackupStorage } from '../alicloud/rds-api.js';
import { IntervalRead, type ReadContext } from './interval-read.js';

export class BackupStorageRead extends IntervalRead<BackupStorage> {
  readonly action = 'DescribeResourceUsage';
  /** the last answer; kept while later reads fail */
  storage: BackupStorage | undefined;

  protected fetch(ctx: ReadContext): Promise<BackupStorage> {
    return ctx.api.describeBackupStorage(ctx.instanceId, ctx.call);
  }

  protected take(storage: BackupStorage): void {
    this.storage = storage;
  }
}
