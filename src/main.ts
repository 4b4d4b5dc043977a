#!/usr/bin/env node
// Wiring only: flags → config → exporter; signals; exit codes (0 clean, 2 bad flags or config,
// 1 anything else at start-up).
import { checkConfigFile, ConfigError, describeConfig, describeSchedule, loadConfigFile } from './config/load.js';
import type { Config } from './config/schema.js';
import { startExporter } from './exporter.js';
import { FlagError, parseFlags, USAGE } from './flags.js';
import { WebConfig } from './http/web-config.js';
import { createLogger, type Logger } from './log.js';
import { VERSION } from './version.js';

/** How long shutdown may take before the process exits anyway. */
const SHUTDOWN_DEADLINE_MS = 9000;

/** Writes each line of `message` (a ConfigError holds one per problem) with the program's name. */
function fail(code: number, message: string): never {
  process.stderr.write(
    message
      .split('\n')
      .map((line) => `alicloud-rds-backup-exporter: ${line}\n`)
      .join(''),
  );
  process.exit(code);
}

/**
 * --config.check: every problem is an error (exit 2), except an environment variable the file
 * names that is not set here, a warning: the check runs where the secrets are not.
 */
function checkOnly(configFile: string, webConfigFile: string | undefined, withFlags: (loaded: Config) => Config): void {
  let checked;
  try {
    checked = checkConfigFile(configFile);
    if (webConfigFile !== undefined) new WebConfig(webConfigFile);
  } catch (err) {
    fail(2, err instanceof ConfigError ? err.message : `${configFile}: the configuration cannot be loaded`);
  }
  for (const warning of checked.warnings) process.stderr.write(`alicloud-rds-backup-exporter: warning: ${warning}\n`);
  if (checked.data) {
    const config = withFlags(checked.data);
    process.stdout.write(`${configFile}: OK (${describeConfig(config)})\n${configFile}: ${describeSchedule(config)}\n`);
  } else {
    process.stdout.write(`${configFile}: OK, except the values of the unset environment variables, which are checked when the exporter starts\n`);
  }
  if (webConfigFile !== undefined) process.stdout.write(`${webConfigFile}: OK\n`);
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
  const withFlags = (loaded: Config): Config => {
    const withCollectors = { ...loaded, collectors: { ...loaded.collectors, ...flags.collectors } };
    return flags.shard ? { ...withCollectors, shard: flags.shard } : withCollectors;
  };
  if (flags.configCheck) {
    checkOnly(flags.configFile, flags.webConfigFile, withFlags);
    return;
  }
  // A setting that works but defeats its purpose is logged, at start and at every reload.
  let log: Logger | undefined;
  const early: string[] = [];
  const warn = (line: string) => (log ? log.warn(`configuration warning: ${line}`) : early.push(line));
  const load = () => withFlags(loadConfigFile(flags.configFile, process.env, warn));
  let config;
  try {
    config = load();
  } catch (err) {
    // Any failure to load is a configuration failure (exit 2); only a ConfigError's text is
    // known to quote nothing from the file.
    fail(2, err instanceof ConfigError ? err.message : `${flags.configFile}: the configuration cannot be loaded`);
  }
  log = createLogger({ level: flags.logLevel, format: flags.logFormat });
  for (const line of early) log.warn(`configuration warning: ${line}`);
  let webConfig: WebConfig | undefined;
  if (flags.webConfigFile !== undefined) {
    try {
      webConfig = new WebConfig(flags.webConfigFile, { log });
    } catch (err) {
      fail(2, err instanceof ConfigError ? err.message : `${flags.webConfigFile}: the web configuration cannot be loaded`);
    }
  }

  log.info({ config_file: flags.configFile, watching: describeConfig(config) }, 'starting');
  let exporter;
  try {
    exporter = await startExporter({
      config,
      log,
      listen: flags.listen,
      telemetryPath: flags.telemetryPath,
      loadConfig: load,
      enableLifecycle: flags.enableLifecycle,
      // --web.disable-exporter-metrics, as node_exporter's: the runtime's and the endpoint's own.
      processMetrics: !flags.disableExporterMetrics,
      handlerMetrics: !flags.disableExporterMetrics,
      ...(webConfig ? { webConfig } : {}),
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const busy = flags.listenText.find((_text, i) => flags.listen[i]!.port === (e as { port?: number }).port) ?? flags.listenText.join(', ');
    fail(1, e.code === 'EADDRINUSE' ? `cannot listen on ${busy}: address already in use` : `cannot start: ${e.code ?? e.message}`);
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
