// The reads an instance is polled with: adding one is a new file beside this one and a line here.
// The task listing is the one read every poll makes (watched-instance.ts follows the jobs it
// lists); it has a name, a health and a switch like the others.
import { backupsRead } from './backups.js';
import { crossRegionRead } from './cross-region.js';
import { logFilesRead } from './log-files.js';
import { policyRead } from './policy.js';
import type { ReadPlugin } from './read.js';
import { restoreWindowRead } from './restore-window.js';
import { storageRead } from './storage.js';

/** What every read says of itself, the task listing included. */
export interface ReadDescription {
  readonly name: string;
  readonly actions: readonly string[];
  readonly essential: boolean;
  readonly help: string;
}

export const TASKS_READ: ReadDescription = {
  name: 'tasks',
  actions: ['DescribeBackupTasks'],
  essential: true,
  help: 'the running backup tasks and the end of each job (DescribeBackupTasks)',
};

/**
 * The interval reads, in the order their views are computed and their failures reported: the
 * policy first (the others' retention periods come from it).
 */
// biome-ignore lint/suspicious/noExplicitAny: each plug-in has its own view type
export const BUILTIN_READS: ReadonlyArray<ReadPlugin<any>> = [policyRead, backupsRead, restoreWindowRead, logFilesRead, crossRegionRead, storageRead];

/** Every read's description, the task listing first. */
export function describeReads(plugins: ReadonlyArray<ReadPlugin<unknown>> = BUILTIN_READS): ReadDescription[] {
  return [TASKS_READ, ...plugins];
}
