import * as z from 'zod';
import { DEFAULT_PLAN_SETTINGS, type PlanSettings } from '../core/plan.js';

const bool = z
  .string()
  .trim()
  .toLowerCase()
  .refine((v) => ['true', 'false', '1', '0', 'yes', 'no'].includes(v), 'expected true or false')
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const schema = z.object({
  /** Refuse an interim approval by the operator who created the run. */
  CONTROL_FORBID_SELF_APPROVAL: bool.default(true),
  CONTROL_IDEMPOTENCY_TTL_HOURS: z.coerce.number().positive().default(24),
  CONTROL_STALE_BACKUP_HOURS: z.coerce.number().positive().default(DEFAULT_PLAN_SETTINGS.staleBackupHours),
  CONTROL_DNS_CUTOVER_MINUTES: z.coerce.number().nonnegative().default(DEFAULT_PLAN_SETTINGS.dnsCutoverMinutes),
  /** The interim between the windows above this is a plan risk and a run warning (guide: keep it short). */
  CONTROL_MAX_INTERIM_HOURS: z.coerce.number().positive().default(DEFAULT_PLAN_SETTINGS.maxInterimHours),
  /** API calls within this many days count as "in use" (API users to prepare before crossing 10.6). */
  CONTROL_API_USAGE_DAYS: z.coerce.number().positive().default(90),
  /** Local scheduler loop period; 0 disables the loop. */
  SCHEDULER_INTERVAL_MS: z.coerce.number().int().nonnegative().default(1000),
});

export interface ControlSettings {
  forbidSelfApproval: boolean;
  idempotencyTtlSeconds: number;
  plan: PlanSettings;
  schedulerIntervalMs: number;
  apiUsageDays: number;
}

/**
 * Control-area settings from the environment. Read per call (a handful of variables) so tests and the
 * local runtime can change them without a restart; invalid values fail with the variable's name.
 */
export function controlSettings(env: Record<string, string | undefined> = process.env): ControlSettings {
  const parsed = schema.safeParse(Object.fromEntries(Object.keys(schema.shape).map((k) => [k, env[k]?.trim() || undefined])));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`invalid configuration: ${issue?.path.join('.')}: ${issue?.message}`);
  }
  const e = parsed.data;
  return {
    forbidSelfApproval: e.CONTROL_FORBID_SELF_APPROVAL,
    idempotencyTtlSeconds: Math.round(e.CONTROL_IDEMPOTENCY_TTL_HOURS * 3600),
    plan: { ...DEFAULT_PLAN_SETTINGS, staleBackupHours: e.CONTROL_STALE_BACKUP_HOURS, dnsCutoverMinutes: e.CONTROL_DNS_CUTOVER_MINUTES, maxInterimHours: e.CONTROL_MAX_INTERIM_HOURS },
    schedulerIntervalMs: e.SCHEDULER_INTERVAL_MS,
    apiUsageDays: e.CONTROL_API_USAGE_DAYS,
  };
}
