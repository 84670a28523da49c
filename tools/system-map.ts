/**
 * Which system each module under functions/ belongs to (issue 19): the emulator (appliance domain, its
 * APIs, tables and buckets), the control plane (plans, runs, steps, scheduler, campaigns, /v1, console,
 * CLI), the thin shared platform (ports, adapters, errors, config, http plumbing, observability), the
 * local composition root (knows both) and the traffic generator (a client of the sites). The folder move
 * (functions/emulator, functions/control-plane, functions/platform) follows this map mechanically;
 * test/unit/architecture/system-boundary.test.ts enforces "the control plane imports nothing from the
 * emulator" over it, with the imports still to be moved listed in PENDING.
 */
export type System = 'emulator' | 'control-plane' | 'platform' | 'local' | 'traffic';

const list = (system: System, dir: string, names: string) => names.trim().split(/\s+/).map((n) => [`functions/${dir}/${n}.ts`, system] as const);

export const SYSTEM_MAP: ReadonlyMap<string, System> = new Map<string, System>([
  // ---- control plane ----
  ...list('control-plane', 'app', `appliance-drivers campaigns control-seed control-settings downtime fleet guided-driver oidc-settings operator-tokens
    run-holds run-progress run-store run-telemetry run-traffic runs scheduler upgrade-steps window-outcome`),
  ...list('control-plane', 'core', 'pipeline plan run run-transitions schedule downtime'),
  ...list('control-plane', 'adapters', 'site-driver driver-credentials eventbridge-scheduler sfn-workflow-engine'),
  ...list('control-plane', 'api', `control/campaigns-handler control/control-route control/fleet-handler control/openapi control/runs-handler control/schemas
    control/tokens-handler control/manual-steps-handler control/traffic-handler console/console-handler auth/oidc auth/sign-in-handler routes/control-routes`),
  ...list('control-plane', 'tasks', 'create-backup-task index instrument lambda-handler task upgrade-tasks'),
  ...list('control-plane', 'scheduler', 'lambda-handler'),
  ...list('control-plane', 'cli', 'main openapi upgrade-cp tokens-bootstrap'),
  // ---- emulator ----
  ...list('emulator', 'app', `api-accounts api-usage appliance-seed appliance-store backup-api backups busy-hours command failover-pair-store failover-pairs
    failover-seed failover-sync ic-export install-records install maintenance-holds package-signing packages primary-hostname reporting
    session-generator session-keys session-lifecycle session-preservation session-seed session-store site-hosts site-seed site-users site source-limits
    staff-console-store staff-consoles`),
  ...list('emulator', 'core', `api-access api-flavor command-xml failover ic-export maintenance-hold read-ahead report-query report-session
    report-summary report-xml session-commands session-key session site-host site-users staff-console xml xsd`),
  ...list('emulator', 'adapters', 'route53-dns'),
  ...list('emulator', 'api', `appliance/backups-handler appliance/consoles-handler appliance/fleet-handler appliance/http-helpers appliance/maintenance-hold-handler
    appliance/packages-handler appliance/site-users-handler appliance/updates-handler auth/appliance-admin-auth failover/body failover/failover-handler
    failover/failover-pairs-handler failover/primary-hostname-handler sessions/accounts-handler sessions/api-request sessions/backup-handler
    sessions/command-handler sessions/oauth-handler sessions/reporting-handler sessions/xml-response sessions/xsd-handler site/public-site-handler
    site/site-address site/site-mounts site/live-session-handler routes/live-session-routes routes/site-root-routes routes/appliance-routes routes/failover-routes routes/sessions-routes entries/appliance entries/failover
    entries/sessions entries/sessions-stream`),
  // ---- shared platform (the wire's types and pure rules both sides apply; ports; plumbing) ----
  ...list('platform', 'core', 'appliance-driver appliance backup-rules busy-hours errors install packages ports random validation versions'),
  ...list('platform', 'adapters', `bootstrap clients config cursor-key cursor dynamo-record-store health lazy memory-blob-store memory-record-store
    s3-blob-store services`),
  ...list('platform', 'app', 'context credential-hash idempotency keys memo'), // keys: both systems' table keys (split by the move)
  ...list('platform', 'api', `app body-limit health-handler http lambda-handler metrics-handler observe request-limits response-headers routes routes/system-routes
    entries/system auth/operator-auth`),
  ...list('platform', 'observability', 'log-context logger metrics redact'),
  // ---- composition root and the traffic client ----
  ...list('local', 'app', 'seed'),
  // The control group's Lambda entry composes the emulator's site root with the console (one GET / on API Gateway).
  ...list('local', 'api', 'entries/control'),
  ...list('local', 'cli', 'seed data'),
  ...list('local', 'local', `data-dir-archive data-dir driver-enrolment emulators faults http-server local-step-functions main polyfill prometheus runtime
    scheduler sfn-server site-certificates site-listeners store-guard store-marks`),
  ...list('traffic', 'traffic', 'generator ledger ledger-file run-traffic traffic-model'),
  // Starts the generator beside the runtime and creates its representatives: composition, like functions/local.
  ...list('local', 'traffic', 'traffic-runtime'),
]);

/**
 * Control-plane imports of emulator modules not yet moved onto the driver port (file → emulator module).
 * Shrinks to empty; the test fails on any import not listed here and on any entry that is gone.
 */
export const PENDING: Readonly<Record<string, readonly string[]>> = {};
