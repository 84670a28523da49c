/**
 * Request and response schemas of the control API (/v1). The zod schemas validate requests and are the
 * single source of the OpenAPI 3.1 document (functions/api/control/openapi.ts): every named schema is
 * registered in `schemas` with its component id.
 */
import * as z from 'zod';
import { isDomainError } from '../../core/errors.js';
import { isIanaTimeZone, resolveWindow } from '../../core/schedule.js';
import { ROLES } from '../../app/operator-tokens.js';

export const schemas = z.registry<{ id: string; description?: string }>();
const named = <T extends z.ZodType>(id: string, schema: T, description?: string): T => {
  schemas.add(schema, { id, description });
  return schema;
};

const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
export const Id = z.string().regex(ID, 'expected 1-128 letters, digits, ".", "_" or "-"');
const Instant = z.string().describe('ISO 8601 instant');
const Version = z.string().regex(/^\d{1,5}(?:\.\d{1,5}){1,3}$/, 'expected a version like 11.1.1');

// ---- requests --------------------------------------------------------------------------------------

export const WindowInput = named(
  'WindowInput',
  z
    .strictObject({
      localStart: z.string().optional().describe('Wall-clock start in timeZone, YYYY-MM-DDTHH:mm (DST-correct). Give this or start.'),
      start: z.string().optional().describe('Absolute start, ISO 8601 with offset or Z. Give this or localStart.'),
      durationMinutes: z.number().int().min(1).max(1440),
      timeZone: z.string().describe('IANA time zone name, e.g. Asia/Tokyo'),
    })
    .superRefine((w, ctx) => {
      try {
        resolveWindow(w);
      } catch (e) {
        if (!isDomainError(e)) throw e;
        const field = typeof e.details?.field === 'string' ? e.details.field : 'start';
        ctx.addIssue({ code: 'custom', path: [field], message: e.message, params: { code: e.code } });
      }
    }),
  'A maintenance window: a start (wall clock in an IANA zone, or an instant), a duration and the zone.',
);

const TargetFields = {
  pairId: Id.optional().describe('A failover pair (A = its primary, B = its backup)'),
  applianceId: Id.optional().describe('A single appliance'),
  primaryId: Id.optional(),
  backupId: Id.optional(),
};
const oneTarget = (v: { pairId?: string; applianceId?: string; primaryId?: string }, ctx: z.RefinementCtx) => {
  const given = [v.pairId, v.applianceId, v.primaryId].filter(Boolean).length;
  if (given !== 1) ctx.addIssue({ code: 'custom', path: ['pairId'], message: 'give exactly one of pairId, applianceId or primaryId (+ backupId)' });
};

export const PlanRequest = named(
  'PlanRequest',
  z
    .strictObject({
      ...TargetFields,
      packageId: Id,
      windowMinutes: z.array(z.number().int().min(1).max(1440)).max(2).optional().describe('Booked window lengths, to flag windows that are too short'),
      windows: z.array(WindowInput).min(1).max(2).optional().describe('The windows you intend to book: checked for length, interim length and busy hours'),
    })
    .superRefine(oneTarget),
);

export const UpgradeOption = z.enum(['single', 'option1', 'option2']);

export const CreateRunRequest = named(
  'CreateRunRequest',
  z
    .strictObject({
      ...TargetFields,
      option: UpgradeOption,
      packageId: Id,
      windows: z.array(WindowInput).min(1).max(2),
      schedule: z.boolean().default(true).describe('Start each window automatically at its start (maintenance-window execution)'),
    })
    .superRefine(oneTarget),
);

export const ApproveRequest = named('ApproveRequest', z.strictObject({ comment: z.string().max(500).optional() }));
export const AcknowledgeRequest = named(
  'AcknowledgeRequest',
  z.strictObject({
    subject: z.enum(['api-users', 'integration-clients']).describe('api-users: the API users were prepared for 10.6; integration-clients: start although an Integration Client is older than 10.6'),
    reason: z.string().trim().min(1, 'a reason is required').max(500),
  }),
);
export const ReasonRequest = named('ReasonRequest', z.strictObject({ reason: z.string().trim().min(1, 'a reason is required').max(500) }));

