// Runs poll cycles on the configured cron schedule: one at start, then at every tick. A tick that
// finds the previous cycle still running is skipped and counted, by node-cron's overlap guard for
// scheduled runs and by the poller's own guard for the start-up run.
import cron from 'node-cron';
import type { Logger } from '../log.js';
import type { Poller } from './poller.js';

export interface Schedule {
  stop(): Promise<void>;
}

export function startSchedule(expression: string, poller: Poller, log: Logger, onSkip: () => void): Schedule {
  const task = cron.createTask(expression, () => poller.tick(), {
    name: 'poll',
    noOverlap: true,
    // node-cron writes coloured console lines by default; route its words through pino.
    logger: {
      info: (m) => log.debug({ source: 'node-cron' }, String(m)),
      warn: (m) => log.debug({ source: 'node-cron' }, String(m)),
      error: (m) => log.error({ source: 'node-cron' }, String(m)),
      debug: (m) => log.debug({ source: 'node-cron' }, String(m)),
    },
  });
  task.on('execution:overlap', () => {
    onSkip();
    log.warn('poll cycle skipped: the previous cycle is still running (is poll.schedule too frequent for the API latency?)');
  });
  void task.start();
  void poller.tick();
  return {
    async stop() {
      await task.stop();
      await task.destroy();
    },
  };
}
