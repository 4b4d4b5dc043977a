import assert from 'node:assert/strict';
// Named imports: they resolve the same under Node's ESM loader and under mocha + tsx (which
// require()s test files as CommonJS). A default import does not: it is the module object under
// Node ESM but the Credential class under tsx.
import { DefaultCredentialsProvider, URICredentialsProvider } from '@alicloud/credentials';
import { request } from 'node:http';
import { rejection, startHarness, type Harness } from './helpers.js';

function getJson(url: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    request(url, { agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>));
    })
      .on('error', reject)
      .end();
  });
}

describe('simulator STS credentials URI', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('serves the credentials-URI JSON shape with a parseable Expiration', async () => {
    h = await startHarness();
    const body = await getJson(h.sim.credentialsUri);
    const current = h.sim.sts.current();
    assert.deepEqual(Object.keys(body).sort(), ['AccessKeyId', 'AccessKeySecret', 'Code', 'Expiration', 'LastUpdated', 'SecurityToken']);
    assert.equal(body.Code, 'Success');
    assert.equal(body.AccessKeyId, current.accessKeyId);
    assert.equal(body.SecurityToken, current.securityToken);
    assert.match(String(body.Expiration), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    const ttl = Date.parse(String(body.Expiration)) - Date.now();
    assert.ok(ttl > 3500_000 && ttl <= 3600_000, `ttl ${ttl}`);
  });

  it('issued() lists every credential issued, oldest first, with its secret', async () => {
    h = await startHarness();
    const first = h.sim.sts.current();
    const second = h.sim.sts.rotate();
    assert.deepEqual(h.sim.sts.issued(), [first, second]);
    assert.ok(second.accessKeySecret.length > 10, 'each with its secret');
  });

  it('URICredentialsProvider + pop-core: signs with the STS key and token; caches it until 15 min before expiry', async () => {
    h = await startHarness();
    const provider = URICredentialsProvider.builder().withCredentialsURI(h.sim.credentialsUri).build();
    const client = h.client(undefined, { credentialsProvider: provider });
    const first = h.sim.sts.current();
    await client.request('DescribeRegions', {}, { method: 'POST' });
    assert.equal(h.sim.requests[0]?.params.AccessKeyId, first.accessKeyId);
    assert.equal(h.sim.requests[0]?.params.SecurityToken, first.securityToken);

    // rotate() retires the old key at once; this provider still holds it (1 h left > 15 min).
    const second = h.sim.sts.rotate();
    assert.notEqual(second.accessKeyId, first.accessKeyId);
    const err = await rejection(client.request('DescribeRegions', {}, { method: 'POST' }));
    assert.equal(err.code, 'InvalidSecurityToken.Expired');

    const fresh = h.client(undefined, { credentialsProvider: URICredentialsProvider.builder().withCredentialsURI(h.sim.credentialsUri).build() });
    await fresh.request('DescribeRegions', {}, { method: 'POST' });
    assert.equal(h.sim.requests.at(-1)?.params.AccessKeyId, second.accessKeyId);
  });

  it('a credential with under 15 minutes left is re-fetched on every request, so a rotation is picked up at once', async () => {
    h = await startHarness({ stsTtlSeconds: 600 });
    const client = h.client(undefined, { credentialsProvider: URICredentialsProvider.builder().withCredentialsURI(h.sim.credentialsUri).build() });
    await client.request('DescribeRegions', {}, { method: 'POST' });
    const rotated = h.sim.sts.rotate();
    await client.request('DescribeRegions', {}, { method: 'POST' });
    assert.equal(h.sim.requests.at(-1)?.code, 'OK');
    assert.equal(h.sim.requests.at(-1)?.params.AccessKeyId, rotated.accessKeyId);
  });

  it('the default Credential chain finds ALIBABA_CLOUD_CREDENTIALS_URI', async () => {
    h = await startHarness();
    const saved = Object.fromEntries(Object.entries(process.env).filter(([key]) => key.startsWith('ALIBABA_CLOUD_')));
    try {
      for (const key of Object.keys(process.env)) {
        if (key.startsWith('ALIBABA_CLOUD_')) {
          delete process.env[key];
        }
      }
      process.env.ALIBABA_CLOUD_ECS_METADATA_DISABLED = 'true';
      process.env.ALIBABA_CLOUD_CREDENTIALS_URI = h.sim.credentialsUri;
      // Keep a developer's own ~/.aliyun or ~/.alibabacloud profile out of the chain.
      process.env.ALIBABA_CLOUD_PROFILE = 'simulator-test-no-such-profile';
      const got = await DefaultCredentialsProvider.builder().build().getCredentials();
      assert.equal(got.accessKeyId, h.sim.sts.current().accessKeyId);
      assert.equal(got.securityToken, h.sim.sts.current().securityToken);
      assert.match(String(got.providerName), /credential_uri/);
    } finally {
      for (const key of Object.keys(process.env)) {
        if (key.startsWith('ALIBABA_CLOUD_')) {
          delete process.env[key];
        }
      }
      Object.assign(process.env, saved);
    }
  });

  it('an expired STS credential is refused, and the URI then serves a new one', async () => {
    let clock = Date.now();
    const { World } = await import('../../simulator/world.js');
    h = await startHarness({ world: new World({ now: () => clock }), stsTtlSeconds: 600 });
    const old = h.sim.sts.current();
    clock += 601_000;
    const err = await rejection(h.client(old).request('DescribeRegions', {}, { method: 'POST', timeout: 2000 }));
    // (the request Timestamp is also 10 min off, but within tolerance)
    assert.equal(err.code, 'InvalidSecurityToken.Expired');
    const served = await getJson(h.sim.credentialsUri);
    assert.notEqual(served.AccessKeyId, old.accessKeyId);
  });
});
