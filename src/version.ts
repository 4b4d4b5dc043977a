import { createRequire } from 'node:module';

// package.json sits one level above both src/ (tests) and dist/ (the build).
export const VERSION: string = (createRequire(import.meta.url)('../package.json') as { version: string }).version;
