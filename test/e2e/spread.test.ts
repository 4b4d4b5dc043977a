// Calls per tick for a fleet started together, against the simulator over HTTP with the default
// intervals: every read is made in each instance's first poll, and from then on each instance
// makes its reads at its own point of every interval, so that no tick (the backups interval, the
// hour) asks much more than the mean.
import assert from 'node:assert/strict';
import { configSchema } from '../../src/config/schema.js';
import { startRig, type Rig } from '../helpers.js';

const MIN = 60_000;
const DAY = 86_400_000;

describe('calls per tick, a fleet started together', function () {
  this.timeout(120_000);
  let rig: Rig;
  afterEach(async () => rig?.close());

  it('stay flat over two hours with the default intervals: each read once per instance and interval, no tick above twice the mean', async () => {
    const defaults = configSchema.parse({ accounts: [{ name: 'x', regions: [{ region: 'cn-hangzhou', instances: ['rm-x'] }] }] }).poll;
    const { idle_interval, backups_interval, policy_interval, restore_window_interval, log_backups_interval, cross_region_interval, resource_usage_interval } =
      defaults;
    const ids = Array.from({ length: 200 }, (_, i) => `rm-spread${String(i).padStart(3, '0')}`);
    rig = await startRig({
      config: {
        regions: { 'cn-hangzhou': ids },
        poll: {
          idle_interval,
          backups_interval,
          policy_interval,
          restore_window_interval,
          log_backups_interval,
          cross_region_interval,
          resource_usage_interval,
        },
      },
    });
    ids.forEach((id, i) => {
      const instance = rig.sim.world.instance(id)!;
      // backup windows far from the two hours below (from 12:00 UTC): the task listing is idle
      instance.policy.preferredBackupTime = '02:00Z-03:00Z';
      if (i % 5 === 0) instance.crossRegion = { enabled: true, logEnabled: false, region: 'cn-shanghai', retentionDays: 7 };
    });
    rig.advance(Math.ceil(rig.now() / DAY) * DAY + 12 * 60 * MIN - rig.now());

    const requests = rig.sim.requests;
    await rig.cycle();
    for (const action of [
      'DescribeBackups',
      'DescribeBackupPolicy',
      'DescribeLocalAvailableRecoveryTime',
      'DescribeBinlogFiles',
      'DescribeCrossRegionBackupDBInstance',
      'DescribeResourceUsage',
    ]) {
      assert.equal(new Set(requests.filter((r) => r.action === action).map((r) => r.instanceId)).size, 200, `${action} in every instance's first poll`);
    }

    const reads = [
      'DescribeBackups',
      'DescribeBackupPolicy',
      'DescribeLocalAvailableRecoveryTime',
      'DescribeBinlogFiles',
      'DescribeCrossRegionBackupDBInstance',
      'DescribeCrossRegionBackups',
      'DescribeResourceUsage',
    ];
    const perTick: Array<Map<string, number>> = [];
    for (let minute = 1; minute <= 120; minute++) {
      rig.advance(MIN);
      const before = requests.length;
      await rig.cycle();
      const counts = new Map<string, number>();
      for (const r of requests.slice(before)) counts.set(r.action, (counts.get(r.action) ?? 0) + 1);
      perTick.push(counts);
    }
    const sum = (counts: Map<string, number>, actions: string[]) => actions.reduce((n, a) => n + (counts.get(a) ?? 0), 0);
    const total = (action: string) => perTick.reduce((n, c) => n + (c.get(action) ?? 0), 0);
    // once per instance and interval over the two hours (the binlogs: also a page more now and then)
    assert.equal(total('DescribeBackups'), 200 * 6, 'backup sets every 20 min');
    assert.equal(total('DescribeBackupPolicy'), 200 * 2);
    assert.equal(total('DescribeLocalAvailableRecoveryTime'), 200 * 2);
    // every 3 h and 6 h: the second read of some instances falls in these two hours, none makes a third
    for (const action of ['DescribeCrossRegionBackupDBInstance', 'DescribeResourceUsage']) {
      assert.ok(total(action) > 0 && total(action) <= 200, `${action}: ${total(action)} reads`);
    }

    const readsPerTick = perTick.map((c) => sum(c, reads));
    const callsPerTick = perTick.map((c) => [...c.values()].reduce((a, b) => a + b, 0));
    for (const [what, counts] of [
      ['interval reads', readsPerTick],
      ['calls', callsPerTick],
    ] as const) {
      const mean = counts.reduce((a, b) => a + b, 0) / counts.length;
      const max = Math.max(...counts);
      assert.ok(max <= 2 * mean, `${what} per tick: at most twice the mean (${mean.toFixed(1)}), not ${max} (tick ${counts.indexOf(max) + 1})`);
    }
  });
});
