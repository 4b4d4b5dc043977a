// The one place where every configuration field, its default and its rules are declared.
// docs/configuration.md mirrors this file.
import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import cron from 'node-cron';
import { z } from 'zod';
import { KNOWN_REGIONS } from '../alicloud/endpoints.js';
import { describeReads } from '../collector/reads/index.js';
import { tagLabelName } from '../metrics/definitions.js';

/** Accepts numbers, and numeric strings (values that came from `${ENV}` expansion are strings). */
function numeric<T extends z.ZodType>(inner: T) {
  return z.preprocess((v) => (typeof v === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(v) ? Number(v) : v), inner);
}

/**
 * A number within bounds, whose one message names the whole allowed range (`above` excludes the
 * lower bound: a number above 0).
 */
function numberIn(range: { min: number; max: number; above?: boolean; whole?: boolean }) {
  const { min, max, above = false, whole = false } = range;
  const message = whole
    ? `expected a whole number from ${min} to ${max}`
    : above
      ? `expected a number above ${min}, at most ${max}`
      : `expected a number from ${min} to ${max}`;
  return numeric(
    z.unknown().transform((value, ctx) => {
      const fits =
        typeof value === 'number' && Number.isFinite(value) && (above ? value > min : value >= min) && value <= max && (!whole || Number.isInteger(value));
      if (!fits) {
        ctx.addIssue({ code: 'custom', message });
        return z.NEVER;
      }
      return value as number;
    }),
  );
}

/** The fields of a six-field cron expression: what one cycle of the field spans, and its values. */
const CRON_FIELDS = [
  { name: 'seconds', unit: 'seconds', cycle: 'a minute', values: 60, first: 0 },
  { name: 'minutes', unit: 'minutes', cycle: 'an hour', values: 60, first: 0 },
  { name: 'hours', unit: 'hours', cycle: 'a day', values: 24, first: 0 },
  { name: 'day of month', unit: 'days', cycle: 'a month', values: 31, first: 1 },
  { name: 'month', unit: 'months', cycle: 'a year', values: 12, first: 1 },
  { name: 'day of week', unit: 'days', cycle: 'a week', values: 7, first: 0 },
] as const;

/**
 * A step longer than the values it steps through (`*\/90` in the seconds field) starts again every
 * cycle: `*\/90 * * * * *` runs once a minute, not every 90 s. cron takes it; this says why it is
 * refused.
 */
export function cronStepProblem(expression: string): string | undefined {
  const fields = expression.trim().split(/\s+/);
  const specs = fields.length === 5 ? CRON_FIELDS.slice(1) : CRON_FIELDS;
  for (const [i, field] of fields.entries()) {
    const spec = specs[i];
    if (!spec) break;
    for (const part of field.split(',')) {
      const [, base, step] = /^(.*)\/(\d+)$/.exec(part) ?? [];
      if (base === undefined || step === undefined) continue;
      const range = /^(\d+)-(\d+)$/.exec(base);
      const span = range ? Number(range[2]) - Number(range[1]) + 1 : /^\d+$/.test(base) ? spec.values - (Number(base) - spec.first) : spec.values;
      if (Number(step) > span) {
        return `the step /${step} in the ${spec.name} field is longer than the ${span} values it steps through: it would run ${base === '*' ? '' : 'at most '}once ${spec.cycle}, not every ${step} ${spec.unit}`;
      }
    }
  }
  return undefined;
}

const cronExpression = z.string().superRefine((expr, ctx) => {
  const check = cron.validateDetailed(expr);
  if (!check.valid) {
    // The library's messages quote the expression: name the faulty field instead.
    const why = check.errors.map((e) => (e.field === 'expression' ? e.message : `bad ${e.field} field`)).join('; ');
    ctx.addIssue({ code: 'custom', message: `invalid cron expression: ${why}` });
    return;
  }
  const step = cronStepProblem(expr);
  if (step) ctx.addIssue({ code: 'custom', message: `invalid cron expression: ${step}` });
});

const tickGaps = new Map<string, TickGaps>();

/** The shortest and longest time between two ticks of a cron expression, in seconds. */
export interface TickGaps {
  shortest: number;
  longest: number;
}

/**
 * The gaps between the next 200 ticks of a cron expression (enough to meet the shortest gap of
 * any schedule that repeats within a week or so). Remembered per expression: working them out
 * takes tens of milliseconds.
 */
export function tickGapsOf(expression: string): TickGaps {
  const known = tickGaps.get(expression);
  if (known !== undefined) return known;
  const task = cron.createTask(expression, () => undefined);
  try {
    const runs = task.getNextRuns(200).map((d) => d.getTime());
    const gaps = runs.slice(1).map((t, i) => (t - runs[i]!) / 1000);
    const found = { shortest: Math.min(...gaps), longest: Math.max(...gaps) };
    if (tickGaps.size >= 100) tickGaps.clear();
    tickGaps.set(expression, found);
    return found;
  } finally {
    void task.destroy();
  }
}

