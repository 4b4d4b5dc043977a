// The one place where every configuration field, its default and its rules are declared.
// docs/configuration.md mirrors this file.
import cron from 'node-cron';
import { z } from 'zod';

/** Accepts numbers, and numeric strings (values that came from `${ENV}` expansion are strings). */
function numeric<T extends z.ZodType>(inner: T) {
  return z.preprocess((v) => (typeof v === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(v) ? Number(v) : v), inner);
}

const cronExpression = z.string().superRefine((expr, ctx) => {
  const check = cron.validateDetailed(expr);
  if (!check.valid) {
    ctx.addIssue({ code: 'custom', message: `invalid cron expression "${expr}": ${check.errors.map((e) => e.message).join('; ')}` });
  }
});

/** An API endpoint: scheme and host (and port) only; no path, query or embedded credentials. */
export const endpointUrl = z.string().superRefine((value, ctx) => {
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

const regionId = z.string().regex(/^[a-z]{2,}(-[a-z0-9]+)+$/, 'expected a region id such as cn-hangzhou');
const instanceId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9-]{1,63}$/, 'expected an RDS instance id such as rm-bp1abc123');

const regionSchema = z.strictObject({
  region: regionId,
  endpoint: endpointUrl.optional(),
  instances: z.array(instanceId).min(1, 'list at least one instance'),
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

const pollSchema = z.strictObject({
  schedule: cronExpression.default('*/60 * * * * *'),
  timeout_seconds: numeric(z.number().positive().max(300)).default(10),
  concurrency: numeric(z.int().min(1).max(256)).default(8),
  max_retries: numeric(z.int().min(0).max(10)).default(3),
  retry_base_delay_seconds: numeric(z.number().min(0).max(60)).default(0.5),
});

export const configSchema = z
  .strictObject({
    poll: pollSchema.default(() => pollSchema.parse({})),
    accounts: z.array(accountSchema).min(1, 'list at least one account'),
  })
  .superRefine((config, ctx) => {
    const names = new Map<string, number>();
    const instances = new Map<string, string>();
    config.accounts.forEach((account, a) => {
      if (names.has(account.name)) {
        ctx.addIssue({ code: 'custom', path: ['accounts', a, 'name'], message: `duplicate account name "${account.name}" (also accounts[${names.get(account.name)}])` });
      }
      names.set(account.name, a);
      account.regions.forEach((region, r) => {
        region.instances.forEach((id, i) => {
          const here = `accounts[${a}].regions[${r}].instances[${i}]`;
          const seen = instances.get(`${account.name}/${id}`);
          if (seen) {
            ctx.addIssue({ code: 'custom', path: ['accounts', a, 'regions', r, 'instances', i], message: `instance "${id}" is listed twice in account "${account.name}" (also ${seen})` });
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
