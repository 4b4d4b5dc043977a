// One fault scenario, played against the built daemon (`node dist/main.js`, a real schedule of one
// tick a second, every other setting at its default) and the simulator over real HTTP, behind a
// TCP proxy that can refuse connections. A scraper in another process samples /metrics every
// 150 ms throughout. Around the fault the harness fails backup jobs the exporter had seen listed,
// watches the daemon's RSS, and at the end sweeps every log line and page for secrets. What it
// measures is returned; the checks are made by the caller (test/faults/faults.test.ts).
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator, type Simulator } from '../../simulator/server.js';
import { computeSignature } from '../../simulator/signature.js';
import { sample, series, until } from '../helpers.js';
import { startProxy, type TcpProxy } from '../tcp-proxy.js';
import type { ScrapeSample } from './scrape-sampler.js';

export const MAIN = 'dist/main.js';
export const TICK_MS = 1000;
export const STATIC_KEY = { accessKeyId: 'LTAI5tFaultSuiteKey0001', accessKeySecret: 'FaultSuiteSecret-0123456789abcdef' };

export type Profile = 'short' | 'full';
export const PROFILE: Profile = process.env.FAULTS_PROFILE === 'full' ? 'full' : 'short';
/** How long each phase lasts. The fault is what the table calls the duration. */
export const PHASES =
  PROFILE === 'full'
    ? { baselineMs: 3000, faultMs: 60_000, recoveryMs: 5000, jobs: 6 }
    : // the baseline starts at readiness: 2.5 s so that the ticks are in their rhythm before the fault
      // (the first cron match after start-up is left out when it comes before the start-up deadline)
      { baselineMs: 2500, faultMs: 3000, recoveryMs: 3000, jobs: 2 };

/**
 * What poll_success of an instance must be while the fault lasts:
 * - dark: 0 from two ticks after the fault starts until it ends (it cannot be polled at all);
 * - partial: each 0 explained by a failed request, each 1 by a successful listing, in the two
 *   ticks before the sample (some polls get through);
 * - steady: 1 throughout;
 * - gone: 0 from two ticks after the fault starts to the end (the instance was deleted).
 * Outside the fault (before it, and from two ticks and the scenario's settleMs after its end)
 * every instance but a gone one is 1.
 */
export type PollExpectation = 'dark' | 'partial' | 'steady' | 'gone';

export interface Ctx {
  sim: Simulator;
  proxy: TcpProxy;
  /** added to the simulator's clock for request Timestamps (clock skew) */
  skewMs: number;
  /** the instance the faults target */
  target: string;
}

export interface Scenario {
  name: string;
  /** what is injected, in words, for the table */
  faults: string;
  /** watched instances; the first is the target; default ['rm-fault-01'] */
  instances?: string[];
  poll: Record<string, PollExpectation>;
  /** credentials: the static key in the file (default), or the default chain via the simulator's credentials URI */
  sts?: { ttlSeconds: number };
  /** jobs in flight on this instance that the fault deletes with it: each must end once, as Unknown */
  deletedWithJobs?: string;
  /** the instances whose jobs fail while the fault lasts (PHASES.jobs each); default the first that is not deleted */
  failOn?: string[];
  /**
   * How much longer than two ticks the exporter may take to be back after the fault, unchecked in
   * between (throttling: the adaptive rate limit climbs back by 1/10 of requests_per_second a
   * second); the recovery phase is that much longer. Default 0.
   */
  settleMs?: number;
  /**
   * Partial: how long a throttled answer to the account also explains a 0 (default 0: only a
   * failed request of the instance in the two ticks before does). Throttling halves the account's
   * adaptive rate limit, down to 1/100 of requests_per_second, and each second without it gives
   * back a tenth: for up to 10 s after a throttled answer the limit may hold a poll's requests
   * back past its deadline, and the poll fails with none sent.
   */
  backoffMs?: number;
  start(ctx: Ctx): void | Promise<void>;
  /** called every 100 ms while the fault lasts */
  during?(ctx: Ctx, elapsedMs: number): void | Promise<void>;
  stop(ctx: Ctx): void | Promise<void>;
}

