// `npm run demo`: the RDS simulator and the exporter together, with config/demo.yml, so a newcomer
// sees live metrics at http://localhost:9877/metrics without a cloud account. A tool, like the
// simulator: it is built apart from the product (tsconfig.tools.json) and never in the image.
import { loadConfigFile } from '../src/config/load.js';
import { startExporter } from '../src/exporter.js';
import { createLogger } from '../src/log.js';
import { startDemoSimulator } from './demo.js';

/** A busy port ends the demo with one line that names the variable choosing it, not a stack trace. */
async function listening<T>(start: (port: number) => Promise<T>, variable: string, fallback: number): Promise<T> {
  const port = Number(process.env[variable] ?? fallback);
  try {
    return await start(port);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    process.stderr.write(`demo: port ${port} is already in use; choose another with ${variable}=<port> npm run demo\n`);
    process.exit(1);
  }
}

const log = createLogger({ level: 'info', format: process.stdout.isTTY ? 'pretty' : 'json' });
const config = loadConfigFile(process.env.DEMO_CONFIG ?? 'config/demo.yml');
const simulator = await listening((port) => startDemoSimulator({ host: '127.0.0.1', port }), 'DEMO_SIMULATOR_PORT', 9878);
log.info({ url: simulator.url }, 'RDS simulator started');
const exporter = await listening((port) => startExporter({ config, log, listen: { host: '127.0.0.1', port } }), 'DEMO_PORT', 9877);
log.info(`demo running: open ${exporter.url}/metrics (Ctrl-C to stop)`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    if (stopping) return;
    stopping = true;
    void Promise.all([exporter.close(), simulator.close()]).then(() => process.exit(0));
  });
}
