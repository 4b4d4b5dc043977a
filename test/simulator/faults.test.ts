import assert from 'node:assert/strict';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { createGunzip } from 'node:zlib';
import { DEMO_CREDENTIAL, type FaultKind } from '../../simulator/server.js';
import { computeSignature } from '../../simulator/signature.js';
import { commonParams, rejection, startHarness, type Harness } from './helpers.js';

/** Sends a signed DescribeBackupTasks and hands back the response, unread. */
function signedRequest(url: string, instanceId: string): Promise<IncomingMessage> {
  const params = commonParams('DescribeBackupTasks', DEMO_CREDENTIAL.accessKeyId, { DBInstanceId: instanceId });
  params.Signature = computeSignature('POST', params, DEMO_CREDENTIAL.accessKeySecret);
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}/`, { method: 'POST', agent: false, headers: { 'content-type': 'application/x-www-form-urlencoded' } }, resolve);
    req.on('error', reject);
    req.end(new URLSearchParams(params).toString());
  });
}

/** Reads up to `limit` bytes of `stream` (or all of it if shorter), then destroys `res`. */
function readAtMost(stream: NodeJS.ReadableStream, res: IncomingMessage, limit: number): Promise<number> {
  return new Promise((resolve) => {
    let n = 0;
    const done = () => {
      res.destroy();
      resolve(n);
    };
    stream.on('data', (d: Buffer) => {
      n += d.length;
      if (n >= limit) done();
    });
    stream.on('end', done);
  });
}

describe('simulator fault injection (as pop-core sees it)', () => {
  let h: Harness;

  beforeEach(async () => {
    h = await startHarness();
    h.sim.world.addInstance('rm-a');
    h.sim.world.addInstance('rm-b');
  });
  afterEach(() => h.close());

  const apiFaults: Array<[FaultKind, number]> = [
    ['Throttling', 400],
    ['Throttling.User', 400],
    ['Throttling.Api', 400],
    ['ServiceUnavailable', 503],
    ['InternalError', 500],
    ['InvalidAccessKeyId.NotFound', 404],
    ['SignatureDoesNotMatch', 400],
    ['Forbidden.RAM', 403],
    ['InvalidDBInstanceId.NotFound', 400],
    ['IncorrectDBInstanceState', 403],
  ];
  for (const [kind, status] of apiFaults) {
    it(`${kind}: rejects with an Error whose code is ${kind} (HTTP ${status})`, async () => {
      h.sim.inject({ kind });
      const err = await rejection(h.call('DescribeBackupTasks', { DBInstanceId: 'rm-a' }));
      assert.ok(err instanceof Error, 'err instanceof Error');
      assert.equal(err.code, kind);
      assert.equal(err.name, `${kind}Error`);
      assert.equal((err.data as Record<string, unknown>).Code, kind);
      assert.deepEqual(
        h.sim.requests.map((r) => [r.code, r.httpStatus]),
        [[kind, status]],
      );
      await h.call('DescribeBackupTasks', { DBInstanceId: 'rm-a' });
    });
  }

  it('html502: rejects with a plain object named SyntaxError, not an Error', async () => {
    h.sim.inject({ kind: 'html502' });
    const err = await rejection(h.call('DescribeRegions'));
    assert.equal(err instanceof Error, false);
    assert.equal(err.name, 'SyntaxError');
    assert.match(String(err.text), /502 Bad Gateway/);
    assert.equal(h.sim.requests[0]?.httpStatus, 502);
  });

  it('empty: a 200 with no body also rejects as a plain SyntaxError object', async () => {
    h.sim.inject({ kind: 'empty' });
    const err = await rejection(h.call('DescribeRegions'));
    assert.equal(err instanceof Error, false);
    assert.equal(err.name, 'SyntaxError');
    assert.equal(h.sim.requests[0]?.code, 'empty');
  });

  it('empty-object: a 200 whose body is {}, which pop-core resolves with', async () => {
    h.sim.world.addJob('rm-a', { status: 'Uploading' });
    h.sim.inject({ kind: 'empty-object' });
    const body = await h.call('DescribeBackupTasks', { DBInstanceId: 'rm-a' });
    assert.deepEqual({ ...body }, {});
    assert.deepEqual(
      h.sim.requests.map((r) => [r.code, r.httpStatus]),
      [['empty-object', 200]],
    );
  });

  it('junk-shape: a 200 with JSON that pop-core resolves with, never of the documented shape', async () => {
    h.sim.world.addJob('rm-a', { status: 'Uploading' });
    h.sim.inject({ kind: 'junk-shape', times: 30 });
    const shapes = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const body = (await h.call('DescribeBackupTasks', { DBInstanceId: 'rm-a' })) as unknown;
      const items = Array.isArray(body) ? undefined : (body as { Items?: { BackupJob?: unknown } }).Items;
      assert.ok(
        !Array.isArray(items?.BackupJob) || (items.BackupJob as Array<{ BackupJobId?: unknown }>).every((j) => j.BackupJobId === undefined),
        JSON.stringify(body),
      );
      shapes.add(JSON.stringify(body).replace(/"[0-9A-F-]{36}"/g, '"id"'));
    }
    assert.ok(shapes.size >= 5, `${shapes.size} different shapes`);
    assert.ok(
      h.sim.requests.every((r) => r.code === 'junk-shape' && r.httpStatus === 200),
      'every answer a junk-shape 200',
    );
  });

  it('http500-no-code: pop-core resolves, because it never checks the HTTP status', async () => {
    h.sim.inject({ kind: 'http500-no-code' });
    const body = await h.call('DescribeBackupTasks', { DBInstanceId: 'rm-a' });
    assert.equal(body.Code, undefined);
    assert.equal(body.Items, undefined);
    assert.equal(h.sim.requests[0]?.httpStatus, 500);
  });

  it('hang: pop-core gives up with RequestTimeoutError after its timeout', async () => {
    h.sim.inject({ kind: 'hang' });
    const started = Date.now();
    const err = await rejection(h.call('DescribeRegions', {}, { timeout: 150 }));
    assert.equal(err.name, 'RequestTimeoutError');
    assert.equal(err.code, undefined);
    assert.ok(Date.now() - started < 2000, 'Date.now() - started < 2000');
  });

  it('hang: close() ends a request that is still hanging', async () => {
    h.sim.inject({ kind: 'hang' });
    const pending = rejection(h.call('DescribeRegions', {}, { timeout: 10_000 }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    await h.close();
    const err = await pending;
    assert.ok(Date.now() - started < 1000, 'Date.now() - started < 1000');
    assert.equal(err.code, 'ECONNRESET');
  });

  it('reset: the socket is destroyed and pop-core rejects with ECONNRESET', async () => {
    h.sim.inject({ kind: 'reset' });
    const err = await rejection(h.call('DescribeRegions'));
    assert.equal(err.code, 'ECONNRESET');
    await h.call('DescribeRegions');
  });

  it('truncated: the real answer cut in the middle of its JSON, which pop-core cannot parse', async () => {
    h.sim.world.addJob('rm-a', { status: 'Uploading', process: 40 });
    h.sim.inject({ kind: 'truncated' });
    const err = await rejection(h.call('DescribeBackupTasks', { DBInstanceId: 'rm-a' }));
    assert.equal(err.name, 'SyntaxError');
    assert.match(String(err.text), /^\{"RequestId":"[^"]+","Items":/);
    assert.deepEqual(
      h.sim.requests.map((r) => [r.code, r.httpStatus]),
      [['truncated', 200]],
    );
  });

  it('oversized: streams far more than any client should read, without a Content-Length', async () => {
    h.sim.inject({ kind: 'oversized' });
    const res = await signedRequest(h.sim.url, 'rm-a');
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-length'], undefined);
    assert.equal(await readAtMost(res, res, 16 * 1024 * 1024), 16 * 1024 * 1024, '16 MiB and more');
    assert.equal(h.sim.requests[0]?.code, 'oversized');
  });

  it('gzip-bomb: a small gzip body that inflates to far more', async () => {
    h.sim.inject({ kind: 'gzip-bomb' });
    const res = await signedRequest(h.sim.url, 'rm-a');
    assert.equal(res.headers['content-encoding'], 'gzip');
    let wire = 0;
    res.on('data', (d: Buffer) => (wire += d.length));
    const inflated = await readAtMost(res.pipe(createGunzip()), res, 64 * 1024 * 1024);
    assert.ok(inflated >= 64 * 1024 * 1024, `inflated ${inflated}`);
    assert.ok(wire < 1024 * 1024, `${wire} bytes on the wire for 64 MiB inflated`);
  });

  it('probability: each matching request is faulted with that probability, from a seeded source', async () => {
    h.sim.inject({ kind: 'Throttling', times: Infinity, probability: 0.9 });
    for (let i = 0; i < 60; i++) await h.call('DescribeRegions').catch(() => undefined);
    const throttled = h.sim.requests.filter((r) => r.code === 'Throttling').length;
    assert.ok(throttled >= 45 && throttled < 60, `${throttled} of 60 throttled`);
  });

  it('rules match by action and instance, in order, each for its number of times', async () => {
    h.sim.inject({ kind: 'Throttling', action: 'DescribeBackups' });
    h.sim.inject({ kind: 'InternalError', instanceId: 'rm-b', times: 2 });
    await h.call('DescribeBackupTasks', { DBInstanceId: 'rm-a' });
    assert.equal((await rejection(h.call('DescribeBackupTasks', { DBInstanceId: 'rm-b' }))).code, 'InternalError');
    assert.equal((await rejection(h.call('DescribeBackups', { DBInstanceId: 'rm-b' }))).code, 'Throttling', 'the first matching rule wins');
    assert.equal((await rejection(h.call('DescribeBackups', { DBInstanceId: 'rm-b' }))).code, 'InternalError');
    await h.call('DescribeBackups', { DBInstanceId: 'rm-b' });
  });

  it('times: Infinity lasts until clearFaults()', async () => {
    h.sim.inject({ kind: 'ServiceUnavailable', times: Infinity });
    for (let i = 0; i < 3; i++) {
      assert.equal((await rejection(h.call('DescribeRegions'))).code, 'ServiceUnavailable');
    }
    h.sim.clearFaults();
    await h.call('DescribeRegions');
  });

  it('faults apply only after authentication passes', async () => {
    h.sim.inject({ kind: 'Throttling' });
    const bad = h.client({ accessKeyId: 'LTAInobody', accessKeySecret: 'x' });
    assert.equal((await rejection(bad.request('DescribeRegions', {}, { method: 'POST' }))).code, 'InvalidAccessKeyId.NotFound');
    assert.equal((await rejection(h.call('DescribeRegions'))).code, 'Throttling');
  });
});
