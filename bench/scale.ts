// Issue 10's scale targets, measured side by side in one run: /metrics latency of the exporter
// against a floor server (the same bytes sent from memory), idle and during a poll, in text and
// OpenMetrics, with and without gzip; CPU per scrape; the exporter's memory while scraped every
// 15 s; the exposition's size; and the /status page.
//
//   npm run bench                 # 10,000 instances (builds first; about 25 minutes)
//   npm run bench -- 1000         # another size
//   npm run bench -- 50 --quick   # a short check that the harness works (seconds)
//   npm run bench -- --help       # every option
//
// Processes: the exporter is `node dist/main.js` with a generated configuration; the simulator
// (bench/sim-child.ts) and the floor (bench/floor-child.ts) run in children of their own; this
// process only scrapes, reads /proc and prints. Progress goes to stderr, the markdown for
// bench/RESULTS.md to stdout. Figures recorded in bench/RESULTS.md.
//
// "During a poll": the simulator child reports, every 50 ms, how many API requests it has
// answered. A poll window runs from its first request to its last plus a settle time (1 s; 0.2 s
// with --quick) for the exporter to publish what it read. A scrape is "during a poll" when it
// overlaps a window at all, "idle" otherwise; the sample is classified after the fact.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { ChildProcess } from 'node:child_process';
import type { Agent } from 'node:http';
import { createServer } from 'node:net';
import { DEMO_CREDENTIAL } from '../simulator/server.js';
import { forkTs, killAll, message, REPO_ROOT, spawnNode, stop } from './children.js';
import { cpuSeconds, memory } from './proc.js';
import { get, keepAliveAgent, percentile, wallNow, type Scrape } from './scrape.js';
import { instanceId } from './sim-world.js';

const USAGE = `Usage: npm run bench -- [INSTANCES] [options]     (default 10000 instances)

  --quick                        a short run that checks the harness works (small samples, 3 s schedule)
  --latency-ms=MS                simulator answer latency per request (default 30)
  --schedule-seconds=S           poll.schedule every S seconds, S divides 60 (default 60 from 5000 instances, else 30; quick 3)
  --concurrency=C                poll.concurrency (default: a steady cycle takes 10 s, or a third of the schedule; quick at least 8)
  --scrape-interval-seconds=S    scrape interval of the memory phase (default 15; quick 1)
  --memory-cycles=K              poll cycles the memory phase lasts (default 4; quick 1)
  --idle-samples=K               exporter scrapes per cell while idle (default 20; quick 3)
  --poll-samples=K               exporter scrapes per cell during a poll (default 10; quick 1)
  --latency-budget-seconds=S     longest the latency phase may take (default 600; quick 20)
  --warmup-cycles=K              most poll cycles to wait, after ready, for a steady one (default 6; quick 4)
  --node-options=OPTIONS         Node options of the exporter's process, as NODE_OPTIONS would give them
                                 (e.g. "--max-old-space-size=256 --max-semi-space-size=8", as deploy/kubernetes does)
  --keep                         keep the temporary directory (configuration, logs, captured bodies)
`;

