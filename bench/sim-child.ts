// The simulator for bench/scale.ts, in its own process so that its work is not the exporter's:
// N instances in cn-hangzhou, each with a backup task running (Uploading, 40 %, never moving on)
// and a week of daily successful backup sets; every answer waits `latencyMs`.
//
//   node --import tsx bench/sim-child.ts <instances> <latencyMs>     (forked, with IPC)
//
// Sends {type:'ready', url} once listening, then every 50 ms in which requests were answered
// {type:'requests', at, total, failed}: `at` is wall-clock ms (performance.timeOrigin-based),
// `total` the requests answered so far. The request log is emptied as it is counted, so that a
// long run does not grow this process. Exits when its parent goes away.
import { DEMO_CREDENTIAL, startSimulator } from '../simulator/server.js';
import { instanceId } from './sim-world.js';

const HOUR_MS = 3600_000;
const instances = Number(process.argv[2]);
const latencyMs = Number(process.argv[3] ?? 30);
if (!process.send || !(instances > 0) || !(latencyMs >= 0)) {
  console.error('usage: node --import tsx bench/sim-child.ts <instances> <latencyMs> (forked with IPC)');
  process.exit(2);
}
process.on('disconnect', () => process.exit(0));

const sim = await startSimulator({ latencyMs, credentials: [DEMO_CREDENTIAL] });
const now = sim.world.now();
for (let i = 0; i < instances; i++) {
  const id = instanceId(i);
  sim.world.addInstance(id);
  sim.world.addJob(id, { status: 'Uploading', process: 40 });
  for (let day = 1; day <= 7; day++) {
    sim.world.addBackupSet(id, { status: 'Success', startTime: now - day * 24 * HOUR_MS, endTime: now - day * 24 * HOUR_MS + HOUR_MS });
  }
}
process.send({ type: 'ready', url: sim.url });

let total = 0;
let failed = 0;
setInterval(() => {
  const answered = sim.requests.splice(0);
  if (answered.length === 0) return;
  total += answered.length;
  for (const r of answered) if (r.code !== 'OK') failed++;
  process.send!({ type: 'requests', at: performance.timeOrigin + performance.now(), total, failed });
}, 50);
