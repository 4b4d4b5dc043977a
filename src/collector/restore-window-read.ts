// DescribeLocalAvailableRecoveryTime, at poll.restore_window_interval: how far back and how recently
// the instance can be restored to, here (every engine).
import type { RestoreWindow } from '../alicloud/rds-api.js';
import { IntervalRead, type ReadContext } from './interval-read.js';

export class RestoreWindowRead extends IntervalRead<RestoreWindow> {
  readonly action = 'DescribeLocalAvailableRecoveryTime';
  /** the last window read; kept while later reads fail */
  window: RestoreWindow | undefined;

  protected fetch(ctx: ReadContext): Promise<RestoreWindow> {
    return ctx.api.describeRestoreWindow(ctx.instanceId, ctx.call);
  }

  protected take(window: RestoreWindow): void {
    this.window = window;
  }
}
