/**
 * CLI for the demo and manual poking:
 *   npm run simulator -- [--listen=127.0.0.1:9878] [--seed=N]
 * Serves the demo world with live backup traffic, signed with DEMO_CREDENTIAL.
 */
import { parseArgs } from 'node:util';
import { startDemoSimulator } from './demo.js';
import { DEMO_CREDENTIAL } from './server.js';

function parseListen(listen: string): { host: string; port: number } {
  const at = listen.lastIndexOf(':');
  const host = at > 0 ? listen.slice(0, at).replace(/^\[|\]$/g, '') : '127.0.0.1';
  const port = Number(at >= 0 ? listen.slice(at + 1) : listen);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`--listen: invalid port in ${JSON.stringify(listen)} (expected host:port)`);
  }
  return { host, port };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      listen: { type: 'string', default: '127.0.0.1:9878' },
      seed: { type: 'string', default: '1' },
    },
  });
  const seed = Number(values.seed);
  if (!Number.isInteger(seed)) {
    throw new Error(`--seed: not an integer: ${values.seed}`);
  }
  const sim = await startDemoSimulator({ ...parseListen(values.listen), seed });
  console.log(`RDS simulator listening on ${sim.url} (AccessKeyId ${DEMO_CREDENTIAL.accessKeyId}, STS credentials at ${sim.credentialsUri})`);

  const shutdown = (): void => {
    sim.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

main().catch((err: unknown) => {
  console.error(`simulator: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
