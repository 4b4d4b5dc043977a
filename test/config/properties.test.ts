// Property-based tests over the configuration loaders: random YAML, every truncation of a valid
// file, wrong types in every place. The outcome is a configuration or a ConfigError whose every
// line names the file, never another exception, never a value from the file.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { checkConfig, ConfigError, MAX_PROBLEMS_SHOWN, parseConfig, parseYaml } from '../../src/config/load.js';
import { webConfigSchema } from '../../src/http/web-config.js';

const MARKER = 'Zq7SecretMarker';
const ENV = { RDS_EXPORTER_TEST_KEY_ID: 'LTAI5tTestKeyId', RDS_EXPORTER_TEST_SECRET: 'test-secret-value-123' };
const VALID = readFileSync('test/fixtures/config/valid-full.yml', 'utf8');

/**
 * Loads `text`; asserts the outcome is a configuration or a well-formed ConfigError that quotes no
 * value (the marker is only ever a value, except in random text, where it may be a key: key
 * names are shown, as `unknown key` must).
 */
function loads(text: string, load: (text: string) => unknown = (t) => parseConfig(t, 'p.yml', ENV), markerIsValue = true): void {
  try {
    load(text);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `threw ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
    const lines = err.message.split('\n');
    assert.ok(lines.length >= 1 && lines.length <= MAX_PROBLEMS_SHOWN + 1, `${lines.length} lines`);
    for (const line of lines) assert.ok(line.startsWith('p.yml'), `a line that does not name the file: ${line}`);
    for (const line of lines) {
      // Without the key path (which names keys, and a key may hold the marker in random text).
      const text = markerIsValue ? line : line.replace(/^p\.yml(:\d+:\d+)?: [^ ]*?: /, 'p.yml: ');
      assert.ok(!text.includes(MARKER), `a value is quoted: ${line}`);
    }
  }
}

/** Values that carry the marker somewhere, of every YAML type. */
const value: fc.Arbitrary<unknown> = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    fc.string().map((s) => `${s}${MARKER}`),
    fc.constantFrom(`*${MARKER}`, `&${MARKER} x`, `!${MARKER} x`, `\${${MARKER}`, `"${MARKER}`, `${MARKER}: x`, '${HOME', '$${X}'),
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('v'), { maxLength: 3 }),
    fc.dictionary(
      fc.constantFrom(
        'accounts',
        'name',
        'regions',
        'region',
        'instances',
        'endpoint',
        'poll',
        'schedule',
        'state_file',
        'discovery',
        'engines',
        'access_key_secret',
        '__proto__',
        'x',
      ),
      tie('v'),
      { maxKeys: 4 },
    ),
  ),
})).v;

describe('configuration loader (property-based)', () => {
  it('random YAML documents', () => {
    fc.assert(
      fc.property(value, (v) => loads(stringify({ accounts: v }))),
      { numRuns: 300 },
    );
  });

  it('random text, including YAML syntax characters', () => {
    const yamlish = fc
      .array(
        fc.constantFrom(
          'accounts:',
          '\n',
          '  ',
          '- ',
          '*a',
          '&a ',
          '!!str ',
          '[',
          ']',
          '{',
          '}',
          ':',
          '"',
          "'",
          '#',
          MARKER,
          '${',
          '%YAML 1.2\n',
          '---\n',
          '\t',
          '? ',
        ),
        { maxLength: 40 },
      )
      .map((parts) => parts.join(''));
    fc.assert(
      fc.property(fc.oneof(fc.string(), yamlish), (text) => loads(text, undefined, false)),
      { numRuns: 500 },
    );
  });

  it('every truncation of a valid file', () => {
    for (let end = 0; end <= VALID.length; end++) loads(VALID.slice(0, end));
  });

  it('a wrong value at every place of a valid file', () => {
    const lines = VALID.split('\n');
    const places = lines
      .map((line, i) => [i, /^(\s*-?\s*[A-Za-z_]+:)\s*\S/.exec(line)?.[1]] as const)
      .filter((p): p is readonly [number, string] => p[1] !== undefined);
    fc.assert(
      fc.property(fc.constantFrom(...places), value, ([at, key], v) => {
        const copy = [...lines];
        copy[at] = `${key} ${JSON.stringify(v) ?? 'null'}`;
        loads(copy.join('\n'));
      }),
      { numRuns: 300 },
    );
  });

  it('--config.check (unset variables as warnings), with the same guarantees; its warnings quote nothing either', () => {
    const check = (t: string) => {
      const { warnings } = checkConfig(t, 'p.yml', {});
      for (const line of warnings) {
        assert.match(line, /^p\.yml(:\d+:\d+)?: \S+: environment variable [A-Za-z_][A-Za-z0-9_]* is not set \(the exporter needs it when it runs\)$/);
        // The variable's name is shown (it is what to set); nothing else from the file.
        assert.ok(!line.replace(/environment variable \S+ is not set/, '').includes(MARKER), `a value is quoted: ${line}`);
      }
    };
    fc.assert(
      fc.property(value, (v) => loads(stringify({ accounts: v }), check)),
      { numRuns: 300 },
    );
    const withUnset = VALID.replace(/\$\{RDS_EXPORTER_TEST_KEY_ID\}/g, '${RDS_EXPORTER_TEST_UNSET}').replace(/rm-bp1abc/g, `rm-${MARKER}`);
    for (let end = 0; end <= withUnset.length; end += 7) loads(withUnset.slice(0, end), check);
  });

  it('the web configuration file, with the same guarantees', () => {
    const webValue = fc.dictionary(
      fc.constantFrom('tls_server_config', 'basic_auth_users', 'http_server_config', 'cert_file', 'client_auth_type', 'headers', 'rate_limit', 'key'),
      value,
      { maxKeys: 3 },
    );
    fc.assert(
      fc.property(webValue, (v) => loads(stringify(v), (t) => parseYaml(t, 'p.yml', webConfigSchema, { allowEmpty: true }))),
      { numRuns: 300 },
    );
  });
});
