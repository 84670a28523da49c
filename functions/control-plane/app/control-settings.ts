import * as z from 'zod/mini';
import { DEFAULT_PLAN_SETTINGS, type PlanSettings } from '../core/plan.js';
import { integer, trimmed } from '../../platform/core/validation.js';

const bool = z.pipe(
  trimmed(
    z.toLowerCase(),
    z.refine((v) => ['true', 'false', '1', '0', 'yes', 'no'].includes(v), 'expected true or false'),
  ),
  z.transform((v) => v === 'true' || v === '1' || v === 'yes'),
);
const positive = (fallback: number) => z._default(z.coerce.number().check(z.positive()), fallback);

const schema = z.object({
  /** Refuse an interim approval by the operator who created the run. */
  CONTROL_FORBID_SELF_APPROVAL: z._default(bool, true),
  CONTROL_IDEMPOTENCY_TTL_HOURS: positive(24),
  CONTROL_STALE_BACKUP_HOURS: positive(DEFAULT_PLAN_SETTINGS.staleBackupHours),
  CONTROL_DNS_CUTOVER_MINUTES: z._default(z.coerce.number().check(z.nonnegative()), DEFAULT_PLAN_SETTINGS.dnsCutoverMinutes),
  /** The interim between the windows above this is a plan risk and a run warning (guide: keep it short). */
  CONTROL_MAX_INTERIM_HOURS: positive(DEFAULT_PLAN_SETTINGS.maxInterimHours),
  /** API calls within this many days count as "in use" (API users to prepare before crossing 10.6). */
  CONTROL_API_USAGE_DAYS: positive(90),
  /** Local scheduler loop period; 0 disables the loop. */
  SCHEDULER_INTERVAL_MS: z._default(z.coerce.number().check(z.int(), z.nonnegative()), 1000),
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
