// The one place where every configuration field, its default and its rules are declared.
// docs/configuration.md mirrors this file.
import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import cron from 'node-cron';
import { z } from 'zod';
import { KNOWN_REGIONS } from '../alicloud/endpoints.js';
import { describeReads } from '../collector/reads/index.js';

/** Accepts numbers, and numeric strings (values that came from `${ENV}` expansion are strings). */
function numeric<T extends z.ZodType>(inner: T) {
  return z.preprocess((v) => (typeof v === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(v) ? Number(v) : v), inner);
}

const cronExpression = z.string().superRefine((expr, ctx) => {
  const check = cron.validateDetailed(expr);
  if (!check.valid) {
    // The library's messages quote the expression: name the faulty field instead.
    const why = check.errors.map((e) => (e.field === 'expression' ? e.message : `bad ${e.field} field`)).join('; ');
    ctx.addIssue({ code: 'custom', message: `invalid cron expression: ${why}` });
  }
});

const tickGaps = new Map<string, number>();

/**
 * The shortest time between two ticks of a cron expression, in seconds, over its next 200 ticks
 * (enough to meet the shortest gap of any schedule that repeats within a week or so). Remembered
 * per expression: working it out takes tens of milliseconds.
 */
function shortestTickGapSeconds(expression: string): number {
  const known = tickGaps.get(expression);
  if (known !== undefined) return known;
  const task = cron.createTask(expression, () => undefined);
  try {
    const runs = task.getNextRuns(200).map((d) => d.getTime());
    let gap = Infinity;
    for (let i = 1; i < runs.length; i++) gap = Math.min(gap, runs[i]! - runs[i - 1]!);
    if (tickGaps.size >= 100) tickGaps.clear();
    tickGaps.set(expression, gap / 1000);
    return gap / 1000;
  } finally {
    void task.destroy();
  }
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
    url.protocol !== 'https:' && url.protocol !== 'http:' ? `scheme must be https or http, not "${url.protocol.replace(/:$/, '')}"`
    : url.username !== '' || url.password !== '' ? 'must not contain credentials'
    : url.pathname !== '/' || url.search !== '' || url.hash !== '' ? 'must have no path, query or fragment'
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

/** A duration such as "10m" or "8d", or a number of seconds; yields seconds. */
function duration(min: number, max: number) {
  return z
    .union([z.number(), z.string()])
    .transform((value, ctx) => {
      const seconds = typeof value === 'number' ? value : /^\d+(\.\d+)?$/.test(value) ? Number(value) : parseDuration(value);
      if (seconds === undefined) {
        ctx.addIssue({ code: 'custom', message: 'expected a duration such as 90s, 10m, 1h or 8d' });
        return z.NEVER;
      }
      if (seconds < min || seconds > max) {
        ctx.addIssue({ code: 'custom', message: `must be between ${min} s and ${max} s` });
        return z.NEVER;
      }
      return seconds;
    });
}

/** Like duration(), but `off` or `0` turns the read off (yields 0). */
function intervalOrOff(min: number, max: number) {
  return z
    .union([z.number(), z.string()])
    .transform((value, ctx) => {
      if (value === 'off') return 0;
      const seconds = typeof value === 'number' ? value : /^\d+(\.\d+)?$/.test(value) ? Number(value) : parseDuration(value);
      if (seconds === undefined) {
        ctx.addIssue({ code: 'custom', message: 'expected a duration such as 10m or 1h, or off (or 0) to turn the read off' });
        return z.NEVER;
      }
      if (seconds !== 0 && (seconds < min || seconds > max)) {
        ctx.addIssue({ code: 'custom', message: `must be between ${min} s and ${max} s, or off (0)` });
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
  instance_types: z.array(z.enum(['Primary', 'Readonly', 'Guard', 'Temp'])).min(1).default(['Primary']),
  refresh_interval: duration(60, 86400).optional(),
});

const regionSchema = z
  .strictObject({
    region: regionId,
    endpoint: endpointUrl.optional(),
    instances: z.array(instanceId).default([]),
    discovery: discoverySchema.optional(),
  })
  .superRefine((region, ctx) => {
    if (region.instances.length === 0 && region.discovery === undefined) {
      ctx.addIssue({ code: 'custom', path: ['instances'], message: 'list at least one instance, or add a discovery block' });
    }
  });

/** A state_file's directory must exist (the file itself is created by the first save). */
const stateFile = z.string().min(1).superRefine((path, ctx) => {
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
    requests_per_second: numeric(z.number().positive().max(1000)).default(10),
    regions: z.array(regionSchema).min(1, 'list at least one region'),
  })
  .superRefine((account, ctx) => {
    account.regions.forEach((region, r) => {
      if (REGION_ID.test(region.region) && !KNOWN_REGIONS.has(region.region) && region.endpoint === undefined && account.endpoint === undefined) {
        ctx.addIssue({ code: 'custom', path: ['regions', r, 'region'], message: 'unknown region id: check its spelling, or give an endpoint to use a region this exporter does not know' });
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
  });

const pollSchema = z
  .strictObject({
    schedule: cronExpression.default('*/60 * * * * *'),
    deadline: duration(1, 86400).optional(),
    lookups_per_poll: numeric(z.int().min(1).max(1000)).default(50),
    timeout_seconds: numeric(z.number().positive().max(300)).default(10),
    concurrency: numeric(z.int().min(1).max(256)).default(8),
    max_retries: numeric(z.int().min(0).max(10)).default(3),
    retry_base_delay_seconds: numeric(z.number().min(0).max(60)).default(0.5),
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
  .transform((poll, ctx) => {
    if (!cron.validate(poll.schedule)) return { ...poll, deadline: 0 };
    const gap = shortestTickGapSeconds(poll.schedule);
    if (poll.deadline !== undefined && poll.deadline > gap) {
      ctx.addIssue({ code: 'custom', path: ['deadline'], message: `must not be longer than the shortest interval between two ticks of poll.schedule (${gap} s)` });
      return z.NEVER;
    }
    return { ...poll, deadline: poll.deadline ?? defaultDeadlineSeconds(poll.schedule) };
  });

/** `collectors.<read>: false` turns a read off (the --no-collector.<read> flag does the same). */
const collectorsSchema = z
  .strictObject(Object.fromEntries(describeReads().map((read) => [read.name, z.boolean().optional()])) as Record<string, z.ZodOptional<z.ZodBoolean>>)
  .default({});

export const configSchema = z
  .strictObject({
    poll: pollSchema.default(() => pollSchema.parse({})),
    collectors: collectorsSchema,
    state_file: stateFile.optional(),
    metrics: z
      .strictObject({ task_statuses: z.enum(['all', 'nonzero']).default('all') })
      .default({ task_statuses: 'all' }),
    shard: z
      .strictObject({ count: numeric(z.int().min(1).max(1000)), index: numeric(z.int().min(0)) })
      .refine((s) => s.index < s.count, { message: 'must be below shard.count', path: ['index'] })
      .default({ count: 1, index: 0 }),
    accounts: z.array(accountSchema).min(1, 'list at least one account'),
  })
  .superRefine((config, ctx) => {
    const names = new Map<string, number>();
    const instances = new Map<string, string>();
    config.accounts.forEach((account, a) => {
      if (names.has(account.name)) {
        ctx.addIssue({ code: 'custom', path: ['accounts', a, 'name'], message: `duplicate account name (also accounts[${names.get(account.name)}])` });
      }
      names.set(account.name, a);
      account.regions.forEach((region, r) => {
        region.instances.forEach((id, i) => {
          const here = `accounts[${a}].regions[${r}].instances[${i}]`;
          const seen = instances.get(`${account.name}/${id}`);
          if (seen) {
            ctx.addIssue({ code: 'custom', path: ['accounts', a, 'regions', r, 'instances', i], message: `instance listed twice in this account (also ${seen})` });
          } else {
            instances.set(`${account.name}/${id}`, here);
          }
        });
      });
    });
  });

export type Config = z.infer<typeof configSchema>;
export type AccountConfig = Config['accounts'][number];
export type RegionConfig = AccountConfig['regions'][number];
export type PollConfig = Config['poll'];
export type DiscoveryConfig = NonNullable<RegionConfig['discovery']>;
