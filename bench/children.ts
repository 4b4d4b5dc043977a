// The child processes of bench/scale.ts, and the promise that none outlives it: each is killed
// on a normal end, on an error, on SIGINT/SIGTERM, at process exit, and — if this process dies
// without running any of that — by the detached reaper (bench/reaper.ts).
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

const children = new Set<ChildProcess>();
let reaper: ChildProcess | undefined;

function track(child: ChildProcess): ChildProcess {
  children.add(child);
  if (child.pid !== undefined) reaper?.send({ pid: child.pid });
  child.once('exit', () => {
    children.delete(child);
    if (child.pid !== undefined && reaper?.connected) reaper.send({ pid: child.pid, exited: true });
  });
  return child;
}

/** SIGKILLs every child still running; synchronous, so it also works in an 'exit' handler. */
export function killAll(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  if (reaper?.connected) reaper.disconnect();
}

let installed = false;
function installCleanup(): void {
  if (installed) return;
  installed = true;
  // its parent's pid as an argument: it names whose children it watches (ps, the smoke test)
  reaper = fork(fileURLToPath(new URL('reaper.ts', import.meta.url)), [String(process.pid)], {
    cwd: REPO_ROOT,
    execArgv: ['--import', 'tsx'],
    detached: true,
    stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
  });
  reaper.unref();
  reaper.channel?.unref();
  process.once('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      process.stderr.write(`bench: ${signal}: stopping the child processes\n`);
      killAll();
      process.exit(130);
    });
  }
}

/** A TypeScript module of bench/ run with tsx, with an IPC channel; stdout and stderr to `logFile`. */
export function forkTs(module: string, args: string[], logFile: string): ChildProcess {
  installCleanup();
  const log = createWriteStream(logFile);
  const child = fork(fileURLToPath(new URL(module, import.meta.url)), args, {
    cwd: REPO_ROOT,
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  return track(child);
}

/** `node <args>` from the repository root; stdout and stderr to `logFile`. */
export function spawnNode(args: string[], logFile: string): ChildProcess {
  installCleanup();
  const log = createWriteStream(logFile);
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  return track(child);
}

/** The first IPC message of `child` of the given type; rejects if the child exits first or `timeoutMs` passes. */
export function message<T>(child: ChildProcess, type: string, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`no '${type}' message from child ${child.pid} within ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (m: unknown) => {
      if ((m as { type?: string }).type === type) done(undefined, m as T);
    };
    const onExit = (code: number | null, signal: string | null) => done(new Error(`child ${child.pid} exited (${signal ?? code}) before sending '${type}'`));
    function done(err?: Error, value?: T): void {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve(value as T);
    }
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

/** SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
export async function stop(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