function shortestTickGapSeconds(expression: string): number {
  return tickGapsOf(expression).shortest;
}

/** poll.deadline when not set: 90 % of the shortest gap between ticks, at most 10 minutes. */
function defaultDeadlineSeconds(schedule: string): number {
  return Math.min(600, Math.floor(shortestTickGapSeconds(schedule) * 9) / 10);
}

/** An API endpoint: scheme and host (and port) only; no path, query or embedded credentials. */
export const endpointUrl = z.string().superRefine((value, ctx) => {
  // URL parsing silently drops tabs and newlines: refuse them before it does.
  if (/[\s\x00-\x1f\x7f]/.test(value)) {
    ctx.addIssue({ code: 'custom', message: 'malformed endpoint: must not contain whitespace or control characters' });
    return;
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'malformed endpoint: expected a URL such as https://rds.aliyuncs.com' });
    return;
  }
  const problem =
    url.protocol !== 'https:' && url.protocol !== 'http:'
      ? `scheme must be https or http, not "${url.protocol.replace(/:$/, '')}"`
      : url.username !== '' || url.password !== ''
        ? 'must not contain credentials'
        : url.pathname !== '/' || url.search !== '' || url.hash !== ''
          ? 'must have no path, query or fragment'
          : undefined;
  if (problem) ctx.addIssue({ code: 'custom', message: `malformed endpoint: ${problem}` });
});

const DURATION_UNITS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** Parses "90s", "10m", "1h30m", "8d" (or a number of seconds) into seconds. */
export function parseDuration(text: string): number | undefined {
  if (!/^(\d+(\.\d+)?(ms|s|m|h|d|w))+$/.test(text)) return undefined;
  let seconds = 0;
  for (const [, n, unit] of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g)) seconds += Number(n) * DURATION_UNITS[unit!]!;
  return seconds;
}

/** Seconds as the shortest duration text that says them exactly: 90 → "90s", 3600 → "1h", 691200 → "8d". */
export function formatDuration(seconds: number): string {
  if (seconds === 0) return '0s';
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const size = DURATION_UNITS[unit]!;
    if (seconds >= size && Number.isInteger(seconds / size)) return `${seconds / size}${unit}`;
  }
  return seconds < 1 ? `${Math.round(seconds * 1000)}ms` : `${seconds}s`;
}

/** "from 1m to 1d", or "at most 1d" when anything from 0 is allowed. */
function rangeText(min: number, max: number): string {
  return min === 0 ? `at most ${formatDuration(max)}` : `from ${formatDuration(min)} to ${formatDuration(max)}`;
}

/** Seconds from a number, a numeric string or a duration text; undefined when it is none of them. */
function durationSeconds(value: number | string): number | undefined {
  return typeof value === 'number' ? value : /^\d+(\.\d+)?$/.test(value) ? Number(value) : parseDuration(value);
}

/** A duration such as "10m" or "8d", or a number of seconds; yields seconds. */
function duration(min: number, max: number) {
  const message = `expected a duration such as 90s or 15m, ${rangeText(min, max)}`;
  return z.union([z.number(), z.string()], { error: message }).transform((value, ctx) => {
    const seconds = durationSeconds(value);
    if (seconds === undefined || seconds < min || seconds > max) {
      ctx.addIssue({ code: 'custom', message });
      return z.NEVER;
    }
    return seconds;
  });
}

/** Like duration(), but `off` or `0` turns the read off (yields 0). */
function intervalOrOff(min: number, max: number) {
  const message = `expected a duration such as 10m or 1h, ${rangeText(min, max)}, or off (or 0) to turn the read off`;
  return z.union([z.number(), z.string()], { error: message }).transform((value, ctx) => {
    if (value === 'off') return 0;
    const seconds = durationSeconds(value);
    if (seconds === undefined || (seconds !== 0 && (seconds < min || seconds > max))) {
      ctx.addIssue({ code: 'custom', message });
      return z.NEVER;
    }
    return seconds;
  });
}

const REGION_ID = /^[a-z]{2,}(-[a-z0-9]+)+$/;
const regionId = z.string().regex(REGION_ID, 'expected a region id such as cn-hangzhou');
const instanceId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9-]{1,63}$/, 'expected an RDS instance id such as rm-bp1abc123');

/** The RDS engines, as DescribeDBInstances spells them; accepted in any case, kept in this one. */
export const ENGINES = ['MySQL', 'SQLServer', 'PostgreSQL', 'MariaDB'] as const;
const engine = z.string().transform((value, ctx) => {
  const known = ENGINES.find((e) => e.toLowerCase() === value.toLowerCase());
  if (known === undefined) {
    ctx.addIssue({ code: 'custom', message: `unknown engine: expected one of ${ENGINES.join(', ')}` });
    return z.NEVER;
  }
  return known;
});

