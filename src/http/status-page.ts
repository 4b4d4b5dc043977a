// GET /status: one server-rendered HTML page from the last published poll snapshot — never an API
// call. A table a screen reader can follow (caption, column and row headers, <progress> with a
// text equivalent), usable without JavaScript, filtered by query parameters so that it stays
// small and fast with a thousand instances. Everything that comes from the API or the
// configuration is escaped.
import type { InstanceSnapshot, Snapshot } from '../collector/poller.js';
import { backupsOf } from '../collector/reads/backups.js';
import { crossRegionOf } from '../collector/reads/cross-region.js';
import { logChainOf } from '../collector/reads/log-files.js';
import { policyOf } from '../collector/reads/policy.js';
import { restoreWindowOf } from '../collector/reads/restore-window.js';

/** The grace AlicloudRdsBackupOverdue allows past the expected interval (prometheus/alerts.yml). */
export const OVERDUE_GRACE_SECONDS = 3600;
/** Most rows rendered; the page says how many more matched. */
export const MAX_ROWS = 200;

/** What the page shows; read once per request. */
export interface StatusInput {
  snapshot: Snapshot;
  version: string;
  ready: boolean;
  /** e.g. `2 accounts, 3 regions, 5 instances, schedule "..."` */
  configSummary: string;
  reload: { successful: boolean; lastSuccessMs?: number };
  nowMs: number;
  metricsPath: string;
}

export interface StatusFilter {
  /** exact account name */
  account?: string;
  /** exact region id */
  region?: string;
  /** case-insensitive substring of the instance id or description */
  instance?: string;
}