export const CreateCampaignRequest = named(
  'CreateCampaignRequest',
  z
    .strictObject({
      campaignId: Id.optional().describe('Client-chosen id (default: generated)'),
      packageId: Id,
      pairIds: z.array(Id).max(1000).default([]),
      applianceIds: z.array(Id).max(1000).default([]),
      option: z.enum(['option1', 'option2']).default('option2'),
      concurrency: z.number().int().min(1).max(100).default(5),
      waveSize: z.number().int().min(1).max(1000).default(10),
      canaryApplianceId: Id.optional().describe('A staging appliance; by default the first staging appliance not in the targets'),
      windowMinutes: z.number().int().min(1).max(1440).default(240),
      timeZone: z.string().max(64).default('UTC').describe('IANA time zone name of the campaign windows'),
    })
    .superRefine((v, ctx) => {
      if (v.pairIds.length + v.applianceIds.length === 0) ctx.addIssue({ code: 'custom', path: ['pairIds'], message: 'give at least one pair or appliance' });
      if (!isIanaTimeZone(v.timeZone)) {
        ctx.addIssue({ code: 'custom', path: ['timeZone'], message: `"${v.timeZone}" is not an IANA time zone name (e.g. Asia/Tokyo)`, params: { code: 'InvalidTimeZone' } });
      }
    }),
);

export const RunIdParams = z.object({ runId: Id });
export const WindowParams = z.object({ runId: Id, window: z.enum(['1', '2']).transform((w) => Number(w) as 1 | 2) });
export const CampaignIdParams = z.object({ campaignId: Id });
export const ApplianceIdParams = z.object({ applianceId: Id });
export const PairIdParams = z.object({ pairId: Id });
export const ListRunsQuery = z.object({ limit: z.coerce.number().int().min(1).max(200).default(50), cursor: z.string().max(2000).optional() });

// ---- responses -------------------------------------------------------------------------------------

export const Problem = named(
  'Problem',
  z.looseObject({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string().describe('Stable machine-readable error code'),
    errors: z.array(z.object({ path: z.string(), pointer: z.string(), message: z.string(), code: z.string() })).optional().describe('Validation errors with field paths'),
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
    failover: z.looseObject({ pairId: z.string().optional(), role: z.enum(['none', 'primary', 'backup']), pairStatus: z.enum(['established', 'broken', 'syncing']).optional(), lastSyncAt: z.string().optional() }),
    pendingUpdates: z.array(z.object({ packageId: z.string(), version: z.string(), installable: z.boolean(), reason: z.string().optional() })).optional().describe('Catalog packages newer than this appliance'),
  }),
);

export const Pair = named(
  'Pair',
  z.object({
    pairId: z.string(),
    primaryId: z.string().optional(),
    backupId: z.string().optional(),
    status: z.enum(['established', 'broken', 'syncing', 'unknown']),
    lastSyncAt: z.string().optional(),
    lastSyncStatus: z.string().optional(),
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
    prerequisites: z.object({ minBaseVersion: z.string().optional(), minProductVersion: z.string().optional() }),
    requires: z.looseObject({}).optional().describe("The signed manifest's rules, checked by plans and preflight alike"),
    source: z.enum(['catalog', 'upload']).optional().describe('catalog: offered by Check for Updates; upload: a signed file for Update Software'),
    releasedAt: z.string().optional(),
    sha256: z.string().optional(),
  }),
);

const Risk = named(
  'Risk',
  z.object({
    code: z.string(),
    severity: z.enum(['blocker', 'warning', 'info']),
    message: z.string(),
    applianceId: z.string().optional(),
    options: z.array(UpgradeOption),
  }),
);

