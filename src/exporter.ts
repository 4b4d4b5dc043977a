// Assembles a running exporter from a validated configuration: API clients → poller → schedule →
// HTTP server, and takes it apart again in order. main.ts adds flags, signals and exit codes;
// tests and the demo call this directly.
import { setMaxListeners } from 'node:events';
import type { Server } from 'node:http';
import type { Config } from './config/schema.js';
import { defaultChainCredentials, staticCredentials } from './alicloud/credentials.js';
import { resolveEndpoint } from './alicloud/endpoints.js';
import { AdaptiveRate } from './alicloud/limits.js';
import { createRdsClient, type RdsClient } from './alicloud/rds-client.js';
import { Semaphore } from './concurrency/semaphore.js';
import { TokenBucket } from './concurrency/token-bucket.js';
import { TurnQueue } from './concurrency/turn-queue.js';
import { Poller, type PollSettings, type RegionTarget } from './collector/poller.js';
import { BUILTIN_READS, TASKS_READ } from './collector/reads/index.js';
import { readState, StateFileWriter, type Restored } from './collector/state-file.js';
import { startSchedule, type Schedule } from './collector/scheduler.js';
import { coalesceReloads, createApp } from './http/app.js';
import { createServer, listenOn, type ListenAddress } from './http/server.js';
import { describeAccess, type WebConfig } from './http/web-config.js';
import { describeConfig } from './config/load.js';
import type { Logger } from './log.js';
import { createMetrics, type ExporterMetrics } from './metrics/registry.js';
import { BUILD, VERSION } from './version.js';

export type { ListenAddress } from './http/server.js';

export interface ExporterOptions {
  config: Config;
  log: Logger;
  /** one address, or each of a repeated --web.listen-address */
  listen: ListenAddress | readonly ListenAddress[];
  telemetryPath?: string;
  /** run cycles on poll.schedule (default true); tests may drive `poller.tick()` themselves */
  schedule?: boolean;
  /** include process_* / nodejs_* metrics (default true) */
  processMetrics?: boolean;
  /** include the metrics endpoint's promhttp_* metrics (default true) */
  handlerMetrics?: boolean;
  /** longest backoff between retries (default 10 s) */
  retryMaxDelayMs?: number;
  /** how long shutdown waits for a running cycle before cutting its requests (default 5 s) */
  shutdownGraceMs?: number;
  random?: () => number;
  now?: () => number;
  /** reads the configuration again (throws ConfigError); enables reloadFromSource() */
  loadConfig?: () => Config;
  /** serve POST /-/reload (--web.enable-lifecycle) */
  enableLifecycle?: boolean;
  /** --web.config.file: TLS, basic auth, headers; read again when its files change and on reload */
  webConfig?: WebConfig;
}

export interface Exporter {
  /** the first listen address's */
  url: string;
  server: Server;
  /** one per listen address, in order */
  urls: string[];
  poller: Poller;
  metrics: ExporterMetrics;
  /**
   * Applies a new, already validated configuration at once: instances that stay keep their state,
   * removed ones lose their series, polls already running end with the clients they had, the
   * schedule and limits follow. The listen address and telemetry path (flags) do not change.
   */
  reload(config: Config): Promise<void>;
  /**
   * Reads the configuration again with `loadConfig` and reloads it (SIGHUP, POST /-/reload). A bad
   * file is logged in one line, counted in config_last_reload_successful, and thrown; the running
   * configuration stays.
   */
  reloadFromSource(): Promise<void>;
  close(): Promise<void>;
}

/** What createTargets builds from a configuration. */
interface Built {
  targets: RegionTarget[];
  clients: RdsClient[];
  /** each account's adaptive rate limit, by account name */
  rates: Map<string, AdaptiveRate>;
}

/**
 * Builds one API client per account and region, sharing the account's rate limit; each region has
 * its own concurrency limit, so that requests hanging on one endpoint never hold up another's.
 */
