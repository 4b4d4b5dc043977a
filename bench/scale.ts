// How the exporter scales with the number of watched instances, against the simulator on
// loopback: the duration of a poll cycle (client-side work and limits, not the cloud's latency),
// the time and size of a /metrics scrape, the time of a /status page (whole, and filtered to a
// few instances), and memory. Run: npm run bench [-- N...]
// Figures recorded in bench/RESULTS.md.
import { startExporter } from '../src/exporter.js';
import { configSchema } from '../src/config/schema.js';
import { createLogger } from '../src/log.js';
import { DEMO_CREDENTIAL, startSimulator } from '../src/simulator/server.js';
import { Writable } from 'node:stream';

const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
const H = 3600_000;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function measure(instances: number) {
  const sim = await startSimulator();
  const now = Date.now();
  const ids = Array.from({ length: instances }, (_, i) => `rm-bench-${String(i).padStart(5, '0')}`);
  for (const id of ids) {
    sim.world.addInstance(id);
    sim.world.addJob(id, { status: 'Uploading', process: 40 });
    for (let d = 1; d <= 7; d++) sim.world.addBackupSet(id, { status: 'Success', startTime: now - d * 24 * H, endTime: now - d * 24 * H + H });
  }
  const config = configSchema.parse({
    poll: { concurrency: 32, timeout_seconds: 10 },
    accounts: [{ name: 'bench', endpoint: sim.url, requests_per_second: 1000, access_key_id: DEMO_CREDENTIAL.accessKeyId, access_key_secret: DEMO_CREDENTIAL.accessKeySecret, regions: [{ region: 'cn-hangzhou', instances: ids }] }],
  });
  const quiet = new Writable({ write: (_c, _e, done) => done() });
  const exporter = await startExporter({ config, log: createLogger({ level: 'warn', destination: quiet }), listen: { host: '127.0.0.1', port: 0 }, schedule: false });

  const cycles: number[] = [];
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    await exporter.poller.tick();
    cycles.push(performance.now() - started);
  }
  const scrapes: number[] = [];
  let bytes = 0;
  let series = 0;
  for (let i = 0; i < 30; i++) {
    const started = performance.now();
    const body = await (await fetch(`${exporter.url}/metrics`)).text();
    scrapes.push(performance.now() - started);
    bytes = body.length;
    series = body.split('\n').filter((l) => l.startsWith('alicloud_rds_backup_')).length;
  }
  // the status page: every instance (rendered up to its row cap), and a filter matching a few
  const statusAll: number[] = [];
  const statusFiltered: number[] = [];
  for (let i = 0; i < 30; i++) {
    let started = performance.now();
    await (await fetch(`${exporter.url}/status`)).text();
    statusAll.push(performance.now() - started);
    started = performance.now();
    await (await fetch(`${exporter.url}/status?instance=rm-bench-0000`)).text();
    statusFiltered.push(performance.now() - started);
  }
  const calls = sim.requests.length;
  const rssMiB = process.memoryUsage().rss / 2 ** 20;
  await exporter.close();
  await sim.close();
  return {
    instances,
    first_cycle_ms: Math.round(cycles[0]!),
    steady_cycle_ms: Math.round(Math.min(...cycles.slice(1))),
    api_calls_3_cycles: calls,
    scrape_p50_ms: Math.round(percentile(scrapes, 50) * 10) / 10,
    scrape_p95_ms: Math.round(percentile(scrapes, 95) * 10) / 10,
    exposition_kib: Math.round(bytes / 1024),
    status_p50_ms: Math.round(percentile(statusAll, 50) * 10) / 10,
    status_filtered_p50_ms: Math.round(percentile(statusFiltered, 50) * 10) / 10,
    exporter_series: series,
    rss_mib: Math.round(rssMiB),
  };
}

const results = [];
for (const n of sizes.length > 0 ? sizes : [10, 100, 1000]) results.push(await measure(n));
console.log(`node ${process.version}, ${new Date().toISOString()}`);
console.table(results);
