// A scraper in its own process, so that the exporter's event loop cannot hide a stall from it: it
// GETs /metrics every `intervalMs`, and reports to its parent (over IPC) how long each scrape took,
// its status, the number of series, and the poll_success of the instances it is told about.
//
//   fork('test/faults/scrape-sampler.ts', [url, intervalMs, 'rm-a,rm-b'], { execArgv: ['--import', 'tsx'] })
//
// It stops when the parent sends 'stop' or goes away.

export interface ScrapeSample {
  /** Date.now() when the request was sent, and when the whole body had arrived */
  t0: number;
  t1: number;
  /** the latency measured here, ms (the time-out, 5 s, if there was no answer) */
  ms: number;
  /** HTTP status; 0 = no answer */
  status: number;
  /** sample lines in the exposition */
  series: number;
  /** of which the exporter's own (alicloud_rds_backup_*), as opposed to process_* and nodejs_* */
  exporterSeries: number;
  /** alicloud_rds_backup_poll_success per instance id; absent = no such series */
  pollSuccess: Record<string, number>;
}

const TIMEOUT_MS = 5000;

function pollSuccess(text: string, ids: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    if (!line.startsWith('alicloud_rds_backup_poll_success{')) continue;
    const id = /instance_id="([^"]*)"/.exec(line)?.[1];
    if (id !== undefined && ids.includes(id)) out[id] = Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return out;
}

async function sampleOnce(url: string, ids: string[]): Promise<ScrapeSample> {
  const t0 = Date.now();
  const started = performance.now();
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    const text = await res.text();
    const ms = performance.now() - started;
    const lines = text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    const exporterSeries = lines.filter((l) => l.startsWith('alicloud_rds_backup_')).length;
    return { t0, t1: Date.now(), ms, status: res.status, series: lines.length, exporterSeries, pollSuccess: pollSuccess(text, ids) };
  } catch {
    return { t0, t1: Date.now(), ms: performance.now() - started, status: 0, series: 0, exporterSeries: 0, pollSuccess: {} };
  }
}

if (process.send) {
  const [url = '', interval = '150', ids = ''] = process.argv.slice(2);
  const intervalMs = Number(interval);
  const instanceIds = ids.split(',').filter(Boolean);
  let running = true;
  process.on('message', (m) => {
    if (m === 'stop') running = false;
  });
  process.on('disconnect', () => process.exit(0));
  while (running) {
    const s = await sampleOnce(url, instanceIds);
    process.send(s);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  process.send('stopped', () => process.exit(0));
}