const discoverySchema = z.strictObject({
  engines: z.array(engine).min(1).optional(),
  tags: z.record(z.string().min(1), z.string()).optional(),
  instance_types: z
    .array(z.enum(['Primary', 'Readonly', 'Guard', 'Temp']))
    .min(1)
    .default(['Primary']),
  refresh_interval: duration(60, 86400).optional(),
});

/**
 * Checks across fields run even when some field of the object failed, so that one run reports
 * every problem. They then see the object as it came, failed fields included: each check guards
 * what it reads (a value of the wrong type is not what it checks).
 */
const EVEN_WITH_ISSUES = {
  when: (payload: z.core.ParsePayload) => typeof payload.value === 'object' && payload.value !== null && !Array.isArray(payload.value),
};

/** Like EVEN_WITH_ISSUES, for a list: each element is checked for its type where it is read. */
const EVEN_WITH_ISSUES_ARRAY = { when: (payload: z.core.ParsePayload) => Array.isArray(payload.value) };

/** Runs a check across fields once the fields it reads (top-level keys of the object) are valid. */
function onceValid(...keys: string[]) {
  return { when: (payload: z.core.ParsePayload) => EVEN_WITH_ISSUES.when(payload) && !payload.issues.some((issue) => keys.includes(String(issue.path?.[0]))) };
}

const regionSchema = z
  .strictObject({
    region: regionId,
    endpoint: endpointUrl.optional(),
    instances: z.array(instanceId).default([]),
    discovery: discoverySchema.optional(),
  })
  .superRefine((region, ctx) => {
    if (Array.isArray(region.instances) && region.instances.length === 0 && region.discovery === undefined) {
      ctx.addIssue({ code: 'custom', path: ['instances'], message: 'list at least one instance, or add a discovery block' });
    }
  }, EVEN_WITH_ISSUES);

/** A state_file's directory must exist (the file itself is created by the first save). */
const stateFile = z
  .string()
  .min(1)
  .superRefine((path, ctx) => {
    let isDirectory = false;
    try {
      isDirectory = statSync(dirname(resolve(path))).isDirectory();
    } catch {
      // missing or unreadable: reported below
    }
    if (!isDirectory) ctx.addIssue({ code: 'custom', message: 'the directory of the state file does not exist' });
  });

const accountSchema = z
  .strictObject({
    name: z.string().min(1).max(64),
    access_key_id: z.string().min(1, 'must not be empty (omit both keys to use the default credential chain)').optional(),
    access_key_secret: z.string().min(1, 'must not be empty (omit both keys to use the default credential chain)').optional(),
    endpoint: endpointUrl.optional(),
    requests_per_second: numberIn({ min: 0, above: true, max: 1000 }).default(10),
    regions: z.array(regionSchema).min(1, 'list at least one region'),
  })
  .superRefine((account, ctx) => {
    (Array.isArray(account.regions) ? account.regions : []).forEach((region, r) => {
      if (
        typeof region?.region === 'string' &&
        REGION_ID.test(region.region) &&
        !KNOWN_REGIONS.has(region.region) &&
        region.endpoint === undefined &&
        account.endpoint === undefined
      ) {
        ctx.addIssue({
          code: 'custom',
          path: ['regions', r, 'region'],
          message: 'unknown region id: check its spelling, or give an endpoint to use a region this exporter does not know',
        });
      }
    });
    const hasId = account.access_key_id !== undefined;
    const hasSecret = account.access_key_secret !== undefined;
    if (hasId !== hasSecret) {
      ctx.addIssue({
        code: 'custom',
        path: [hasId ? 'access_key_secret' : 'access_key_id'],
        message: 'set both access_key_id and access_key_secret, or neither (to use the default credential chain)',
      });
    }
  }, EVEN_WITH_ISSUES);

