// kubernetes-models' validators accept unknown fields (its schemas allow additional
// properties), so a misspelt optional field — `readOnlyRootFileSystem`, `periodSecond` — would
// pass them and only be refused by the API server. This walks a manifest alongside the
// TypeScript declarations the package ships (one interface per .d.ts file, properties quoted,
// named types imported from sibling files) and lists every field the API does not define.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

interface Declared {
  /** property name → its type, as written */
  props: Map<string, string>;
  /** imported type name → the .d.ts file that declares it */
  imports: Map<string, string>;
}

const cache = new Map<string, Declared | undefined>();

function resolveImport(from: string, spec: string): string {
  const base = spec.startsWith('.') ? resolve(dirname(from), spec) : resolve('node_modules', spec);
  return `${base.replace(/\.js$/, '')}.d.ts`;
}

/** The properties of an interface or inline object body: name → type, comments dropped. */
function propsOf(body: string): Map<string, string> {
  const lines = body
    .replace(/\/\*\*[\s\S]*?\*\//g, '')
    .split('\n')
    .filter((l) => l.trim() !== '');
  const indent = /^(\s*)"/.exec(lines[0] ?? '')?.[1] ?? '';
  const props = new Map<string, string>();
  const depth = (t: string) => (t.match(/[{<]/g) ?? []).length - (t.match(/[}>]/g) ?? []).length;
  for (let i = 0; i < lines.length; i++) {
    const m = new RegExp(`^${indent}"([^"]+)"\\??: (.*)$`).exec(lines[i] ?? '');
    if (!m) continue;
    let type = m[2] ?? '';
    // An inline object type runs on until its brackets close.
    while (depth(type) > 0 && i + 1 < lines.length) type += `\n${lines[++i] ?? ''}`;
    props.set(m[1] ?? '', type.replace(/;$/, '').trim());
  }
  return props;
}

/** The first interface declared in `file`, or undefined when it declares none (a union, a scalar). */
function declared(file: string): Declared | undefined {
  if (cache.has(file)) return cache.get(file);
  const text = readFileSync(file, 'utf8');
  const imports = new Map<string, string>();
  for (const m of text.matchAll(/^import \{([^}]+)\} from "([^"]+)";$/gm)) {
    for (const name of (m[1] ?? '')
      .split(',')
      .map((n) => n.trim())
      .filter(Boolean))
      imports.set(name, resolveImport(file, m[2] ?? ''));
  }
  const start = /^export interface \w+(?: extends [\w, ]+)? \{$/m.exec(text);
  // `extends TypeMeta` adds apiVersion and kind, which every model also declares itself.
  const result = start ? { props: propsOf(text.slice(start.index + start[0].length, text.indexOf('\n}', start.index))), imports } : undefined;
  cache.set(file, result);
  return result;
}

function checkValue(value: unknown, type: string, path: string, within: Declared, out: string[]): void {
  const array = /^Array<(.+)>$/s.exec(type);
  if (array) {
    if (Array.isArray(value)) {
      value.forEach((v, i) => {
        checkValue(v, array[1] ?? '', `${path}[${i}]`, within, out);
      });
    }
    return;
  }
  const map = /^\{\s*\[key: string\]: (.+?);?\s*\}$/s.exec(type);
  if (map) {
    if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) checkValue(v, (map[1] ?? '').trim(), `${path}.${k}`, within, out);
    return;
  }
  if (type.startsWith('{')) {
    const inline = { props: propsOf(type.slice(1, type.lastIndexOf('}'))), imports: within.imports };
    if (value && typeof value === 'object' && !Array.isArray(value)) checkObject(value as Record<string, unknown>, inline, path, out);
    return;
  }
  const file = within.imports.get(type);
  const inner = file && existsSync(file) ? declared(file) : undefined;
  if (inner && value && typeof value === 'object' && !Array.isArray(value)) checkObject(value as Record<string, unknown>, inner, path, out);
}

function checkObject(value: Record<string, unknown>, shape: Declared, path: string, out: string[]): void {
  for (const [key, v] of Object.entries(value)) {
    const type = shape.props.get(key);
    if (type === undefined) out.push(`${path}.${key}`);
    else checkValue(v, type, `${path}.${key}`, shape, out);
  }
}

/** Fields of `object` that the declaration of its model (a .d.ts file) does not define. */
export function unknownFields(object: Record<string, unknown>, modelDeclaration: string): string[] {
  const shape = declared(join(modelDeclaration));
  if (!shape) throw new Error(`${modelDeclaration} declares no interface`);
  const out: string[] = [];
  checkObject(object, shape, String(object.kind ?? ''), out);
  return out;
}
