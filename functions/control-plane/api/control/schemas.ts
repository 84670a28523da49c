/**
 * Request and response schemas of the control API (/v1). The zod schemas validate requests and are the
 * single source of the OpenAPI 3.1 document (functions/control-plane/api/control/openapi.ts): every named schema is
 * registered in `schemas` with its component id.
 */
import * as z from 'zod/mini';
import { isDomainError } from '../../../platform/core/errors.js';
import { isIanaTimeZone, resolveWindow } from '../../../platform/core/schedule.js';
import { integer, trimmed } from '../../../platform/core/validation.js';
import { ROLES } from '../../../platform/app/operator-identity.js';

export const schemas = z.registry<{ id: string; description?: string }>();
const named = <T extends z.ZodMiniType>(id: string, schema: T, description?: string): T => {
  schemas.add(schema, { id, description });
  return schema;
};

const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
export const Id = z.string().check(z.regex(ID, 'expected 1-128 letters, digits, ".", "_" or "-"'));
const Instant = z.string().check(z.describe('ISO 8601 instant'));
const Version = z.string().check(z.regex(/^\d{1,5}(?:\.\d{1,5}){1,3}$/, 'expected a version like 11.1.1'));

// ---- requests --------------------------------------------------------------------------------------

export const WindowInput = named(
  'WindowInput',
  z
    .strictObject({
      localStart: z.optional(z.string()).check(z.describe('Wall-clock start in timeZone, YYYY-MM-DDTHH:mm (DST-correct). Give this or start.')),
      start: z.optional(z.string()).check(z.describe('Absolute start, ISO 8601 with offset or Z. Give this or localStart.')),
      durationMinutes: integer(z.gte(1), z.lte(1440)),
      timeZone: z.string().check(z.describe('IANA time zone name, e.g. Asia/Tokyo')),
    })
    .check(
      z.superRefine((w, ctx) => {
        try {
          resolveWindow(w);
        } catch (e) {
          if (!isDomainError(e)) throw e;
          const field = typeof e.details?.field === 'string' ? e.details.field : 'start';
          ctx.addIssue({ code: 'custom', path: [field], message: e.message, params: { code: e.code } });
        }
      }),
    ),
  'A maintenance window: a start (wall clock in an IANA zone, or an instant), a duration and the zone.',
);

const TargetFields = {
  pairId: z.optional(Id).check(z.describe('A failover pair (A = its primary, B = its backup)')),
  applianceId: z.optional(Id).check(z.describe('A single appliance')),
  primaryId: z.optional(Id),
  backupId: z.optional(Id),
};
const oneTarget = (v: { pairId?: string; applianceId?: string; primaryId?: string }, ctx: z.core.$RefinementCtx) => {
  const given = [v.pairId, v.applianceId, v.primaryId].filter(Boolean).length;
  if (given !== 1) ctx.addIssue({ code: 'custom', path: ['pairId'], message: 'give exactly one of pairId, applianceId or primaryId (+ backupId)' });
};

export const PlanRequest = named(
  'PlanRequest',
  z
    .strictObject({
      ...TargetFields,
      packageId: Id,
      windowMinutes: z.optional(z.array(integer(z.gte(1), z.lte(1440))).check(z.maxLength(2))).check(z.describe('Booked window lengths, to flag windows that are too short')),
      windows: z.optional(z.array(WindowInput).check(z.minLength(1), z.maxLength(2))).check(z.describe('The windows you intend to book: checked for length, interim length and busy hours')),
    })
    .check(z.superRefine(oneTarget)),
);

export const UpgradeOption = z.enum(['single', 'option1', 'option2']);

export const CreateRunRequest = named(
  'CreateRunRequest',
  z
    .strictObject({
      ...TargetFields,
      option: UpgradeOption,
      packageId: Id,
      windows: z.array(WindowInput).check(z.minLength(1), z.maxLength(2)),
      schedule: z._default(z.boolean(), true).check(z.describe('Start each window automatically at its start (maintenance-window execution)')),
    })
    .check(z.superRefine(oneTarget)),
);