function createTargets(opts: ExporterOptions, metrics: ExporterMetrics, signal: AbortSignal): Built {
  const { config, log } = opts;
  const targets: RegionTarget[] = [];
  const clients: RdsClient[] = [];
  const rates = new Map<string, AdaptiveRate>();
  // one for every client: answers from all accounts and regions end one an event-loop turn
  const responseTurns = new TurnQueue();
  for (const account of config.accounts) {
    const credentials =
      account.access_key_id !== undefined && account.access_key_secret !== undefined
        ? staticCredentials(account.access_key_id, account.access_key_secret)
        : defaultChainCredentials();
    const bucket = new TokenBucket(account.requests_per_second);
    const rate = new AdaptiveRate(bucket, account.requests_per_second);
    rates.set(account.name, rate);
    for (const region of account.regions) {
      const client = createRdsClient({
        endpoint: resolveEndpoint(region.region, region.endpoint, account.endpoint),
        credentials,
        bucket,
        semaphore: new Semaphore(config.poll.concurrency),
        responseTurns,
        timeoutMs: config.poll.timeout_seconds * 1000,
        maxRetries: config.poll.max_retries,
        retryBaseDelayMs: config.poll.retry_base_delay_seconds * 1000,
        ...(opts.retryMaxDelayMs !== undefined ? { retryMaxDelayMs: opts.retryMaxDelayMs } : {}),
        ...(opts.random ? { random: opts.random } : {}),
        observe: ({ action, code, seconds, retry, instanceId }) => {
          metrics.observeApiCall(account.name, region.region, action, code, seconds);
          rate.record(code.startsWith('Throttling'));
          if (log.isLevelEnabled('debug')) {
            log.debug({ account: account.name, region: region.region, instance_id: instanceId, action, code, duration_seconds: seconds, retry }, 'API call');
          }
        },
        signal,
      });
      clients.push(client);
      targets.push({
        account: account.name,
        region,
        shard: config.shard,
        api: client,
        tagKeys: config.tags_as_labels,
        refreshIntervalMs: (region.discovery?.refresh_interval ?? config.poll.discovery_interval) * 1000,
      });
    }
  }
  return { targets, clients, rates };
}

/** Each read's interval (ms), 0 when it is turned off (collectors.<read>: false). */
function readIntervals(config: Config): Record<string, number> {
  const poll = config.poll as unknown as Record<string, unknown>;
  const out: Record<string, number> = {};
  for (const read of BUILTIN_READS) {
    const configured = read.intervalKey !== undefined ? poll[read.intervalKey] : undefined;
    const seconds = typeof configured === 'number' ? configured : read.defaultIntervalSeconds;
    out[read.name] = config.collectors[read.name] === false ? 0 : seconds * 1000;
  }
  return out;
}

function pollSettings(config: Config, writer: StateFileWriter | undefined): PollSettings {
  return {
    deadlineMs: config.poll.deadline * 1000,
    lookupsPerPoll: config.poll.lookups_per_poll,
    idleListingMs: config.poll.idle_interval * 1000,
    tasksEnabled: config.collectors[TASKS_READ.name] !== false,
    intervalsMs: readIntervals(config),
    backupsLookbackMs: config.poll.backups_lookback * 1000,
    logBackupsLookbackMs: config.poll.log_backups_lookback * 1000,
    ...(writer ? { persist: (states) => writer.save(states) } : {}),
  };
}

