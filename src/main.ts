#!/usr/bin/env node
// Wiring only: flags → config → exporter; signals; exit codes (0 clean, 2 bad flags or config,
// 1 anything else at start-up).
import { ConfigError, describeConfig, loadConfigFile } from './config/load.js';
import { startExporter } from './exporter.js';
import { FlagError, parseFlags, USAGE } from './flags.js';
import { WebConfig } from './http/web-config.js';
import { createLogger } from './log.js';
import { VERSION } from './version.js';

/** How long shutdown may take before the process exits anyway. */
const SHUTDOWN_DEADLINE_MS = 9000;

/** Writes each line of `message` (a ConfigError holds one per problem) with the program's name. */
function fail(code: number, message: string): never {
  process.stderr.write(message.split('\n').map((line) => `alicloud-rds-backup-exporter: ${line}\n`).join(''));
  process.exit(code);
}

async function main(argv: readonly string[]): Promise<void> {
  let flags;
  try {
    flags = parseFlags(argv);
  } catch (err) {
    if (err instanceof FlagError) fail(2, err.message);
    throw err;
  }
  if (flags.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (flags.version) {
    process.stdout.write(`alicloud-rds-backup-exporter ${VERSION} (node ${process.version})\n`);
    return;
  }

  // The shard and collector flags win over the file's `shard` and `collectors`, at start and at every reload.
  const load = () => {
    const loaded = loadConfigFile(flags.configFile);
    const withCollectors = { ...loaded, collectors: { ...loaded.collectors, ...flags.collectors } };
    return flags.shard ? { ...withCollectors, shard: flags.shard } : withCollectors;
  };
  let config;
  try {
    config = load();
  } catch (err) {
    // Any failure to load is a configuration failure (exit 2); only a ConfigError's text is
    // known to quote nothing from the file.
    fail(2, err instanceof ConfigError ? err.message : `${flags.configFile}: the configuration cannot be loaded`);
  }
  const log = createLogger({ level: flags.logLevel, format: flags.logFormat });
  let webConfig: WebConfig | undefined;
  if (flags.webConfigFile !== undefined) {
    try {
      webConfig = new WebConfig(flags.webConfigFile, log);
    } catch (err) {
      fail(2, err instanceof ConfigError ? err.message : `${flags.webConfigFile}: the web configuration cannot be loaded`);
    }
  }
  if (flags.configCheck) {
    process.stdout.write(`${flags.configFile}: OK (${describeConfig(config)})\n`);
    if (flags.webConfigFile !== undefined) process.stdout.write(`${flags.webConfigFile}: OK\n`);
    return;
  }

  log.info({ config_file: flags.configFile, watching: describeConfig(config) }, 'starting');
  let exporter;
  try {
    exporter = await startExporter({
      config, log, listen: flags.listen, telemetryPath: flags.telemetryPath,
      loadConfig: load,
      enableLifecycle: flags.enableLifecycle,
      ...(webConfig ? { webConfig } : {}),
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    fail(1, e.code === 'EADDRINUSE' ? `cannot listen on ${flags.listenText}: address already in use` : `cannot start: ${e.code ?? e.message}`);
  }

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    setTimeout(() => {
      log.error('shutdown took too long; exiting');
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    exporter.close().then(
      () => {
        log.info('stopped');
        // Everything is closed; do not let a stray handle keep the process up.
        process.exit(0);
      },
      (err: unknown) => {
        log.error({ err: err instanceof Error ? err.message : String(err) }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  // SIGHUP reloads the configuration file; a bad file is reported (by the exporter) and the
  // running one kept.
  process.on('SIGHUP', () => {
    if (!stopping) exporter.reloadFromSource().catch(() => undefined);
  });
}

main(process.argv.slice(2)).catch((err: unknown) => {
  fail(1, `unexpected error: ${err instanceof Error ? err.message : String(err)}`);
});
