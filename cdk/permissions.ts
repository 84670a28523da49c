import type { BucketName, TableName } from '../functions/adapters/config.js';

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
  /** List-only calls of the health probe (ListTables, ListBuckets, ListStateMachines); AWS requires `*` for them. */
  healthProbe?: boolean;
}

/**
 * One entry per route group of functions/api/routes.ts. A group without an entry fails synth and the CDK tests,
 * so a new group cannot be deployed with rights nobody decided on.
 */
export const ROUTE_GROUP_PERMISSIONS: Readonly<Record<string, Permissions>> = {
  /** /health: probes each backing service. */
  system: { healthProbe: true },
  /** The emulated appliance (reporting, command, backup, updates, login): its own state, sessions, packages, backups. */
  appliance: {
    tables: { appliances: 'readwrite', sessions: 'readwrite' },
    buckets: { packages: 'read', backups: 'readwrite' },
  },
  /** Session listing/extraction (LSID/LSEQ), exports before re-establishing failover on < 10.6. */
  sessions: {
    tables: { appliances: 'read', sessions: 'readwrite' },
    buckets: { exports: 'readwrite' },
  },
  /** Failover pair operations: pair state, runs, window workflows, DNS for the role swap. */
  failover: {
    tables: { appliances: 'readwrite', sessions: 'read', runs: 'readwrite' },
    buckets: { backups: 'read', exports: 'read' },
    workflows: 'all',
    route53: true,
  },
  /** Control API /v1: fleet, package catalog, runs, approvals, maintenance windows. */
  control: {
    tables: { appliances: 'readwrite', sessions: 'read', runs: 'readwrite' },
    buckets: { packages: 'readwrite', backups: 'read', exports: 'read' },
    workflows: 'all',
    scheduler: true,
  },
};

/** One entry per task of functions/tasks/index.ts; same rule as route groups. */
export const TASK_PERMISSIONS: Readonly<Record<string, Permissions>> = {
  /** Reads the appliance and its idempotency index, writes the backup record and the backup object. */
  createBackup: {
    tables: { appliances: 'readwrite' },
    buckets: { backups: 'write' },
  },
};

/** The declaration for `name`, or a clear error naming the file to edit. */
export function permissionsFor(kind: 'route group' | 'task', name: string): Permissions {
  const table = kind === 'task' ? TASK_PERMISSIONS : ROUTE_GROUP_PERMISSIONS;
  const declared = Object.hasOwn(table, name) ? table[name] : undefined;
  if (!declared) {
    throw new Error(
      `no IAM permissions declared for ${kind} "${name}": add it to ${kind === 'task' ? 'TASK_PERMISSIONS' : 'ROUTE_GROUP_PERMISSIONS'} in cdk/permissions.ts`,
    );
  }
  return declared;
}
