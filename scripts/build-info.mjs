// Writes dist/build-info.json for the build_info metric: the git revision and branch of this build.
// BUILD_REVISION and BUILD_BRANCH win (the image build passes them: it has no .git); otherwise
// git is asked; without either, "unknown".
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';

function git(args) {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

const revision = process.env.BUILD_REVISION || git(['rev-parse', 'HEAD']) || 'unknown';
const branch = process.env.BUILD_BRANCH || git(['symbolic-ref', '--short', '-q', 'HEAD']) || 'unknown';
mkdirSync('dist', { recursive: true });
writeFileSync('dist/build-info.json', `${JSON.stringify({ revision, branch })}\n`);
