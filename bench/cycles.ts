// How close each poll cycle comes to its floor: the exporter (this process) against the simulator
// (a child process, so that the figures are the exporter's own), which answers every request after
// a fixed latency. A tick's floor is max(calls / requests_per_second, calls × latency /
// concurrency): no cycle can be shorter with that many calls, whatever the client does.
// poll.concurrency is per account and region; the bench uses one account and one region, so the
// concurrency in the formula is poll.concurrency itself. The defaults, 400 requests a second and 14
// in flight, put the two terms within 15 % of each other (calls / 400 and calls / 467 s), and leave
// both processes CPU to spare on two cores (the exporter spends about 1.5 ms of CPU a call).
// Each tick prints the CPU both processes used and the exporter's event-loop delay: a ratio above
// the floor with a long delay is a process short of CPU (the load average is printed too), not
// calls waiting for each other.
//
// Ticks are driven back to back (the rate limit gets no time to save tokens between them) on a
// data clock that moves one minute a tick, from 00:00 UTC: tick 0 is the first cycle, tick 10 the
// inventory refresh (discovery_interval), 20 the backups interval, 60 the hourly reads; the others
// are steady cycles.
//
// Run: npm run bench:cycles -- [instances] [--latency=30] [--rps=400] [--concurrency=14]
//        [--idle-interval=15m] [--ticks=60] [--server-limit=0] [--discovery]
// --server-limit makes the simulator answer Throttling.User beyond that many requests per second.
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { cpus, loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { configSchema } from '../src/config/schema.js';
import { startExporter } from '../src/exporter.js';
import { createLogger } from '../src/log.js';
import { DEMO_CREDENTIAL, startSimulator } from '../simulator/server.js';
import { World } from '../simulator/world.js';

const MIN = 60_000;
const DAY = 86_400_000;
/** the data clock's start: a midnight, so that the backup windows below fall at known hours */
const START = Date.UTC(2026, 10, 30);
const ENGINES = ['MySQL', 'MySQL', 'MySQL', 'MySQL', 'MySQL', 'MySQL', 'MySQL', 'PostgreSQL', 'SQLServer', 'MariaDB'] as const;

type ToChild = { type: 'clock'; ms: number } | { type: 'count' };
type FromChild =
  | { type: 'ready'; url: string }
  | { type: 'clock' }
  | { type: 'count'; calls: number; throttled: number; byAction: Record<string, number>; cpuSeconds: number };

/** The simulator side: a world of `instances`, a clock the parent moves, request counts on demand. */
async function simulatorChild(instances: number, latencyMs: number, serverLimit: number): Promise<void> {
  let clock = START;
  const world = new World({ now: () => clock });
  for (let i = 0; i < instances; i++) {
    const id = instanceId(i);
    const hour = i % 24;
    world.addInstance(id, {
      engine: ENGINES[i % ENGINES.length]!,
      // windows spread over the day, as a large fleet's are
      policy: { preferredBackupTime: `${String(hour).padStart(2, '0')}:00Z-${String((hour + 1) % 24).padStart(2, '0')}:00Z` },
      ...(i % 5 === 0 ? { crossRegion: { enabled: true, logEnabled: false, region: 'cn-shanghai', retentionDays: 7 } } : {}),
    });
    for (let d = 1; d <= 7; d++)
      world.addBackupSet(id, { status: 'Success', startTime: START - d * DAY + hour * 60 * MIN, endTime: START - d * DAY + hour * 60 * MIN + 20 * MIN });
  }
  const sim = await startSimulator({ world, requestClock: Date.now, latencyMs, rateLimitPerSecond: serverLimit });
  const send = (message: FromChild) => process.send!(message);
  process.on('message', (message: ToChild) => {
    if (message.type === 'clock') {
      clock = message.ms;
      send({ type: 'clock' });
    } else {
      const byAction: Record<string, number> = {};
      let throttled = 0;
      for (const r of sim.requests) {
        byAction[r.action] = (byAction[r.action] ?? 0) + 1;
        if (r.code.startsWith('Throttling')) throttled++;
      }
      const cpu = process.cpuUsage();
      send({ type: 'count', calls: sim.requests.length, throttled, byAction, cpuSeconds: (cpu.user + cpu.system) / 1e6 });
      sim.requests.splice(0);
    }
  });
  process.on('disconnect', () => void sim.close().then(() => process.exit(0)));
  send({ type: 'ready', url: sim.url });
}

function instanceId(i: number): string {
  return `rm-bench${String(i).padStart(6, '0')}`;
}

/** Sends a message to the child and waits for its answer of the same type. */
async function ask<T extends FromChild['type']>(child: ChildProcess, message: ToChild & { type: T }): Promise<Extract<FromChild, { type: T }>> {
  const answer = new Promise<Extract<FromChild, { type: T }>>((resolve) => {
    const listen = (m: FromChild) => {
      if (m.type !== message.type) return;
      child.off('message', listen);
      resolve(m as Extract<FromChild, { type: T }>);
    };
    child.on('message', listen);
  });
  child.send(message);
  return answer;
}

interface Cycle {
  tick: number;
  calls: number;
  seconds: number;
  floor: number;
  ratio: number;
  throttled: number;
  failedPolls: number;
  /** CPU seconds of the exporter's process and of the simulator's during the tick */
  cpu: number;
  simCpu: number;
  /** the exporter's event-loop delay during the tick, p99 (ms): high when its process is short of CPU */
  loopDelayP99: number;
  /** the exporter's largest resident memory during the tick (MiB) */
  peakRssMiB: number;
  byAction: Record<string, number>;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      simulator: { type: 'boolean', default: false },
      latency: { type: 'string', default: '30' },
      rps: { type: 'string', default: '400' },
      concurrency: { type: 'string', default: '14' },
      'idle-interval': { type: 'string', default: '15m' },
      ticks: { type: 'string', default: '60' },
      'server-limit': { type: 'string', default: '0' },
      discovery: { type: 'boolean', default: false },
    },
  });
  const instances = Number(positionals[0] ?? 10_000);
  const latencyMs = Number(values.latency);
  const serverLimit = Number(values['server-limit']);
  if (values.simulator) return simulatorChild(instances, latencyMs, serverLimit);

  const rps = Number(values.rps);
  const concurrency = Number(values.concurrency);
  const ticks = Number(values.ticks);
  const child = fork(fileURLToPath(import.meta.url), [String(instances), '--simulator', `--latency=${latencyMs}`, `--server-limit=${serverLimit}`], {
    execArgv: ['--import', 'tsx'],
  });
  const [ready] = (await once(child, 'message')) as [FromChild];
  if (ready.type !== 'ready') throw new Error('the simulator did not start');

  const ids = Array.from({ length: instances }, (_, i) => instanceId(i));
  const region = values.discovery ? { region: 'cn-hangzhou', discovery: {} } : { region: 'cn-hangzhou', instances: ids };
  const config = configSchema.parse({
    // Ticks are driven below; the schedule only sets the default deadline: a yearly one leaves 10 min.
    poll: { schedule: '0 0 1 1 *', concurrency, timeout_seconds: 10, idle_interval: values['idle-interval'] },
    accounts: [
      {
        name: 'bench',
        endpoint: ready.url,
        requests_per_second: rps,
        access_key_id: DEMO_CREDENTIAL.accessKeyId,
        access_key_secret: DEMO_CREDENTIAL.accessKeySecret,
        regions: [region],
      },
    ],
  });
  let clock = START;
  const quiet = new Writable({ write: (_c, _e, done) => done() });
  const exporter = await startExporter({
    config,
    log: createLogger({ level: 'error', destination: quiet }),
    listen: { host: '127.0.0.1', port: 0 },
    schedule: false,
    processMetrics: false,
    now: () => clock,
  });

  const cycles: Cycle[] = [];
  const loadStart = loadavg()[0]!;
  let simCpuBefore = (await ask(child, { type: 'count' })).cpuSeconds;
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  for (let tick = 0; tick <= ticks; tick++) {
    clock = START + tick * MIN;
    await ask(child, { type: 'clock', ms: clock });
    loop.reset();
    let peakRss = process.memoryUsage.rss();
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 100);
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    await exporter.poller.tick();
    clearInterval(sampler);
    const peakRssMiB = Math.max(peakRss, process.memoryUsage.rss()) / 2 ** 20;
    const seconds = (performance.now() - started) / 1000;
    const cpuUsed = process.cpuUsage(cpuBefore);
    const cpu = (cpuUsed.user + cpuUsed.system) / 1e6;
    const { calls, throttled, byAction, cpuSeconds } = await ask(child, { type: 'count' });
    const simCpu = cpuSeconds - simCpuBefore;
    simCpuBefore = cpuSeconds;
    const floor = Math.max(calls / rps, (calls * latencyMs) / 1000 / concurrency);
    const loopDelayP99 = loop.percentile(99) / 1e6;
    const failedPolls = exporter.poller.snapshot.instances.filter((i) => !i.success).length;
    cycles.push({ tick, calls, seconds, floor, ratio: seconds / floor, throttled, failedPolls, cpu, simCpu, loopDelayP99, peakRssMiB, byAction });
    process.stderr.write(
      `tick ${tick}: ${calls} calls, ${seconds.toFixed(2)} s, ${(seconds / floor).toFixed(3)}× floor, CPU ${cpu.toFixed(2)} s exporter, ${simCpu.toFixed(2)} s simulator, loop delay p99 ${loopDelayP99.toFixed(0)} ms, peak RSS ${peakRssMiB.toFixed(0)} MiB\n`,
    );
  }
  await exporter.close();
  child.disconnect();

  const row = (name: string, c: Cycle) => ({
    cycle: name,
    tick: c.tick,
    calls: c.calls,
    'calls/instance': +(c.calls / instances).toFixed(2),
    'duration s': +c.seconds.toFixed(2),
    'floor s': +c.floor.toFixed(2),
    ratio: +c.ratio.toFixed(3),
    'exporter CPU s': +c.cpu.toFixed(2),
    'simulator CPU s': +c.simCpu.toFixed(2),
    'loop delay p99 ms': Math.round(c.loopDelayP99),
    'peak RSS MiB': Math.round(c.peakRssMiB),
    throttled: c.throttled,
    'failed polls': c.failedPolls,
  });
  const named: Array<[string, number]> = [
    ['first', 0],
    ['steady', 1],
    ['inventory refresh (10 min)', 10],
    ['backups interval (20 min)', 20],
    ['hourly', 60],
  ];
  const later = cycles.slice(1);
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
  const worst = later.reduce((a, c) => (c.ratio > a.ratio ? c : a), later[0] ?? cycles[0]!);
  console.log(
    `node ${process.version}, ${new Date().toISOString()}, ${cpus().length} cores, load average ${loadStart.toFixed(2)} at start, ${loadavg()[0]!.toFixed(2)} at end: ` +
      `${instances} instances${values.discovery ? ' (discovered)' : ''}, latency ${latencyMs} ms, requests_per_second ${rps}, concurrency ${concurrency}, idle_interval ${values['idle-interval']}` +
      (serverLimit > 0 ? `, server limit ${serverLimit}/s` : ''),
  );
  console.table(named.filter(([, t]) => t < cycles.length).map(([name, t]) => row(name, cycles[t]!)));
  if (later.length > 0) {
    const calls = later.map((c) => c.calls);
    console.log(
      `ticks 1-${later.length}: calls per tick min ${Math.min(...calls)}, mean ${Math.round(calls.reduce((a, b) => a + b, 0) / calls.length)}, max ${Math.max(...calls)}; ` +
        `ratio median ${median(later.map((c) => c.ratio)).toFixed(3)}, worst ${worst.ratio.toFixed(3)} (tick ${worst.tick}), ${later.filter((c) => c.ratio > 1.05).length} ticks above 1.05`,
    );
  }
  console.log(
    `throttled answers ${cycles.reduce((a, c) => a + c.throttled, 0)}; instances whose last poll failed ${cycles.at(-1)!.failedPolls}, most after any tick ${Math.max(...cycles.map((c) => c.failedPolls))}`,
  );
  console.log('calls by action, first and last tick:', JSON.stringify(cycles[0]!.byAction), JSON.stringify(cycles.at(-1)!.byAction));
}

await main();