const PlanStep = z.object({
  window: z.number().int(),
  action: z.string(),
  applianceId: z.string().optional(),
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
    backupId: z.string().optional(),
    options: z.array(
      z.object({
        option: UpgradeOption,
        title: z.string(),
        steps: z.array(PlanStep),
        productionDowntimeMinutes: z.number(),
        windowMinutes: z.array(z.number()),
        withoutFailoverMinutes: z.number().optional().describe('How long the pair runs without failover (break in window 1 to re-establish in window 2)'),
        risks: z.array(Risk),
        blocked: z.boolean(),
      }),
    ),
    risks: z.array(Risk),
    recommendation: z.object({ option: UpgradeOption.nullable(), reason: z.string() }),
    backups: z.array(z.looseObject({ applianceId: z.string(), backupId: z.string().optional(), productVersion: z.string(), downloadPath: z.string(), reason: z.string().optional() })).describe('Settings backups to download before the install'),
    apiUsers: z.looseObject({ users: z.array(z.looseObject({ applianceId: z.string(), kind: z.string(), principalId: z.string(), name: z.string() })), checks: z.array(z.string()) }).optional(),
    integrations: z.array(z.looseObject({ integrationId: z.string(), name: z.string(), target: z.string(), version: z.string().optional(), reachesBackupAfterSwap: z.boolean() })).optional(),
    suggestedWindows: z.array(z.looseObject({ start: z.string(), localStart: z.string(), timeZone: z.string(), durationMinutes: z.number(), expectedSessions: z.number() })).optional(),
    traffic: z.looseObject({}).optional(),
    stagingRun: z.looseObject({ applianceId: z.string(), option: z.literal('single'), packageId: z.string(), reason: z.string() }).optional(),
    proceed: z.looseObject({ option: z.literal('single'), applianceId: z.string(), reason: z.string() }).optional(),
    nothingToUpgrade: z.string().optional().describe('Every appliance already runs the version: no run is offered (creating one is refused with NothingToUpgrade)'),
  }),
  'Dry run: nothing is changed',
);

const MaintenanceWindow = z.looseObject({
  index: z.number().int(),
  start: Instant,
  durationMinutes: z.number(),
  timeZone: z.string(),
  status: z.enum(['scheduled', 'running', 'succeeded', 'failed', 'missed', 'cancelled']),
  executionArn: z.string().optional(),
  startedAt: z.string().optional(),
  endedAt: z.string().optional(),
  error: z.string().optional(),
  interrupted: z.object({ at: z.string(), reason: z.string() }).optional().describe('The execution ended without reporting: start the window again to resume, or cancel the run'),
  attempt: z.number().int().optional().describe('Attempt being (or last) started: the execution is named <runId>-w<index>-a<attempt>'),
  startingAt: z.string().optional().describe('Set while StartExecution is awaited'),
});

export const Run = named(
  'Run',
  z.looseObject({
    runId: z.string(),
    option: UpgradeOption,
    packageId: z.string(),
    targetVersion: z.string(),
    primaryId: z.string(),
    backupId: z.string().optional(),
    pairId: z.string().optional(),
    windows: z.array(MaintenanceWindow),
    interim: z.looseObject({}),
    status: z.enum(['scheduled', 'window1-running', 'interim', 'window2-running', 'succeeded', 'failed', 'cancelled']),
    statusReason: z.string().optional(),
    createdBy: z.string(),
    createdAt: Instant,
    updatedAt: Instant,
    version: z.number().int(),
  }),
);

export const Schedule = named(
  'Schedule',
  z.object({
    scheduleId: z.string(),
    runId: z.string(),
    window: z.number().int(),
    fireAt: Instant,
    endsAt: Instant,
    timeZone: z.string(),
    status: z.enum(['pending', 'fired', 'started', 'refused', 'missed', 'cancelled']),
    outcome: z.string().optional(),
    firedAt: z.string().optional(),
    remoteName: z.string().optional(),
    supersededBy: z.object({ by: z.string(), at: z.string() }).optional().describe('Started by hand before its time: replaced, not failed'),
    version: z.number().int(),
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
    detail: z.string().optional(),
  }),
);

const PipelineStep = named(
  'PipelineStep',
  z.object({
    index: z.number().int().describe('1-based position in the run'),
    window: z.number().int(),
    action: z.string(),
    applianceId: z.string().optional(),
    description: z.string(),
    estimatedMinutes: z.number(),
    productionDown: z.boolean(),
    status: z.enum(['pending', 'running', 'succeeded', 'failed', 'skipped']),
    startedAt: z.string().optional(),
    endedAt: z.string().optional(),
    durationMinutes: z.number().optional().describe('Modelled minutes (real minutes on AWS)'),
    attempts: z.number().int().optional(),
    outputs: z.array(z.object({ label: z.string(), value: z.string() })).describe('Backup ids, install id and version, sessions synced/exported/re-imported, the DNS change'),
    note: z.string().optional(),
    current: z.literal(true).optional(),
  }),
);

