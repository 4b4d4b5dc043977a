// Log formats: logfmt lines as the Prometheus exporters write them, with secrets scrubbed first.
import assert from 'node:assert/strict';
import { createLogger, registerSecret, toLogfmt } from '../src/log.js';
import { LogCapture } from './helpers.js';

describe('log', () => {
  it('writes logfmt: ts, level, msg first; values quoted only when they must be', () => {
    const line = toLogfmt(
      JSON.stringify({
        level: 'warn',
        time: '2026-11-28T12:00:00.000Z',
        msg: 'poll failed',
        instance_id: 'rm-a',
        n: 3,
        ok: false,
        text: 'a "b" = c',
        nested: { x: 1 },
        empty: '',
      }),
    );
    assert.equal(
      line,
      'ts=2026-11-28T12:00:00.000Z level=warn msg="poll failed" instance_id=rm-a n=3 ok=false text="a \\"b\\" = c" nested="{\\"x\\":1}" empty=""',
    );
  });

  it('keeps one line per record, even for a message with a line break', () => {
    const logs = new LogCapture();
    createLogger({ format: 'logfmt', destination: logs }).info({ detail: 'one\ntwo' }, 'first');
    assert.equal(logs.lines.length, 1);
    assert.match(logs.lines[0]!, /^ts=\S+ level=info msg=first pid=\d+ detail="one\\ntwo"$/);
  });

  it('scrubs registered secrets before formatting', () => {
    registerSecret('LogfmtSecretValue123');
    const logs = new LogCapture();
    createLogger({ format: 'logfmt', destination: logs }).info({ echoed: 'key LogfmtSecretValue123 here' }, 'server said');
    assert.ok(!logs.text.includes('LogfmtSecretValue123'), logs.text);
    assert.match(logs.text, /echoed="key \[REDACTED\] here"/);
  });
});
