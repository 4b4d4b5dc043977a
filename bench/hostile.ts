// What a hostile endpoint or client costs the exporter.
//
// Bodies: a gzip bomb (about 1 MiB on the wire, 1 GiB inflated) and a 200 MB plain body, answered
// to every DescribeBackupTasks. The endpoint runs in a child process; this process runs the
// exporter, polls it `CYCLES` times, scrapes /metrics every 50 ms throughout, and prints the peak
// RSS, the RSS at the end, and the slowest scrape.
//
// Floods: the exporter runs in a child process with TLS and basic auth (`--web.config.file`, a
// cost-10 bcrypt hash); this process scrapes /metrics with the right password every 100 ms,
// alternately on a kept-alive connection and on a new one, for `PHASE_SECONDS` while idle, then
// under 50 bare TCP connections opened and closed in a loop (no TLS handshake, no request), then
// under 30 requests with distinct wrong passwords always in flight; it prints each phase's scrape
// median, p99 and max, and the exporter's CPU per attacking connection or request. Last, how long
// a wrong password takes to refuse for a known user with a cost-12 hash and for an unknown user.
//
//   npx tsx bench/hostile.ts            # both bodies
//   npx tsx bench/hostile.ts gzip       # one of them: gzip | plain
//   npx tsx bench/hostile.ts flood      # idle, connection flood, wrong-password flood
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { Agent, request } from 'node:https';
import { type AddressInfo, createConnection } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGzip } from 'node:zlib';
import { hashSync } from 'bcryptjs';
import { configSchema } from '../src/config/schema.js';
import { type ExporterOptions, startExporter } from '../src/exporter.js';
import { BasicAuth } from '../src/http/basic-auth.js';
import { WebConfig } from '../src/http/web-config.js';
import { createLogger } from '../src/log.js';
import { makePki } from '../test/tls.js';

const BOMB = '/tmp/rds-exporter-bench-gzip-bomb.gz';
const CYCLES = Number(process.env.CYCLES ?? 5);

async function makeBomb(): Promise<void> {
  if (existsSync(BOMB)) return;
  const gzip = createGzip({ level: 9 });
  const out = createWriteStream(`${BOMB}.tmp`);
  gzip.pipe(out);
  const chunk = Buffer.alloc(1024 * 1024, 0x20);
  for (let i = 0; i < 1024; i++) if (!gzip.write(chunk)) await new Promise<void>((r) => gzip.once('drain', () => r()));
  gzip.end();
  await new Promise<void>((r) => out.on('close', () => r()));
  renameSync(`${BOMB}.tmp`, BOMB);
}

function serve(kind: string): void {
  const bomb = kind === 'gzip' ? readFileSync(BOMB) : undefined;
  const plain = Buffer.alloc(1024 * 1024, 0x20);
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (bomb) {
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' }).end(bomb);
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      let left = 200;
      const more = () => {
        while (left-- > 0) if (!res.write(plain)) return void res.once('drain', more);
        res.end();
      };
      res.on('close', () => (left = 0));
      more();
    });
  });
  server.listen(0, '127.0.0.1', () => process.send!((server.address() as AddressInfo).port));
}

/** The exporter watching one instance at `endpoint`; it polls only when told to. */
function startBenchExporter(endpoint: string, extra: Partial<ExporterOptions> = {}) {
  const config = configSchema.parse({
    poll: { schedule: '0 0 1 1 *', timeout_seconds: 60, max_retries: 0 },
    accounts: [
      {
        name: 'bench',
        endpoint,
        access_key_id: 'LTAI5tBenchKey0001',
        access_key_secret: 'bench-secret-0001',
        regions: [{ region: 'cn-hangzhou', instances: ['rm-bench'] }],
      },
    ],
  });
  return startExporter({
    config,
    log: createLogger({ level: 'error' }),
    listen: { host: '127.0.0.1', port: 0 },
    schedule: false,
    processMetrics: false,
    ...extra,
  });
}

