import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

// package.json sits one level above both src/ (tests) and dist/ (the build).
export const VERSION: string = (createRequire(import.meta.url)('../package.json') as { version: string }).version;

export interface BuildInfo {
  revision: string;
  branch: string;
}

/**
 * The git revision and branch of the build, from dist/build-info.json, which `npm run build`
 * writes (scripts/build-info.mjs; not committed): `unknown` when it is missing or unreadable.
 */
export function readBuildInfo(file: URL = new URL('../dist/build-info.json', import.meta.url)): BuildInfo {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<Record<keyof BuildInfo, unknown>>;
    const field = (value: unknown) => (typeof value === 'string' && /^[\x21-\x7e]{1,200}$/.test(value) ? value : 'unknown');
    return { revision: field(parsed.revision), branch: field(parsed.branch) };
  } catch {
    return { revision: 'unknown', branch: 'unknown' };
  }
}

export const BUILD: BuildInfo = readBuildInfo();