export async function startExporter(opts: ExporterOptions): Promise<Exporter> {
  let { config } = opts;
  const { log } = opts;
  const shutdown = new AbortController();
  // Every request waiting for the rate limit, a concurrency slot or a backoff listens on this
  // signal: thousands with a large fleet, all removed when they finish.
  setMaxListeners(0, shutdown.signal);
  const metrics = createMetrics({
    // Read at scrape time only, once the poller below exists.
    snapshot: () => poller.snapshot,
    version: VERSION,
    shard: () => config.shard,
    taskStatuses: () => config.metrics.task_statuses,
    tagKeys: () => config.tags_as_labels,
    // Read at scrape time only, once the targets below exist.
    rateLimits: () => rates,
    processMetrics: opts.processMetrics ?? true,
    handlerMetrics: opts.handlerMetrics ?? true,
    build: BUILD,
  });
  const now = opts.now ?? Date.now;
  const restored = config.state_file ? readState(config.state_file, log, now()) : undefined;
  // One writer per state file path: a reload that keeps the path keeps what it knows of the writes.
  let stateWriter: StateFileWriter | undefined;
  const writerFor = (next: Config, found?: Restored): StateFileWriter | undefined => {
    if (next.state_file === undefined) {
      stateWriter = undefined;
      metrics.stateFile(undefined);
    } else if (stateWriter?.path !== next.state_file) {
      stateWriter = new StateFileWriter(next.state_file, log, (status) => metrics.stateFile(status), found, now);
    }
    return stateWriter;
  };
  const initial = createTargets(opts, metrics, shutdown.signal);
  let clients = initial.clients;
  let rates = initial.rates;
  /** clients replaced by a reload, closed once the work using them has ended (or at shutdown) */
  const retired = new Set<RdsClient>();
  const poller = new Poller(initial.targets, {
    log,
    ...pollSettings(config, writerFor(config, restored)),
    ...(restored ? { saved: restored.instances } : {}),
    ...(opts.now ? { now: opts.now } : {}),
    onPublish: (published) => metrics.published(published),
    onReadError: (account, region, read, code) => metrics.observeReadError(account, region, read, code),
  });
  metrics.configLoaded(true, (opts.now ?? Date.now)());

  const telemetryPath = opts.telemetryPath ?? '/metrics';
  const app = createApp({
    metrics,
    telemetryPath,
    isReady: () => poller.ready,
    version: VERSION,
    log,
    summary: () => `${describeConfig(config)}; ${poller.watchedCount} instance${poller.watchedCount === 1 ? '' : 's'} watched now (configured and discovered)`,
    status: () => ({
      snapshot: poller.snapshot,
      version: VERSION,
      ready: poller.ready,
      configSummary: describeConfig(config),
      ...metrics.selfStatus(),
      nowMs: (opts.now ?? Date.now)(),
      metricsPath: telemetryPath,
    }),
    ...(opts.enableLifecycle ? { reload: () => reloadFromSource() } : {}),
    ...(opts.webConfig ? { web: () => opts.webConfig!.settings } : {}),
  });
  const listeners = await listenOn([opts.listen].flat(), () => createServer(app, opts.webConfig), Boolean(opts.webConfig?.settings.tls));
  for (const { address } of listeners) {
    log.info({ address, telemetry_path: telemetryPath, version: VERSION, ...describeAccess(opts.webConfig?.settings) }, 'listening');
  }

  let schedule: Schedule | undefined;
  if (opts.schedule !== false) schedule = startSchedule(config.poll.schedule, poller, log, config.poll.deadline * 1000);

  let closing: Promise<void> | undefined;
  // Reloads one at a time. Each applies at once: polls and refreshes running keep the clients they
  // started with, which are closed when those have ended.
  let reloading: Promise<void> = Promise.resolve();
  const reload = (next: Config) =>
    (reloading = reloading.then(async () => {
      if (closing) return;
      const built = createTargets({ ...opts, config: next }, metrics, shutdown.signal);
      const previous = clients;
      clients = built.clients;
      rates = built.rates;
      for (const client of previous) retired.add(client);
      void poller.reconfigure(built.targets, pollSettings(next, writerFor(next))).then(() => {
        for (const client of previous) {
          client.close();
          retired.delete(client);
        }
      });
      if (schedule && next.poll.schedule !== config.poll.schedule) {
        await schedule.stop();
        schedule = startSchedule(next.poll.schedule, poller, log, next.poll.deadline * 1000);
      }
      config = next;
      metrics.configLoaded(true, (opts.now ?? Date.now)());
      log.info({ watching: describeConfig(next) }, 'configuration reloaded');
    }));

  // SIGHUP and POST /-/reload share this: one reload at a time, and those asked during one share the next.
  const reloadFromSource = coalesceReloads(async () => {
    if (!opts.loadConfig) throw new Error('this exporter has no configuration source to reload from');
    opts.webConfig?.refresh();
    let next: Config;
    try {
      next = opts.loadConfig();
    } catch (err) {
      metrics.configLoaded(false, (opts.now ?? Date.now)());
      log.error(`configuration reload failed, keeping the running configuration: ${err instanceof Error ? err.message : String(err)}`);
      throw err;
    }
    try {
      await reload(next);
    } catch (err) {
      metrics.configLoaded(false, (opts.now ?? Date.now)());
      log.error(`configuration reload failed: ${err instanceof Error ? err.message : String(err)}`);
      throw err;
    }
  });

  const close = () =>
    (closing ??= (async () => {
      await schedule?.stop();
      const grace = opts.shutdownGraceMs ?? 5000;
      if (poller.busy) {
        log.info({ grace_ms: grace }, 'waiting for the running polls to end');
        await Promise.race([poller.idle(), new Promise((r) => setTimeout(r, grace).unref())]);
      }
      // Cut what is still waiting or in flight: backoff sleeps end, sockets close.
      shutdown.abort();
      for (const client of [...clients, ...retired]) client.close();
      await Promise.race([poller.idle(), new Promise((r) => setTimeout(r, 1000).unref())]);
      // A reload that was under way has now applied (or given up): close what it built.
      await Promise.race([reloading.catch(() => undefined), new Promise((r) => setTimeout(r, 1000).unref())]);
      for (const client of clients) client.close();
      await Promise.all(
        listeners.map(
          ({ server }) =>
            new Promise<void>((resolve) => {
              server.close(() => resolve());
              server.closeAllConnections();
            }),
        ),
      );
    })());

  return { url: listeners[0]!.url, server: listeners[0]!.server, urls: listeners.map((l) => l.url), poller, metrics, reload, reloadFromSource, close };
}