export const ApproveRequest = named('ApproveRequest', z.strictObject({ comment: z.optional(z.string().check(z.maxLength(500))) }));
export const AcknowledgeRequest = named(
  'AcknowledgeRequest',
  z.strictObject({
    subject: z.enum(['api-users', 'integration-clients']).check(z.describe('api-users: the API users were prepared for 10.6; integration-clients: start although an Integration Client is older than 10.6')),
    reason: trimmed(z.minLength(1, 'a reason is required'), z.maxLength(500)),
  }),
);
export const ReasonRequest = named('ReasonRequest', z.strictObject({ reason: trimmed(z.minLength(1, 'a reason is required'), z.maxLength(500)) }));

export const CreateCampaignRequest = named(
  'CreateCampaignRequest',
  z
    .strictObject({
      campaignId: z.optional(Id).check(z.describe('Client-chosen id (default: generated)')),
      packageId: Id,
      pairIds: z._default(z.array(Id).check(z.maxLength(1000)), []),
      applianceIds: z._default(z.array(Id).check(z.maxLength(1000)), []),
      option: z._default(z.enum(['option1', 'option2']), 'option2'),
      concurrency: z._default(integer(z.gte(1), z.lte(100)), 5),
      waveSize: z._default(integer(z.gte(1), z.lte(1000)), 10),
      canaryApplianceId: z.optional(Id).check(z.describe('A staging appliance; by default the first staging appliance not in the targets')),
      windowMinutes: z._default(integer(z.gte(1), z.lte(1440)), 240),
      timeZone: z._default(z.string().check(z.maxLength(64)), 'UTC').check(z.describe('IANA time zone name of the campaign windows')),
    })
    .check(
      z.superRefine((v, ctx) => {
        if (v.pairIds.length + v.applianceIds.length === 0) ctx.addIssue({ code: 'custom', path: ['pairIds'], message: 'give at least one pair or appliance' });
        if (!isIanaTimeZone(v.timeZone)) {
          ctx.addIssue({ code: 'custom', path: ['timeZone'], message: `"${v.timeZone}" is not an IANA time zone name (e.g. Asia/Tokyo)`, params: { code: 'InvalidTimeZone' } });
        }
      }),
    ),
);

export const RunIdParams = z.object({ runId: Id });
export const WindowParams = z.object({ runId: Id, window: z.pipe(z.enum(['1', '2']), z.transform((w) => Number(w) as 1 | 2)) });
export const CampaignIdParams = z.object({ campaignId: Id });
export const ApplianceIdParams = z.object({ applianceId: Id });
export const PairIdParams = z.object({ pairId: Id });
export const ListRunsQuery = z.object({ limit: z._default(z.coerce.number().check(z.int(), z.gte(1), z.lte(200)), 50), cursor: z.optional(z.string().check(z.maxLength(2000))) });

// ---- responses -------------------------------------------------------------------------------------

export const Problem = named(
  'Problem',
  z.looseObject({
    type: z.string(),
    title: z.string(),
    status: integer(),
    detail: z.string(),
    code: z.string().check(z.describe('Stable machine-readable error code')),
    errors: z.optional(z.array(z.object({ path: z.string(), pointer: z.string(), message: z.string(), code: z.string() }))).check(z.describe('Validation errors with field paths')),
  }),
  'RFC 9457 problem details',
);

export const Operator = named('Operator', z.object({ operatorId: z.string(), displayName: z.string(), roles: z.array(z.enum(ROLES)) }));

export const Appliance = named(
  'Appliance',
  z.looseObject({
    applianceId: z.string(),
    hostname: z.string(),
    ipAddress: z.string(),
    productVersion: z.string(),
    baseVersion: z.string(),
    storedDataGb: z.number(),
    staging: z.boolean(),
    state: z.enum(['online', 'installing', 'restarting', 'failed']),
    failover: z.looseObject({ pairId: z.optional(z.string()), role: z.enum(['none', 'primary', 'backup']), pairStatus: z.optional(z.enum(['established', 'broken', 'syncing'])), lastSyncAt: z.optional(z.string()) }),
    pendingUpdates: z.optional(z.array(z.object({ packageId: z.string(), version: z.string(), installable: z.boolean(), reason: z.optional(z.string()) }))).check(z.describe('Catalog packages newer than this appliance')),
  }),
);

export const Pair = named(
  'Pair',
  z.object({
    pairId: z.string(),
    primaryId: z.optional(z.string()),
    backupId: z.optional(z.string()),
    status: z.enum(['established', 'broken', 'syncing', 'unknown']),
    lastSyncAt: z.optional(z.string()),
    lastSyncStatus: z.optional(z.string()),
    appliances: z.array(Appliance),
  }),
);