const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    quick: { type: 'boolean', default: false },
    'latency-ms': { type: 'string' },
    'schedule-seconds': { type: 'string' },
    concurrency: { type: 'string' },
    'scrape-interval-seconds': { type: 'string' },
    'memory-cycles': { type: 'string' },
    'idle-samples': { type: 'string' },
    'poll-samples': { type: 'string' },
    'latency-budget-seconds': { type: 'string' },
    'warmup-cycles': { type: 'string' },
    'node-options': { type: 'string', default: '' },
    keep: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (opts.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const quick = opts.quick;
function numberOption(name: keyof typeof opts, fallback: number, min: number): number {
  const text = opts[name];
  const value = typeof text === 'string' ? Number(text) : fallback;
  if (!Number.isFinite(value) || value < min) {
    process.stderr.write(`bench: --${name}: expected a number of at least ${min}, got "${String(text)}"\n${USAGE}`);
    process.exit(2);
  }
  return value;
}
const INSTANCES = positionals.length > 0 ? Number(positionals[0]) : 10_000;
if (!Number.isInteger(INSTANCES) || INSTANCES < 1 || INSTANCES > 50_000) {
  process.stderr.write(`bench: INSTANCES: expected a whole number from 1 to 50000, got "${positionals[0]}"\n${USAGE}`);
  process.exit(2);
}
const LATENCY_MS = numberOption('latency-ms', 30, 0);
const SCHEDULE_S = numberOption('schedule-seconds', quick ? 3 : INSTANCES >= 5000 ? 60 : 30, 1);
if (!Number.isInteger(SCHEDULE_S) || 60 % SCHEDULE_S !== 0) {
  process.stderr.write(`bench: --schedule-seconds: expected a divisor of 60, got ${SCHEDULE_S}\n`);
  process.exit(2);
}
const PERIOD_MS = SCHEDULE_S * 1000;
/** a steady cycle (about one call per instance) of 10 s, or a third of the schedule if shorter */
const CONCURRENCY = Math.round(
  numberOption('concurrency', Math.min(256, Math.max(quick ? 8 : 1, Math.ceil((INSTANCES * LATENCY_MS) / Math.min(10_000, PERIOD_MS / 3)))), 1),
);
const REQUESTS_PER_SECOND = 1000;
const SCRAPE_INTERVAL_MS = numberOption('scrape-interval-seconds', quick ? 1 : 15, 0.1) * 1000;
const MEMORY_CYCLES = numberOption('memory-cycles', quick ? 1 : 4, 1);
const IDLE_SAMPLES = numberOption('idle-samples', quick ? 3 : 20, 1);
const POLL_SAMPLES = numberOption('poll-samples', quick ? 1 : 10, 0);
const LATENCY_BUDGET_MS = numberOption('latency-budget-seconds', quick ? 20 : 600, 1) * 1000;
const WARMUP_CYCLES = numberOption('warmup-cycles', quick ? 4 : 6, 1);
/** after a poll's last API request, how long it still counts as polling (the exporter publishes) */
const SETTLE_MS = quick ? 200 : 1000;
/** requests further apart than this belong to different poll windows */
const WINDOW_GAP_MS = Math.min(1000, PERIOD_MS / 4);
const SCRAPE_TIMEOUT_MS = 30_000;
const TEXT_ACCEPT = 'text/plain;version=0.0.4;q=1,*/*;q=0.1';
const OPENMETRICS_ACCEPT = 'application/openmetrics-text;version=1.0.0';
/** What Prometheus 2.x sends by default (the memory phase scrapes like it). */
const PROMETHEUS_ACCEPT =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

const runStartedAt = Date.now();
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
function progress(text: string): void {
  process.stderr.write(`[bench ${((Date.now() - runStartedAt) / 1000).toFixed(0).padStart(4)} s] ${text}\n`);
}

// --- poll windows, from the simulator's request counts ------------------------------------------

interface PollWindow {
  /** wall-clock ms */
  start: number;
  lastRequestAt: number;
  /** lastRequestAt + SETTLE_MS */
  end: number;
  requests: number;
}

class PollTimeline {
  private readonly points: Array<{ at: number; total: number }> = [];
  total = 0;
  failed = 0;

  record(at: number, total: number, failed: number): void {
    this.points.push({ at, total });
    this.total = total;
    this.failed = failed;
  }

  get lastRequestAt(): number {
    return this.points.at(-1)?.at ?? -Infinity;
  }

  /** API requests are flowing, or stopped less than SETTLE_MS (+ `stallMs`) ago. */
  polling(now = wallNow(), stallMs = 0): boolean {
    return now - this.lastRequestAt < SETTLE_MS + 60 + stallMs;
  }

  /**
   * One window per poll cycle: requests in a later schedule period than the window's start, after
   * a pause of more than WINDOW_GAP_MS, begin the next one (a cycle that overruns a tick goes on
   * in the same window, as the poller skips that tick).
   */
  windows(): PollWindow[] {
    return this.group((window, at) => Math.floor(at / PERIOD_MS) > Math.floor(window.start / PERIOD_MS));
  }

  /** Stretches with requests no more than WINDOW_GAP_MS apart: what a scrape overlapped or not. */
  busy(): PollWindow[] {
    return this.group(() => true);
  }

  private group(newPeriod: (window: PollWindow, at: number) => boolean): PollWindow[] {
    const out: PollWindow[] = [];
    let current: PollWindow | undefined;
    let base = 0;
    let previousTotal = 0;
    for (const point of this.points) {
      if (current && (point.at - current.lastRequestAt <= WINDOW_GAP_MS || !newPeriod(current, point.at))) {
        current.lastRequestAt = point.at;
        current.end = point.at + SETTLE_MS;
      } else {
        base = previousTotal;
        // reports come every 50 ms: the window's first request came up to that long before its first report
        current = { start: point.at - 60, lastRequestAt: point.at, end: point.at + SETTLE_MS, requests: 0 };
        out.push(current);
      }
      current.requests = point.total - base;
      previousTotal = point.total;
    }
    return out;
  }

  /** Windows finished (settled) by now, oldest first. */
  finishedWindows(now = wallNow()): PollWindow[] {
    return this.windows().filter((w) => w.end < now && now - w.lastRequestAt > WINDOW_GAP_MS);
  }

  overlapsPoll(from: number, to: number): boolean {
    return this.busy().some((w) => w.start < to && w.end > from);
  }
}

/** Wall-clock ms of the next poll.schedule tick (node-cron fires on whole multiples of the period). */
function nextTickAt(now = wallNow()): number {
  return Math.ceil(now / PERIOD_MS) * PERIOD_MS;
}

/**
 * Waits until no poll is running and the next tick is at least `needMs` away (capped so that it
 * can happen); false if that did not come within `giveUpMs` (polls that never end).
 */
let quietMissed = false;
async function waitForQuiet(timeline: PollTimeline, needMs: number, giveUpMs = 2 * PERIOD_MS): Promise<boolean> {
  const need = Math.min(needMs, PERIOD_MS * 0.6);
  // once a quiet moment failed to come, the next waits are short: polls are likely to run on
  const giveUpAt = wallNow() + (quietMissed ? Math.min(giveUpMs, PERIOD_MS / 4) : giveUpMs);
  while (wallNow() < giveUpAt) {
    const now = wallNow();
    if (!timeline.polling(now) && nextTickAt(now) - now > need) return true;
    await sleep(25);
  }
  progress(`no quiet moment of ${(need / 1000).toFixed(1)} s came; measuring anyway`);
  quietMissed = true;
  return false;
}

// --- processes ----------------------------------------------------------------------------------

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

async function waitForReady(url: string, child: ChildProcess, logFile: string): Promise<void> {
  const giveUpAt = Date.now() + 20 * 60_000;
  while (Date.now() < giveUpAt) {
    if (exited(child)) throw new Error(`the exporter exited (${child.signalCode ?? child.exitCode}); see ${logFile}`);
    try {
      if ((await get(`${url}/-/ready`, { timeoutMs: 5000 })).status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(250);
  }
  throw new Error(`the exporter was not ready after 20 minutes; see ${logFile}`);
}

// --- measuring ----------------------------------------------------------------------------------

interface Cell {
  name: string;
  format: 'text' | 'OpenMetrics';
  gzip: boolean;
  headers: Record<string, string>;
}

const CELLS: Cell[] = [
  { name: 'text', format: 'text', gzip: false, headers: { accept: TEXT_ACCEPT } },
  { name: 'text+gzip', format: 'text', gzip: true, headers: { accept: TEXT_ACCEPT, 'accept-encoding': 'gzip' } },
  { name: 'om', format: 'OpenMetrics', gzip: false, headers: { accept: OPENMETRICS_ACCEPT } },
  { name: 'om+gzip', format: 'OpenMetrics', gzip: true, headers: { accept: OPENMETRICS_ACCEPT, 'accept-encoding': 'gzip' } },
];

interface Target {
  name: 'exporter' | 'floor';
  url: string;
  pid: number;
  agent: Agent;
}

interface Sample {
  cell: string;
  target: Target['name'];
  scrape?: Scrape;
  error?: string;
  startAt: number;
  endAt: number;
}

async function scrapeCell(target: Target, cell: Cell): Promise<Sample> {
  const startAt = wallNow();
  try {
    const scrape = await get(`${target.url}/metrics`, { headers: cell.headers, agent: target.agent, timeoutMs: SCRAPE_TIMEOUT_MS });
    if (scrape.status !== 200) return { cell: cell.name, target: target.name, error: `HTTP ${scrape.status}`, startAt, endAt: scrape.endAt };
    return { cell: cell.name, target: target.name, scrape, startAt, endAt: scrape.endAt };
  } catch (err) {
    return { cell: cell.name, target: target.name, error: (err as Error).message, startAt, endAt: wallNow() };
  }
}

interface MemoryPhase {
  scrapes: number[];
  rssSamples: number[];
  hwmMiB: number;
  cycles: number;
}

/** Scrapes like Prometheus (its Accept, gzip) every SCRAPE_INTERVAL_MS until MEMORY_CYCLES poll windows have finished. */
async function memoryPhase(exporter: Target, timeline: PollTimeline): Promise<MemoryPhase> {
  const before = timeline.finishedWindows().length;
  const rssSamples: number[] = [];
  const sampler = setInterval(() => rssSamples.push(memory(exporter.pid).rssMiB), 500);
  const scrapes: number[] = [];
  const giveUpAt = Date.now() + (MEMORY_CYCLES + 4) * Math.max(PERIOD_MS, 60_000) * 2;
  try {
    while (timeline.finishedWindows().length - before < MEMORY_CYCLES && Date.now() < giveUpAt) {
      const started = Date.now();
      const sample = await scrapeCell(exporter, {
        name: 'prometheus',
        format: 'OpenMetrics',
        gzip: true,
        headers: { accept: PROMETHEUS_ACCEPT, 'accept-encoding': 'gzip' },
      });
      if (sample.scrape) scrapes.push(sample.scrape.ms);
      else progress(`memory phase: scrape failed: ${sample.error}`);
      await sleep(Math.max(0, SCRAPE_INTERVAL_MS - (Date.now() - started)));
    }
  } finally {
    clearInterval(sampler);
  }
  rssSamples.push(memory(exporter.pid).rssMiB);
  return { scrapes, rssSamples, hwmMiB: memory(exporter.pid).hwmMiB, cycles: timeline.finishedWindows().length - before };
}

interface Capture {
  type: string;
  plain: Buffer;
  /** the exporter's own gzip answer, as sent */
  gzipBytes: number;
  gzipEncoded: boolean;
}

async function capture(exporter: Target, cell: Cell, gzipCell: Cell): Promise<Capture> {
  const plain = await get(`${exporter.url}/metrics`, { headers: cell.headers, agent: exporter.agent, timeoutMs: SCRAPE_TIMEOUT_MS, keepBody: true });
  const zipped = await get(`${exporter.url}/metrics`, { headers: gzipCell.headers, agent: exporter.agent, timeoutMs: SCRAPE_TIMEOUT_MS, keepBody: true });
  if (plain.status !== 200 || zipped.status !== 200) throw new Error(`capture of ${cell.format}: HTTP ${plain.status} / ${zipped.status}`);
  const gzipEncoded = zipped.contentEncoding === 'gzip';
  if (gzipEncoded) gunzipSync(zipped.body!); // throws if the exporter's gzip is broken
  return { type: plain.contentType, plain: plain.body!, gzipBytes: zipped.bytes, gzipEncoded };
}

/** Exporter and floor scraped one after the other, cell by cell in turn, until each cell has its idle and during-poll samples. */
async function latencyPhase(targets: Target[], timeline: PollTimeline): Promise<Sample[]> {
  const samples: Sample[] = [];
  const started = { idle: new Map<string, number>(), poll: new Map<string, number>() };
  const wanted = { idle: IDLE_SAMPLES, poll: POLL_SAMPLES };
  const giveUpAt = Date.now() + LATENCY_BUDGET_MS;
  let turn = 0;
  let lastReport = Date.now();
  let lastExporterMs = 0;
  while (Date.now() < giveUpAt) {
    // a scrape of the exporter stalls its polling (one event loop) for about as long as it takes:
    // a pause in the API requests that short is not the end of a poll
    const state = timeline.polling(wallNow(), lastExporterMs) ? 'poll' : 'idle';
    const missing = (s: 'idle' | 'poll') => CELLS.filter((c) => (started[s].get(c.name) ?? 0) < wanted[s]);
    if (missing('idle').length === 0 && missing('poll').length === 0) break;
    const candidates = missing(state);
    if (candidates.length === 0) {
      await sleep(25);
      continue;
    }
    const cell = candidates[turn++ % candidates.length]!;
    started[state].set(cell.name, (started[state].get(cell.name) ?? 0) + 1);
    for (const target of targets) {
      const sample = await scrapeCell(target, cell);
      samples.push(sample);
      if (target.name === 'exporter') lastExporterMs = sample.endAt - sample.startAt;
    }
    if (Date.now() - lastReport > 30_000) {
      lastReport = Date.now();
      const count = (s: 'idle' | 'poll') => CELLS.map((c) => started[s].get(c.name) ?? 0).join('/');
      progress(`latency: exporter scrapes started idle ${count('idle')}, during a poll ${count('poll')} (of ${IDLE_SAMPLES}, ${POLL_SAMPLES} per cell)`);
    }
  }
  if (Date.now() >= giveUpAt) progress(`latency: the budget of ${LATENCY_BUDGET_MS / 1000} s ran out; reporting the samples taken`);
  return samples;
}

interface CpuResult {
  cpuMsPerScrape: number;
  scrapes: number;
  overlappedPoll: boolean;
}

/** CPU-seconds per second of `pid` over a quiet period of `ms` (no scrape, no poll). */
async function baselineCpuRate(pid: number, timeline: PollTimeline, ms: number): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    const quiet = await waitForQuiet(timeline, ms + (quick ? 100 : 500));
    const from = wallNow();
    const cpu0 = cpuSeconds(pid);
    await sleep(ms);
    const cpu1 = cpuSeconds(pid);
    const to = wallNow();
    await sleep(SETTLE_MS + 100);
    if (!quiet || !timeline.overlapsPoll(from, to) || attempt >= (quick ? 1 : 3)) return (cpu1 - cpu0) / ((to - from) / 1000);
  }
}

/**
 * Back-to-back scrapes of one cell in a quiet moment: at least `minScrapes` and `minMs` long, and
 * ended before the next tick; the process's CPU over the series, less its baseline, per scrape.
 */
async function cpuPerScrape(target: Target, cell: Cell, baseline: number, estimateMs: number, timeline: PollTimeline): Promise<CpuResult> {
  const minScrapes = quick ? 2 : 3;
  const minMs = quick ? 300 : 3000;
  const needMs = Math.max(minMs, minScrapes * estimateMs) + (quick ? 200 : 1000);
  let result: CpuResult | undefined;
  for (let attempt = 1; attempt <= (quick ? 1 : 3); attempt++) {
    const quiet = await waitForQuiet(timeline, needMs);
    const from = wallNow();
    const cpu0 = cpuSeconds(target.pid);
    let scrapes = 0;
    for (;;) {
      const sample = await scrapeCell(target, cell);
      if (!sample.scrape) throw new Error(`CPU series, ${target.name} ${cell.name}: ${sample.error}`);
      scrapes++;
      const now = wallNow();
      const enough = scrapes >= minScrapes && now - from >= minMs;
      // another scrape would likely run into the next tick's poll
      const tickClose = nextTickAt(now) - now < estimateMs * 1.5 + 500;
      if (enough || tickClose || scrapes >= 10_000) break;
    }
    const cpu1 = cpuSeconds(target.pid);
    const to = wallNow();
    await sleep(SETTLE_MS + 100);
    const cpu = cpu1 - cpu0 - baseline * ((to - from) / 1000);
    result = { cpuMsPerScrape: (cpu * 1000) / scrapes, scrapes, overlappedPoll: timeline.overlapsPoll(from, to) };
    if (!quiet || !result.overlappedPoll) break;
  }
  return result!;
}

async function statusPhase(exporter: Target, timeline: PollTimeline): Promise<{ whole: number[]; filtered: number[]; duringPoll: number }> {
  const whole: number[] = [];
  const filtered: number[] = [];
  let duringPoll = 0;
  for (let i = 0; i < (quick ? 3 : 20); i++) {
    if (!(await waitForQuiet(timeline, 2000, PERIOD_MS / 2))) duringPoll++;
    whole.push((await get(`${exporter.url}/status`, { agent: exporter.agent, timeoutMs: SCRAPE_TIMEOUT_MS })).ms);
    filtered.push((await get(`${exporter.url}/status?instance=rm-bench-0000`, { agent: exporter.agent, timeoutMs: SCRAPE_TIMEOUT_MS })).ms);
  }
  return { whole, filtered, duringPoll };
}

// --- report -------------------------------------------------------------------------------------

const fmtMs = (ms: number | undefined) =>
  ms === undefined ? '—' : ms >= 100 ? `${Math.round(ms).toLocaleString('en-US')} ms` : `${ms.toFixed(ms >= 10 ? 1 : 2)} ms`;
const fmtRatio = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined || b <= 0 ? '—' : `${(a / b).toFixed(a / b >= 10 ? 0 : 2)}×`;
const fmtMiB = (mib: number) => `${Math.round(mib).toLocaleString('en-US')} MiB`;
const fmtBytes = (n: number) => `${n >= 2 ** 20 ? `${(n / 2 ** 20).toFixed(2)} MiB` : `${(n / 1024).toFixed(1)} KiB`} (${n.toLocaleString('en-US')} B)`;
const met = (ok: boolean | undefined) => (ok === undefined ? '—' : ok ? 'met' : 'missed');
const cellLabel = (c: Cell) => `${c.format}${c.gzip ? ', gzip' : ''}`;

/** Series in a text exposition: every line that is neither a comment nor empty. */
function countSeries(text: string, prefix = ''): number {
  let n = 0;
  for (const line of text.split('\n')) if (line !== '' && !line.startsWith('#') && line.startsWith(prefix)) n++;
  return n;
}

// --- the run ------------------------------------------------------------------------------------

async function main(): Promise<void> {
  if (os.platform() !== 'linux') throw new Error('this benchmark reads /proc: Linux only');
  const MAIN = join(REPO_ROOT, 'dist', 'main.js');
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npm run build first (npm run bench does)`);
  const dir = mkdtempSync(join(os.tmpdir(), 'rds-exporter-bench-'));
  const loadBefore = os.loadavg();
  let finished = false;
  // however the run ends unfinished (an error, Ctrl-C), the configuration and logs stay for a
  // look, but not the captured expositions (about 100 MB at 10,000 instances)
  process.once('exit', () => {
    if (finished || opts.keep) return;
    for (const file of ['text.prom', 'text.prom.gz', 'openmetrics.prom', 'openmetrics.prom.gz']) rmSync(join(dir, file), { force: true });
  });
  progress(`${INSTANCES} instances; temporary files in ${dir}`);
  try {
    // the simulator, seeded
    const timeline = new PollTimeline();
    const sim = forkTs('sim-child.ts', [String(INSTANCES), String(LATENCY_MS)], join(dir, 'simulator.log'));
    sim.on('message', (m: { type: string; at: number; total: number; failed: number }) => {
      if (m.type === 'requests') timeline.record(m.at, m.total, m.failed);
    });
    const { url: simUrl } = await message<{ url: string }>(sim, 'ready', 5 * 60_000);
    progress(`simulator at ${simUrl}, latency ${LATENCY_MS} ms`);

    // the exporter
    const ids = Array.from({ length: INSTANCES }, (_, i) => instanceId(i));
    const schedule = SCHEDULE_S === 60 ? '0 * * * * *' : `*/${SCHEDULE_S} * * * * *`;
    const config = {
      poll: { schedule, concurrency: CONCURRENCY, timeout_seconds: 10 },
      accounts: [
        {
          name: 'bench',
          endpoint: simUrl,
          requests_per_second: REQUESTS_PER_SECOND,
          access_key_id: DEMO_CREDENTIAL.accessKeyId,
          access_key_secret: DEMO_CREDENTIAL.accessKeySecret,
          regions: [{ region: 'cn-hangzhou', instances: ids }],
        },
      ],
    };
    const configFile = join(dir, 'exporter.yml');
    writeFileSync(configFile, `# generated by bench/scale.ts (JSON is YAML)\n${JSON.stringify(config)}\n`);
    const port = await freePort();
    const exporterLog = join(dir, 'exporter.log');
    const nodeOptions = opts['node-options'].split(/\s+/).filter((o) => o !== '');
    const exporterChild = spawnNode(
      [...nodeOptions, MAIN, `--config.file=${configFile}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
      exporterLog,
    );
    const exporter: Target = { name: 'exporter', url: `http://127.0.0.1:${port}`, pid: exporterChild.pid!, agent: keepAliveAgent() };
    const startedAt = Date.now();
    await waitForReady(exporter.url, exporterChild, exporterLog);
    progress(`exporter ready after ${((Date.now() - startedAt) / 1000).toFixed(1)} s (pid ${exporter.pid}); warming up without scraping`);

    // warm-up: cycles without scraping until one asks about one call per instance (first looks done)
    const rssUnscraped: number[] = [];
    const warmSampler = setInterval(() => rssUnscraped.push(memory(exporter.pid).rssMiB), 500);
    const readyWindows = timeline.finishedWindows().length;
    const warmupGiveUpAt = Date.now() + 10 * PERIOD_MS + 10 * 60_000;
    let reported = 0;
    for (;;) {
      const done = timeline.finishedWindows().slice(readyWindows);
      const last = done.at(-1);
      if (last && done.length > reported) {
        reported = done.length;
        progress(`warm-up: poll window of ${((last.lastRequestAt - last.start) / 1000).toFixed(1)} s, ${last.requests} API requests`);
      }
      if (done.length >= (quick ? 1 : 2) && last && last.requests >= 0.5 * INSTANCES && last.requests <= 1.5 * INSTANCES) break;
      if (done.length >= WARMUP_CYCLES || Date.now() > warmupGiveUpAt) {
        progress('warm-up: cycles have not become steady; going on');
        break;
      }
      await sleep(100);
    }
    clearInterval(warmSampler);
    const warmupWindows = timeline.finishedWindows();
    const unscraped = memory(exporter.pid);
    progress(
      `warm-up done: ${warmupWindows.length} poll windows (requests ${warmupWindows.map((w) => w.requests).join(', ')}); RSS ${fmtMiB(unscraped.rssMiB)}, peak ${fmtMiB(unscraped.hwmMiB)}`,
    );

    // memory while scraped like Prometheus
    progress(`memory: scraping every ${SCRAPE_INTERVAL_MS / 1000} s over ${MEMORY_CYCLES} poll cycles`);
    const mem = await memoryPhase(exporter, timeline);
    progress(`memory: ${mem.scrapes.length} scrapes over ${mem.cycles} cycles; RSS max ${fmtMiB(Math.max(...mem.rssSamples))}, VmHWM ${fmtMiB(mem.hwmMiB)}`);

    // the exposition, captured for the floor
    const text = await capture(exporter, CELLS[0]!, CELLS[1]!);
    const om = await capture(exporter, CELLS[2]!, CELLS[3]!);
    writeFileSync(join(dir, 'text.prom'), text.plain);
    writeFileSync(join(dir, 'text.prom.gz'), gzipSync(text.plain));
    writeFileSync(join(dir, 'openmetrics.prom'), om.plain);
    writeFileSync(join(dir, 'openmetrics.prom.gz'), gzipSync(om.plain));
    writeFileSync(join(dir, 'types.json'), JSON.stringify({ text: text.type, openmetrics: om.type }));
    const floorChild = forkTs('floor-child.ts', [dir], join(dir, 'floor.log'));
    const { port: floorPort } = await message<{ port: number }>(floorChild, 'ready', 60_000);
    const floor: Target = { name: 'floor', url: `http://127.0.0.1:${floorPort}`, pid: floorChild.pid!, agent: keepAliveAgent() };
    const textBody = text.plain.toString('utf8');
    const series = countSeries(textBody);
    const ownSeries = countSeries(textBody, 'alicloud_rds_backup_');
    progress(`captured: text ${fmtBytes(text.plain.length)}, ${series} series; floor at ${floor.url}`);

    // latency, idle and during a poll
    const latencyFrom = timeline.finishedWindows().length;
    const samples = await latencyPhase([exporter, floor], timeline);
    await sleep(SETTLE_MS + WINDOW_GAP_MS + 200);
    const latencyWindows = timeline.finishedWindows().slice(latencyFrom);
    const when = (s: Sample) => (timeline.overlapsPoll(s.startAt, s.endAt) ? 'poll' : 'idle');
    const pick = (target: string, cell: string, state: string) => samples.filter((s) => s.target === target && s.cell === cell && when(s) === state);
    progress(`latency: ${samples.length} scrapes over ${latencyWindows.length} poll windows`);

    // CPU per scrape, idle
    const cpu = new Map<string, CpuResult>();
    const baselines = new Map<string, number>();
    for (const target of [exporter, floor]) {
      const rate = await baselineCpuRate(target.pid, timeline, quick ? 500 : 5000);
      baselines.set(target.name, rate);
      for (const cell of CELLS) {
        const idle = pick(target.name, cell.name, 'idle').flatMap((s) => (s.scrape ? [s.scrape.ms] : []));
        const estimate = idle.length > 0 ? percentile(idle, 50) : 1000;
        const result = await cpuPerScrape(target, cell, rate, estimate, timeline);
        cpu.set(`${target.name} ${cell.name}`, result);
        progress(
          `cpu: ${target.name} ${cell.name}: ${result.cpuMsPerScrape.toFixed(1)} CPU-ms per scrape over ${result.scrapes} scrapes${result.overlappedPoll ? ' (overlapped a poll)' : ''}`,
        );
      }
    }

    const status = await statusPhase(exporter, timeline);
    const endMemory = memory(exporter.pid);
    const totalRequests = timeline.total;
    const failedRequests = timeline.failed;
    const allWindows = timeline.finishedWindows();

    await stop(exporterChild);
    await stop(floorChild, 2000);
    await stop(sim, 2000);
    const loadAfter = os.loadavg();

    // --- the report, in markdown ---
    const out: string[] = [];
    const cpus = os.cpus();
    out.push(`### ${INSTANCES.toLocaleString('en-US')} instances — \`npm run bench -- ${process.argv.slice(2).join(' ') || String(INSTANCES)}\``);
    out.push('');
    out.push(
      `Machine: ${cpus.length} cores (${cpus[0]?.model.trim() ?? 'unknown CPU'}), ${fmtMiB(os.totalmem() / 2 ** 20)} RAM, Linux ${os.release()}, Node ${process.version}; ${new Date(runStartedAt).toISOString()}; ` +
        `load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')} at the start, ${loadAfter.map((l) => l.toFixed(2)).join(' ')} at the end; the run took ${((Date.now() - runStartedAt) / 60_000).toFixed(1)} min.`,
    );
    out.push(
      `Setup: simulator (own process) answering after ${LATENCY_MS} ms; exporter \`node ${opts['node-options'] ? `${opts['node-options']} ` : ''}dist/main.js\` with one account, one region, ${INSTANCES.toLocaleString('en-US')} listed instances, each with a backup running and a week of backup sets; ` +
        `\`poll.schedule\` every ${SCHEDULE_S} s, \`poll.concurrency\` ${CONCURRENCY}, \`requests_per_second\` ${REQUESTS_PER_SECOND}. ` +
        `Floor: a node http server (own process) sending the exporter's captured exposition from memory (pre-gzipped for gzip requests). ` +
        `"During a poll" = the scrape overlapped a window from the poll's first API request to ${SETTLE_MS / 1000} s after its last.`,
    );
    out.push('');
    out.push('| /metrics | when | exporter p50 | exporter p99 | floor p50 | floor p99 | p50 ratio | p99 ratio | ≤ 2× | samples (exporter / floor) |');
    out.push('|---|---|---:|---:|---:|---:|---:|---:|---|---:|');
    for (const state of ['idle', 'poll'] as const) {
      for (const cell of CELLS) {
        const exp = pick('exporter', cell.name, state);
        const flo = pick('floor', cell.name, state);
        const ms = (list: Sample[]) => list.flatMap((s) => (s.scrape ? [s.scrape.ms] : []));
        const e = ms(exp);
        const f = ms(flo);
        const ep50 = e.length ? percentile(e, 50) : undefined;
        const ep99 = e.length ? percentile(e, 99) : undefined;
        const fp50 = f.length ? percentile(f, 50) : undefined;
        const fp99 = f.length ? percentile(f, 99) : undefined;
        const failures = (list: Sample[]) => list.filter((s) => s.error).length;
        const failedNote = failures(exp) + failures(flo) > 0 ? ` (failed ${failures(exp)} / ${failures(flo)})` : '';
        const ok = ep50 !== undefined && ep99 !== undefined && fp50 !== undefined && fp99 !== undefined ? ep50 <= 2 * fp50 && ep99 <= 2 * fp99 : undefined;
        out.push(
          `| ${cellLabel(cell)} | ${state === 'idle' ? 'idle' : 'during a poll'} | ${fmtMs(ep50)} | ${fmtMs(ep99)} | ${fmtMs(fp50)} | ${fmtMs(fp99)} | ${fmtRatio(ep50, fp50)} | ${fmtRatio(ep99, fp99)} | ${met(ok)} | ${e.length} / ${f.length}${failedNote} |`,
        );
      }
    }
    out.push('');
    out.push('| CPU per scrape (idle) | exporter | floor | ratio | ≤ 2× | scrapes (exporter / floor) |');
    out.push('|---|---:|---:|---:|---|---:|');
    for (const cell of CELLS) {
      const e = cpu.get(`exporter ${cell.name}`)!;
      const f = cpu.get(`floor ${cell.name}`)!;
      const overlapped = e.overlappedPoll || f.overlappedPoll ? ' (a series overlapped a poll)' : '';
      out.push(
        `| ${cellLabel(cell)} | ${e.cpuMsPerScrape.toFixed(1)} CPU-ms | ${f.cpuMsPerScrape.toFixed(2)} CPU-ms | ${fmtRatio(e.cpuMsPerScrape, f.cpuMsPerScrape)} | ${met(e.cpuMsPerScrape <= 2 * f.cpuMsPerScrape)} | ${e.scrapes} / ${f.scrapes}${overlapped} |`,
      );
    }
    out.push('');
    out.push(
      `CPU: user+system from \`/proc/<pid>/stat\` over back-to-back scrapes of one cell, less each process's idle rate over a quiet ${quick ? 0.5 : 5} s (exporter ${(baselines.get('exporter')! * 1000).toFixed(1)}, floor ${(baselines.get('floor')! * 1000).toFixed(1)} CPU-ms/s); 10 ms resolution.`,
    );
    out.push('');
    const median = (list: number[]) => (list.length ? percentile(list, 50) : NaN);
    out.push('| exporter memory | VmRSS | VmHWM (peak so far) | ≤ 300 MiB |');
    out.push('|---|---:|---:|---|');
    out.push(
      `| after ${warmupWindows.length} poll cycles, never scraped | ${fmtMiB(unscraped.rssMiB)} (max ${fmtMiB(Math.max(...rssUnscraped, unscraped.rssMiB))}) | ${fmtMiB(unscraped.hwmMiB)} | ${met(unscraped.hwmMiB <= 300)} |`,
    );
    out.push(
      `| scraped every ${SCRAPE_INTERVAL_MS / 1000} s like Prometheus, ${mem.cycles} poll cycles (${mem.scrapes.length} scrapes, p50 ${fmtMs(mem.scrapes.length ? percentile(mem.scrapes, 50) : undefined)}) | median ${fmtMiB(median(mem.rssSamples))}, max ${fmtMiB(Math.max(...mem.rssSamples))} | **${fmtMiB(mem.hwmMiB)}** | ${met(mem.hwmMiB <= 300)} |`,
    );
    out.push(`| end of the run (after back-to-back scrapes) | ${fmtMiB(endMemory.rssMiB)} | ${fmtMiB(endMemory.hwmMiB)} | — |`);
    out.push('');
    out.push("| exposition | plain | gzip (exporter's answer) | series | series per instance |");
    out.push('|---|---:|---:|---:|---:|');
    const gz = (c: Capture) => (c.gzipEncoded ? fmtBytes(c.gzipBytes) : 'not gzipped');
    out.push(
      `| text | ${fmtBytes(text.plain.length)} | ${gz(text)} | ${series.toLocaleString('en-US')} (alicloud_rds_backup_*: ${ownSeries.toLocaleString('en-US')}) | ${(series / INSTANCES).toFixed(1)} (${(ownSeries / INSTANCES).toFixed(1)}) |`,
    );
    out.push(`| OpenMetrics | ${fmtBytes(om.plain.length)} | ${gz(om)} | ${countSeries(om.plain.toString('utf8')).toLocaleString('en-US')} | — |`);
    out.push('');
    out.push('| /status | p50 | p99 | samples |');
    out.push('|---|---:|---:|---:|');
    out.push(`| whole (up to its row cap) | ${fmtMs(percentile(status.whole, 50))} | ${fmtMs(percentile(status.whole, 99))} | ${status.whole.length} |`);
    out.push(
      `| filtered, \`?instance=rm-bench-0000\` | ${fmtMs(percentile(status.filtered, 50))} | ${fmtMs(percentile(status.filtered, 99))} | ${status.filtered.length} |`,
    );
    if (status.duringPoll > 0) out.push('', `(${status.duringPoll} of the /status pairs were taken while a poll ran: no quiet moment came.)`);
    out.push('');
    const duration = (w: PollWindow) => (w.lastRequestAt - w.start) / 1000;
    const describe = (list: PollWindow[]) => list.map((w) => `${duration(w).toFixed(1)} s/${w.requests.toLocaleString('en-US')}`).join(', ');
    out.push(
      `Poll windows (duration/API requests): warm-up ${describe(warmupWindows)}; while scraped back-to-back ${describe(latencyWindows) || 'none'}. ` +
        `${allWindows.length} windows, ${totalRequests.toLocaleString('en-US')} API requests in all, ${failedRequests.toLocaleString('en-US')} answered with an error.`,
    );
    process.stdout.write(`${out.join('\n')}\n`);
    finished = true;
  } finally {
    killAll();
    if (opts.keep || !finished) progress(`kept ${dir} (configuration, logs, captured expositions)`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    killAll();
    process.exit(1);
  },
);
