// GET /status: one server-rendered HTML page from the last published poll snapshot — never an API
// call. A table a screen reader can follow (caption, column and row headers, <progress> with a
// text equivalent), usable without JavaScript, filtered by query parameters so that it stays
// small and fast with a thousand instances. Each row says what is wrong in words, one line per
// problem with its severity written out (not only coloured), so that a glance — or a screenshot —
// tells a broken instance from one that is merely not expected to back up. Everything that comes
// from the API or the configuration is escaped.
import type { InstanceSnapshot, Snapshot } from '../collector/poller.js';
import { backupsOf } from '../collector/reads/backups.js';
import { crossRegionOf } from '../collector/reads/cross-region.js';
import { logChainOf } from '../collector/reads/log-files.js';
import { policyOf } from '../collector/reads/policy.js';
import { describeReads } from '../collector/reads/index.js';
import { viewOf, type ReadFailure } from '../collector/reads/read.js';
import { restoreWindowOf } from '../collector/reads/restore-window.js';
import { storageRead } from '../collector/reads/storage.js';

/** The grace AlicloudRdsBackupOverdue allows past the expected interval (prometheus/alerts.yml). */
export const OVERDUE_GRACE_SECONDS = 3600;
/**
 * How much later than the instance's expected backup interval a cross-region copy may end before it
 * is stale: the grace AlicloudRdsBackupCrossRegionStale allows (prometheus/alerts.yml), as copying
 * runs a while after the backup.
 */
export const CROSS_REGION_GRACE_SECONDS = 6 * 3600;
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

/**
 * Control characters (NUL, ESC, C1...) and bidirectional controls (U+202E RIGHT-TO-LEFT OVERRIDE,
 * the isolates...) that a description could carry: invisible, or reordering what follows them, so
 * they are shown as their code point, `[U+202E]`. Tab and line breaks are plain white space.
 */
const HIDDEN = /(?![\t\n\r])[\p{Cc}\p{Bidi_Control}]/gu;

/** Text (from the API, the configuration or the request) made safe and visible in HTML. */
export function escapeHtml(text: string): string {
  return text
    .replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
    .replace(HIDDEN, (c) => `[U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}]`);
}

