// tags_as_labels: the inventory asks ListTagResources for the watched instances (configured and
// discovered) at its own interval, only when tag labels are configured, reusing the discovery
// filters' answer; instance_info carries one tag_<key> label per key, "" when the tag is absent.
import assert from 'node:assert/strict';
import { Poller, type PollSettings } from '../../src/collector/poller.js';
import type { RegionConfig } from '../../src/config/schema.js';
import { TAG_VALUE_MAX_CHARS } from '../../src/metrics/definitions.js';
import { instanceFamilies, renderInstance } from '../../src/metrics/exposition.js';
import { createLogger } from '../../src/log.js';
import { LogCapture } from '../helpers.js';
import { apiError, dbInstance, ScriptedApi } from './scripted-api.js';

const SETTINGS: PollSettings = {
  deadlineMs: 250,
  idleListingMs: 0,
  lookupsPerPoll: 50,
  tasksEnabled: true,
  intervalsMs: { backups: 600_000, policy: 3600_000 },
  backupsLookbackMs: 8 * 86400_000,
  logBackupsLookbackMs: 7 * 86400_000,
};
const REFRESH_MS = 600_000;

function setup(region: RegionConfig, tagKeys: readonly string[]) {
  const api = new ScriptedApi();
  let clock = Date.UTC(2026, 11, 5, 12);
  const poller = new Poller([{ account: 'acct', region, api, refreshIntervalMs: REFRESH_MS, tagKeys }], {
    ...SETTINGS,
    log: createLogger({ level: 'debug', destination: new LogCapture() }),
    now: () => clock,
  });
  const infoLine = (id: string) => {
    const inst = poller.snapshot.instances.find((i) => i.instanceId === id);
    assert.ok(inst, `${id} is watched`);
    const families = instanceFamilies();
    const index = families.findIndex(([def]) => def.name === 'alicloud_rds_backup_instance_info');
    return renderInstance(inst, families, { taskStatuses: 'all', tagKeys })[index]!;
  };
  return { api, poller, infoLine, advance: (ms: number) => (clock += ms) };
}

const tagsOf = (all: Record<string, Record<string, string>>) => (_: string, ids: readonly string[]) => new Map(ids.map((id) => [id, all[id] ?? {}]));

describe('tags_as_labels (scripted API)', () => {
  it('gives configured instances a tag_<key> label per key, "" for a tag the instance lacks, from one ListTagResources per refresh', async () => {
    const { api, poller, infoLine, advance } = setup({ region: 'cn-hangzhou', instances: ['rm-a', 'rm-b'] }, ['team', 'cost-center']);
    api.tags = tagsOf({ 'rm-a': { team: 'payments', 'cost-center': 'cc-1', other: 'x' }, 'rm-b': { env: 'prod' } });
    await poller.tick();
    assert.deepEqual(
      api.callsOf('listTags').map((c) => c.args),
      [['cn-hangzhou', ['rm-a', 'rm-b']]],
    );
    assert.equal(api.callsOf('listTags')[0]!.priority, 'listing', 'with the inventory, ahead of the backlog');
    assert.match(infoLine('rm-a'), /,lock_mode="Unlock",tag_team="payments",tag_cost_center="cc-1"\} 1\n$/);
    assert.match(infoLine('rm-b'), /,lock_mode="Unlock",tag_team="",tag_cost_center=""\} 1\n$/);
    assert.doesNotMatch(infoLine('rm-a'), /tag_other/, 'only the configured keys');

    // at the inventory interval, not at every tick
    advance(60_000);
    await poller.tick();
    assert.equal(api.callsOf('listTags').length, 1);
    api.tags = tagsOf({ 'rm-b': { team: 'orders' } });
    advance(REFRESH_MS);
    await poller.tick();
    assert.equal(api.callsOf('listTags').length, 2);
    assert.match(infoLine('rm-a'), /tag_team="",tag_cost_center=""\} 1\n$/, 'a tag removed since is gone');
    assert.match(infoLine('rm-b'), /tag_team="orders",tag_cost_center=""\} 1\n$/);
  });

  it('makes no ListTagResources call when tags_as_labels is empty, with or without discovery', async () => {
    for (const region of [
      { region: 'cn-hangzhou', instances: ['rm-a'] },
      { region: 'cn-hangzhou', instances: [], discovery: { instance_types: ['Primary' as const] } },
    ]) {
      const { api, poller, infoLine } = setup(region, []);
      api.instances = () => [dbInstance('rm-a')];
      await poller.tick();
      assert.equal(api.callsOf('listTags').length, 0);
      assert.match(infoLine('rm-a'), /,lock_mode="Unlock"\} 1\n$/, 'no tag label at all');
    }
  });

  it("reuses the discovery filters' answer and asks only for the instances it did not cover", async () => {
    const region: RegionConfig = { region: 'cn-hangzhou', instances: ['rm-conf'], discovery: { instance_types: ['Primary'], tags: { env: 'prod' } } };
    const { api, poller, infoLine } = setup(region, ['team']);
    api.instances = () => [dbInstance('rm-conf', { instanceType: 'Readonly' }), dbInstance('rm-d1'), dbInstance('rm-d2')];
    api.tags = tagsOf({ 'rm-conf': { team: 'dba' }, 'rm-d1': { env: 'prod', team: 'web' }, 'rm-d2': { env: 'dev', team: 'web' } });
    await poller.tick();
    assert.deepEqual(
      api.callsOf('listTags').map((c) => c.args[1]),
      [['rm-d1', 'rm-d2'], ['rm-conf']],
    );
    assert.deepEqual(poller.snapshot.instances.map((i) => i.instanceId).sort(), ['rm-conf', 'rm-d1']);
    assert.match(infoLine('rm-d1'), /tag_team="web"\} 1\n$/);
    assert.match(infoLine('rm-conf'), /tag_team="dba"\} 1\n$/);
  });

  it('keeps the previous tags when ListTagResources fails, and says the inventory failed', async () => {
    const { api, poller, infoLine, advance } = setup({ region: 'cn-hangzhou', instances: ['rm-a'] }, ['team']);
    api.tags = tagsOf({ 'rm-a': { team: 'payments' } });
    await poller.tick();
    api.tags = () => {
      throw apiError('Forbidden.RAM', 'permission', 'ListTagResources');
    };
    advance(REFRESH_MS);
    await poller.tick();
    assert.equal(poller.snapshot.regions[0]!.discoverySuccess, false);
    assert.match(infoLine('rm-a'), /tag_team="payments"\} 1\n$/);
  });

  it("escapes a hostile value and cuts it to the API's length, never inside a character", async () => {
    const { api, poller, infoLine } = setup({ region: 'cn-hangzhou', instances: ['rm-a', 'rm-b'] }, ['team', 'constructor', '__proto__']);
    const long = '𝄞'.repeat(TAG_VALUE_MAX_CHARS + 10);
    api.tags = tagsOf({ 'rm-a': { team: 'a"b\\c\nd} 2\nfake_metric 1' }, 'rm-b': { team: long, ['__proto__']: 'p' } });
    await poller.tick();
    assert.match(infoLine('rm-a'), /,tag_team="a\\"b\\\\c\\nd\} 2\\nfake_metric 1",tag_constructor="",tag___proto__=""\} 1\n$/);
    assert.equal(infoLine('rm-a').split('\n').length, 2, 'one line');
    const value = /tag_team="([^"]*)"/.exec(infoLine('rm-b'))![1]!;
    assert.equal(value, '𝄞'.repeat(TAG_VALUE_MAX_CHARS));
    assert.match(infoLine('rm-b'), /tag___proto__="p"\} 1\n$/);
  });
});
