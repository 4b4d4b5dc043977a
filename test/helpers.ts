// Shared end-to-end fixtures: the simulator, an exporter pointed at it over real HTTP, a log
// capture, and a small reader of the Prometheus text format.
import { createServer, type AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { staticCredentials } from '../src/alicloud/credentials.js';
import { createRdsClient, type RdsClient, type RdsClientOptions } from '../src/alicloud/rds-client.js';
import { configSchema, type Config } from '../src/config/schema.js';
import { Semaphore } from '../src/concurrency/semaphore.js';
import { TokenBucket } from '../src/concurrency/token-bucket.js';
import { TurnQueue } from '../src/concurrency/turn-queue.js';
import { startExporter, type Exporter, type ExporterOptions } from '../src/exporter.js';
import { createLogger } from '../src/log.js';
import { DEMO_CREDENTIAL, startSimulator, type Simulator, type SimulatorOptions } from '../simulator/server.js';
import { World } from '../simulator/world.js';

export { DEMO_CREDENTIAL };

/** The real RDS client against `endpoint` (the simulator's demo key by default): no retries, generous limits. */
export function testClient(endpoint: string, opts: Partial<RdsClientOptions> = {}): RdsClient {
  return createRdsClient({
    endpoint,
    credentials: staticCredentials(DEMO_CREDENTIAL.accessKeyId, DEMO_CREDENTIAL.accessKeySecret),
    bucket: new TokenBucket(1000),
    semaphore: new Semaphore(4),
    responseTurns: new TurnQueue(),
    timeoutMs: 5000,
    maxRetries: 0,
    retryBaseDelayMs: 1,
    ...opts,
  });
}

/** Collects every log line written, as text. */
export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    for (const line of chunk.toString('utf8').split('\n')) if (line) this.lines.push(line);
    done();
  }
  get text(): string {
    return this.lines.join('\n');
  }
  records(): Array<Record<string, unknown>> {
    return this.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  }
}

export interface TestConfigOptions {
  /** instance ids per region; default { 'cn-hangzhou': ['rm-test-01'] } */
  regions?: Record<string, string[]>;
  poll?: Partial<Config['poll']>;
  accessKeyId?: string | null;
  accessKeySecret?: string | null;
  requestsPerSecond?: number;
  account?: string;
  /** tags_as_labels */
  tagsAsLabels?: string[];
}

/** A configuration for one account whose every region points at the simulator. */
export function testConfig(sim: Simulator, opts: TestConfigOptions = {}): Config {
  const regions = opts.regions ?? { 'cn-hangzhou': ['rm-test-01'] };
  const account: Record<string, unknown> = {
    name: opts.account ?? 'test',
    endpoint: sim.url,
    requests_per_second: opts.requestsPerSecond ?? 1000,
    regions: Object.entries(regions).map(([region, instances]) => ({ region, instances })),
  };
  if (opts.accessKeyId !== null) account.access_key_id = opts.accessKeyId ?? DEMO_CREDENTIAL.accessKeyId;
  if (opts.accessKeySecret !== null) account.access_key_secret = opts.accessKeySecret ?? DEMO_CREDENTIAL.accessKeySecret;
  return configSchema.parse({
    // List at every tick, and make the other reads at these intervals, unless a test says
    // otherwise: most tests move the clock by minutes and expect each tick to ask
    // (test/e2e/backups.test.ts checks the cost of the real defaults).
    poll: {
      schedule: '0 0 1 1 *',
      timeout_seconds: 2,
      max_retries: 2,
      retry_base_delay_seconds: 0.001,
      idle_interval: 0,
      backups_interval: 600,
      restore_window_interval: 900,
      log_backups_interval: 900,
      cross_region_interval: 3600,
      resource_usage_interval: 3600,
      ...opts.poll,
    },
    accounts: [account],
    ...(opts.tagsAsLabels ? { tags_as_labels: opts.tagsAsLabels } : {}),
  });
}

export interface Rig {
  /** the shared clock of the simulated data and the exporter (ms) */
  now(): number;
  /** moves that clock on */
  advance(ms: number): void;
  sim: Simulator;
  exporter: Exporter;
  logs: LogCapture;
  /** one poll cycle, awaited */
  cycle(): Promise<void>;
  scrape(accept?: string): Promise<string>;
  close(): Promise<void>;
}

/** A simulator with `instances` added, and an exporter on a free loopback port that polls only when told. */
export async function startRig(
  opts: { config?: TestConfigOptions; sim?: SimulatorOptions; exporter?: Partial<ExporterOptions>; addInstances?: boolean; stateFile?: string } = {},
): Promise<Rig> {
  // One clock for the simulated data and the exporter, moved by the test; requests are still
  // signed and checked in real time.
  let clock = Math.floor(Date.now() / 60_000) * 60_000;
  const sim = await startSimulator({ world: new World({ now: () => clock }), requestClock: Date.now, ...opts.sim });
  const regions = opts.config?.regions ?? { 'cn-hangzhou': ['rm-test-01'] };
  if (opts.addInstances !== false) {
    for (const [regionId, ids] of Object.entries(regions)) for (const id of ids) sim.world.addInstance(id, { regionId });
  }
  const logs = new LogCapture();
  const config = testConfig(sim, { ...opts.config, regions });
  if (opts.stateFile) config.state_file = opts.stateFile;
  const exporter = await startExporter({
    config,
    now: () => clock,
    log: createLogger({ level: 'debug', destination: logs }),
    listen: { host: '127.0.0.1', port: 0 },
    schedule: false,
    // The runtime's and the scrape handler's own metrics change from scrape to scrape.
    processMetrics: false,
    handlerMetrics: false,
    retryMaxDelayMs: 5,
    ...opts.exporter,
  });
  return {
    now: () => clock,
    advance: (ms) => {
      clock += ms;
    },
    sim,
    exporter,
    logs,
    cycle: () => exporter.poller.tick(),
    scrape: async (accept) => {
      const res = await fetch(`${exporter.url}/metrics`, accept ? { headers: { accept } } : {});
      if (res.status !== 200) throw new Error(`scrape returned ${res.status}`);
      return res.text();
    },
    close: async () => {
      await exporter.close();
      await sim.close();
    },
  };
}

/** Samples of an exposition, keyed `name{label="value",...}` with labels in the order written. */
export function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

/** The value of the one sample of `name` whose labels include all of `labels`; undefined if none. */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const found = series(text, name, labels);
  if (found.length > 1) throw new Error(`${found.length} series of ${name} match ${JSON.stringify(labels)}`);
  return found[0]?.value;
}

export function series(text: string, name: string, labels: Record<string, string> = {}): Array<{ labels: Record<string, string>; value: number }> {
  const out: Array<{ labels: Record<string, string>; value: number }> = [];
  for (const [key, value] of samples(text)) {
    const brace = key.indexOf('{');
    const metric = brace < 0 ? key : key.slice(0, brace);
    if (metric !== name) continue;
    const parsed: Record<string, string> = {};
    if (brace >= 0) for (const m of key.slice(brace + 1, -1).matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) parsed[m[1]!] = m[2]!;
    if (Object.entries(labels).every(([k, v]) => parsed[k] === v)) out.push({ labels: parsed, value });
  }
  return out;
}

/** A loopback port free right now (for programs that must be told their port). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export const until = async (what: string, check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};