export interface Result {
  scenario: string;
  faults: string;
  profile: Profile;
  faultStart: number;
  faultEnd: number;
  /** the daemon's exit after SIGTERM at the end; null code = it was already gone or killed */
  exitBeforeEnd: boolean;
  exitCode: number | null;
  samples: ScrapeSample[];
  /** requests the simulator answered with a fault (or refused for the credentials/clock) while the fault lasted */
  injected: number;
  /** sum of api_requests_total{code!="OK"} gained over the run */
  failedRequestsCounted: number;
  failuresExpected: number;
  failuresCounted: number;
  /** task_completions_total of the instances whose jobs failed, every status: each failed job once */
  completionsCounted: number;
  /** task_completions_total{status="Unknown"} of those instances: none of their jobs was lost */
  unknownOnFailing: number;
  unknownExpected: number;
  unknownCounted: number;
  rssBefore: number;
  rssPeak: number;
  rssAfter: number;
  /** series in /metrics: all of them, and the exporter's own (alicloud_rds_backup_*) */
  seriesBefore: number;
  seriesMax: number;
  seriesAfter: number;
  exporterSeriesBefore: number;
  exporterSeriesMax: number;
  exporterSeriesAfter: number;
  /** what of the secrets sweep was found: names, never values */
  secretsFound: string[];
  /** names of request parameters quoted in the output */
  paramsQuoted: boolean;
  logLines: number;
  stderr: string[];
  /** failed requests recorded by the simulator: instance, time, code */
  failedRequests: Array<{ instanceId: string; at: number; code: string }>;
  okListings: Array<{ instanceId: string; at: number }>;
  /** distinct STS key ids the simulator saw while the fault lasted */
  stsKeysUsed: number;
}

function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * `promise`, or `fallback` after `ms`; the timer is cleared either way, since one left pending
 * keeps mocha's process up that long after the last test.
 */
async function within<T>(promise: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<T>((resolve) => (timer = setTimeout(resolve, ms, fallback)))]);
  } finally {
    clearTimeout(timer);
  }
}

function configText(endpoint: string, instances: string[], sts: boolean): string {
  const keys = sts ? '' : `    access_key_id: ${STATIC_KEY.accessKeyId}\n    access_key_secret: ${STATIC_KEY.accessKeySecret}\n`;
  // idle_interval 0: the task list at every tick whatever the time of day, so that whether an
  // instance can be polled shows at every tick (with the default, outside backup windows it is
  // asked every 15 minutes only, and poll_success changes only then).
  return `poll:
  schedule: "* * * * * *"
  idle_interval: 0
accounts:
  - name: faults
${keys}    endpoint: ${endpoint}
    regions:
      - region: cn-hangzhou
        instances: [${instances.join(', ')}]
`;
}

/** Every secret the run handed out or signed with, by name. */
function forbiddenValues(sim: Simulator): Map<string, string> {
  const forbidden = new Map<string, string>([
    ['static key id', STATIC_KEY.accessKeyId],
    ['static secret', STATIC_KEY.accessKeySecret],
  ]);
  const secrets = new Map<string, string>([[STATIC_KEY.accessKeyId, STATIC_KEY.accessKeySecret]]);
  sim.sts.issued().forEach((c, i) => {
    forbidden.set(`STS key id #${i}`, c.accessKeyId);
    forbidden.set(`STS secret #${i}`, c.accessKeySecret);
    forbidden.set(`STS token #${i}`, c.securityToken);
    forbidden.set(`STS token #${i}, encoded`, encodeURIComponent(c.securityToken));
    secrets.set(c.accessKeyId, c.accessKeySecret);
  });
  sim.requests.forEach((r, i) => {
    const secret = secrets.get(r.params.AccessKeyId ?? '');
    if (secret) {
      const signature = computeSignature(r.method, r.params, secret);
      forbidden.set(`signature #${i}`, signature);
      forbidden.set(`signature #${i}, encoded`, encodeURIComponent(signature));
    }
  });
  return forbidden;
}

type Get = (path: string, headers?: Record<string, string>) => Promise<string>;

async function pages(get: Get): Promise<string> {
  const paths = ['/metrics', '/', '/status', '/-/ready', '/-/healthy'];
  const parts = await Promise.all(paths.map((p) => get(p)));
  parts.push(await get('/metrics', { accept: 'application/openmetrics-text; version=1.0.0' }));
  return parts.join('\n');
}

function failedRequestsCounted(text: string): number {
  return series(text, 'alicloud_rds_backup_api_requests_total')
    .filter((s) => s.labels.code !== 'OK')
    .reduce((n, s) => n + s.value, 0);
}

/**
 * task_failures_total of the instance (Failed), its task_completions_total{status="Unknown"}, or
 * all its task_completions_total (All), over every job_mode.
 */
function failuresOf(text: string, instanceId: string, status: 'Failed' | 'Unknown' | 'All'): number {
  const found =
    status === 'Failed'
      ? series(text, 'alicloud_rds_backup_task_failures_total', { instance_id: instanceId })
      : series(text, 'alicloud_rds_backup_task_completions_total', { instance_id: instanceId, ...(status === 'All' ? {} : { status }) });
  return found.reduce((n, s) => n + s.value, 0);
}

/** failuresOf summed over `instances`. */
const sumOf = (text: string, instances: readonly string[], status: 'Failed' | 'Unknown' | 'All') =>
  instances.reduce((n, id) => n + failuresOf(text, id, status), 0);