export const Package = named(
  'Package',
  z.object({
    packageId: z.string(),
    name: z.string(),
    kind: z.enum(['product', 'base']),
    version: Version,
    prerequisites: z.object({ minBaseVersion: z.optional(z.string()), minProductVersion: z.optional(z.string()) }),
    requires: z.optional(z.looseObject({})).check(z.describe("The signed manifest's rules, checked by plans and preflight alike")),
    source: z.optional(z.enum(['catalog', 'upload'])).check(z.describe('catalog: offered by Check for Updates; upload: a signed file for Update Software')),
    releasedAt: z.optional(z.string()),
    sha256: z.optional(z.string()),
  }),
);

const Risk = named(
  'Risk',
  z.object({
    code: z.string(),
    severity: z.enum(['blocker', 'warning', 'info']),
    message: z.string(),
    applianceId: z.optional(z.string()),
    options: z.array(UpgradeOption),
  }),
);

const PlanStep = z.object({
  window: integer(),
  action: z.string(),
  applianceId: z.optional(z.string()),
  description: z.string(),
  estimatedMinutes: z.number(),
  productionDown: z.boolean(),
});

export const Plan = named(
  'Plan',
  z.object({
    packageId: z.string(),
    targetVersion: z.string(),
    kind: z.enum(['single', 'pair']),
    primaryId: z.string(),
    backupId: z.optional(z.string()),
    options: z.array(
      z.object({
        option: UpgradeOption,
        title: z.string(),
        steps: z.array(PlanStep),
        productionDowntimeMinutes: z.number(),
        windowMinutes: z.array(z.number()),
        withoutFailoverMinutes: z.optional(z.number()).check(z.describe('How long the pair runs without failover (break in window 1 to re-establish in window 2)')),
        risks: z.array(Risk),
        blocked: z.boolean(),
      }),
    ),
    risks: z.array(Risk),
    recommendation: z.object({ option: z.nullable(UpgradeOption), reason: z.string() }),
    backups: z.array(z.looseObject({ applianceId: z.string(), backupId: z.optional(z.string()), productVersion: z.string(), downloadPath: z.string(), reason: z.optional(z.string()) })).check(z.describe('Settings backups to download before the install')),
    apiUsers: z.optional(z.looseObject({ users: z.array(z.looseObject({ applianceId: z.string(), kind: z.string(), principalId: z.string(), name: z.string() })), checks: z.array(z.string()) })),
    integrations: z.optional(z.array(z.looseObject({ integrationId: z.string(), name: z.string(), target: z.string(), version: z.optional(z.string()), reachesBackupAfterSwap: z.boolean() }))),
    suggestedWindows: z.optional(z.array(z.looseObject({ start: z.string(), localStart: z.string(), timeZone: z.string(), durationMinutes: z.number(), expectedSessions: z.number() }))),
    traffic: z.optional(z.looseObject({})),
    stagingRun: z.optional(z.looseObject({ applianceId: z.string(), option: z.literal('single'), packageId: z.string(), reason: z.string() })),
    proceed: z.optional(z.looseObject({ option: z.literal('single'), applianceId: z.string(), reason: z.string() })),
    nothingToUpgrade: z.optional(z.string()).check(z.describe('Every appliance already runs the version: no run is offered (creating one is refused with NothingToUpgrade)')),
  }),
  'Dry run: nothing is changed',
);

const MaintenanceWindow = z.looseObject({
  index: integer(),
  start: Instant,
  durationMinutes: z.number(),
  timeZone: z.string(),
  status: z.enum(['scheduled', 'running', 'succeeded', 'failed', 'missed', 'cancelled']),
  executionArn: z.optional(z.string()),
  startedAt: z.optional(z.string()),
  endedAt: z.optional(z.string()),
  error: z.optional(z.string()),
  interrupted: z.optional(z.object({ at: z.string(), reason: z.string() })).check(z.describe('The execution ended without reporting: start the window again to resume, or cancel the run')),
  attempt: z.optional(integer()).check(z.describe('Attempt being (or last) started: the execution is named <runId>-w<index>-a<attempt>')),
  startingAt: z.optional(z.string()).check(z.describe('Set while StartExecution is awaited')),
});

