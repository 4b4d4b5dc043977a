// What a broken or hostile endpoint (or a proxy in the way) can send, answered over real HTTP to
// the real client: every body is bounded on the wire and once inflated, every failure becomes one
// code from a bounded set, and nothing the request carried comes back out in a message.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createDeflate, createGzip, gzipSync } from 'node:zlib';
import { staticCredentials } from '../../src/alicloud/credentials.js';
import { ApiError } from '../../src/alicloud/errors.js';
import type { RdsClient } from '../../src/alicloud/rds-client.js';
import { MAX_RESPONSE_BYTES } from '../../src/alicloud/response-guard.js';
import { testClient, until } from '../helpers.js';

type Handler = (req: IncomingMessage, res: ServerResponse, form: URLSearchParams) => void;

const KEY_ID = 'LTAI5tHostileTestKey01';
const SECRET = 'hostile-test-secret-0123456789';

/**
 * Streams `total` bytes of `byte` through `into` (the response, or a compressor piped into it),
 * respecting back-pressure; resolves with the bytes written when the response closed.
 */
function stream(into: NodeJS.WritableStream, res: ServerResponse, total: number, byte = 0x20): Promise<number> {
  const chunk = Buffer.alloc(64 * 1024, byte);
  let written = 0;
  let closed = false;
  return new Promise((resolve) => {
    const more = () => {
      while (written < total && !closed) {
        written += chunk.length;
        if (!into.write(chunk)) return void into.once('drain', more);
      }
      if (!closed) into.end();
    };
    into.on('error', () => undefined);
    res.on('close', () => {
      closed = true;
      resolve(written);
    });
    more();
  });
}

