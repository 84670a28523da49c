// Namespace import: `{ z }` re-exports zod's whole namespace (all locales), which esbuild cannot tree-shake (~440 KB per Lambda bundle).
import * as z from 'zod/mini';
import { trimmed } from '../core/validation.js';
import { MIN_CURSOR_SECRET_LENGTH } from './cursor.js';

/** The tables and buckets the control plane uses; one definition for the local bootstrap and the CDK stack. */
/** Environment variable naming the Route 53 hosted zone that mirrors primary-hostname records (read by services.ts, set by the CDK stack). */
export const ROUTE53_ZONE_ENV = 'ROUTE53_HOSTED_ZONE_ID';

export const TABLES = ['appliances', 'sessions', 'runs'] as const;
export type TableName = (typeof TABLES)[number];
export const BUCKETS = ['packages', 'backups', 'exports'] as const;
export type BucketName = (typeof BUCKETS)[number];

/** Key schema shared by every table: pk/sk plus gsi1 (string sort) and gsi2 (numeric sort). */
export const TABLE_KEY_SCHEMA = {
  partitionKey: 'pk',
  sortKey: 'sk',
  indexes: [
    { name: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk', sortKeyType: 'S' },
    { name: 'gsi2', partitionKey: 'gsi2pk', sortKey: 'gsi2sk', sortKeyType: 'N' },
  ],
  /** Attribute holding an epoch-seconds expiry (DynamoDB TTL on AWS; readers also check it). */
  ttlAttribute: 'expiresAt',
} as const;

const optionalUrl = z.optional(
  z.pipe(
    z.pipe(
      trimmed(),
      z.transform((v) => (v === '' ? undefined : v)),
    ),
    z.optional(z.string().check(z.url())),
  ),
);

const envSchema = z.object({
  AWS_REGION: z._default(trimmed(z.minLength(1)), 'us-east-1'),
  DYNAMODB_ENDPOINT: optionalUrl,
  S3_ENDPOINT: optionalUrl,
  SFN_ENDPOINT: optionalUrl,
  TABLE_PREFIX: z._default(trimmed(), ''),
  BUCKET_PREFIX: z._default(trimmed(), 'upgrade-cp-'),
  STATE_MACHINE_ARN_PREFIX: z._default(trimmed(), 'arn:aws:states:us-east-1:000000000000:stateMachine:'),
  /** Real milliseconds per modelled minute of appliance work; 10 makes a 60-minute install take 600 ms. */
  TIME_SCALE_MS_PER_MINUTE: z._default(z.coerce.number().check(z.positive()), 60_000),
  /** Pagination cursor key(s), comma-separated (functions/platform/adapters/cursor.ts); the local runtime sets it from the data dir. */
  CURSOR_KEY: z
    .pipe(
      z.optional(trimmed()),
      z.transform((v) => v || undefined),
    )
    .check(z.refine((v) => v === undefined || v.split(',').every((k) => k.trim().length >= MIN_CURSOR_SECRET_LENGTH), `each key must be at least ${MIN_CURSOR_SECRET_LENGTH} characters`)),
  /** On AWS: the Secrets Manager secret holding the cursor key (the stack creates it). */
  CURSOR_KEY_SECRET_ARN: z.pipe(
    z.optional(trimmed()),
    z.transform((v) => v || undefined),
  ),
});

export interface Config {
  region: string;
  endpoints: { dynamodb?: string; s3?: string; sfn?: string };
  tables: Record<TableName, string>;
  buckets: Record<BucketName, string>;
  stateMachineArnPrefix: string;
  /** Real milliseconds per modelled minute of appliance work (60000 = real time). */
  msPerModelledMinute: number;
  /** True when talking to the embedded emulators (path-style S3, relaxed checksums). */
  local: boolean;
  /** Where pagination cursor keys come from: `CURSOR_KEY` itself, or the secret `CURSOR_KEY_SECRET_ARN` names. */
  cursorKey?: string;
  cursorKeySecretArn?: string;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Reads and validates configuration from the environment once; fails with one clear line. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`invalid configuration: ${issue?.path.join('.')}: ${issue?.message}`);
  }
  const e = parsed.data;
  const table = (name: TableName) => env[`${name.toUpperCase()}_TABLE`]?.trim() || `${e.TABLE_PREFIX}${name}`;
  const bucket = (name: BucketName) => env[`${name.toUpperCase()}_BUCKET`]?.trim() || `${e.BUCKET_PREFIX}${name}`;
  return {
    region: e.AWS_REGION,
    endpoints: { dynamodb: e.DYNAMODB_ENDPOINT, s3: e.S3_ENDPOINT, sfn: e.SFN_ENDPOINT },
    tables: { appliances: table('appliances'), sessions: table('sessions'), runs: table('runs') },
    buckets: { packages: bucket('packages'), backups: bucket('backups'), exports: bucket('exports') },
    stateMachineArnPrefix: e.STATE_MACHINE_ARN_PREFIX,
    msPerModelledMinute: e.TIME_SCALE_MS_PER_MINUTE,
    local: Boolean(e.DYNAMODB_ENDPOINT || e.S3_ENDPOINT || e.SFN_ENDPOINT),
    cursorKey: e.CURSOR_KEY,
    cursorKeySecretArn: e.CURSOR_KEY_SECRET_ARN,
  };
}