/** "3 d 4 h", "2 h 5 min", "40 s": the two largest units. */
export function humanAge(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const units: Array<[number, string]> = [
    [86400, 'd'],
    [3600, 'h'],
    [60, 'min'],
    [1, 's'],
  ];
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

/**
 * How bad a problem is, written out on the page: `critical` — backups may not be happening or
 * cannot be restored; `warning` — something degrades recovery or costs money; `expected` — the
 * instance is not expected to back up, and why (not a problem: it explains the row).
 */
export type Severity = 'critical' | 'warning' | 'expected';

/** One line of the Problems cell: its severity and its words (HTML, escaped where it quotes). */
export interface Problem {
  severity: Severity;
  html: string;
}

interface Row {
  inst: InstanceSnapshot;
  overdue: boolean;
  failureMs?: number;
  problems: Problem[];
  /** the worst severity of the row's problems (2 critical, 1 warning, 0 none or only notes): worst rows first */
  rank: number;
}

const SEVERITY_RANK: Readonly<Record<Severity, number>> = { critical: 2, warning: 1, expected: 0 };

const storageOf = viewOf(storageRead);
const ESSENTIAL_READS: ReadonlySet<string> = new Set(
  describeReads()
    .filter((r) => r.essential)
    .map((r) => r.name),
);

/** What each LockMode means for backups, in words (Unlock and "" are not locked). */
const LOCKS: Readonly<Record<string, string>> = {
  ManualLock: 'locked by hand (ManualLock)',
  LockByExpiration: 'locked: its subscription expired (LockByExpiration)',
  LockByRestoration: 'locked during a restoration (LockByRestoration)',
  LockByDiskQuota: 'locked: its disk is full (LockByDiskQuota)',
  Released: 'released (Released)',
};

/** DBInstanceStatus values in which no backup is taken. */
const NOT_BACKING_UP: Readonly<Record<string, string>> = {
  Creating: 'still being created (Creating)',
  Stopped: 'stopped (Stopped)',
  Deleting: 'being deleted (Deleting)',
};

/**
 * Why the instance is not expected to have a backup of its own now, in words, if it is not: a
 * read-only replica, a status or lock in which no backup runs, or created less than one expected
 * interval ago.
 */
function notExpected(inst: InstanceSnapshot, nowMs: number): string[] {
  const info = inst.info;
  if (!info) return [];
  const why: string[] = [];
  if (info.instanceType === 'Readonly') why.push("a read-only replica: its primary's backups cover it");
  const status = NOT_BACKING_UP[info.status];
  if (status) why.push(`the instance is ${status}`);
  const lock = info.lockMode === '' || info.lockMode === 'Unlock' ? undefined : (LOCKS[info.lockMode] ?? `locked (${escapeHtml(info.lockMode)})`);
  if (lock) why.push(`the instance is ${lock}`);
  const interval = policyOf(inst)?.expectedIntervalSeconds;
  if (info.createdMs !== undefined && interval !== undefined && (nowMs - info.createdMs) / 1000 < interval) {
    why.push(
      `created ${ago(info.createdMs, nowMs)}, less than one expected interval (${escapeHtml(humanAge(interval))}): its first scheduled backup may not have come yet`,
    );
  }
  return why;
}

/** A read's failure in words: which read, which action, and for a refusal the permission to grant. */
function readProblem(read: string, failure: ReadFailure): Problem {
  const essential = ESSENTIAL_READS.has(read);
  const action = escapeHtml(failure.action);
  const what = `the <code>${escapeHtml(read)}</code> read (${action})`;
  const consequence = essential ? ': the exporter cannot tell whether backups happen' : '';
  const html =
    failure.kind === 'permission'
      ? `${what} is refused by RAM (<code>${escapeHtml(failure.code)}</code>): grant <code>rds:${action}</code>${consequence}`
      : failure.kind === 'bug'
        ? `${what} fails inside the exporter (a bug; its stack is in the log)${consequence}`
        : `${what} fails: <code>${escapeHtml(failure.code)}</code> (${escapeHtml(failure.kind)})${consequence}`;
  return { severity: essential ? 'critical' : 'warning', html };
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
  const whyNot = notExpected(inst, nowMs);
  const overdue = whyNot.length === 0 && full !== undefined && interval !== undefined && (nowMs - full) / 1000 > interval + OVERDUE_GRACE_SECONDS;
  const failures = [backups?.summary.newestFailedEndMs, inst.counts.lastFailureMs].filter((v): v is number => v !== undefined);
  const failureMs = failures.length > 0 ? Math.max(...failures) : undefined;
  const newestSuccess = Math.max(...[...(backups?.summary.newestSuccess.values() ?? [])].map((s) => s.endMs), -Infinity);
  const gaps = logChainGaps(inst);
  // Not expected to back up: no usable backup is no surprise then.
  const nothingToRestore = whyNot.length === 0 && (backups?.usableSets === 0 || (window !== undefined && window.endMs === undefined));

  const problems: Problem[] = [];
  const critical = (html: string) => problems.push({ severity: 'critical', html });
  const warning = (html: string) => problems.push({ severity: 'warning', html });
  if (!inst.success) {
    const failing = [...inst.reads].filter(([read, health]) => ESSENTIAL_READS.has(read) && health.failure);
    if (failing.length === 0)
      critical(`polls failing${inst.errorCode ? `: <code>${escapeHtml(inst.errorCode)}</code>` : ''}: the exporter cannot tell whether backups happen`);
  }
  for (const [read, health] of inst.reads) if (health.failure) problems.push(readProblem(read, health.failure));
  if (failureMs !== undefined && failureMs > newestSuccess) {
    critical(
      `a backup failed ${ago(failureMs, nowMs)}, ${newestSuccess === -Infinity ? 'and no successful backup is known' : `after the last success (${ago(newestSuccess, nowMs)})`}`,
    );
  }
  if (overdue) {
    critical(
      `the full backup is overdue by ${escapeHtml(humanAge((nowMs - full!) / 1000 - interval!))}: the last one ended ${ago(full!, nowMs)}, one is expected every ${escapeHtml(humanAge(interval!))}`,
    );
  }
  if (nothingToRestore) critical('nothing to restore from: no usable backup set');
  if (gaps > 0) warning(`${gaps} gap${gaps === 1 ? '' : 's'} in the log chain: no point-in-time restore across ${gaps === 1 ? 'it' : 'them'}`);
  const cross = crossRegionOf(inst);
  if (cross?.settings.enabled && cross.copies && interval !== undefined && whyNot.length === 0) {
    const copy = cross.copies.newestSuccessEndMs;
    const allowed = interval + CROSS_REGION_GRACE_SECONDS;
    const target = escapeHtml(cross.settings.targetRegion ?? 'another region');
    if (copy === undefined) warning(`the cross-region copy to ${target} is stale: no successful copy is known`);
    else if ((nowMs - copy) / 1000 > allowed)
      warning(
        `the cross-region copy to ${target} is stale: the newest ended ${ago(copy, nowMs)}, more than ${escapeHtml(humanAge(allowed))} (the expected interval and ${humanAge(CROSS_REGION_GRACE_SECONDS)} to copy)`,
      );
  }
  const paid = storageOf(inst)?.overFreeQuotaBytes;
  if (paid !== undefined && paid > 0) warning(`backup storage is ${escapeHtml(humanBytes(paid))} over the free quota (billed)`);
  for (const why of whyNot) problems.push({ severity: 'expected', html: `not expected to back up: ${why}` });

  const row: Row = { inst, overdue, problems, rank: Math.max(0, ...problems.map((p) => SEVERITY_RANK[p.severity])) };
  if (failureMs !== undefined) row.failureMs = failureMs;
  return row;
}

/** "1.5 GiB", "300 MiB", "12 KiB", "512 B": binary units, one decimal below 10. */
export function humanBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 || value >= 10 ? Math.round(value) : Math.round(value * 10) / 10} ${units[unit]}`;
}

/** The words a severity is shown with, before the problem; a symbol beside them for the eye only. */
const SEVERITY_LABEL: Readonly<Record<Severity, { icon: string; word: string }>> = {
  critical: { icon: '✖', word: 'Critical' },
  warning: { icon: '▲', word: 'Warning' },
  expected: { icon: '○', word: 'Note' },
};

function problemsCell(problems: readonly Problem[]): string {
  if (problems.length === 0) return '<span class="ok">No problem known</span>';
  const order: Severity[] = ['critical', 'warning', 'expected'];
  const sorted = [...problems].sort((a, b) => order.indexOf(a.severity) - order.indexOf(b.severity));
  return `<ul class="problems">${sorted
    .map((p) => {
      const { icon, word } = SEVERITY_LABEL[p.severity];
      return `<li class="sev-${p.severity}"><span aria-hidden="true">${icon} </span><strong>${word}:</strong> ${p.html}</li>`;
    })
    .join('')}</ul>`;
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
  return `<ul>${inst.tasks
    .map((task) => {
      const label = `job ${escapeHtml(task.jobId)}`;
      const pct = task.progressRatio === undefined ? undefined : Math.round(task.progressRatio * 100);
      const bar = pct === undefined ? '' : ` <progress max="100" value="${pct}" aria-label="${label} progress">${pct} %</progress> ${pct} %`;
      return `<li>${label} (${escapeHtml(task.jobMode)}): ${escapeHtml(task.status)}${bar}</li>`;
    })
    .join('')}</ul>`;
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
    lines.push(
      `<span class="muted">copied to ${escapeHtml(cross.settings.targetRegion ?? 'another region')}: ${copy === undefined ? 'no successful copy known' : ago(copy, nowMs)}</span>`,
    );
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
  const about = inst.info
    ? `<br><span class="muted">${escapeHtml(inst.info.engine)} ${escapeHtml(inst.info.engineVersion)}${inst.info.description && inst.info.description !== inst.instanceId ? ` · ${escapeHtml(inst.info.description)}` : ''}</span>`
    : '';
  return `<tr${row.rank > 0 ? ' class="problem"' : ''}>
