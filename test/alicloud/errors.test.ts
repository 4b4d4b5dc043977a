import assert from 'node:assert/strict';
import { ApiError, classifyApiError, KNOWN_API_CODES, labelOfApiCode, RAM_REFUSAL_CODES } from '../../src/alicloud/errors.js';
import { CredentialsError } from '../../src/alicloud/credentials.js';
import { MalformedResponseError } from '../../src/alicloud/normalize.js';
import { registerSecret } from '../../src/log.js';

/** What pop-core rejects with when the body carries an error Code. */
function popCoreApiError(code: string, message = 'msg') {
  const err = new Error(`${message}, URL: https://rds.aliyuncs.com/`) as Error & { code: string; data: unknown };
  err.name = `${code}Error`;
  err.code = code;
  err.data = { RequestId: 'REQ-1', HostId: 'rds.aliyuncs.com', Code: code, Message: message, Recommend: 'https://next.api.aliyun.com/troubleshoot' };
  return err;
}

describe('classifyApiError', () => {
  const table: Array<[string, unknown, string, string, boolean]> = [
    ['Throttling', popCoreApiError('Throttling'), 'Throttling', 'throttled', true],
    ['Throttling.User', popCoreApiError('Throttling.User'), 'Throttling.User', 'throttled', true],
    ['Throttling.Api', popCoreApiError('Throttling.Api'), 'Throttling.Api', 'throttled', true],
    ['ServiceUnavailable', popCoreApiError('ServiceUnavailable'), 'ServiceUnavailable', 'server', true],
    ['InternalError', popCoreApiError('InternalError'), 'InternalError', 'server', true],
    ['InvalidAccessKeyId.NotFound', popCoreApiError('InvalidAccessKeyId.NotFound'), 'InvalidAccessKeyId.NotFound', 'auth', false],
    ['InvalidAccessKeyId.Inactive', popCoreApiError('InvalidAccessKeyId.Inactive'), 'InvalidAccessKeyId.Inactive', 'auth', false],
    ['SignatureDoesNotMatch', popCoreApiError('SignatureDoesNotMatch'), 'SignatureDoesNotMatch', 'auth', false],
    ['InvalidSecurityToken.Expired', popCoreApiError('InvalidSecurityToken.Expired'), 'InvalidSecurityToken.Expired', 'auth', false],
    ['InvalidTimeStamp.Expired', popCoreApiError('InvalidTimeStamp.Expired'), 'InvalidTimeStamp.Expired', 'auth', false],
    ['Forbidden.RAM', popCoreApiError('Forbidden.RAM'), 'Forbidden.RAM', 'permission', false],
    ['InvalidDBInstanceId.NotFound', popCoreApiError('InvalidDBInstanceId.NotFound'), 'InvalidDBInstanceId.NotFound', 'not_found', false],
    ['InvalidDBInstance.NotFound', popCoreApiError('InvalidDBInstance.NotFound'), 'InvalidDBInstance.NotFound', 'not_found', false],
    ['IncorrectDBInstanceState', popCoreApiError('IncorrectDBInstanceState'), 'IncorrectDBInstanceState', 'state', false],
    ['InvalidParameter', popCoreApiError('InvalidParameter'), 'InvalidParameter', 'client', false],
    ['read time-out', Object.assign(new Error('ReadTimeout(3000). POST / failed.'), { name: 'RequestTimeoutError' }), 'Timeout', 'timeout', true],
    [
      'non-JSON body (plain object)',
      { name: 'SyntaxError', message: 'Unexpected token <', at: 1, text: '<html>502</html>' },
      'MalformedResponse',
      'malformed',
      true,
    ],
    ['wrong shape', new MalformedResponseError('the response is not a JSON object'), 'MalformedResponse', 'malformed', true],
    ['connection refused', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }), 'NetworkError', 'network', true],
    ['socket hang up', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), 'NetworkError', 'network', true],
    ['credential chain empty', new CredentialsError(), 'CredentialsUnavailable', 'credentials', false],
    ['a thrown string', 'boom', 'NetworkError', 'network', true],
  ];
  for (const [what, raw, code, kind, retryable] of table) {
    it(`${what} → ${code} (${kind}, ${retryable ? 'retry' : 'no retry'})`, () => {
      const err = classifyApiError('DescribeBackupTasks', raw);
      assert.ok(err instanceof ApiError, 'err instanceof ApiError');
      assert.equal(err.code, code);
      assert.equal(err.kind, kind);
      assert.equal(err.retryable, retryable);
      assert.ok(err.message.startsWith(`DescribeBackupTasks: ${code}`), 'err.message.startsWith(`DescribeBackupTasks: ${code}`)');
    });
  }

  it('keeps the RequestId and the server message, but never the URL', () => {
    const err = classifyApiError('DescribeBackupTasks', popCoreApiError('Forbidden.RAM', 'User not authorized to operate on the specified resource.'));
    assert.equal(err.message, 'DescribeBackupTasks: Forbidden.RAM: User not authorized to operate on the specified resource. (RequestId REQ-1)');
    assert.equal(err.requestId, 'REQ-1');
  });

  it('captures no stack frames (a read keeps its standing error), and leaves the stack limit as it was', () => {
    const before = Error.stackTraceLimit;
    const err = classifyApiError('DescribeBackupPolicy', popCoreApiError('InternalError'));
    assert.equal(err.stack?.includes('\n'), false, `frames captured: ${err.stack}`);
    assert.equal(Error.stackTraceLimit, before);
    assert.match(new Error('x').stack ?? '', /\n\s+at /, 'other errors still have frames');
  });

  it('drops the string-to-sign that SignatureDoesNotMatch quotes (it carries the STS token)', () => {
    const token = 'CAIS-sts-token-value-abcdefghijklmnop';
    const err = classifyApiError(
      'DescribeBackupTasks',
      popCoreApiError(
        'SignatureDoesNotMatch',
        `Specified signature is not matched with our calculation. server string to sign is:POST&%2F&AccessKeyId%3DSTS.x%26SecurityToken%3D${token}`,
      ),
    );
    assert.equal(err.message, 'DescribeBackupTasks: SignatureDoesNotMatch: Specified signature is not matched with our calculation. (RequestId REQ-1)');
  });

  it('scrubs a registered secret that a server message would echo', () => {
    registerSecret('registered-secret-0123456789');
    const err = classifyApiError('DescribeBackupTasks', popCoreApiError('InvalidParameter', 'bad value registered-secret-0123456789'));
    assert.ok(!err.message.includes('registered-secret-0123456789'), "!err.message.includes('registered-secret-0123456789')");
    assert.match(err.message, /\[REDACTED\]/);
  });

  it('never repeats a network error message it does not control', () => {
    const err = classifyApiError(
      'DescribeBackupTasks',
      Object.assign(new Error('getaddrinfo ENOTFOUND secret.example?AccessKeyId=abc'), { code: 'ENOTFOUND' }),
    );
    assert.equal(err.message, 'DescribeBackupTasks: NetworkError: ENOTFOUND');
  });

  it('keeps API codes used as label values to a bounded set', () => {
    assert.equal(labelOfApiCode('Throttling.User'), 'Throttling.User');
    assert.equal(labelOfApiCode('SomeNewCode.Detail'), 'OtherApiError');
    assert.equal(labelOfApiCode('NaN'), 'OtherApiError');
    for (const junk of ['a b"c\n', '', 'x'.repeat(100), '<b>', 'A..B', '.A', 'Ünïcode']) assert.equal(labelOfApiCode(junk), undefined, junk);
  });

  it('classifies what pop-core rejects with for hostile bodies, by the status the agent saw', () => {
    const typeError = new TypeError("Cannot read properties of null (reading 'Code')");
    assert.equal(classifyApiError('A', typeError, { status: 200 }).code, 'MalformedResponse');
    assert.equal(classifyApiError('A', typeError, { status: 502 }).code, 'HTTP502');
    assert.equal(classifyApiError('A', new RangeError('Maximum call stack size exceeded'), { status: 200 }).code, 'MalformedResponse');
    assert.equal(classifyApiError('A', { name: 'SyntaxError', message: 'x' }, { status: 504 }).code, 'HTTP504');
    assert.equal(classifyApiError('A', { name: 'SyntaxError', message: 'x' }, { status: 504 }).kind, 'server');
    assert.equal(classifyApiError('A', { name: 'SyntaxError', message: 'x' }, { status: 404 }).retryable, false);
    assert.equal(classifyApiError('A', Object.assign(new Error('aborted'), { code: 'ECONNRESET' }), { status: 200 }).code, 'NetworkError');
    assert.equal(classifyApiError('A', new Error('cut'), { status: 200, tooLarge: true }).code, 'ResponseTooLarge');
    const number = Object.assign(new Error('x'), { name: '123Error', code: 123, data: { Code: 123 } });
    assert.equal(classifyApiError('A', number).code, 'MalformedResponse');
    const hostile = {
      get name(): string {
        throw new Error('boom');
      },
    };
    assert.equal(classifyApiError('A', hostile).code, 'MalformedResponse');
  });

  describe('RAM refusals', () => {
    it('every refusal code is a permission error, not retried, counted under its own code', () => {
      for (const code of [
        'Forbidden.RAM',
        'NoPermission',
        'Forbidden.NoPermission',
        'Forbidden.SubUser',
        'ActionUnauthorized',
        'Forbidden.NotSupportRAM',
        'Forbedden.NotSupportRAM',
      ]) {
        assert.ok(RAM_REFUSAL_CODES.includes(code), code);
        const err = classifyApiError('DescribeBackupPolicy', popCoreApiError(code, 'You are not authorized to do this action.'));
        assert.equal(err.code, code, 'its own label value, not OtherApiError');
        assert.equal(err.kind, 'permission', code);
        assert.equal(err.retryable, false, code);
        assert.ok(KNOWN_API_CODES.has(code), code);
      }
    });

    it('a Forbidden code that is not about RAM keeps its own meaning; an unknown one is still a refusal', () => {
      assert.equal(classifyApiError('A', popCoreApiError('Forbidden.InstanceNotFound')).kind, 'not_found');
      assert.equal(classifyApiError('A', popCoreApiError('Forbidden.InstanceNotFound')).code, 'Forbidden.InstanceNotFound');
      assert.equal(classifyApiError('A', popCoreApiError('Forbidden.AccessKeyDisabled')).kind, 'auth');
      const unknown = classifyApiError('A', popCoreApiError('Forbidden.RiskControl'));
      assert.deepEqual([unknown.code, unknown.kind, unknown.retryable], ['OtherApiError', 'permission', false]);
    });

    it('codes that only look alike are not refusals', () => {
      for (const code of ['NoPermissionYet', 'Permission', 'InvalidAccessKeyId.NotFound'])
        assert.notEqual(classifyApiError('A', popCoreApiError(code)).kind, 'permission', code);
    });
  });
});
