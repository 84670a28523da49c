import type { BucketName, TableName } from '../functions/platform/adapters/config.js';

/** `write` = put (and for tables update/delete) only; `readwrite` adds reads (and object deletes for buckets). */
export type Access = 'read' | 'write' | 'readwrite';

/**
 * What one Lambda function may touch. Everything not declared is denied: the stack turns each
 * entry into `grant*` calls on exactly these resources, and the tests check the synthesized policies.
 */
export interface Permissions {
  tables?: Partial<Record<TableName, Access>>;
  buckets?: Partial<Record<BucketName, Access>>;
  /** Workflows (ASL file base names) it may start, describe, list and stop; `'all'` = every file in statemachines/. */
  workflows?: 'all' | readonly string[];
  /** Create, update and delete schedules in the maintenance-window group (and pass the Scheduler role). */
  scheduler?: boolean;
  /** Change record sets in the hosted zone given by `-c hostedZoneId=...` (failover role swap). */
  route53?: boolean;
  /**
   * Reaches appliances over their sites through the site driver (functions/control-plane/adapters/site-driver.ts): gets the
   * API's URL as APPLIANCE_BASE_URL and reads the per-appliance driver credentials in Secrets Manager.
   */
  applianceDriver?: boolean;
  /** List-only calls of the health probe (ListTables, ListBuckets, ListStateMachines); AWS requires `*` for them. */
  healthProbe?: boolean;
}

/**
 * Operator tokens live in the runs table, so every group with operator or appliance-admin routes reads it.
 * One entry per route group of functions/local/routes.ts. A group without an entry fails synth and the CDK tests,
 * so a new group cannot be deployed with rights nobody decided on.
 */
export const ROUTE_GROUP_PERMISSIONS: Readonly<Record<string, Permissions>> = {
  /** /health: probes each backing service. */
  system: { healthProbe: true },
  /** The emulated appliance (updates, package upload, installs, backups, consoles): installs end sessions. */
  appliance: {
    tables: { appliances: 'readwrite', sessions: 'readwrite', runs: 'read' },
    buckets: { packages: 'readwrite', backups: 'readwrite' },
  },
  /** Reporting/command/backup APIs and OAuth2: API accounts and tokens live in the appliances table; set_failover_role syncs sessions; IC export writes exports. */
  sessions: {
    tables: { appliances: 'readwrite', sessions: 'readwrite', runs: 'read' },
    buckets: { backups: 'read', exports: 'readwrite' },
  },
  /** Failover pair operations: pair state, sync, session preservation exports, DNS for the role swap. */
  failover: {
    tables: { appliances: 'readwrite', sessions: 'readwrite', runs: 'read' },
    buckets: { exports: 'readwrite' },
    route53: true,
  },
  /**
   * Control API /v1 and console: plans, runs, approvals, idempotency records, maintenance windows, campaigns,
   * operator tokens (all in the runs table). The fleet, the appliances and their installs are read and driven
   * over the appliances' sites (site driver and fleet inventory, docs/driver.md), so no appliance table,
   * bucket or DNS right: running the synthesized assembly showed none was used.
   */
  control: {
    tables: { runs: 'readwrite' },
    workflows: 'all',
    scheduler: true,
    applianceDriver: true,
  },
};

/**
 * The scheduler function (functions/control-plane/scheduler/lambda-handler.ts): EventBridge Scheduler invokes it at a
 * window's start and every few minutes to catch up; it checks the schedule record, starts the window's
 * execution and advances campaigns (which reconciles runs: the same writes as the control group).
 * It creates and deletes no EventBridge schedules (one-time window schedules delete themselves after
 * firing; only the control API creates, supersedes and cancels them), so it has no `scheduler` rights:
 * running the synthesized stack showed it never used them (npm run assembly, docs/cdk.md).
 */
export const SCHEDULER_PERMISSIONS: Permissions = {
  tables: { runs: 'readwrite' },
  workflows: 'all',
  applianceDriver: true,
};

/**
 * One entry per task of functions/control-plane/tasks/index.ts; same rule as route groups. Every step reads
 * and writes its run's records (runs table) and reaches the appliances only through the site driver
 * (functions/control-plane/app/upgrade-steps.ts): backups, installs, failover and the DNS move happen on the
 * appliance side, so the emulator's tables, buckets and the hosted zone are the emulator's rights, not these.
 */
const UPGRADE_STEP: Permissions = { tables: { runs: 'readwrite' }, applianceDriver: true };

export const TASK_PERMISSIONS: Readonly<Record<string, Permissions>> = {
  /** The backup is taken and stored by the appliance (`/api/backup` over the site driver); nothing here. */
  createBackup: { applianceDriver: true },
  loadRun: { tables: { runs: 'read' } },
  preflight: UPGRADE_STEP,
  syncBeforeBreak: UPGRADE_STEP,
  breakFailover: UPGRADE_STEP,
  beginInstall: UPGRADE_STEP,
  pollInstall: { tables: { runs: 'read' }, applianceDriver: true },
  verifyUpgraded: UPGRADE_STEP,
  moveProductionToBackup: UPGRADE_STEP,
  reestablishFailover: UPGRADE_STEP,
  resyncPair: UPGRADE_STEP,
  staffConsoleReport: UPGRADE_STEP,
  completeWindow: UPGRADE_STEP,
  failWindow: UPGRADE_STEP,
};

/** The declaration for `name`, or a clear error naming the file to edit. */
/** A route group's streaming function (its Function URL) has exactly the group's rights. */
export function permissionsFor(kind: 'route group' | 'route stream' | 'task' | 'scheduler', name: string): Permissions {
  if (kind === 'scheduler') return SCHEDULER_PERMISSIONS;
  const table = kind === 'task' ? TASK_PERMISSIONS : ROUTE_GROUP_PERMISSIONS;
  const declared = Object.hasOwn(table, name) ? table[name] : undefined;
  if (!declared) {
    throw new Error(
      `no IAM permissions declared for ${kind} "${name}": add it to ${kind === 'task' ? 'TASK_PERMISSIONS' : 'ROUTE_GROUP_PERMISSIONS'} in cdk/permissions.ts`,
    );
  }
  return declared;
}