const pollSchema = z
  .strictObject({
    schedule: cronExpression.default('*/60 * * * * *'),
    deadline: duration(1, 86400).optional(),
    lookups_per_poll: numberIn({ min: 1, max: 1000, whole: true }).default(50),
    timeout_seconds: numberIn({ min: 0, above: true, max: 300 }).default(10),
    concurrency: numberIn({ min: 1, max: 256, whole: true }).default(8),
    max_retries: numberIn({ min: 0, max: 10, whole: true }).default(3),
    retry_base_delay_seconds: numberIn({ min: 0, max: 60 }).default(0.5),
    idle_interval: duration(0, 86400).default(900),
    backups_interval: duration(60, 86400).default(1200),
    backups_lookback: duration(3600, 90 * 86400).default(8 * 86400),
    policy_interval: duration(60, 7 * 86400).default(3600),
    discovery_interval: duration(60, 86400).default(600),
    restore_window_interval: intervalOrOff(60, 86400).default(3600),
    log_backups_interval: intervalOrOff(60, 86400).default(3600),
    log_backups_lookback: duration(3600, 90 * 86400).default(7 * 86400),
    cross_region_interval: intervalOrOff(60, 7 * 86400).default(3 * 3600),
    resource_usage_interval: intervalOrOff(60, 7 * 86400).default(6 * 3600),
  })
  .superRefine(
    (poll, ctx) => {
      const gap = shortestTickGapSeconds(poll.schedule);
      if (poll.deadline !== undefined && poll.deadline > gap) {
        ctx.addIssue({
          code: 'custom',
          path: ['deadline'],
          message: `expected a duration of at most ${formatDuration(gap)}, the shortest time between two ticks of poll.schedule`,
        });
      }
    },
    onceValid('schedule', 'deadline'),
  )
  .transform((poll) => ({ ...poll, deadline: poll.deadline ?? defaultDeadlineSeconds(poll.schedule) }));

/** `collectors.<read>: false` turns a read off (the --no-collector.<read> flag does the same). */
const collectorsSchema = z
  .strictObject(Object.fromEntries(describeReads().map((read) => [read.name, z.boolean().optional()])) as Record<string, z.ZodOptional<z.ZodBoolean>>)
  .default({});

/**
 * Tag keys whose values become labels of instance_info (tag_<key>). Keys as the API allows them
 * (1 to 128 characters); two keys that make the same label name are refused, naming both.
 */
const tagsAsLabelsSchema = z
  .array(z.string().min(1, 'expected a tag key, not an empty string').max(128, "expected a tag key of at most 128 characters (the API's limit)"))
  .superRefine((keys, ctx) => {
    const labels = new Map<string, number>();
    keys.forEach((key, i) => {
      if (typeof key !== 'string') return;
      const label = tagLabelName(key);
      const first = labels.get(label);
      if (first === undefined) labels.set(label, i);
      else
        ctx.addIssue({
          code: 'custom',
          path: [i],
          message: `makes the same label name as tags_as_labels[${first}] (every character other than a letter, digit or _ becomes _): list only one of them`,
        });
    });
  }, EVEN_WITH_ISSUES_ARRAY)
  .default([]);

export const configSchema = z
  .strictObject({
    poll: pollSchema.default(() => pollSchema.parse({})),
    collectors: collectorsSchema,
    tags_as_labels: tagsAsLabelsSchema,
    state_file: stateFile.optional(),
    metrics: z.strictObject({ task_statuses: z.enum(['all', 'nonzero']).default('all') }).default({ task_statuses: 'all' }),
    shard: z
      .strictObject({ count: numberIn({ min: 1, max: 1000, whole: true }), index: numberIn({ min: 0, max: 999, whole: true }) })
      .superRefine(
        (s, ctx) => {
          if (s.index >= s.count)
            ctx.addIssue({ code: 'custom', path: ['index'], message: `expected a whole number from 0 to ${s.count - 1} (below shard.count)` });
        },
        onceValid('count', 'index'),
      )
      .default({ count: 1, index: 0 }),
    accounts: z.array(accountSchema).min(1, 'list at least one account'),
  })
  .superRefine((config, ctx) => {
    const names = new Map<string, number>();
    const instances = new Map<string, string>();
    (Array.isArray(config.accounts) ? config.accounts : []).forEach((account, a) => {
      if (typeof account?.name !== 'string') return;
      if (names.has(account.name)) {
        ctx.addIssue({ code: 'custom', path: ['accounts', a, 'name'], message: `duplicate account name (also accounts[${names.get(account.name)}])` });
      }
      names.set(account.name, a);
      (Array.isArray(account.regions) ? account.regions : []).forEach((region, r) => {
        (Array.isArray(region?.instances) ? region.instances : []).forEach((id, i) => {
          if (typeof id !== 'string') return;
          const here = `accounts[${a}].regions[${r}].instances[${i}]`;
          const seen = instances.get(`${account.name}/${id}`);
          if (seen) {
            ctx.addIssue({
              code: 'custom',
              path: ['accounts', a, 'regions', r, 'instances', i],
              message: `instance listed twice in this account (also ${seen})`,
            });
          } else {
            instances.set(`${account.name}/${id}`, here);
          }
        });
      });
    });
  }, EVEN_WITH_ISSUES);

export type Config = z.infer<typeof configSchema>;
export type AccountConfig = Config['accounts'][number];
export type RegionConfig = AccountConfig['regions'][number];
export type PollConfig = Config['poll'];
export type DiscoveryConfig = NonNullable<RegionConfig['discovery']>;
