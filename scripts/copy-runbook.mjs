// Copies docs/runbook.md into dist/: GET /runbook serves it from there (src/http/runbook.ts), so
// that the image, which holds dist/ whole, has it.
import { copyFileSync, mkdirSync } from 'node:fs';

mkdirSync('dist', { recursive: true });
copyFileSync('docs/runbook.md', 'dist/runbook.md');
