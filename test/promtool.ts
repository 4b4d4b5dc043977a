// promtool from Debian's prometheus package (.ci/run installs it).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const PROMTOOL = process.env.PROMTOOL ?? '/usr/bin/promtool';

/** Skips the calling test when promtool is missing on a contributor's machine; under CI its absence is a failure. */
export function requirePromtool(ctx: Mocha.Context): void {
  if (existsSync(PROMTOOL)) return;
  if (process.env.CI) throw new Error(`${PROMTOOL} not found: .ci/run must install Debian's prometheus package`);
  ctx.skip();
}

/** Runs promtool with `args`, feeding `input` on stdin. */
export function promtool(args: string[], input?: string, timeoutMs = 30_000): { status: number | null; output: string } {
  const run = spawnSync(PROMTOOL, args, { input, encoding: 'utf8', timeout: timeoutMs });
  return { status: run.status, output: `${run.stdout ?? ''}${run.stderr ?? ''}` };
}

/** Runs promtool with `args` without blocking, so that independent runs can share the cores. */
export function promtoolAsync(args: string[], timeoutMs = 30_000): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(PROMTOOL, args, { timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (output += d.toString('utf8')));
    child.on('error', (err) => resolve({ status: null, output: `${output}${err.message}` }));
    child.on('close', (status) => resolve({ status, output }));
  });
}