async function measure(kind: string): Promise<void> {
  const child = fork(new URL(import.meta.url).pathname, ['--serve', kind], { execArgv: ['--import', 'tsx'] });
  const port = await new Promise<number>((resolve) => child.once('message', (m) => resolve(m as number)));
  const exporter = await startBenchExporter(`http://127.0.0.1:${port}`);
  const rssBefore = process.memoryUsage().rss;
  let peak = rssBefore;
  let slowest = 0;
  let scraping = true;
  const scrapes = (async () => {
    while (scraping) {
      const started = performance.now();
      await (await fetch(`${exporter.url}/metrics`)).text();
      slowest = Math.max(slowest, performance.now() - started);
      peak = Math.max(peak, process.memoryUsage().rss);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  const started = performance.now();
  for (let i = 0; i < CYCLES; i++) await exporter.poller.tick();
  const elapsed = performance.now() - started;
  scraping = false;
  await scrapes;
  const text = await (await fetch(`${exporter.url}/metrics`)).text();
  const code = /alicloud_rds_backup_api_requests_total\{[^}]*code="([^"]+)"\} (\d+)/.exec(text);
  await new Promise((r) => setTimeout(r, 1000));
  const mb = (n: number) => `${Math.round(n / 1e6)} MB`;
  console.log(
    `${kind}: ${CYCLES} polls in ${Math.round(elapsed)} ms, code=${code?.[1]} ×${code?.[2]}; RSS ${mb(rssBefore)} before, ${mb(peak)} peak, ${mb(process.memoryUsage().rss)} 1 s after; slowest /metrics ${Math.round(slowest)} ms`,
  );
  await exporter.close();
  child.kill();
}

const PHASE_SECONDS = Number(process.env.PHASE_SECONDS ?? 15);
const PASSWORD = 'the-scrape-password';

/** The child of the floods: the exporter behind the web configuration `file`; sends its URL. */
async function exporterBehind(file: string): Promise<void> {
  const exporter = await startBenchExporter('http://127.0.0.1:9', { webConfig: new WebConfig(file) });
  process.send!(exporter.url);
}

/** CPU time (user + system) a process has used, in ms, from /proc. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // USER_HZ is 100 on Linux
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

async function flood(): Promise<void> {
  const pki = makePki();
  const dir = mkdtempSync(join(tmpdir(), 'rds-bench-flood-'));
  const file = join(dir, 'web.yml');
  writeFileSync(
    file,
    `tls_server_config:\n  cert_file: ${pki.server.cert}\n  key_file: ${pki.server.key}\nbasic_auth_users:\n  prometheus: ${hashSync(PASSWORD, 10)}\n`,
  );
  const child = fork(new URL(import.meta.url).pathname, ['--exporter', file], { execArgv: ['--import', 'tsx'] });
  const url = new URL(await new Promise<string>((resolve) => child.once('message', (m) => resolve(m as string))));
  const ca = readFileSync(pki.ca.cert);
  const auth = (password: string) => `Basic ${Buffer.from(`prometheus:${password}`).toString('base64')}`;

  /** One GET /metrics on `agent`; its status. */
  const get = (agent: Agent, password: string) =>
    new Promise<number>((resolve, reject) => {
      const req = request(new URL('/metrics', url), { agent, headers: { authorization: auth(password) } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end();
    });

  const scraper = new Agent({ keepAlive: true, maxSockets: 1, ca });
  await get(scraper, PASSWORD);

  /**
   * Scrapes for PHASE_SECONDS while `attack` runs, every 100 ms, alternately on the kept-alive
   * connection (as Prometheus does) and on a new one (as after a restart or a broken connection,
   * which queues behind the attackers' connections); prints the figures of each.
   */
  async function phase(name: string, attack?: { start: () => void; stop: () => Promise<number>; unit: string }): Promise<void> {
    const cpuBefore = cpuMs(child.pid!);
    attack?.start();
    const times = { kept: [] as number[], fresh: [] as number[] };
    let failed = 0;
    const end = performance.now() + PHASE_SECONDS * 1000;
    for (let i = 0; performance.now() < end; i++) {
      const which = i % 2 === 0 ? 'kept' : 'fresh';
      const started = performance.now();
      const status = await get(which === 'kept' ? scraper : new Agent({ keepAlive: false, ca }), PASSWORD).catch(() => 0);
      times[which].push(performance.now() - started);
      if (status !== 200) failed++;
      await new Promise((r) => setTimeout(r, 100));
    }
    const done = (await attack?.stop()) ?? 0;
    const cpu = cpuMs(child.pid!) - cpuBefore;
    const ms = (n: number) => `${n < 10 ? n.toFixed(1) : Math.round(n)} ms`;
    const figures = (list: number[]) => {
      list.sort((a, b) => a - b);
      return `median ${ms(quantile(list, 0.5))}, p99 ${ms(quantile(list, 0.99))}, max ${ms(list.at(-1)!)}`;
    };
    console.log(
      `${name}: ${times.kept.length + times.fresh.length} scrapes (${failed} not 200); kept-alive ${figures(times.kept)}; new connection ${figures(times.fresh)}; ` +
        `exporter CPU ${Math.round(cpu)} ms` +
        (attack ? `, ${done} ${attack.unit} (${Math.round(done / PHASE_SECONDS)}/s, ${((cpu / Math.max(done, 1)) * 1000).toFixed(0)} µs CPU each)` : ''),
    );
  }

  /** `width` loops each doing `once` until stopped; stop() resolves to how many were done. */
  function loops(width: number, once: () => Promise<unknown>, unit: string) {
    let running = false;
    let done = 0;
    let all: Promise<void>[] = [];
    return {
      unit,
      start: () => {
        running = true;
        all = Array.from({ length: width }, async () => {
          while (running) {
            await once().catch(() => undefined);
            done++;
          }
        });
      },
      stop: async () => {
        running = false;
        await Promise.all(all);
        return done;
      },
    };
  }

  const bareConnect = () =>
    new Promise<void>((resolve) => {
      const socket = createConnection({ host: url.hostname, port: Number(url.port) }, () => socket.destroy());
      socket.on('close', () => resolve());
      socket.on('error', () => resolve());
    });
  const attackers = new Agent({ keepAlive: true, maxSockets: 30, ca });
  const statuses = new Map<number, number>();
  const wrongPassword = async () => {
    const status = await get(attackers, randomBytes(12).toString('hex'));
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
  };

  console.log(
    `load average before: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} (${PHASE_SECONDS} s phases)`,
  );
  await phase('idle');
  await phase('50 bare connections in a loop', loops(50, bareConnect, 'connections'));
  await phase('idle again');
  await phase('30 wrong passwords in flight', loops(30, wrongPassword, 'requests'));
  console.log(`wrong-password answers: ${[...statuses].map(([status, n]) => `${status} ×${n}`).join(', ')}`);
  console.log(
    `load average after: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  scraper.destroy();
  attackers.destroy();
  child.kill();
  await unknownUsers();
}

/** How long a wrong password takes to refuse for a known user and for an unknown one, with a cost-12 hash. */
async function unknownUsers(): Promise<void> {
  const auth = new BasicAuth(() => users);
  const users = new Map([
    ['prometheus', hashSync(PASSWORD, 12)],
    ['other', hashSync(PASSWORD, 10)],
  ]);
  const median = async (user: string) => {
    const times: number[] = [];
    for (let i = 0; i < 7; i++) {
      const started = performance.now();
      await auth.check(`Basic ${Buffer.from(`${user}:${randomBytes(8).toString('hex')}`).toString('base64')}`);
      times.push(performance.now() - started);
    }
    return Math.round(
      quantile(
        times.sort((a, b) => a - b),
        0.5,
      ),
    );
  };
  console.log(`wrong password, cost-12 user: median ${await median('prometheus')} ms; unknown user: median ${await median('nobody')} ms`);
}

if (process.argv[2] === '--serve') {
  serve(process.argv[3] ?? 'gzip');
} else if (process.argv[2] === '--exporter') {
  await exporterBehind(process.argv[3]!);
} else if (process.argv[2] === 'flood') {
  await flood();
} else {
  await makeBomb();
  for (const kind of process.argv[2] ? [process.argv[2]] : ['gzip', 'plain']) await measure(kind);
}
