import * as z from 'zod';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Node } from 'constructs';

const bool = z
  .union([z.boolean(), z.enum(['true', 'false'])])
  .transform((v) => v === true || v === 'true');
const positiveInt = z.coerce.number().int().positive();
const RETENTION_DAYS = Object.values(RetentionDays).filter((v): v is number => typeof v === 'number' && v > 0);

/** Context keys (cdk.json or `-c key=value`); every one is optional except `stage`. */
/** The two systems of docs/architecture: each deploys without the other (cdk/upgrade-stack.ts). */
export const SYSTEMS = ['emulator', 'control-plane'] as const;
export type System = (typeof SYSTEMS)[number];

const contextSchema = z.object({
  stage: z
    .string()
    .trim()
    .regex(/^[a-z][a-z0-9-]{0,15}$/, 'stage must be 1-16 lowercase letters, digits or "-", starting with a letter'),
  deletionProtection: bool.optional(),
  logRetentionDays: positiveInt
    .refine((d) => RETENTION_DAYS.includes(d), `must be one of CloudWatch Logs' retention periods: ${RETENTION_DAYS.join(', ')}`)
    .optional(),
  backupVersionRetentionDays: positiveInt.optional(),
  exportRetentionDays: positiveInt.optional(),
  apiRateLimit: positiveInt.optional(),
  apiBurstLimit: positiveInt.optional(),
  lambdaErrorThreshold: positiveInt.optional(),
  api5xxThreshold: positiveInt.optional(),
  alarmTopicArn: z.string().trim().startsWith('arn:').optional(),
  hostedZoneId: z.string().trim().regex(/^Z[A-Z0-9]{1,32}$/, 'hostedZoneId must look like Z0123456789ABC').optional(),
  bundleAwsSdk: bool.optional(),
  /** Operator sign-in: a Cognito user pool the stack creates ... */
  cognito: bool.optional(),
  cognitoDomainPrefix: z.string().trim().regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, 'cognitoDomainPrefix: lowercase letters, digits and "-"').optional(),
  /** ... or an external OIDC issuer (its audience: the API's client id). */
  oidcIssuer: z.string().trim().url().startsWith('https://', 'oidcIssuer must be https').optional(),
  oidcAudience: z.string().trim().min(1).optional(),
  oidcClientId: z.string().trim().min(1).optional(),
  oidcRolesClaim: z.string().trim().min(1).optional(),
  oidcRoleMap: z
    .string()
    .trim()
    .refine((v) => {
      try {
        const parsed = JSON.parse(v) as unknown;
        return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
      } catch {
        return false;
      }
    }, 'oidcRoleMap must be a JSON object, e.g. {"ops":["operator"]}')
    .optional(),
  /**
   * Which systems this stack deploys: `emulator`, `control-plane`, or both (the default; `-c systems=emulator,control-plane`).
   * A control plane without the emulator reaches appliances at `applianceBaseUrl`.
   */
  systems: z
    .union([z.string(), z.array(z.string())])
    .transform((v, ctx) => {
      const names = (typeof v === 'string' ? v.split(',') : v).map((s) => s.trim()).filter((s) => s !== '');
      const unknown = names.filter((n) => !(SYSTEMS as readonly string[]).includes(n));
      if (names.length === 0 || unknown.length > 0) {
        ctx.addIssue({ code: 'custom', message: `systems must be some of ${SYSTEMS.join(', ')} (comma-separated), got "${[v].flat().join(',')}"` });
        return z.NEVER;
      }
      return SYSTEMS.filter((s) => names.includes(s));
    })
    .optional(),
  /** Base URL of the appliances' sites for a control plane deployed without the emulator (docs/driver.md). */
  applianceBaseUrl: z.string().trim().url().startsWith('https://', 'applianceBaseUrl must be https').optional(),
  installOverrunAlarmMinutes: z.coerce.number().nonnegative().optional(),
  api5xxRatePercent: z.coerce.number().positive().max(100).optional(),
  /**
   * Optional per-site custom domains of the HTTP API: `host=acmCertificateArn,host2=arn2` (a string, for
   * `-c`) or an object in cdk.json. None by default; the site routes answer by Host either way.
   */
  siteDomains: z
    .union([z.string(), z.record(z.string(), z.string())])
    .transform((v, ctx) => {
      const pairs = typeof v === 'string' ? v.split(',').filter((p) => p.trim() !== '').map((p) => p.split('=').map((x) => x.trim())) : Object.entries(v);
      const out: { hostname: string; certificateArn: string }[] = [];
      for (const [hostname, certificateArn, ...rest] of pairs) {
        if (!hostname || !SITE_DOMAIN.test(hostname) || rest.length > 0 || !certificateArn?.startsWith('arn:aws') || !certificateArn.includes(':acm:')) {
          ctx.addIssue({ code: 'custom', message: `expected hostname=acm-certificate-arn pairs (e.g. support.example.com=arn:aws:acm:eu-west-1:123456789012:certificate/...), got "${[hostname, certificateArn, ...rest].join('=')}"` });
          return z.NEVER;
        }
        out.push({ hostname: hostname.toLowerCase(), certificateArn });
      }
      return out;
    })
    .optional(),
});

