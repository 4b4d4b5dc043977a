// Ticks on the configured cron schedule: one tick at start, then one at every match. The poller
// decides what each tick starts; a poll or refresh still running is skipped and counted there
// (node-cron's own overlap guard stays off: a tick never waits for the previous one).
import cron from 'node-cron';
import type { Logger } from '../log.js';
import type { Poller } from './poller.js';

export interface Schedule {
  stop(): Promise<void>;
}

export function startSchedule(expression: string, poller: Poller, log: Logger): Schedule {
  const task = cron.createTask(
    expression,
    () => {
      void poller.tick();
    },
    {
      name: 'poll',
      // node-cron writes coloured console lines by default; route its words through pino.
      logger: {
        info: (m) => log.debug({ source: 'node-cron' }, String(m)),
        warn: (m) => log.debug({ source: 'node-cron' }, String(m)),
        error: (m) => log.error({ source: 'node-cron' }, String(m)),
        debug: (m) => log.debug({ source: 'node-cron' }, String(m)),
      },
    },
  );
  void task.start();
  void poller.tick();
  return {
    async stop() {
      await task.stop();
      await task.destroy();
    },
  };
}

