// What a hostile endpoint costs the exporter: a gzip bomb (about 1 MiB on the wire, 1 GiB
// inflated) and a 200 MB plain body, answered to every DescribeBackupTasks. The endpoint runs in a
// child process; this process runs the exporter, polls it `CYCLES` times, scrapes /metrics every
// 50 ms throughout, and prints the peak RSS, the RSS at the end, and the slowest scrape.
//
//   npx tsx bench/hostile.ts            # both bodies
//   npx tsx bench/hostile.ts gzip       # one of them: gzip | plain
import { fork } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync, renameSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGzip } from 'node:zlib';
import { configSchema } from '../src/config/schema.js';
import { startExporter } from '../src/exporter.js';
import { createLogger } from '../src/log.js';

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

async function measure(kind: string): Promise<void> {
  const child = fork(new URL(import.meta.url).pathname, ['--serve', kind], { execArgv: ['--import', 'tsx'] });
  const port = await new Promise<number>((resolve) => child.once('message', (m) => resolve(m as number)));
  const config = configSchema.parse({
    poll: { schedule: '0 0 1 1 *', timeout_seconds: 60, max_retries: 0 },
    accounts: [
      {
        name: 'bench',
        endpoint: `http://127.0.0.1:${port}`,
        access_key_id: 'LTAI5tBenchKey0001',
        access_key_secret: 'bench-secret-0001',
        regions: [{ region: 'cn-hangzhou', instances: ['rm-bench'] }],
      },
    ],
  });
  const exporter = await startExporter({
    config,
    log: createLogger({ level: 'error' }),
    listen: { host: '127.0.0.1', port: 0 },
    schedule: false,
    processMetrics: false,
  });
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

if (process.argv[2] === '--serve') {
  serve(process.argv[3] ?? 'gzip');
} else {
  await makeBomb();
  for (const kind of process.argv[2] ? [process.argv[2]] : ['gzip', 'plain']) await measure(kind);
}
