// Property-based tests over every response normaliser and the error classifier: whatever the
// endpoint sends, the outcome is a typed record or a MalformedResponseError, and a failure is
// always one ApiError with a code from a bounded set that quotes nothing the request carried.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import fc from 'fast-check';
import {
  normalizeBackupPolicy,
  normalizeBackupsPage,
  normalizeBackupSet,
  normalizeInstancesPage,
  normalizeTagsPage,
  parseApiTime,
} from '../../src/alicloud/backups.js';
import { ApiError, classifyApiError, KNOWN_API_CODES, scrubServerText } from '../../src/alicloud/errors.js';
import { idToString, listOf, MalformedResponseError, normalizeBackupTask, normalizeBackupTasks } from '../../src/alicloud/normalize.js';

const JSONbig = createRequire(import.meta.url)('json-bigint') as { parse(text: string): unknown };
const RUNS = { numRuns: 300 };

/** Field names the normalisers look at, so that random bodies reach past the first check. */
const FIELDS = [
  'Items',
  'BackupJob',
  'Backup',
  'DBInstance',
  'TagResources',
  'TagResource',
  'BackupJobId',
  'BackupId',
  'BackupStatus',
  'BackupProgressStatus',
  'JobMode',
  'TaskAction',
  'Process',
  'BackupStartTime',
  'BackupEndTime',
  'BackupSize',
  'BackupType',
  'TotalRecordCount',
  'PreferredBackupPeriod',
  'BackupRetentionPeriod',
  'PreferredNextBackupTime',
  'DBInstanceId',
  'Engine',
  'ResourceId',
  'TagKey',
  'TagValue',
  'NextToken',
  'Code',
  'Message',
  'RequestId',
  '__proto__',
  'constructor',
  'toString',
];

const leaf = fc.oneof(
  fc.string(),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.constantFrom('2026-11-20T16:20:00Z', '2026-11-20T16:20Z', 'Monday,Friday', '25', '1e400', 'NaN', '', ' ', '99999999999999999999'),
  // json-bigint's numbers past 15 digits
  fc
    .bigInt()
    .map((n) => JSONbig.parse(`{"n":${n < 0n ? -n : n}}`) as Record<string, unknown>)
    .map((o) => o.n),
);

const body: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.constantFrom(...FIELDS), tie('value'), { maxKeys: 6 }),
    // the null-prototype objects json-bigint makes
    fc.dictionary(fc.constantFrom(...FIELDS), tie('value'), { maxKeys: 6 }).map((o) => Object.assign(Object.create(null) as object, o)),
  ),
})).value;

/** Random JSON text through the real parser, as pop-core does it. */
const parsedText = fc
  .jsonValue()
  .map((v) => JSON.stringify(v))
  .chain((text) => fc.constantFrom(text, text.slice(0, Math.floor(text.length / 2))))
  .map((text) => {
    try {
      return JSONbig.parse(text);
    } catch {
      return text;
    }
  });

function onlyMalformed(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof MalformedResponseError, `threw ${String(err)}`);
  }
}