export async function runScenario(s: Scenario): Promise<Result> {
  const instances = s.instances ?? ['rm-fault-01'];
  const target = instances[0]!;
  const dir = mkdtempSync(join(tmpdir(), 'rds-faults-'));
  const cleanups: Array<() => unknown> = [() => rmSync(dir, { recursive: true, force: true })];
  const ctx = { skewMs: 0, target } as Ctx;
  try {
    ctx.sim = await startSimulator({ stsTtlSeconds: s.sts?.ttlSeconds ?? 3600, credentials: [STATIC_KEY], requestClock: () => Date.now() + ctx.skewMs });
    cleanups.push(() => ctx.sim.close());
    const { sim } = ctx;
    for (const id of instances) sim.world.addInstance(id);
    ctx.proxy = await startProxy(sim.port);
    cleanups.push(() => ctx.proxy.close());

    const configFile = join(dir, 'exporter.yml');
    writeFileSync(configFile, configText(ctx.proxy.url, instances, s.sts !== undefined));
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: dir, ALIBABA_CLOUD_ECS_METADATA_DISABLED: 'true' };
    if (s.sts) env.ALIBABA_CLOUD_CREDENTIALS_URI = sim.credentialsUri;
    const daemon = spawn(process.execPath, [MAIN, `--config.file=${configFile}`, '--web.listen-address=127.0.0.1:0', '--log.level=debug'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stdout: string[] = [];
    const stderr: string[] = [];
    let partial = '';
    daemon.stdout!.on('data', (d: Buffer) => {
      const lines = (partial + d.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      stdout.push(...lines.filter(Boolean));
    });
    daemon.stderr!.on('data', (d: Buffer) => stderr.push(...d.toString('utf8').split('\n').filter(Boolean)));
    let exited: { code: number | null } | undefined;
    const exit = new Promise<{ code: number | null }>((resolve) => daemon.on('exit', (code) => resolve((exited = { code }))));
    cleanups.push(() => {
      if (!exited) daemon.kill('SIGKILL');
    });

    let port: number | undefined;
    await until(
      'the daemon listens',
      () => {
        for (const line of stdout) port ??= Number(/"address":"127\.0\.0\.1:(\d+)"/.exec(line)?.[1]) || undefined;
        return port !== undefined || exited !== undefined;
      },
      10_000,
    );
    if (port === undefined) throw new Error(`the daemon exited at start: ${stderr.join('\n')}`);
    const url = `http://127.0.0.1:${port}`;
    const gone = () => new Error(`the daemon exited (code ${exited?.code}): ${stderr.join('\n')}`);
    const get: Get = async (path, headers = {}) => {
      if (exited) throw gone();
      try {
        return await (await fetch(`${url}${path}`, { headers })).text();
      } catch (err) {
        await within(exit, 500, undefined);
        throw exited ? gone() : err;
      }
    };
    const metrics = () => get('/metrics');

    const samples: ScrapeSample[] = [];
    const sampler: ChildProcess = fork(new URL('./scrape-sampler.ts', import.meta.url).pathname, [`${url}/metrics`, '150', instances.join(',')], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    cleanups.push(() => sampler.kill());
    const samplerStopped = new Promise<void>((resolve) => {
      sampler.on('message', (m) => (m === 'stopped' ? resolve() : samples.push(m as ScrapeSample)));
      sampler.on('exit', () => resolve());
    });

    // Warm-up: every instance polled, and the jobs to fail seen listed.
    const failOn = s.failOn ?? [instances.find((id) => s.poll[id] !== 'gone') ?? target];
    const toFail = failOn.flatMap((instanceId) =>
      Array.from({ length: PHASES.jobs }, (_, i) => ({
        instanceId,
        jobId: sim.world.addJob(instanceId, { status: 'Uploading', process: 10, mode: i % 2 ? 'Manual' : 'Automated' }).jobId,
      })),
    );
    const toLose = s.deletedWithJobs ? [sim.world.addJob(s.deletedWithJobs, { status: 'Uploading', process: 10 }).jobId] : [];
    await until(
      'every instance polled and every job seen',
      async () => {
        const text = await metrics();
        return (
          instances.every((id) => sample(text, 'alicloud_rds_backup_poll_success', { instance_id: id }) === 1) &&
          [...toFail.map((job) => job.jobId), ...toLose].every((job) => text.includes(`backup_job_id="${job}"`))
        );
      },
      15_000,
    );
    await until('the scraper samples', () => samples.length > 0, 15_000);
    const warm = Date.now();
    await sleep(PHASES.baselineMs);

    const before = await metrics();
    const rssBefore = rssOf(daemon.pid!);
    let rssPeak = rssBefore;
    const rssTimer = setInterval(() => (rssPeak = Math.max(rssPeak, rssOf(daemon.pid!))), 250);
    cleanups.push(() => clearInterval(rssTimer));

    const faultStart = Date.now();
    const requestsBefore = sim.requests.length;
    await s.start(ctx);
    const failAt = toFail.map((_, i) => faultStart + ((i + 1) * PHASES.faultMs) / (toFail.length + 1));
    let shown = '';
    let midSwept = false;
    while (Date.now() - faultStart < PHASES.faultMs) {
      const elapsed = Date.now() - faultStart;
      await s.during?.(ctx, elapsed);
      failAt.forEach((at, i) => {
        const { instanceId, jobId } = toFail[i]!;
        if (at <= Date.now() && sim.world.job(instanceId, jobId)?.outcome === undefined) sim.world.finishJob(instanceId, jobId, 'Failed');
      });
      if (!midSwept && elapsed > PHASES.faultMs / 2) {
        midSwept = true;
        shown += await pages(get);
      }
      await sleep(100);
    }
    for (const { instanceId, jobId } of toFail) if (sim.world.job(instanceId, jobId)?.outcome === undefined) sim.world.finishJob(instanceId, jobId, 'Failed');
    const faultEnd = Date.now();
    const duringFault = sim.requests.slice(requestsBefore);
    await s.stop(ctx);

    // Recovery: the failures are counted (once), then a few more ticks to see they stay counted once.
    const recoveryStart = Date.now();
    await until(
      'the failures counted',
      async () =>
        sumOf(await metrics(), failOn, 'Failed') >= toFail.length && failuresOf(await metrics(), s.deletedWithJobs ?? failOn[0]!, 'Unknown') >= toLose.length,
      10 * TICK_MS,
    ).catch(() => undefined);
    await sleep(Math.max(PHASES.recoveryMs + (s.settleMs ?? 0) - (Date.now() - recoveryStart), 3 * TICK_MS + (s.settleMs ?? 0)));
    const after = await metrics();
    shown += await pages(get);
    const rssAfter = rssOf(daemon.pid!);
    clearInterval(rssTimer);

    sampler.send('stop');
    await samplerStopped;
    const exitBeforeEnd = exited !== undefined;
    daemon.kill('SIGTERM');
    const { code } = await within(exit, 12_000, { code: null });
    shown += `\n${stdout.join('\n')}\n${partial}\n${stderr.join('\n')}`;

    const secretsFound = [...forbiddenValues(sim)].filter(([, value]) => shown.includes(value)).map(([name]) => name);
    const watched = samples.filter((x) => x.t0 >= warm);
    const seriesOf = (text: string, prefix = '') => text.split('\n').filter((l) => l !== '' && !l.startsWith('#') && l.startsWith(prefix)).length;
    const isFault = (code: string) => code !== 'OK';
    return {
      scenario: s.name,
      faults: s.faults,
      profile: PROFILE,
      faultStart,
      faultEnd,
      exitBeforeEnd,
      exitCode: code,
      samples: watched,
      injected: duringFault.filter((r) => isFault(r.code)).length,
      failedRequestsCounted: failedRequestsCounted(after) - failedRequestsCounted(before),
      failuresExpected: toFail.length,
      failuresCounted: sumOf(after, failOn, 'Failed'),
      completionsCounted: sumOf(after, failOn, 'All'),
      unknownOnFailing: sumOf(after, failOn, 'Unknown'),
      unknownExpected: toLose.length,
      unknownCounted: toLose.length ? failuresOf(after, s.deletedWithJobs!, 'Unknown') : 0,
      rssBefore,
      rssPeak,
      rssAfter,
      seriesBefore: seriesOf(before),
      seriesMax: Math.max(...watched.map((x) => x.series)),
      seriesAfter: seriesOf(after),
      exporterSeriesBefore: seriesOf(before, 'alicloud_rds_backup_'),
      exporterSeriesMax: Math.max(...watched.map((x) => x.exporterSeries)),
      exporterSeriesAfter: seriesOf(after, 'alicloud_rds_backup_'),
      secretsFound,
      paramsQuoted: /Signature=|SecurityToken=|AccessKeyId=|string to sign/i.test(shown),
      logLines: stdout.length,
      stderr,
      failedRequests: sim.requests.filter((r) => isFault(r.code)).map((r) => ({ instanceId: r.instanceId ?? '', at: r.at, code: r.code })),
      okListings: sim.requests
        .filter((r) => r.code === 'OK' && r.action === 'DescribeBackupTasks' && r.params.BackupJobId === undefined)
        .map((r) => ({ instanceId: r.instanceId ?? '', at: r.at })),
      stsKeysUsed: new Set(duringFault.filter((r) => r.params.AccessKeyId?.startsWith('STS.')).map((r) => r.params.AccessKeyId)).size,
    };
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup();
  }
}
