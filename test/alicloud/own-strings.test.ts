// What the normalisers keep from a response must not keep the response: pop-core's JSON parser
// (json-bigint) cuts strings out of the body with substring(), and V8 keeps a whole string alive
// while any slice of it is. Measured in a child process with --expose-gc, by the heap that 200
// parsed pages of 100 KB leave behind when only their normalised files are kept.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

const SCRIPT = `
import JSONbig from 'json-bigint';
import { normalizeLogFilesPage } from './src/alicloud/recovery.ts';
const kept = [];
gc();
const before = process.memoryUsage().heapUsed;
for (let p = 0; p < 200; p++) {
  const files = Array.from({ length: 5 }, (_, i) => ({ LogFileName: 'mysql-bin.' + String(p * 5 + i).padStart(6, '0'), HostInstanceID: 'host-instance-' + p, LogBeginTime: '2026-11-27T10:00:00Z', LogEndTime: '2026-11-27T11:00:00Z', RemoteStatus: 'Completed', FileSize: '1024' }));
  const body = JSON.stringify({ RequestId: 'R', TotalRecordCount: '5', Padding: 'x'.repeat(100_000), Items: { BinLogFile: files } });
  kept.push(normalizeLogFilesPage(JSONbig.parse(body)).files);
}
gc();
console.log(JSON.stringify({ retainedBytes: process.memoryUsage().heapUsed - before, files: kept.flat().length }));
`;

describe('normalised responses', function () {
  this.timeout(30_000);

  it('keep no reference to the response body they came from', () => {
    const run = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', '--input-type=module', '-e', SCRIPT], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const { retainedBytes, files } = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { retainedBytes: number; files: number };
    assert.equal(files, 1000);
    // 1,000 small records; the 200 bodies would be 20 MB
    assert.ok(retainedBytes < 4 * 2 ** 20, `${(retainedBytes / 2 ** 20).toFixed(1)} MiB retained`);
  });
});
