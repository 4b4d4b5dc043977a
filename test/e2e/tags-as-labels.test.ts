// tags_as_labels against the simulator: configured instances get their tags as tag_<key> labels
// of instance_info from ListTagResources, 50 instances a call, at the inventory interval — and no
// ListTagResources call at all without tags_as_labels.
import assert from 'node:assert/strict';
import { sample, startRig, type Rig } from '../helpers.js';

const IDS = Array.from({ length: 60 }, (_, i) => `rm-tagged-${String(i).padStart(2, '0')}`);

describe('tags_as_labels (simulator)', function () {
  this.timeout(30_000);
  let rig: Rig | undefined;
  afterEach(async () => {
    await rig?.close();
    rig = undefined;
  });

  it('labels instance_info of 60 configured instances from two ListTagResources calls per inventory refresh', async () => {
    rig = await startRig({ config: { regions: { 'cn-hangzhou': IDS }, tagsAsLabels: ['team', 'cost-center'], poll: { discovery_interval: 600 } } });
    const w = rig.sim.world;
    w.instance('rm-tagged-00')!.tags = { team: 'payments', 'cost-center': 'cc-7', env: 'prod' };
    w.instance('rm-tagged-59')!.tags = { team: 'orders\n"x"' };
    await rig.cycle();
    const text = await rig.scrape();
    const info = (id: string, labels: Record<string, string>) => sample(text, 'alicloud_rds_backup_instance_info', { instance_id: id, ...labels });
    assert.equal(info('rm-tagged-00', { tag_team: 'payments', tag_cost_center: 'cc-7' }), 1);
    assert.equal(info('rm-tagged-59', { tag_team: 'orders\\n\\"x\\"', tag_cost_center: '' }), 1, 'escaped as the text format wants, whole');
    assert.equal(info('rm-tagged-30', { tag_team: '', tag_cost_center: '' }), 1, 'no tag: empty labels');
    assert.doesNotMatch(text, /tag_env=/, 'only the configured keys');
    const tagCalls = () => rig!.sim.requests.filter((r) => r.action === 'ListTagResources');
    assert.deepEqual(
      tagCalls().map((r) => Object.keys(r.params).filter((k) => k.startsWith('ResourceId.')).length),
      [50, 10],
    );

    // at the inventory interval, not at every tick
    rig.advance(60_000);
    await rig.cycle();
    assert.equal(tagCalls().length, 2);
    w.instance('rm-tagged-30')!.tags = { team: 'dba' };
    rig.advance(600_000);
    await rig.cycle();
    assert.equal(tagCalls().length, 4);
    assert.equal(sample(await rig.scrape(), 'alicloud_rds_backup_instance_info', { instance_id: 'rm-tagged-30', tag_team: 'dba' }), 1);
  });

  it('makes no ListTagResources call without tags_as_labels', async () => {
    rig = await startRig({ config: { regions: { 'cn-hangzhou': IDS.slice(0, 3) } } });
    rig.sim.world.instance('rm-tagged-00')!.tags = { team: 'payments' };
    await rig.cycle();
    assert.equal(rig.sim.requests.filter((r) => r.action === 'ListTagResources').length, 0);
    assert.doesNotMatch(await rig.scrape(), /tag_team=/);
  });
});
