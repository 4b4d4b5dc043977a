import assert from 'node:assert/strict';
import { computeSignature } from '../../simulator/signature.js';
import { DEMO_CREDENTIAL } from '../../simulator/server.js';
import { World } from '../../simulator/world.js';
import { commonParams, rawRpc, rejection, startHarness, type Harness } from './helpers.js';

describe('simulator/server authentication', () => {
  let h: Harness;
  let clock: number;

  beforeEach(async () => {
    clock = Date.now();
    h = await startHarness({ world: new World({ now: () => clock }) });
  });
  afterEach(() => h.close());

  function signed(method: 'GET' | 'POST', params: Record<string, string>, secret = DEMO_CREDENTIAL.accessKeySecret): Record<string, string> {
    return { ...params, Signature: computeSignature(method, params, secret) };
  }

  it('accepts pop-core POST and records the method and params without the Signature', async () => {
    const body = await h.call('DescribeRegions', { RegionId: 'cn-hangzhou' });
    assert.match(String(body.RequestId), /^[0-9A-F]{8}-[0-9A-F]{4}-/);
    const [recorded] = h.sim.requests;
    assert.ok(recorded, 'recorded');
    assert.equal(recorded.method, 'POST');
    assert.equal(recorded.action, 'DescribeRegions');
    assert.equal(recorded.code, 'OK');
    assert.equal(recorded.httpStatus, 200);
    assert.equal(recorded.params.AccessKeyId, DEMO_CREDENTIAL.accessKeyId);
    assert.equal(recorded.params.RegionId, 'cn-hangzhou');
    assert.equal('Signature' in recorded.params, false);
  });

  it('accepts pop-core GET (signed with GET)', async () => {
    const body = await h.client().request<Record<string, unknown>>('DescribeRegions', {}, { method: 'GET' });
    assert.ok(body.Regions, 'body.Regions');
    assert.equal(h.sim.requests[0]?.method, 'GET');
  });

  it('accepts lower-case "post" from pop-core (signed as POST, params in the query string)', async () => {
    await h.client().request('DescribeRegions', {}, { method: 'post' });
    assert.equal(h.sim.requests[0]?.method, 'POST');
    assert.equal(h.sim.requests[0]?.code, 'OK');
  });

  it('rejects a wrong secret with SignatureDoesNotMatch and echoes its string to sign', async () => {
    const bad = h.client({ ...DEMO_CREDENTIAL, accessKeySecret: 'tampered' });
    const err = await rejection(bad.request('DescribeRegions', {}, { method: 'POST' }));
    assert.equal(err.code, 'SignatureDoesNotMatch');
    assert.match(String(err.message), /server string to sign is:POST&%2F&AccessKeyId%3D/);
    assert.equal(h.sim.requests[0]?.httpStatus, 400);
  });

  it('rejects a request signed for GET but sent as POST', async () => {
    const res = await rawRpc(h.sim.url, 'POST', signed('GET', commonParams('DescribeRegions', DEMO_CREDENTIAL.accessKeyId)));
    assert.equal(res.status, 400);
    assert.equal(res.body.Code, 'SignatureDoesNotMatch');
  });

  it('rejects an unknown AccessKeyId with InvalidAccessKeyId.NotFound (404)', async () => {
    const err = await rejection(h.client({ accessKeyId: 'LTAInobody', accessKeySecret: 'x' }).request('DescribeRegions', {}, { method: 'POST' }));
    assert.equal(err.code, 'InvalidAccessKeyId.NotFound');
    assert.equal(h.sim.requests[0]?.httpStatus, 404);
  });

  it('rejects a timestamp more than 15 minutes from the server clock, either way', async () => {
    clock = Date.now() + 16 * 60_000;
    assert.equal((await rejection(h.call('DescribeRegions'))).code, 'InvalidTimeStamp.Expired');
    clock = Date.now() - 16 * 60_000;
    assert.equal((await rejection(h.call('DescribeRegions'))).code, 'InvalidTimeStamp.Expired');
    clock = Date.now() + 14 * 60_000;
    await h.call('DescribeRegions');
  });

  it('rejects a reused SignatureNonce with SignatureNonceUsed, but forgets it after 15 minutes', async () => {
    const params = signed('POST', commonParams('DescribeRegions', DEMO_CREDENTIAL.accessKeyId, { SignatureNonce: 'fixed-nonce' }));
    assert.equal((await rawRpc(h.sim.url, 'POST', params)).status, 200);
    const again = await rawRpc(h.sim.url, 'POST', params);
    assert.equal(again.status, 400);
    assert.equal(again.body.Code, 'SignatureNonceUsed');

    clock += 16 * 60_000;
    const later = signed(
      'POST',
      commonParams('DescribeRegions', DEMO_CREDENTIAL.accessKeyId, {
        SignatureNonce: 'fixed-nonce',
        Timestamp: new Date(clock).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      }),
    );
    assert.equal((await rawRpc(h.sim.url, 'POST', later)).status, 200);
  });

  it('reports each missing common parameter by name with MissingParameter', async () => {
    for (const name of ['Action', 'Version', 'SignatureNonce', 'Timestamp', 'Signature']) {
      const params = signed('POST', commonParams('DescribeRegions', DEMO_CREDENTIAL.accessKeyId));
      delete params[name];
      const res = await rawRpc(h.sim.url, 'POST', params);
      assert.equal(res.status, 400, name);
      assert.equal(res.body.Code, 'MissingParameter', name);
      assert.match(String(res.body.Message), new RegExp(`"${name}"`));
    }
  });

  it('rejects a wrong Version and a malformed Timestamp', async () => {
    const version = await rawRpc(h.sim.url, 'POST', signed('POST', commonParams('DescribeRegions', DEMO_CREDENTIAL.accessKeyId, { Version: '2017-03-21' })));
    assert.equal(version.body.Code, 'InvalidParameter');
    const ts = await rawRpc(
      h.sim.url,
      'POST',
      signed('POST', commonParams('DescribeRegions', DEMO_CREDENTIAL.accessKeyId, { Timestamp: '2026-11-20 16:20:00' })),
    );
    assert.equal(ts.body.Code, 'InvalidTimeStamp.Format');
  });

  it('answers an unknown Action with InvalidAction.NotFound (404) after authenticating', async () => {
    const err = await rejection(h.call('DescribeNothing'));
    assert.equal(err.code, 'InvalidAction.NotFound');
    assert.equal(h.sim.requests[0]?.httpStatus, 404);
  });

  it('error bodies carry RequestId, HostId, Code, Message and Recommend', async () => {
    const err = await rejection(h.call('DescribeBackupTasks', { DBInstanceId: 'rm-missing' }));
    const data = err.data as Record<string, unknown>;
    assert.deepEqual(Object.keys(data).sort(), ['Code', 'HostId', 'Message', 'Recommend', 'RequestId']);
    assert.equal(data.Code, 'InvalidDBInstanceId.NotFound');
  });

  it("checks a static STS-style credential's SecurityToken", async () => {
    await h.close();
    const sts = { accessKeyId: 'STS.static', accessKeySecret: 'sts-secret', securityToken: 'token-1' };
    h = await startHarness({ credentials: [sts] });
    await h.client(sts).request('DescribeRegions', {}, { method: 'POST' });
    const err = await rejection(h.client({ ...sts, securityToken: 'token-2' }).request('DescribeRegions', {}, { method: 'POST' }));
    assert.equal(err.code, 'InvalidSecurityToken.MismatchWithAccessKey');
  });
});
