// bench/scale.ts at 50 instances in --quick mode, so that the harness does not rot: it runs to the
// end, prints every cell of its tables with a figure in it, and leaves no child process behind.
// The figures themselves are not checked (they depend on the machine). `npm test` builds dist/ first.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';

const MAIN = 'dist/main.js';

/** Running processes in process group `pgid`, and those whose command line holds `needle`, as "pid cmdline". */
function survivors(pgid: number, needle: string): string[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .flatMap((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        // fields[0] is the state (Z: a zombie, already dead); fields[2] the process group
        return fields[0] !== 'Z' && (Number(fields[2]) === pgid || cmdline.includes(needle)) ? [`${pid} ${cmdline.replaceAll('\0', ' ')}`] : [];
      } catch {
        return []; // gone meanwhile
      }
    });
}

describe('bench/scale.ts (smoke, 50 instances, --quick)', function () {
  this.timeout(120_000);
  let stdout = '';
  let stderr = '';
  let code: number | null = null;
  let benchPid = 0;

  before(async () => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` (npm test does)`);
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/scale.ts', '50', '--quick'], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    benchPid = child.pid!;
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    code = await new Promise((resolve) => child.once('exit', (c) => resolve(c)));
  });

  it('finishes with exit code 0', () => {
    assert.equal(code, 0, stderr);
  });

  it('has every /metrics latency cell, idle and during a poll, with exporter, floor and ratios', () => {
    const figure = String.raw`[\d.,]+ ms`;
    const ratio = String.raw`[\d.]+×`;
    for (const when of ['idle', 'during a poll']) {
      for (const format of ['text', 'text, gzip', 'OpenMetrics', 'OpenMetrics, gzip']) {
        const row = new RegExp(
          String.raw`^\| ${format} \| ${when} \| ${figure} \| ${figure} \| ${figure} \| ${figure} \| ${ratio} \| ${ratio} \| (met|missed) \| [1-9]\d* / [1-9]\d* \|$`,
          'm',
        );
        assert.match(stdout, row, `${format}, ${when}`);
      }
    }
  });

  it('has CPU per scrape for every cell, exporter and floor', () => {
    for (const format of ['text', 'text, gzip', 'OpenMetrics, gzip', 'OpenMetrics']) {
      assert.match(
        stdout,
        new RegExp(String.raw`^\| ${format} \| -?[\d.]+ CPU-ms \| -?[\d.]+ CPU-ms \| (—|[\d.]+×) \| (met|missed) \| \d+ / \d+`, 'm'),
        format,
      );
    }
  });

  it('has the exporter memory rows, the exposition sizes, series per instance and the /status page', () => {
    assert.match(stdout, /^\| after \d+ poll cycles, never scraped \| \d+ MiB .*\| \d+ MiB \| (met|missed) \|$/m);
    assert.match(stdout, /^\| scraped every 1 s like Prometheus, \d+ poll cycles .* \| \*\*\d+ MiB\*\* \| (met|missed) \|$/m);
    assert.match(
      stdout,
      /^\| text \| [\d.]+ KiB \([\d,]+ B\) \| [\d.]+ KiB \([\d,]+ B\) \| [\d,]+ \(alicloud_rds_backup_\*: [\d,]+\) \| [\d.]+ \([\d.]+\) \|$/m,
    );
    assert.match(stdout, /^\| OpenMetrics \| [\d.]+ KiB \([\d,]+ B\) \| [\d.]+ KiB \([\d,]+ B\) \| [\d,]+ \| — \|$/m);
    assert.match(stdout, /^\| whole \(up to its row cap\) \| [\d.]+ ms \| [\d.]+ ms \| 3 \|$/m);
    assert.match(stdout, /^\| filtered, `\?instance=rm-bench-0000` \| [\d.]+ ms \| [\d.]+ ms \| 3 \|$/m);
    assert.match(stdout, /^Machine: \d+ cores .* Node v\d+/m);
  });

  it('leaves no child process behind', async () => {
    // the harness runs in a process group of its own, and so do its children but the reaper,
    // which carries the harness's pid on its command line; killed children may take a moment to go
    let left: string[] = [];
    for (let i = 0; i < 30; i++) {
      left = survivors(benchPid, `bench/reaper.ts\0${benchPid}`);
      if (left.length === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.deepEqual(left, []);
  });
});