<td>${escapeHtml(inst.account)}</td>
<td>${escapeHtml(inst.region)}</td>
<th scope="row">${escapeHtml(inst.instanceId)}${about}</th>
<td>${problemsCell(row.problems)}</td>
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
ul.problems{list-style:none;padding:0;min-width:18rem}ul.problems li{padding:.1rem .4rem;margin-bottom:.2rem;border-left:.3rem solid}
.sev-critical{border-color:#a30000;background:#fde2df}.sev-critical strong{color:#a30000}.sev-warning{border-color:#8a5a00;background:#fff3d6}.sev-warning strong{color:#6b4500}
.sev-expected{border-color:#555;border-left-style:dashed;color:#333}
p.state{font-size:1.1em;padding:.5rem .75rem;border:2px solid}p.state.degraded{border-color:#a30000;background:#fde2df}p.state.healthy{border-color:#0a6b2d;background:#e6f4ea}
ul{margin:0;padding-left:1rem}dl{display:grid;grid-template-columns:max-content auto;gap:.2rem 1rem}dt{font-weight:bold}
form{margin:1rem 0;display:flex;gap:1rem;flex-wrap:wrap;align-items:end}label{display:flex;flex-direction:column;font-size:.9em}`;

export function renderStatusPage(input: StatusInput, filter: StatusFilter, maxRows = MAX_ROWS): string {
  const { snapshot, nowMs } = input;
  const all = snapshot.instances;
  const accounts = [...new Set(all.map((i) => i.account))].sort();
  const regions = [...new Set(all.map((i) => i.region))].sort();
  const regionsWatched = new Set(all.map((i) => `${i.account}/${i.region}`)).size;
  const failingPolls = all.filter((i) => !i.success).length;
  const allRows = all.map((i) => toRow(i, nowMs));
  const withProblems = allRows.filter((r) => r.rank > 0).length;
  const state =
    failingPolls > 0
      ? `<p class="state degraded" role="status"><strong>Degraded:</strong> the essential reads of ${failingPolls} of ${all.length} instance${all.length === 1 ? '' : 's'} fail (poll_success 0): the exporter cannot tell whether their backups happen. ${withProblems} instance${withProblems === 1 ? ' has' : 's have'} a problem.</p>`
      : `<p class="state healthy" role="status"><strong>Healthy:</strong> the essential reads of every instance work. ${withProblems === 0 ? 'No instance has a problem.' : `${withProblems} instance${withProblems === 1 ? ' has' : 's have'} a problem: see the Problems column.`}</p>`;

  const rows = allRows.filter((r) => matches(r.inst, filter));
  // critical problems first, then warnings, then by account, region and id
  rows.sort(
    (a, b) =>
      b.rank - a.rank ||
      a.inst.account.localeCompare(b.inst.account) ||
      a.inst.region.localeCompare(b.inst.region) ||
      a.inst.instanceId.localeCompare(b.inst.instanceId),
  );
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
<p>From each instance's last completed poll (this page never calls the Alibaba Cloud API), as of <time datetime="${iso(nowMs)}">${iso(nowMs)}</time>. <a href="/">Exporter home</a> · <a href="${escapeHtml(input.metricsPath)}">Metrics</a></p>
${state}</header>
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
<thead><tr><th scope="col">Account</th><th scope="col">Region</th><th scope="col">Instance</th><th scope="col">Problems</th><th scope="col">Running tasks</th><th scope="col">Last successful full backup</th><th scope="col">Restorable to</th><th scope="col">Newest failure</th><th scope="col">Last poll</th></tr></thead>
<tbody>
${shown.map((row) => rowHtml(row, nowMs)).join('\n')}
</tbody>
</table>
</section>
</main>
</body></html>
`;
}