describe('hostile responses', function () {
  this.timeout(20_000);
  let server: Server;
  let handler: Handler;
  let client: RdsClient;
  let calls: Array<{ code: string }>;

  before(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString('utf8')));
      req.on('end', () => handler(req, res, new URLSearchParams(body)));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => {
    calls = [];
    client = testClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, {
      credentials: staticCredentials(KEY_ID, SECRET),
      observe: ({ code }) => calls.push({ code }),
    });
  });
  afterEach(() => client.close());

  async function failure(): Promise<ApiError> {
    try {
      await client.describeBackupTasks('rm-hostile');
    } catch (err) {
      assert.ok(err instanceof ApiError, `an ApiError, not ${String(err)}`);
      assert.deepEqual(
        calls.map((c) => c.code),
        [err.code],
        'observed once, with the same code',
      );
      return err;
    }
    assert.fail('the call succeeded');
  }

  const json =
    (status: number, body: string, headers: Record<string, string> = {}): Handler =>
    (_req, res) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(body);
    };

  describe('size', () => {
    it('cuts a gzip bomb once the inflated body passes the limit', async () => {
      let sent = 0;
      handler = (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
        const gzip = createGzip();
        gzip.pipe(res);
        // 256 MiB of spaces inflated from well under 1 MiB on the wire
        void stream(gzip, res, 256 * 1024 * 1024).then((n) => (sent = n));
      };
      const err = await failure();
      assert.equal(err.code, 'ResponseTooLarge');
      assert.equal(err.kind, 'malformed');
      await until('the response closed', () => sent > 0);
      assert.ok(sent < 64 * 1024 * 1024, `the server was cut off after ${sent} bytes`);
    });

    it('cuts a deflate bomb the same way', async () => {
      handler = (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'deflate' });
        const deflate = createDeflate();
        deflate.pipe(res);
        void stream(deflate, res, 64 * 1024 * 1024);
      };
      assert.equal((await failure()).code, 'ResponseTooLarge');
    });

    it('cuts a plain body that passes the limit on the wire', async () => {
      let sent = 0;
      handler = (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        void stream(res, res, 200 * 1024 * 1024).then((n) => (sent = n));
      };
      assert.equal((await failure()).code, 'ResponseTooLarge');
      await until('the response closed', () => sent > 0);
      assert.ok(sent < 64 * 1024 * 1024, `the server was cut off after ${sent} bytes`);
    });

    it('refuses a declared Content-Length over the limit before reading it', async () => {
      handler = (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(MAX_RESPONSE_BYTES + 1) });
        res.write('{"Items":');
      };
      assert.equal((await failure()).code, 'ResponseTooLarge');
    });

    it('reads a body just under the limit, and a small gzip body', async () => {
      const padding = ' '.repeat(MAX_RESPONSE_BYTES - 100);
      handler = json(200, `{"Items":{"BackupJob":[{"BackupJobId":"7","BackupStatus":"Uploading"}]}${padding}}`);
      assert.deepEqual(
        (await client.describeBackupTasks('rm-ok')).map((t) => t.jobId),
        ['7'],
      );
      handler = (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' }).end(gzipSync('{"Items":{"BackupJob":{"BackupJobId":8}}}'));
      };
      assert.deepEqual(
        (await client.describeBackupTasks('rm-ok')).map((t) => t.jobId),
        ['8'],
      );
    });

    it('reports a corrupt compressed body as MalformedResponse', async () => {
      handler = json(200, 'not gzip at all', { 'content-encoding': 'gzip' });
      assert.equal((await failure()).code, 'MalformedResponse');
    });
  });

  describe('codes stay a bounded set', () => {
    const cases: Array<[string, Handler, string]> = [
      ['an HTML 502', json(502, '<html><body>Bad Gateway</body></html>', { 'content-type': 'text/html' }), 'HTTP502'],
      ['an empty 503', json(503, ''), 'HTTP503'],
      ['a 500 with JSON but no Code', json(500, '{"RequestId":"x"}'), 'HTTP500'],
      ['a 429 page', json(429, 'slow down'), 'HTTP429'],
      ['a null body', json(200, 'null'), 'MalformedResponse'],
      ['a null body with 500', json(500, 'null'), 'HTTP500'],
      ['a numeric Code', json(400, '{"Code":123,"Message":"x"}'), 'MalformedResponse'],
      ['an object Code', json(200, '{"Code":{"a":1},"Message":"x"}'), 'MalformedResponse'],
      // pop-core throws a TypeError turning that Code into a name: only the status is left to say
      ['an object Code with 400', json(400, '{"Code":{"a":1},"Message":"x"}'), 'HTTP400'],
      ['a very long Code', json(400, `{"Code":"${'C'.repeat(5000)}","Message":"x"}`), 'MalformedResponse'],
      ['markup in Code', json(400, '{"Code":"<script>alert(1)</script>","Message":"x"}'), 'MalformedResponse'],
      ['an unknown Code of the documented shape', json(400, '{"Code":"NaN","Message":"x"}'), 'OtherApiError'],
      ['a known Code', json(400, '{"Code":"Throttling.User","Message":"x"}'), 'Throttling.User'],
      ['deep JSON', json(200, `${'['.repeat(200_000)}${']'.repeat(200_000)}`), 'MalformedResponse'],
      ['deep JSON inside a valid shape', json(200, `{"Items":{"BackupJob":${'['.repeat(100_000)}${']'.repeat(100_000)}}}`), 'MalformedResponse'],
      ['a __proto__ key', json(200, '{"__proto__":{"Items":1}}'), 'MalformedResponse'],
    ];
    for (const [what, h, code] of cases) {
      it(`${what} → ${code}`, async () => {
        handler = h;
        assert.equal((await failure()).code, code);
      });
    }

    it('names an unknown code in the message, not in the label', async () => {
      handler = json(400, '{"Code":"InvalidParameter.Foo","Message":"bad foo","RequestId":"ABC-123"}');
      const err = await failure();
      assert.equal(err.code, 'OtherApiError');
      assert.equal(err.message, 'DescribeBackupTasks: OtherApiError: InvalidParameter.Foo: bad foo (RequestId ABC-123)');
    });

    it('quotes no RequestId that is not of the documented form', async () => {
      handler = json(400, `{"Code":"Throttling","Message":"m","RequestId":"${SECRET} <b>"}`);
      assert.equal((await failure()).message, 'DescribeBackupTasks: Throttling: m');
    });
  });

  describe('what the request carried never comes back out', () => {
    const wordings: Array<(f: URLSearchParams) => string> = [
      (f) => `Your signature ${f.get('Signature')} does not match, key ${f.get('AccessKeyId')}`,
      (f) => `expected sig=${encodeURIComponent(f.get('Signature') ?? '')} nonce ${f.get('SignatureNonce')}`,
      (f) => `string-to-check: POST&%2F&${encodeURIComponent(`Signature=${encodeURIComponent(f.get('Signature') ?? '')}`)}`,
      (f) => `{"Signature": "${f.get('Signature')}", "AccessKeyId": "${f.get('AccessKeyId')}"}`,
      () => `leaked ${SECRET} here`,
    ];
    wordings.forEach((wording, i) => {
      it(`scrubs an echoed signature, key id, nonce or secret (wording ${i + 1})`, async () => {
        let form = new URLSearchParams();
        handler = (_req, res, f) => {
          form = f;
          res
            .writeHead(400, { 'content-type': 'application/json' })
            .end(JSON.stringify({ Code: 'SignatureDoesNotMatch', Message: wording(f), RequestId: 'R-1' }));
        };
        const err = await failure();
        assert.equal(err.code, 'SignatureDoesNotMatch');
        const signature = form.get('Signature') ?? '';
        assert.ok(signature.length > 10, 'the request was signed');
        for (const value of [signature, encodeURIComponent(signature), KEY_ID, SECRET, form.get('SignatureNonce') ?? '']) {
          assert.ok(!err.message.includes(value), `${value} is in: ${err.message}`);
        }
      });
    });
  });
});
