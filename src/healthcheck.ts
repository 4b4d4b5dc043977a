// The container image's HEALTHCHECK: exits 0 when /-/healthy answers 200, 1 otherwise.
// It follows the port the exporter was started with by reading the exporter's own command line
// (PID 1 in the container, or the child of `docker run --init`), so that
// `docker run IMAGE --web.listen-address=:9100` needs nothing else; HEALTHCHECK_URL overrides.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseListenAddress } from './flags.js';

const DEFAULT_LISTEN_ADDRESS = ':9877';
const TIMEOUT_MS = 4000;

/** The value of the last `--web.listen-address` in `args` (`=VALUE` or a separate word). */
export function listenAddressIn(args: readonly string[]): string | undefined {
  let found: string | undefined;
  args.forEach((arg, i) => {
    if (arg.startsWith('--web.listen-address=')) found = arg.slice('--web.listen-address='.length);
    else if (arg === '--web.listen-address' && i + 1 < args.length) found = args[i + 1];
  });
  return found;
}

/** The URL of /-/healthy for an exporter started with `args`; a wildcard host is asked on loopback. */
export function healthcheckUrl(args: readonly string[], env: NodeJS.ProcessEnv): string {
  if (env.HEALTHCHECK_URL) return env.HEALTHCHECK_URL;
  const { host, port } = parseListenAddress(listenAddressIn(args) ?? DEFAULT_LISTEN_ADDRESS);
  let target = host === undefined || host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  if (target.includes(':')) target = `[${target}]`;
  return `http://${target}:${port}/-/healthy`;
}

/**
 * The exporter's command line: PID 1's. With `docker run --init`, PID 1 is docker-init, whose
 * command line ends with the exporter's (`docker-init -- node /app/dist/main.js ...`), so the
 * flags are found there too.
 */
function exporterArgs(): string[] {
  try {
    return readFileSync('/proc/1/cmdline', 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

async function main(): Promise<void> {
  let url;
  try {
    url = healthcheckUrl(exporterArgs(), process.env);
  } catch {
    process.exit(1);
  }
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    process.exit(res.status === 200 ? 0 : 1);
  } catch {
    process.exit(1);
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) void main();