describe('normalisers (property-based)', () => {
  const normalisers: Array<[string, (b: unknown) => unknown]> = [
    ['normalizeBackupTasks', normalizeBackupTasks],
    ['normalizeBackupTask', normalizeBackupTask],
    ['normalizeBackupsPage', normalizeBackupsPage],
    ['normalizeBackupSet', normalizeBackupSet],
    ['normalizeBackupPolicy', normalizeBackupPolicy],
    ['normalizeInstancesPage', normalizeInstancesPage],
    ['normalizeTagsPage', normalizeTagsPage],
    ['listOf', (b) => listOf({ Items: b }, 'Items', 'BackupJob')],
  ];
  for (const [name, normalise] of normalisers) {
    it(`${name}: a record or a MalformedResponseError, for any body`, () => {
      fc.assert(
        fc.property(fc.oneof(body, parsedText, fc.anything()), (b) => onlyMalformed(() => normalise(b))),
        RUNS,
      );
    });
  }

  it('normalizeBackupTasks: every task it returns is well formed', () => {
    fc.assert(
      fc.property(body, (b) => {
        let tasks;
        try {
          tasks = normalizeBackupTasks({ Items: { BackupJob: b } });
        } catch (err) {
          assert.ok(err instanceof MalformedResponseError, `threw ${String(err)}`);
          return;
        }
        for (const t of tasks) {
          assert.match(t.jobId, /\S/);
          assert.ok(t.status.length <= 32 && /^[A-Za-z0-9_]*$/.test(t.status), `status ${t.status}`);
          if (t.progressRatio !== undefined) assert.ok(t.progressRatio >= 0 && t.progressRatio <= 1, `progress ${t.progressRatio}`);
        }
      }),
      RUNS,
    );
  });

  it('idToString and parseApiTime never throw and keep to their types', () => {
    fc.assert(
      fc.property(fc.oneof(body, fc.anything()), (v) => {
        const id = idToString(v);
        assert.ok(id === undefined || typeof id === 'string', 'an id is a string');
        const t = parseApiTime(v);
        assert.ok(t === undefined || Number.isFinite(t), `time ${t}`);
      }),
      RUNS,
    );
  });

  it('survives JSON nested deeper than any real reply', () => {
    const deep = JSONbig.parse(`{"Items":{"BackupJob":${'['.repeat(2000)}${']'.repeat(2000)}}}`);
    for (const [, normalise] of normalisers) onlyMalformed(() => normalise(deep));
  });
});

describe('classifyApiError (property-based)', () => {
  const BOUNDED = new RegExp(
    `^(${[...KNOWN_API_CODES].map((c) => c.replace('.', '\\.')).join('|')}|OtherApiError|HTTP[1-5]\\d\\d|Timeout|NetworkError|MalformedResponse|ResponseTooLarge|CredentialsUnavailable)$`,
  );
  const SENT = ['Sig+nature/Value=', 'LTAI5tPropertyKeyId', 'CAIS.property.token.value', 'nonce-0123456789'];

  /** What pop-core and Node reject with, with random parts. */
  const rejection = fc.oneof(
    body,
    fc.anything(),
    fc.record({
      name: fc.oneof(fc.string(), fc.constantFrom('SyntaxError', 'RequestTimeoutError', 'TypeError', 'RangeError', 'CredentialsError')),
      message: fc.string(),
    }),
    fc.tuple(fc.oneof(fc.string(), fc.integer(), body), fc.string(), fc.oneof(fc.string(), body)).map(([code, message, requestId]) =>
      Object.assign(new Error(`${message}, URL: https://x/`), {
        name: `${typeof code === 'string' ? code : typeof code}Error`,
        code,
        data: { Code: code, Message: `${message} ${SENT.join(' ')} ${encodeURIComponent(SENT[0]!)}`, RequestId: requestId },
      }),
    ),
    fc.constantFrom('ECONNRESET', 'ENOTFOUND', 'EPIPE', 'Z_DATA_ERROR', 'ERR_X').map((code) => Object.assign(new Error(`${code} ${SENT[1]}`), { code })),
  );
  const facts = fc.record(
    { status: fc.option(fc.integer({ min: 0, max: 1000 }), { nil: undefined }), tooLarge: fc.boolean(), corrupt: fc.boolean() },
    { requiredKeys: [] },
  );

  it('always returns one ApiError with a bounded code, quoting nothing the request carried', () => {
    fc.assert(
      fc.property(fc.string(), rejection, facts, (action, raw, f) => {
        const err = classifyApiError(action, raw, { ...f, sent: SENT });
        assert.ok(err instanceof ApiError, 'an ApiError');
        assert.match(err.code, BOUNDED);
        for (const value of SENT) assert.ok(!err.message.includes(value) && !err.message.includes(encodeURIComponent(value)), `${value} in ${err.message}`);
        assert.ok(!/[\r\n]/.test(err.message.slice(action.length)), 'one line');
      }),
      { numRuns: 1000 },
    );
  });

  it('scrubServerText removes a sent value from any surrounding text', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.constantFrom(...SENT), (before, after, value) => {
        const out = scrubServerText(`${before}${value}${after}`, SENT);
        assert.ok(!out.includes(value), out);
      }),
      RUNS,
    );
  });
});