export const RunTraffic = named(
  'RunTraffic',
  z
    .looseObject({
      windows: z
        .array(
          z.looseObject({
            window: z.union([z.literal(1), z.literal(2)]),
            from: Instant,
            to: Instant,
            attempts: integer(),
            failures: integer(),
            longestOutageMinutes: z.number(),
            totalOutageMinutes: z.number(),
            estimateMinutes: z.number(),
            completed: z.optional(integer()),
          }),
        )
        .check(z.describe('One entry per window that ran with traffic on: customer-facing downtime measured from the traffic ledger, beside the plan estimate (modelled minutes)')),
      reconciliation: z
        .optional(
          z.looseObject({
            at: Instant,
            primaryId: z.string(),
            completed: integer(),
            present: integer(),
            missing: integer(),
            duplicated: integer(),
            renumbered: integer(),
            byAppliance: z.record(z.string(), integer()),
          }),
        )
        .check(z.describe("The final primary's SupportSession report against the ledger, when the run closed")),
    })
    .check(z.describe('Live support traffic while the windows ran (docs/traffic.md)')),
);

export const Run = named(
  'Run',
  z.looseObject({
    runId: z.string(),
    option: UpgradeOption,
    packageId: z.string(),
    targetVersion: z.string(),
    primaryId: z.string(),
    backupId: z.optional(z.string()),
    pairId: z.optional(z.string()),
    windows: z.array(MaintenanceWindow),
    interim: z.looseObject({}),
    status: z.enum(['scheduled', 'window1-running', 'interim', 'window2-running', 'succeeded', 'failed', 'cancelled']),
    statusReason: z.optional(z.string()),
    createdBy: z.string(),
    createdAt: Instant,
    updatedAt: Instant,
    traffic: z.optional(RunTraffic),
    downtimeEstimateMinutes: z.optional(z.array(z.number())).check(z.describe("The plan's production downtime per window, kept at creation")),
    version: integer(),
  }),
);

export const Schedule = named(
  'Schedule',
  z.object({
    scheduleId: z.string(),
    runId: z.string(),
    window: integer(),
    fireAt: Instant,
    endsAt: Instant,
    timeZone: z.string(),
    status: z.enum(['pending', 'fired', 'started', 'refused', 'missed', 'cancelled']),
    outcome: z.optional(z.string()),
    firedAt: z.optional(z.string()),
    remoteName: z.optional(z.string()),
    supersededBy: z.optional(z.object({ by: z.string(), at: z.string() })).check(z.describe('Started by hand before its time: replaced, not failed')),
    version: integer(),
  }),
);

export const AuditEvent = named(
  'AuditEvent',
  z.object({
    runId: z.string(),
    at: Instant,
    step: z.string(),
    actor: z.string(),
    inputsDigest: z.string(),
    outcome: z.enum(['started', 'succeeded', 'failed', 'skipped', 'refused', 'info']),
    detail: z.optional(z.string()),
  }),
);

const PipelineStep = named(
  'PipelineStep',
  z.object({
    index: integer().check(z.describe('1-based position in the run')),
    window: integer(),
    action: z.string(),
    applianceId: z.optional(z.string()),
    description: z.string(),
    estimatedMinutes: z.number(),
    productionDown: z.boolean(),
    status: z.enum(['pending', 'running', 'succeeded', 'failed', 'skipped']),
    startedAt: z.optional(z.string()),
    endedAt: z.optional(z.string()),
    durationMinutes: z.optional(z.number()).check(z.describe('Modelled minutes (real minutes on AWS)')),
    attempts: z.optional(integer()),
    outputs: z.array(z.object({ label: z.string(), value: z.string() })).check(z.describe('Backup ids, install id and version, sessions synced/exported/re-imported, the DNS change')),
    note: z.optional(z.string()),
    current: z.optional(z.literal(true)),
  }),
);

