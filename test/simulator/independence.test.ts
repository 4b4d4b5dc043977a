// The simulator is an oracle for the exporter: it must share no code with it, or a bug in a shared
// module would be agreed on by both sides. Only the demo's entry point starts the exporter.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';

describe('simulator independence', () => {
  it('imports nothing but Node built-ins and its own modules (run-demo.ts aside, which starts the exporter)', () => {
    const modules = readdirSync('simulator').filter((f) => f.endsWith('.ts'));
    assert.ok(modules.includes('server.ts') && modules.includes('world.ts'), `simulator/ holds ${modules.join(', ')}`);
    const imports = modules
      .filter((f) => f !== 'run-demo.ts')
      .flatMap((f) => [...readFileSync(`simulator/${f}`, 'utf8').matchAll(/^import\s[^;]*?from\s+'([^']+)'/gms)].map((m) => `${f}: ${m[1]}`));
    assert.ok(imports.length > 15, `only ${imports.length} imports found: is the pattern still right?`);
    assert.deepEqual(
      imports.filter((line) => !/: (node:|\.\/[\w-]+\.js$)/.test(line)),
      [],
    );
    assert.match(
      readFileSync('simulator/run-demo.ts', 'utf8'),
      /from '\.\.\/src\/exporter\.js'/,
      'run-demo.ts starts the exporter (this test would check nothing otherwise)',
    );
  });
});
