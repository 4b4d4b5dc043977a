// RAM grants per AccessKey: a least-privilege key is refused the actions it was not granted with
// Forbidden.RAM (HTTP 403, the service's body with AccessDeniedDetail); other keys are not.
import assert from 'node:assert/strict';
import { computeSignature } from '../../simulator/signature.js';
import { DEMO_CREDENTIAL, type SimCredential } from '../../simulator/server.js';
import { commonParams, rawRpc, rejection, startHarness, type Harness } from './helpers.js';

/** What the exporter needed before the recoverability reads. */
const BACKUPS_ONLY = ['DescribeBackupTasks', 'DescribeBackups', 'DescribeBackupPolicy', 'DescribeDBInstances'];
const LEAST: SimCredential = { accessKeyId: 'LTAI5tLeastPrivilege00000', accessKeySecret: 'least-privilege-secret', allowedActions: BACKUPS_ONLY };

describe('simulator RAM grants', () => {
  let h: Harness;

  beforeEach(async () => {
    h = await startHarness({ credentials: [DEMO_CREDENTIAL, LEAST] });
    h.sim.world.addInstance('rm-a');
  });
  afterEach(() => h.close());

  it('a key granted only some actions calls those and is refused the others with Forbidden.RAM', async () => {
    const least = h.client(LEAST);
    const call = (action: string, params: Record<string, unknown>) => least.request<Record<string, unknown>>(action, params, { method: 'POST', timeout: 2000 });
    await call('DescribeBackupTasks', { DBInstanceId: 'rm-a' });
    await call('DescribeBackups', { DBInstanceId: 'rm-a' });
    await call('DescribeBackupPolicy', { DBInstanceId: 'rm-a' });
    await call('DescribeDBInstances', { RegionId: 'cn-hangzhou' });
    for (const action of ['DescribeBinlogFiles', 'DescribeLocalAvailableRecoveryTime', 'DescribeResourceUsage', 'ListTagResources', 'DescribeRegions']) {
      const err = await rejection(call(action, { DBInstanceId: 'rm-a', RegionId: 'cn-hangzhou' }));
      assert.ok(err instanceof Error, 'pop-core rejects with an Error');
      assert.equal(err.code, 'Forbidden.RAM', action);
      assert.equal(((err.data as Record<string, unknown>).AccessDeniedDetail as Record<string, unknown>).AuthAction, `rds:${action}`);
    }
    assert.deepEqual(h.sim.requests.map((r) => [r.action, r.httpStatus, r.code]).slice(3, 6), [
      ['DescribeDBInstances', 200, 'OK'],
      ['DescribeBinlogFiles', 403, 'Forbidden.RAM'],
      ['DescribeLocalAvailableRecoveryTime', 403, 'Forbidden.RAM'],
    ]);
    // Another key of the same simulator may call anything.
    assert.ok(
      (await h.call('DescribeBinlogFiles', { DBInstanceId: 'rm-a', StartTime: '2026-01-01T00:00:00Z', EndTime: '2026-01-02T00:00:00Z' })).Items,
      'the demo key is not restricted',
    );
  });

  it("answers HTTP 403 with the service's error body: Code, Message, RequestId, HostId, Recommend and AccessDeniedDetail", async () => {
    const params = commonParams('DescribeResourceUsage', LEAST.accessKeyId, { DBInstanceId: 'rm-a' });
    const res = await rawRpc(h.sim.url, 'POST', { ...params, Signature: computeSignature('POST', params, LEAST.accessKeySecret) });
    assert.equal(res.status, 403);
    assert.deepEqual(Object.keys(res.body), ['RequestId', 'HostId', 'Code', 'Message', 'AccessDeniedDetail', 'Recommend']);
    assert.equal(res.body.Code, 'Forbidden.RAM');
    assert.equal(res.body.Message, 'User not authorized to operate on the specified resource, or this API does not support RAM.');
    const detail = res.body.AccessDeniedDetail as Record<string, unknown>;
    assert.deepEqual(
      { ...detail, EncodedDiagnosticMessage: typeof detail.EncodedDiagnosticMessage },
      {
        PolicyType: 'AccountLevelIdentityBasedPolicy',
        AuthPrincipalOwnerId: '1234567890123456',
        EncodedDiagnosticMessage: 'string',
        AuthPrincipalType: 'SubUser',
        AuthPrincipalDisplayName: 'rds-backup-exporter',
        NoPermissionType: 'ImplicitDeny',
        AuthAction: 'rds:DescribeResourceUsage',
      },
    );
    assert.match(String(res.body.Recommend), /q=Forbidden\.RAM/);
    assert.equal(JSON.stringify(res.body).includes(LEAST.accessKeySecret), false, 'the secret is nowhere in the answer');
  });

  it('authenticates first: a bad signature or an unknown action from the restricted key is not Forbidden.RAM', async () => {
    const badSecret = h.client({ ...LEAST, accessKeySecret: 'wrong' });
    assert.equal((await rejection(badSecret.request('DescribeBinlogFiles', {}, { method: 'POST' }))).code, 'SignatureDoesNotMatch');
    assert.equal((await rejection(h.client(LEAST).request('DescribeNoSuchThing', {}, { method: 'POST' }))).code, 'InvalidAction.NotFound');
  });

  it("grant() changes a key's grants at run time; an injected Forbidden.RAM fault carries the same body", async () => {
    const least = h.client(LEAST);
    const usage = () => least.request<Record<string, unknown>>('DescribeResourceUsage', { DBInstanceId: 'rm-a' }, { method: 'POST' });
    assert.equal((await rejection(usage())).code, 'Forbidden.RAM');
    h.sim.grant(LEAST.accessKeyId, [...BACKUPS_ONLY, 'DescribeResourceUsage']);
    assert.equal((await usage()).DBInstanceId, 'rm-a');
    h.sim.grant(LEAST.accessKeyId, ['DescribeBackups']);
    assert.equal((await rejection(least.request('DescribeBackupTasks', { DBInstanceId: 'rm-a' }, { method: 'POST' }))).code, 'Forbidden.RAM');
    h.sim.grant(LEAST.accessKeyId, undefined);
    assert.equal((await least.request<Record<string, unknown>>('DescribeRegions', {}, { method: 'POST' })).Regions !== undefined, true);
    assert.throws(() => h.sim.grant('LTAI5tNoSuchKey', []), /not one of the simulator's static keys/);

    h.sim.inject({ kind: 'Forbidden.RAM', action: 'DescribeBackups' });
    const injected = await rejection(h.call('DescribeBackups', { DBInstanceId: 'rm-a' }));
    assert.equal(((injected.data as Record<string, unknown>).AccessDeniedDetail as Record<string, unknown>).AuthAction, 'rds:DescribeBackups');
  });

  it('stsAllowedActions restricts every STS credential issued, across rotations', async () => {
    await h.close();
    h = await startHarness({ stsAllowedActions: ['DescribeRegions'] });
    for (let i = 0; i < 2; i++) {
      const sts = i === 0 ? h.sim.sts.current() : h.sim.sts.rotate();
      const client = h.client(sts);
      assert.ok(
        (await client.request<Record<string, unknown>>('DescribeRegions', {}, { method: 'POST' })).Regions,
        `STS credential ${i + 1} may call DescribeRegions`,
      );
      assert.equal((await rejection(client.request('DescribeDBInstances', { RegionId: 'cn-hangzhou' }, { method: 'POST' }))).code, 'Forbidden.RAM');
    }
    assert.ok(await h.call('DescribeDBInstances', { RegionId: 'cn-hangzhou' }), 'the static demo key is not restricted');
  });
});
