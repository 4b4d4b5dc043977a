// Adaptive rate limiting against a service whose flow control grants less than the configured
// requests_per_second: the account's limit comes down by itself (and shows), so throttling stays
// rare instead of turning into a retry storm; it comes back up when the service allows.
import assert from 'node:assert/strict';
import { World } from '../../simulator/world.js';
import { sample, startRig, until, type Rig } from '../helpers.js';

describe('adaptive rate limit', function () {
  this.timeout(60_000);
  let rig: Rig | undefined;
  afterEach(async () => {
    await rig?.close();
    rig = undefined;
  });

  const throttledShare = (before: Map<string, number>, after: Map<string, number>) => {
    let throttled = 0;
    let all = 0;
    for (const [code, n] of after) {
      const d = n - (before.get(code) ?? 0);
      all += d;
      if (code.startsWith('Throttling')) throttled += d;
    }
    return { throttled, all, share: throttled / all };
  };

  it('settles near what the service grants when requests_per_second is set too high, and recovers', async () => {
    const ids = Array.from({ length: 30 }, (_, i) => `rm-rate-${i}`);
    rig = await startRig({
      config: { regions: { 'cn-hangzhou': ids }, requestsPerSecond: 200, poll: { schedule: '* * * * * *', max_retries: 3, retry_base_delay_seconds: 0.05 } },
      exporter: { schedule: true, now: Date.now },
      sim: { world: new World(), rateLimitPerSecond: 10 },
    });
    const byCode = async () => {
      const text = await rig!.scrape();
      const out = new Map<string, number>();
      for (const line of text.split('\n')) {
        const m = /^alicloud_rds_backup_api_requests_total\{.*code="([^"]+)"\} (\d+)$/.exec(line);
        if (m) out.set(m[1]!, (out.get(m[1]!) ?? 0) + Number(m[2]));
      }
      return out;
    };
    const limit = async () => sample(await rig!.scrape(), 'alicloud_rds_backup_api_rate_limit_requests_per_second', { account: 'test' })!;

    // The limit halves on throttling until the service stops throttling most requests.
    await until('the limit comes down', async () => (await limit()) <= 25, 15_000);
    await new Promise((r) => setTimeout(r, 2000));
    const before = await byCode();
    await new Promise((r) => setTimeout(r, 5000));
    const settled = throttledShare(before, await byCode());
    assert.ok(settled.all > 20, `requests kept flowing (${settled.all} in 5 s)`);
    assert.ok(settled.share < 0.5, `${settled.throttled} of ${settled.all} requests throttled once settled (at a fixed 200/s most would be)`);
    const low = await limit();
    assert.ok(low >= 2 && low <= 40, `settled at ${low} requests/s for a service granting 10`);

    // The service lifts its flow control: the limit climbs back towards requests_per_second.
    rig.sim.rateLimitPerSecond = 0;
    await until('the limit climbs back', async () => (await limit()) >= 100, 25_000);
  });

  it('is never throttled by a service whose limit is just above requests_per_second, even in a first cycle asking everything', async () => {
    const ids = Array.from({ length: 12 }, (_, i) => `rm-pace-${i}`);
    rig = await startRig({
      config: { regions: { 'cn-hangzhou': ids }, requestsPerSecond: 10 },
      // one-second buckets of the service: an 11th request within a second would be throttled
      sim: { world: new World(), rateLimitPerSecond: 11 },
    });
    await rig.cycle();
    await rig.cycle();
    const answered = rig.sim.requests;
    assert.ok(answered.length >= 3 * ids.length, `a first cycle asks several reads per instance (${answered.length} requests)`);
    assert.deepEqual(
      answered.filter((r) => r.code.startsWith('Throttling')).map((r) => `${r.action} ${r.code}`),
      [],
      'no request throttled',
    );
    const text = await rig.scrape();
    for (const id of ids) assert.equal(sample(text, 'alicloud_rds_backup_poll_success', { instance_id: id }), 1, id);
  });
});