/** The filter from a request's query (?account=&region=&instance=); anything else is ignored. */
export function parseStatusFilter(query: Record<string, unknown>): StatusFilter {
  const filter: StatusFilter = {};
  for (const key of ['account', 'region', 'instance'] as const) {
    const value = query[key];
    if (typeof value === 'string' && value.trim() !== '') filter[key] = value.trim().slice(0, 200);
  }
  return filter;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** "3 d 4 h", "2 h 5 min", "40 s": the two largest units. */
export function humanAge(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const units: Array<[number, string]> = [[86400, 'd'], [3600, 'h'], [60, 'min'], [1, 's']];
  const parts: string[] = [];
  let rest = s;
  for (const [size, name] of units) {
    if (rest >= size || (parts.length === 0 && size === 1)) {
      parts.push(`${Math.floor(rest / size)} ${name}`);
      rest %= size;
    }
    if (parts.length === 2) break;
  }
  return parts.join(' ');
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** A time as "<age> ago" with the exact UTC time in a <time> element. */
function ago(ms: number, nowMs: number): string {
  return `<time datetime="${iso(ms)}" title="${iso(ms)}">${escapeHtml(humanAge((nowMs - ms) / 1000))} ago</time>`;
}

interface Row {
  inst: InstanceSnapshot;
  overdue: boolean;
  failureMs?: number;
  /** a problem to show first: overdue, failing polls, or a failure newer than the last success */
  problem: boolean;
}

function newestFullSuccessMs(inst: InstanceSnapshot): number | undefined {
  return backupsOf(inst)?.summary.newestSuccess.get('FullBackup')?.endMs;
}

function logChainGaps(inst: InstanceSnapshot): number {
  return [...(logChainOf(inst)?.gapsByHost.values() ?? [])].reduce((n, g) => n + g, 0);
}

function toRow(inst: InstanceSnapshot, nowMs: number): Row {
  const full = newestFullSuccessMs(inst);
  const interval = policyOf(inst)?.expectedIntervalSeconds;
  const backups = backupsOf(inst);
  const window = restoreWindowOf(inst);
  const overdue = full !== undefined && interval !== undefined && (nowMs - full) / 1000 > interval + OVERDUE_GRACE_SECONDS;
  const failures = [backups?.summary.newestFailedEndMs, inst.counts.lastFailureMs].filter((v): v is number => v !== undefined);
  const failureMs = failures.length > 0 ? Math.max(...failures) : undefined;
  const newestSuccess = Math.max(...[...(backups?.summary.newestSuccess.values() ?? [])].map((s) => s.endMs), -Infinity);
  const gaps = logChainGaps(inst);
  const nothingToRestore = backups?.usableSets === 0 || (window !== undefined && window.endMs === undefined);
  const row: Row = { inst, overdue, problem: overdue || !inst.success || (failureMs !== undefined && failureMs > newestSuccess) || gaps > 0 || nothingToRestore };
  if (failureMs !== undefined) row.failureMs = failureMs;
  return row;
}

function matches(inst: InstanceSnapshot, filter: StatusFilter): boolean {
  if (filter.account !== undefined && inst.account !== filter.account) return false;
  if (filter.region !== undefined && inst.region !== filter.region) return false;
  if (filter.instance !== undefined) {
    const needle = filter.instance.toLowerCase();
    if (!inst.instanceId.toLowerCase().includes(needle) && !(inst.info?.description ?? '').toLowerCase().includes(needle)) return false;
  }
  return true;
}

function tasksCell(inst: InstanceSnapshot): string {
  if (!inst.tasks) return '<span class="muted">unknown (the task listing failed)</span>';
  if (inst.tasks.length === 0) return '<span class="muted">none</span>';
  return `<ul>${inst.tasks.map((task) => {
    const label = `job ${escapeHtml(task.jobId)}`;
    const pct = task.progressRatio === undefined ? undefined : Math.round(task.progressRatio * 100);
    const bar = pct === undefined ? '' : ` <progress max="100" value="${pct}" aria-label="${label} progress">${pct} %</progress> ${pct} %`;
    return `<li>${label} (${escapeHtml(task.jobMode)}): ${escapeHtml(task.status)}${bar}</li>`;
  }).join('')}</ul>`;
}

function lastBackupCell(inst: InstanceSnapshot, overdue: boolean, nowMs: number): string {
  const full = newestFullSuccessMs(inst);
  const interval = policyOf(inst)?.expectedIntervalSeconds;
  const schedule = interval === undefined ? 'no schedule known' : `expected every ${escapeHtml(humanAge(interval))}`;
  if (full === undefined) {
    return `${backupsOf(inst) ? 'no successful full backup known' : '<span class="muted">not read yet</span>'}<br><span class="muted">${schedule}</span>`;
  }
  const ratio = interval === undefined ? '' : `, ${Math.round(((nowMs - full) / 1000 / interval) * 100)} % of the interval`;
  const flag = overdue ? ' <strong class="bad">Overdue</strong>' : '';
  return `${ago(full, nowMs)}${flag}<br><span class="muted">${schedule}${ratio}</span>`;
}

/** The restore window's end (and start), log chain gaps, and the newest cross-region copy. */
function restorableCell(inst: InstanceSnapshot, nowMs: number): string {
  const window = restoreWindowOf(inst);
  const lines: string[] = [];
  if (window === undefined) lines.push('<span class="muted">not read (or turned off)</span>');
  else if (window.endMs === undefined) lines.push('<strong class="bad">nothing</strong> (no backup to restore from)');
  else lines.push(`${ago(window.endMs, nowMs)}${window.beginMs === undefined ? '' : `<br><span class="muted">back to ${ago(window.beginMs, nowMs)}</span>`}`);
  const gaps = logChainGaps(inst);
  if (gaps > 0) lines.push(`<strong class="bad">${gaps} gap${gaps === 1 ? '' : 's'} in the log chain</strong>: no point-in-time restore across`);
  const cross = crossRegionOf(inst);
  if (cross?.settings.enabled) {
    const copy = cross.copies?.newestSuccessEndMs;
    lines.push(`<span class="muted">copied to ${escapeHtml(cross.settings.targetRegion ?? 'another region')}: ${copy === undefined ? 'no successful copy known' : ago(copy, nowMs)}</span>`);
  }
  return lines.join('<br>');
}

function pollCell(inst: InstanceSnapshot, nowMs: number): string {
  const last = inst.lastSuccessSeconds === undefined ? 'never succeeded' : `last success ${ago(inst.lastSuccessSeconds * 1000, nowMs)}`;
  if (inst.success) return `<span class="ok">OK</span><br><span class="muted">${last}</span>`;
  return `<strong class="bad">Failed</strong>${inst.errorCode ? `: <code>${escapeHtml(inst.errorCode)}</code>` : ''}<br><span class="muted">${last}</span>`;
}

function rowHtml(row: Row, nowMs: number): string {
  const { inst } = row;
  const about = inst.info ? `<br><span class="muted">${escapeHtml(inst.info.engine)} ${escapeHtml(inst.info.engineVersion)}${inst.info.description && inst.info.description !== inst.instanceId ? ` · ${escapeHtml(inst.info.description)}` : ''}</span>` : '';
  return `<tr${row.problem ? ' class="problem"' : ''}>
<td>${escapeHtml(inst.account)}</td>
<td>${escapeHtml(inst.region)}</td>
<th scope="row">${escapeHtml(inst.instanceId)}${about}</th>
<td>${tasksCell(inst)}</td>
<td>${lastBackupCell(inst, row.overdue, nowMs)}</td>
<td>${restorableCell(inst, nowMs)}</td>
<td>${row.failureMs === undefined ? '<span class="muted">none known</span>' : ago(row.failureMs, nowMs)}</td>
<td>${pollCell(inst, nowMs)}</td>
</tr>`;
}

function options(values: readonly string[], selected: string | undefined): string {
  return ['<option value="">all</option>', ...values.map((v) => `<option${v === selected ? ' selected' : ''}>${escapeHtml(v)}</option>`)].join('');
}

const STYLE = `body{font-family:system-ui,sans-serif;margin:1.5rem;color:#1a1a1a}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #ccc;padding:.4rem .5rem;text-align:left;vertical-align:top}
thead th{background:#f0f0f0}caption{text-align:left;font-weight:bold;padding:.5rem 0}
tr.problem{background:#fff4f2}.bad{color:#a30000}.ok{color:#0a6b2d}.muted{color:#555;font-size:.9em}
ul{margin:0;padding-left:1rem}dl{display:grid;grid-template-columns:max-content auto;gap:.2rem 1rem}dt{font-weight:bold}
form{margin:1rem 0;display:flex;gap:1rem;flex-wrap:wrap;align-items:end}label{display:flex;flex-direction:column;font-size:.9em}`;

export function renderStatusPage(input: StatusInput, filter: StatusFilter, maxRows = MAX_ROWS): string {
  const { snapshot, nowMs } = input;
  const all = snapshot.instances;
  const accounts = [...new Set(all.map((i) => i.account))].sort();
  const regions = [...new Set(all.map((i) => i.region))].sort();
  const regionsWatched = new Set(all.map((i) => `${i.account}/${i.region}`)).size;
  const failingPolls = all.filter((i) => !i.success).length;

  const rows = all.filter((i) => matches(i, filter)).map((i) => toRow(i, nowMs));
  // problems first, then by account, region and id
  rows.sort((a, b) => Number(b.problem) - Number(a.problem) || a.inst.account.localeCompare(b.inst.account) || a.inst.region.localeCompare(b.inst.region) || a.inst.instanceId.localeCompare(b.inst.instanceId));
  const shown = rows.slice(0, maxRows);
  const filtered = filter.account !== undefined || filter.region !== undefined || filter.instance !== undefined;
  const caption = `${rows.length} of ${all.length} watched instance${all.length === 1 ? '' : 's'}${filtered ? ' match the filter' : ''}${shown.length < rows.length ? `; the first ${shown.length} are shown — narrow the filter to see the others` : ''}. Instances with a problem come first.`;
  const skipped = all.reduce((n, inst) => n + inst.skippedPolls, 0);
  const darkInventories = snapshot.regions.filter((r) => r.discoverySuccess === false).map((r) => `${r.account}/${r.region}`);
  const polls = `${skipped === 0 ? 'none skipped' : `<strong class="bad">${skipped} skipped</strong> (an instance's previous poll was still running)`}; instance inventory ${
    darkInventories.length === 0 ? 'read in every region' : `<strong class="bad">failing in ${escapeHtml(darkInventories.join(', '))}</strong>`
  }`;
  const reload = input.reload.successful
    ? `<span class="ok">successful</span>${input.reload.lastSuccessMs === undefined ? '' : `, configuration loaded ${ago(input.reload.lastSuccessMs, nowMs)}`}`
    : '<strong class="bad">the last reload failed</strong>: the previous configuration is still running';

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Backup status · Alibaba Cloud RDS backup exporter</title><style>${STYLE}</style></head>
<body>
<header><h1>Alibaba Cloud RDS backup status</h1>
<p>From each instance's last completed poll (this page never calls the Alibaba Cloud API), as of <time datetime="${iso(nowMs)}">${iso(nowMs)}</time>. <a href="/">Exporter home</a> · <a href="${escapeHtml(input.metricsPath)}">Metrics</a></p></header>
<main>
<section aria-labelledby="health"><h2 id="health">Exporter</h2>
<dl>
<dt>Version</dt><dd>${escapeHtml(input.version)} · ${input.ready ? 'ready' : 'waiting for the first polls'}</dd>
<dt>Configured</dt><dd>${escapeHtml(input.configSummary)}</dd>
<dt>Watched</dt><dd>${all.length} instance${all.length === 1 ? '' : 's'} (discovered ones included) in ${regionsWatched} account region${regionsWatched === 1 ? '' : 's'} of ${accounts.length} account${accounts.length === 1 ? '' : 's'}; ${failingPolls === 0 ? 'every poll succeeded' : `<strong class="bad">${failingPolls} with failing polls</strong>`}</dd>
<dt>Polls</dt><dd>${polls}</dd>
<dt>Configuration reload</dt><dd>${reload}</dd>
</dl></section>
<section aria-labelledby="instances"><h2 id="instances">Instances</h2>
<form method="get" action="/status" role="search" aria-label="Filter instances">
<label>Account <select name="account">${options(accounts, filter.account)}</select></label>
<label>Region <select name="region">${options(regions, filter.region)}</select></label>
<label>Instance id or description contains <input type="search" name="instance" value="${escapeHtml(filter.instance ?? '')}"></label>
<button type="submit">Filter</button>${filtered ? ' <a href="/status">Clear</a>' : ''}
</form>
<table>
<caption>${caption}</caption>
<thead><tr><th scope="col">Account</th><th scope="col">Region</th><th scope="col">Instance</th><th scope="col">Running tasks</th><th scope="col">Last successful full backup</th><th scope="col">Restorable to</th><th scope="col">Newest failure</th><th scope="col">Last poll</th></tr></thead>
<tbody>
${shown.map((row) => rowHtml(row, nowMs)).join('\n')}
</tbody>
</table>
</section>
</main>
</body></html>
`;
}