export const RunPipeline = named(
  'RunPipeline',
  z.object({
    steps: z.array(PipelineStep).check(z.describe('Every step of both windows in execution order: the plan\'s steps for the chosen option')),
    total: integer(),
    current: z.optional(z.looseObject({ index: integer(), label: z.string().check(z.describe('"step k of n"')), action: z.string(), window: integer(), elapsedMinutes: z.optional(z.number()), estimatedMinutes: z.number() })),
    windows: z.array(z.looseObject({ window: integer(), status: z.string(), timeZone: z.string(), start: Instant, deadline: Instant, durationMinutes: z.number(), estimatedMinutes: z.number(), elapsedMinutes: z.optional(z.number()), minutesLeft: z.optional(z.number()), interrupted: z.optional(z.string()) })),
    gate: z.optional(z.looseObject({ state: z.enum(['not-reached', 'checks-running', 'checks-failed', 'awaiting-approval', 'approved', 'overridden', 'closed']), startedBy: z.string(), approveAllowed: z.boolean(), overrideAllowed: z.boolean(), waitingFor: z.array(z.string()) })).check(z.describe('The interim gate\'s evidence: checks, approval and comment, override, who started the run')),
    downtime: z.optional(z.array(z.looseObject({ window: integer(), estimatedMinutes: z.number(), longestOutageMinutes: z.number(), totalOutageMinutes: z.number() }))).check(z.describe('Measured customer-facing downtime (live traffic) beside the plan\'s estimate')),
    reconciliation: z.optional(z.looseObject({})).check(z.describe('Session reconciliation after the run (live traffic)')),
    msPerModelledMinute: z.number(),
    fromPlan: z.boolean(),
  }),
  'The run as an ordered pipeline (core/pipeline.ts)',
);

export const RunDetail = named(
  'RunDetail',
  z.object({
    run: Run,
    pipeline: RunPipeline,
    steps: z.array(z.object({ key: z.string(), status: z.string(), attempts: z.number(), startedAt: z.optional(z.string()), endedAt: z.optional(z.string()), output: z.optional(z.unknown()) })),
    schedules: z.array(Schedule),
    audit: z.array(AuditEvent),
    localWindows: z.array(z.object({ index: integer(), localStart: z.string(), localEnd: z.string(), timeZone: z.string() })),
    warnings: z.array(z.object({ code: z.string(), message: z.string() })).check(z.describe('The plan warnings the run was created with, and live ones (e.g. the interim running too long)')),
    notice: z.optional(z.string()),
    traffic: z.optional(RunTraffic),
  }),
);

export const CreatedRun = named('CreatedRun', z.object({ run: Run, schedules: z.array(Schedule), plan: Plan }));

export const Campaign = named(
  'Campaign',
  z.looseObject({
    campaignId: z.string(),
    packageId: z.string(),
    targetVersion: z.string(),
    option: z.enum(['option1', 'option2']),
    concurrency: integer(),
    waveSize: integer(),
    status: z.enum(['created', 'canary', 'rolling', 'succeeded', 'halted', 'cancelled']),
    statusReason: z.optional(z.string()),
    targets: z.array(
      z.object({
        targetId: z.string(),
        kind: z.enum(['pair', 'single']),
        primaryId: z.string(),
        backupId: z.optional(z.string()),
        pairId: z.optional(z.string()),
        option: UpgradeOption,
        wave: integer(),
        status: z.enum(['pending', 'running', 'succeeded', 'failed', 'skipped']),
        runId: z.optional(z.string()),
        error: z.optional(z.string()),
      }),
    ),
    createdBy: z.string(),
    startedBy: z.optional(z.string()),
    haltedBy: z.optional(z.object({ by: z.string(), at: z.string(), reason: z.string() })),
  }),
);

export const ApplianceList = named('ApplianceList', z.object({ appliances: z.array(Appliance) }));
export const ApplianceOnly = named('ApplianceOnly', z.object({ appliance: Appliance }));
export const PairList = named('PairList', z.object({ pairs: z.array(Pair) }));
export const PairDetail = named('PairDetail', z.object({ pair: Pair, runs: z.array(Run), backups: z.array(z.looseObject({ backupId: z.string(), applianceId: z.string(), createdAt: z.string() })) }));
export const PackageList = named('PackageList', z.object({ packages: z.array(Package) }));
export const RunList = named('RunList', z.object({ runs: z.array(Run), cursor: z.optional(z.string()) }));
export const ScheduleList = named('ScheduleList', z.object({ schedules: z.array(Schedule), cursor: z.optional(z.string()) }));
export const CampaignList = named('CampaignList', z.object({ campaigns: z.array(Campaign) }));
export const Me = named('Me', z.object({ operator: Operator, forbidSelfApproval: z.boolean() }));
export const RunOnly = named('RunOnly', z.object({ run: Run, notice: z.optional(z.string()).check(z.describe('Plain words about what the action does, e.g. a cancel during an install')) }));
export const CampaignOnly = named('CampaignOnly', z.object({ campaign: Campaign }));
