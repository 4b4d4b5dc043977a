// The demo with the shipped alerts and routing loaded fires only the problems it stages, each
// listed in the README's "What the demo stages" table: `npm run demo` as a newcomer runs it,
// scraped by Debian's prometheus with the shipped rules (time compressed 60-fold, as in
// fleet-alerts.test.ts) and prometheus-alertmanager with the shipped routing.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { freePort, until } from '../helpers.js';
import { AlertStack } from './alert-stack.js';

/** The alert names in the rows of the README's "What the demo stages" table, and the rows. */
function staged(): { alerts: Set<string>; text: string } {
  const readme = readFileSync('README.md', 'utf8');
  const start = readme.indexOf('### What the demo stages');
  assert.ok(start >= 0, 'the README has a "What the demo stages" section');
  const text = readme.slice(start, readme.indexOf('\n#', start + 10));
  const rows = text
    .split('\n')
    .filter((l) => l.startsWith('| '))
    .join('\n');
  return { alerts: new Set([...rows.matchAll(/`(AlicloudRdsBackup[A-Za-z]+)`/g)].map((m) => m[1]!)), text: rows };
}

describe('the demo with the shipped alerts (Prometheus, Alertmanager, 60-fold time)', function () {
  this.timeout(180_000);
  before(function () {
    if (AlertStack.available()) return;
    if (process.env.CI) throw new Error('prometheus and prometheus-alertmanager not found: .ci/run must install them');
    this.skip();
  });

  it('fires only what the README says the demo stages, and each staged problem', async () => {
    const { alerts: allowed, text } = staged();
    const [port, simPort] = [await freePort(), await freePort()];
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> };
    const child = spawn(process.execPath, pkg.scripts.demo!.split(' ').slice(1), {
      env: { PATH: process.env.PATH, DEMO_PORT: String(port), DEMO_SIMULATOR_PORT: String(simPort) },
      stdio: ['ignore', 'ignore', 'ignore'],
    });
    const stack = new AlertStack();
    try {
      await until('the demo ready', async () => (await fetch(`http://127.0.0.1:${port}/-/ready`).catch(() => undefined))?.status === 200, 30_000);
      await stack.start({ targets: [`127.0.0.1:${port}`], scale: 60 });
      // Past every shortened `for` of the staged problems (the longest: 1 h → 60 s).
      const seen = new Map<string, Set<string>>();
      const deadline = Date.now() + 75_000;
      while (Date.now() < deadline) {
        for (const r of await stack.query('ALERTS{alertstate="firing"}')) {
          const ids = seen.get(r.metric.alertname!) ?? new Set<string>();
          ids.add(r.metric.instance_id ?? '');
          seen.set(r.metric.alertname!, ids);
        }
        await new Promise((r) => setTimeout(r, 2000));
      }
      const report = [...seen].map(([a, ids]) => `${a}: ${[...ids].join(' ')}`).join('; ');
      console.log(`      fired: ${report}`);
      assert.deepEqual([...seen.keys()].filter((a) => !allowed.has(a)).sort(), [], `only what the README lists (${report})`);
      for (const [alert, ids] of seen)
        for (const id of ids) if (id) assert.ok(text.includes(`\`${id}\``) || /any instance/.test(text), `${alert} on ${id}: the README names the instance`);
      for (const expected of ['AlicloudRdsBackupLogChainGap', 'AlicloudRdsBackupCrossRegionStale'])
        assert.ok(seen.has(expected), `${expected} staged and fired (${report})`);
    } finally {
      await stack.stop();
      child.kill('SIGINT');
    }
  });
});
