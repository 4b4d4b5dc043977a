// The real alerting stack on loopback, for end-to-end tests: Debian's prometheus (scrape and
// evaluation every second) loading the shipped recording rules and a copy of the shipped alerts
// with their durations shortened, prometheus-alertmanager with the shipped routing (its waits
// shortened, every receiver pointed at one webhook), and the webhook that records every
// notification.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { freePort, until } from '../helpers.js';

export const PROMETHEUS = process.env.PROMETHEUS ?? '/usr/bin/prometheus';
export const ALERTMANAGER = process.env.ALERTMANAGER ?? '/usr/bin/prometheus-alertmanager';
export const JOB = 'alicloud-rds-backup';

/** One webhook call: a notification of a group, with its alerts. */
export interface Notification {
  at: number;
  receiver: string;
  status: string;
  alerts: Array<{ status: string; labels: Record<string, string> }>;
}

export interface StackOptions {
  /** the exporter targets (host:port) */
  targets: string[];
  /** the alerts and the Alertmanager configuration, as given: instead of the shipped ones, scaled */
  alerts?: string;
  /** called with the webhook's URL */
  routing?: (url: string) => string;
  /**
   * Time compression: every `for` and `keep_firing_for` of the alerts and every wait of the
   * routing is divided by this (Prometheus here scrapes and evaluates every second; production
   * typically every minute: 60 keeps every duration in proportion).
   */
  scale?: number;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** A Prometheus duration (`1h30m`, `15m`, `500ms`) divided by `factor`, at least 100 ms, in ms. */
export function scaledDuration(duration: string, factor: number): string {
  let ms = 0;
  for (const [, n, unit] of duration.matchAll(/(\d+)(ms|s|m|h|d|w)/g)) ms += Number(n) * UNIT_MS[unit!]!;
  if (ms === 0) throw new Error(`not a duration: ${duration}`);
  return `${Math.max(100, Math.round(ms / factor))}ms`;
}

/** prometheus/alerts.yml with its `for` and `keep_firing_for` divided by `factor`, nothing else changed. */
export function scaledAlerts(text: string, factor: number): string {
  const doc = parse(text) as { groups: Array<{ rules: Array<Record<string, unknown>> }> };
  for (const group of doc.groups) {
    for (const rule of group.rules) {
      for (const key of ['for', 'keep_firing_for']) if (typeof rule[key] === 'string') rule[key] = scaledDuration(rule[key] as string, factor);
    }
  }
  return stringify(doc, { lineWidth: 0 });
}

/** prometheus/alertmanager.yml with its waits divided by `factor` and every receiver sending to `url`: routes, grouping and inhibitions as shipped. */
export function testRouting(text: string, url: string, factor: number): string {
  const doc = parse(text) as { route: Record<string, unknown>; receivers: Array<Record<string, unknown>> };
  const shorten = (route: Record<string, unknown>) => {
    for (const key of ['group_wait', 'group_interval', 'repeat_interval'])
      if (typeof route[key] === 'string') route[key] = scaledDuration(route[key] as string, factor);
    for (const child of (route.routes as Array<Record<string, unknown>> | undefined) ?? []) shorten(child);
  };
  shorten(doc.route);
  for (const receiver of doc.receivers) receiver.webhook_configs = [{ url: `${url}/${String(receiver.name)}`, send_resolved: true }];
  return stringify(doc, { lineWidth: 0 });
}

export class AlertStack {
  readonly notifications: Notification[] = [];
  private readonly children: ChildProcess[] = [];
  private receiver: Server | undefined;
  private dir: string | undefined;
  promApi = '';
  private readonly killAll = () => {
    for (const child of this.children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };

  /** Whether Debian's prometheus and alertmanager are installed (.ci/run installs them). */
  static available(): boolean {
    return existsSync(PROMETHEUS) && existsSync(ALERTMANAGER);
  }

  async start(opts: StackOptions): Promise<void> {
    process.once('exit', this.killAll);
    const dir = (this.dir = mkdtempSync(join(tmpdir(), 'rds-alert-stack-')));
    this.receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        const message = JSON.parse(body) as { status: string; alerts: Notification['alerts'] };
        this.notifications.push({
          at: Date.now(),
          receiver: (req.url ?? '').slice(1),
          status: message.status,
          alerts: message.alerts.map((a) => ({ status: a.status, labels: a.labels })),
        });
        res.end('ok');
      });
    });
    await new Promise<void>((r) => this.receiver!.listen(0, '127.0.0.1', r));
    const hook = `http://127.0.0.1:${(this.receiver.address() as AddressInfo).port}`;

    const amPort = await freePort();
    writeFileSync(
      join(dir, 'alertmanager.yml'),
      opts.routing ? opts.routing(hook) : testRouting(readFileSync('prometheus/alertmanager.yml', 'utf8'), hook, opts.scale ?? 1),
    );
    this.children.push(
      spawn(
        ALERTMANAGER,
        [
          `--config.file=${join(dir, 'alertmanager.yml')}`,
          `--storage.path=${join(dir, 'am')}`,
          `--web.listen-address=127.0.0.1:${amPort}`,
          '--cluster.listen-address=',
          '--log.level=warn',
        ],
        { stdio: 'ignore' },
      ),
    );

    writeFileSync(join(dir, 'alerts.yml'), opts.alerts ?? scaledAlerts(readFileSync('prometheus/alerts.yml', 'utf8'), opts.scale ?? 1));
    const promPort = await freePort();
    writeFileSync(
      join(dir, 'prometheus.yml'),
      stringify({
        global: { scrape_interval: '1s', evaluation_interval: '1s' },
        rule_files: [resolve('prometheus/rules.yml'), join(dir, 'alerts.yml')],
        alerting: { alertmanagers: [{ static_configs: [{ targets: [`127.0.0.1:${amPort}`] }] }] },
        scrape_configs: [{ job_name: JOB, static_configs: [{ targets: opts.targets }] }],
      }),
    );
    this.children.push(
      spawn(
        PROMETHEUS,
        [
          `--config.file=${join(dir, 'prometheus.yml')}`,
          `--storage.tsdb.path=${join(dir, 'prom')}`,
          `--web.listen-address=127.0.0.1:${promPort}`,
          '--log.level=warn',
        ],
        { stdio: 'ignore' },
      ),
    );
    this.promApi = `http://127.0.0.1:${promPort}/api/v1`;
    await until('Alertmanager ready', async () => (await fetch(`http://127.0.0.1:${amPort}/-/ready`).catch(() => undefined))?.status === 200, 20_000);
    await until('a successful scrape of every exporter', async () => (await this.query(`up{job="${JOB}"} == 1`)).length === opts.targets.length, 45_000);
    // A new Prometheus scrapes first up to ~15 s after it starts, longer than ExporterDown's
    // compressed `for`: that start-up alert says nothing of the exporter. Wait for it to resolve,
    // let Alertmanager pass on what it had, and start the record from there.
    await until('no start-up ExporterDown', async () => (await this.query(`ALERTS{alertname="AlicloudRdsBackupExporterDown"}`)).length === 0, 30_000);
    await new Promise((r) => setTimeout(r, 2000));
    this.notifications.length = 0;
  }

  async stop(): Promise<void> {
    for (const child of this.children) child.kill('SIGTERM');
    await Promise.all(
      this.children.map((c) =>
        c.exitCode !== null || c.signalCode !== null
          ? undefined
          : new Promise((r) => {
              c.once('exit', r);
              setTimeout(r, 3000).unref();
            }),
      ),
    );
    this.killAll();
    process.removeListener('exit', this.killAll);
    await new Promise((r) => (this.receiver ? this.receiver.close(r) : r(undefined)));
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }

  /** An instant query's result (empty when Prometheus does not answer). */
  async query(expr: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
    const res = await fetch(`${this.promApi}/query?query=${encodeURIComponent(expr)}`).catch(() => undefined);
    const body = (await res?.json().catch(() => undefined)) as
      | { status?: string; data?: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } }
      | undefined;
    return body?.status === 'success' ? body.data!.result : [];
  }

  /** The alert names firing now in Prometheus (ALERTS), sorted, each once. */
  async firing(): Promise<string[]> {
    return [...new Set((await this.query('ALERTS{alertstate="firing"}')).map((r) => r.metric.alertname!))].sort();
  }

  /** Notifications received since `since` (ms). */
  since(since: number): Notification[] {
    return this.notifications.filter((n) => n.at >= since);
  }
}
