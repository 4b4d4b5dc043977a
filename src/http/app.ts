// The HTTP face of the exporter: it renders the metrics and the status page of the last poll
// snapshot, reports health and readiness, and (with --web.enable-lifecycle) asks for a
// configuration reload.
// Nothing here calls the Alibaba Cloud API.
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from '../log.js';
import type { ExporterMetrics } from '../metrics/registry.js';
import { BasicAuth } from './basic-auth.js';
import { loadRunbook } from './runbook.js';
import { escapeHtml, parseStatusFilter, renderStatusPage, type StatusInput } from './status-page.js';
import type { WebSettings } from './web-config.js';

export interface AppOptions {
  metrics: ExporterMetrics;
  telemetryPath: string;
  isReady: () => boolean;
  version: string;
  /** one line for the landing page, e.g. "2 accounts, 3 regions, 5 instances" (follows reloads) */
  summary: () => string;
  log: Logger;
  /** what GET /status shows, read once per request */
  status: () => StatusInput;
  /** reloads the configuration; present when the lifecycle API is enabled (concurrent requests are coalesced) */
  reload?: () => Promise<void>;
  /** the web configuration in force (--web.config.file): users and headers, asked per request */
  web?: () => WebSettings;
}

/** Whether the scraper accepts a gzip body (`Accept-Encoding: gzip`, not with q=0). */
export function acceptsGzip(acceptEncoding: string | undefined): boolean {
  return (acceptEncoding ?? '').split(',').some((part) => {
    const [coding, ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
    return (coding === 'gzip' || coding === '*') && (q === undefined || Number(q) > 0);
  });
}

/** Whether the scraper asked for OpenMetrics (Prometheus does when its scrape protocols allow it). */
export function wantsOpenMetrics(accept: string | undefined): boolean {
  return accept !== undefined && /application\/openmetrics-text/i.test(accept);
}

/**
 * Runs `reload` one at a time, and coalesces: a call made while one runs is answered by the next
 * run, which starts when it ends and which every call made meanwhile shares. However many arrive
 * at once, at most two run, and each answer comes from a run that started after it was asked (so
 * it read the files as they were then).
 */
export function coalesceReloads(reload: () => Promise<void>): () => Promise<void> {
  let current: Promise<void> | undefined;
  let queued: Promise<void> | undefined;
  const launch = (): Promise<void> => {
    const run = Promise.resolve().then(reload);
    const settled = () => {
      if (current === run && queued === undefined) current = undefined;
    };
    run.then(settled, settled);
    current = run;
    return run;
  };
  const ignore = () => undefined;
  return () => {
    if (current === undefined) return launch();
    queued ??= current.then(ignore, ignore).then(() => {
      queued = undefined;
      return launch();
    });
    return queued;
  };
}

export function createApp(opts: AppOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  if (opts.web) {
    const web = opts.web;
    // Headers first, so that a 401 carries them too; then authentication, for every path.
    app.use((_req, res, next) => {
      for (const [name, value] of Object.entries(web().headers)) res.set(name, value);
      next();
    });
    app.use(new BasicAuth(() => web().users).middleware());
  }

  // Counted as promhttp counts: every request that reaches the metrics endpoint past
  // authentication, by the status it ends with.
  app.all(opts.telemetryPath, (_req, res, next) => {
    const done = opts.metrics.scrapeStarted();
    let counted = false;
    const end = () => {
      if (counted) return;
      counted = true;
      done(res.statusCode);
    };
    res.once('finish', end).once('close', end);
    next();
  });
  app.get(opts.telemetryPath, async (req: Request, res: Response) => {
    const body = await opts.metrics.render({ openMetrics: wantsOpenMetrics(req.get('accept')), gzip: acceptsGzip(req.get('accept-encoding')) });
    res.set('Content-Type', body.contentType).set('Cache-Control', 'no-store').set('Vary', 'Accept-Encoding').set('Content-Length', String(body.length));
    if (body.gzip) res.set('Content-Encoding', 'gzip');
    // The cached pieces as they are, in one vectored write (HEAD: headers only).
    res.cork();
    for (const chunk of body.chunks) res.write(chunk);
    res.uncork();
    res.end();
  });
  // GET (and HEAD, which express answers with GET's headers) only.
  app.all(opts.telemetryPath, (_req, res) => {
    res.status(405).set('Allow', 'GET, HEAD').type('text/plain').send('Method not allowed: use GET.\n');
  });

  app.get('/status', (req, res) => {
    res
      .type('html')
      .set('Cache-Control', 'no-store')
      .send(renderStatusPage(opts.status(), parseStatusFilter(req.query as Record<string, unknown>)));
  });

  app.get('/-/healthy', (_req, res) => {
    res.type('text/plain').send('Healthy.\n');
  });

  app.get('/-/ready', (_req, res) => {
    if (opts.isReady()) res.type('text/plain').send('Ready.\n');
    else res.status(503).type('text/plain').send('Not ready: not every watched instance has had its first poll yet.\n');
  });

  // Like Prometheus: off unless --web.enable-lifecycle, and only by POST or PUT.
  const reload = opts.reload ? coalesceReloads(opts.reload) : undefined;
  app.all('/-/reload', async (req, res) => {
    if (req.method !== 'POST' && req.method !== 'PUT') {
      res.status(405).set('Allow', 'POST, PUT').type('text/plain').send('Only POST or PUT requests allowed.\n');
    } else if (!reload) {
      res.status(403).type('text/plain').send('Lifecycle API is not enabled (--web.enable-lifecycle).\n');
    } else {
      try {
        await reload();
        res.type('text/plain').send('Configuration reloaded.\n');
      } catch (err) {
        // A ConfigError names file, line and key path, never a value.
        res
          .status(500)
          .type('text/plain')
          .send(`Reload failed, the running configuration is kept: ${err instanceof Error ? err.message : String(err)}\n`);
      }
    }
  });

  const runbook = loadRunbook(opts.version);
  app.get('/runbook', (_req, res) => {
    if (runbook === undefined) res.status(404).type('text/plain').send('The runbook is not installed with this build: see docs/runbook.md.\n');
    else res.type('html').send(runbook);
  });

  app.get('/', (_req, res) => {
    const path = escapeHtml(opts.telemetryPath);
    res.type('html').send(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Alibaba Cloud RDS backup exporter</title></head>
<body>
<h1>Alibaba Cloud RDS backup exporter</h1>
<p>Version ${escapeHtml(opts.version)} &middot; watching ${escapeHtml(opts.summary())} &middot; ${opts.isReady() ? 'ready' : 'waiting for the first polls'}</p>
<ul>
<li><a href="/status">Backup status</a>: every instance, what is wrong with it in words, its running tasks, last backup and failures</li>
<li><a href="/runbook">Runbook</a>: what each alert means and what to do</li>
<li><a href="${path}">Metrics</a></li>
<li><a href="/-/healthy">Health</a></li>
<li><a href="/-/ready">Readiness</a></li>
</ul>
</body></html>
`);
  });

  app.use((_req, res) => {
    res.status(404).type('text/plain').send('Not found.\n');
  });

  // Express 5 routes errors of async handlers here.
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    opts.log.error({ err: err instanceof Error ? err.message : String(err) }, 'HTTP handler failed');
    res.status(500).type('text/plain').send('Internal error.\n');
  });

  return app;
}