export const RunPipeline = named(
  'RunPipeline',
  z.object({
    steps: z.array(PipelineStep).describe('Every step of both windows in execution order: the plan\'s steps for the chosen option'),
    total: z.number().int(),
    current: z.looseObject({ index: z.number().int(), label: z.string().describe('"step k of n"'), action: z.string(), window: z.number().int(), elapsedMinutes: z.number().optional(), estimatedMinutes: z.number() }).optional(),
    windows: z.array(z.looseObject({ window: z.number().int(), status: z.string(), timeZone: z.string(), start: Instant, deadline: Instant, durationMinutes: z.number(), estimatedMinutes: z.number(), elapsedMinutes: z.number().optional(), minutesLeft: z.number().optional(), interrupted: z.string().optional() })),
    gate: z.looseObject({ state: z.enum(['not-reached', 'checks-running', 'checks-failed', 'awaiting-approval', 'approved', 'overridden', 'closed']), startedBy: z.string(), approveAllowed: z.boolean(), overrideAllowed: z.boolean(), waitingFor: z.array(z.string()) }).optional().describe('The interim gate\'s evidence: checks, approval and comment, override, who started the run'),
    downtime: z.array(z.looseObject({ window: z.number().int(), estimatedMinutes: z.number(), longestOutageMinutes: z.number(), totalOutageMinutes: z.number() })).optional().describe('Measured customer-facing downtime (live traffic) beside the plan\'s estimate'),
    reconciliation: z.looseObject({}).optional().describe('Session reconciliation after the run (live traffic)'),
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
    steps: z.array(z.object({ key: z.string(), status: z.string(), attempts: z.number(), startedAt: z.string().optional(), endedAt: z.string().optional(), output: z.unknown().optional() })),
    schedules: z.array(Schedule),
    audit: z.array(AuditEvent),
    localWindows: z.array(z.object({ index: z.number().int(), localStart: z.string(), localEnd: z.string(), timeZone: z.string() })),
    warnings: z.array(z.object({ code: z.string(), message: z.string() })).describe('The plan warnings the run was created with, and live ones (e.g. the interim running too long)'),
    notice: z.string().optional(),
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
    concurrency: z.number().int(),
    waveSize: z.number().int(),
    status: z.enum(['created', 'canary', 'rolling', 'succeeded', 'halted', 'cancelled']),
    statusReason: z.string().optional(),
    targets: z.array(
      z.object({
        targetId: z.string(),
        kind: z.enum(['pair', 'single']),
        primaryId: z.string(),
        backupId: z.string().optional(),
        pairId: z.string().optional(),
        option: UpgradeOption,
        wave: z.number().int(),
        status: z.enum(['pending', 'running', 'succeeded', 'failed', 'skipped']),
        runId: z.string().optional(),
        error: z.string().optional(),
      }),
    ),
    createdBy: z.string(),
    startedBy: z.string().optional(),
    haltedBy: z.object({ by: z.string(), at: z.string(), reason: z.string() }).optional(),
  }),
);

export const ApplianceList = named('ApplianceList', z.object({ appliances: z.array(Appliance) }));
export const ApplianceOnly = named('ApplianceOnly', z.object({ appliance: Appliance }));
export const PairList = named('PairList', z.object({ pairs: z.array(Pair) }));
export const PairDetail = named('PairDetail', z.object({ pair: Pair, runs: z.array(Run), backups: z.array(z.looseObject({ backupId: z.string(), applianceId: z.string(), createdAt: z.string() })) }));
export const PackageList = named('PackageList', z.object({ packages: z.array(Package) }));
export const RunList = named('RunList', z.object({ runs: z.array(Run), cursor: z.string().optional() }));
export const ScheduleList = named('ScheduleList', z.object({ schedules: z.array(Schedule), cursor: z.string().optional() }));
export const CampaignList = named('CampaignList', z.object({ campaigns: z.array(Campaign) }));
export const Me = named('Me', z.object({ operator: Operator, forbidSelfApproval: z.boolean() }));
export const RunOnly = named('RunOnly', z.object({ run: Run, notice: z.string().optional().describe('Plain words about what the action does, e.g. a cancel during an install') }));
export const CampaignOnly = named('CampaignOnly', z.object({ campaign: Campaign }));