const SITE_DOMAIN = /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

/** Everything that differs between stages; derived from context once, then passed to constructs. */
export interface StageConfig {
  stage: string;
  /** The systems this stack deploys (at least one). */
  systems: readonly System[];
  /** Where a control plane without the emulator reaches the appliances' sites. */
  applianceBaseUrl?: string;
  /** Prefix of physical names that the code derives itself (state machines, schedule group, log groups). */
  prefix: string;
  production: boolean;
  deletionProtection: boolean;
  logRetentionDays: number;
  /** How long non-current backup object versions are kept. */
  backupVersionRetentionDays: number;
  exportRetentionDays: number;
  api: { rateLimit: number; burstLimit: number };
  alarms: { lambdaErrors: number; api5xx: number; topicArn?: string; installOverrunMinutes: number; api5xxRatePercent: number };
  /** Create a Cognito user pool for operator sign-in. */
  cognito: boolean;
  cognitoDomainPrefix?: string;
  /** An external OIDC issuer for operator sign-in (instead of Cognito). */
  oidc?: { issuer: string; audience: string; clientId?: string; rolesClaim?: string; roleMap?: string };
  /** Route 53 zone the failover role swap may change; without it no function gets Route 53 rights. */
  hostedZoneId?: string;
  /** Bundle the pinned SDK into each function instead of using the one in the Lambda runtime. */
  bundleAwsSdk: boolean;
  /** Custom domains of the HTTP API, one per site hostname (optional; DNS records for them are not created). */
  siteDomains: { hostname: string; certificateArn: string }[];
}

/** Reads and validates stage configuration from CDK context; throws one clear line on bad input. */
export function stageConfig(node: Node): StageConfig {
  const raw = Object.fromEntries(Object.keys(contextSchema.shape).map((k) => [k, node.tryGetContext(k)]));
  const parsed = contextSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`invalid CDK context ${issue?.path.join('.')}: ${issue?.message}`);
  }
  const c = parsed.data;
  const production = c.stage === 'prod';
  const systems = c.systems ?? SYSTEMS;
  if (systems.includes('control-plane') && !systems.includes('emulator') && !c.applianceBaseUrl) {
    throw new Error('invalid CDK context: a control plane without the emulator needs applianceBaseUrl (the https base URL of the appliances\' sites)');
  }
  if (c.applianceBaseUrl && systems.includes('emulator')) throw new Error('invalid CDK context: applianceBaseUrl is for a control plane without the emulator (with it, the emulator\'s API is the base URL)');
  if ((c.cognito || c.oidcIssuer) && !systems.includes('control-plane')) throw new Error('invalid CDK context: operator sign-in (cognito, oidcIssuer) is the console\'s; this stack does not deploy the control plane');
  if (c.siteDomains?.length && !systems.includes('emulator')) throw new Error('invalid CDK context: siteDomains are custom domains of the emulator\'s API; this stack does not deploy the emulator');
  if (c.cognito && c.oidcIssuer) throw new Error('invalid CDK context: give either cognito=true or oidcIssuer, not both');
  if (Boolean(c.oidcIssuer) !== Boolean(c.oidcAudience)) throw new Error('invalid CDK context: oidcIssuer and oidcAudience go together');
  return {
    stage: c.stage,
    systems,
    applianceBaseUrl: c.applianceBaseUrl?.replace(/\/+$/, ''),
    // An emulator deployed on its own gets names of its own, so it can live beside a control plane of the same stage.
    prefix: systems.includes('control-plane') ? `upgrade-cp-${c.stage}` : `upgrade-emu-${c.stage}`,
    production,
    deletionProtection: c.deletionProtection ?? true,
    logRetentionDays: c.logRetentionDays ?? (production ? 365 : 30),
    backupVersionRetentionDays: c.backupVersionRetentionDays ?? (production ? 90 : 30),
    exportRetentionDays: c.exportRetentionDays ?? 30,
    api: { rateLimit: c.apiRateLimit ?? 50, burstLimit: c.apiBurstLimit ?? 100 },
    alarms: {
      lambdaErrors: c.lambdaErrorThreshold ?? 1,
      api5xx: c.api5xxThreshold ?? 5,
      topicArn: c.alarmTopicArn,
      installOverrunMinutes: c.installOverrunAlarmMinutes ?? 0,
      api5xxRatePercent: c.api5xxRatePercent ?? 5,
    },
    cognito: c.cognito ?? false,
    cognitoDomainPrefix: c.cognitoDomainPrefix,
    oidc: c.oidcIssuer && c.oidcAudience ? { issuer: c.oidcIssuer, audience: c.oidcAudience, clientId: c.oidcClientId, rolesClaim: c.oidcRolesClaim, roleMap: c.oidcRoleMap } : undefined,
    hostedZoneId: c.hostedZoneId,
    bundleAwsSdk: c.bundleAwsSdk ?? false,
    siteDomains: c.siteDomains ?? [],
  };
}
