// Ticks on the configured cron schedule: one tick at start, then one at every match. The poller
// decides what each tick starts; a poll or refresh still running is skipped and counted there
// (node-cron's own overlap guard stays off: a tick never waits for the previous one). The start-up
// tick falls between two matches: a match that comes before its deadline is left out, since its
// polls are still running (that would be a skip at every start, not a sign of trouble).
import cron from 'node-cron';
import type { Logger } from '../log.js';
import type { Poller } from './poller.js';

export interface Schedule {
  stop(): Promise<void>;
}

export function startSchedule(expression: string, poller: Poller, log: Logger, deadlineMs: number): Schedule {
  const startedAt = performance.now();
  const task = cron.createTask(
    expression,
    () => {
      if (performance.now() - startedAt < deadlineMs) return;
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
