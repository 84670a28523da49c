import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { BUCKETS, loadConfig, ROUTE53_ZONE_ENV, TABLE_KEY_SCHEMA, TABLES } from '../../functions/platform/adapters/config.js';
import { buildServices } from '../../functions/platform/adapters/services.js';
import { emulatorAdapters } from '../../functions/emulator/adapters/emulator-services.js';
import { routes, systemRouteTables } from '../../functions/local/routes.js';
import { tasks } from '../../functions/control-plane/tasks/index.js';
import { renderAsl, taskPlaceholder, tasksReferenced } from '../../functions/control-plane/tasks/task.js';
import { routeKeys } from '../../cdk/constructs/http-api.js';
import { mountRoutes } from '../../functions/platform/api/site-mounts.js';
import { LAMBDA_RUNTIME } from '../../cdk/constructs/control-plane-function.js';
import { HEALTH_PROBE_ACTIONS } from '../../cdk/grants.js';
import type { Access } from '../../cdk/permissions.js';
import { workflowSources } from '../../cdk/sources.js';
import { grantsOfRole, logicalId, resourcesOfType, synthStage, type Grant } from './synth.js';

// One synth for the whole file (stage prod with every optional feature on); the other tests reuse it.
const HOSTED_ZONE = 'Z0123456789ABC';
const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:ops-alarms';
const { stack, template } = synthStage({ stage: 'prod', hostedZoneId: HOSTED_ZONE, alarmTopicArn: TOPIC });
const json = template.toJSON() as { Resources: Record<string, { Type: string; Properties: Record<string, any> }> };
const workflows = workflowSources();
const prefix = 'upgrade-cp-prod';

const taskFunctionIds = new Map(stack.functions.filter((f) => f.kind === 'task').map((f) => [f.name, logicalId(f.construct.fn)]));
const groupFunctionIds = new Map(stack.functions.filter((f) => f.kind === 'route group').map((f) => [f.name, logicalId(f.construct.fn)]));
const tableIds = Object.fromEntries(TABLES.map((t) => [t, logicalId(stack.storage.tables[t]!)])) as Record<string, string>;
const bucketIds = Object.fromEntries(BUCKETS.map((b) => [b, logicalId(stack.storage.buckets[b]!)])) as Record<string, string>;

describe('state machines from statemachines/*.asl.json', () => {
  it('creates exactly one state machine per ASL file', () => {
    expect(workflows.length).toBeGreaterThan(0);
    template.resourceCountIs('AWS::StepFunctions::StateMachine', workflows.length);
  });

  describe.each(workflows.map((w) => [w.name, w] as const))('%s', (name, workflow) => {
    const [id, machine] = resourcesOfType(template, 'AWS::StepFunctions::StateMachine').find(
      ([, r]) => r.Properties!.StateMachineName === `${prefix}-${name}`,
    )!;

    it('has the ASL file as its definition, untouched', () => {
      expect(id).toBeDefined();
      expect(machine.Properties!.DefinitionString).toBe(workflow.text);
      expect(machine.Properties!.DefinitionS3Location).toBeUndefined();
    });

    it("equals the ASL file after substitution, each placeholder resolving to its task's function", () => {
      const subs = machine.Properties!.DefinitionSubstitutions as Record<string, unknown>;
      expect(Object.keys(subs).sort()).toEqual(tasksReferenced(workflow.text).map(taskPlaceholder).sort());
      for (const task of tasksReferenced(workflow.text)) {
        expect(subs[taskPlaceholder(task)]).toEqual({ 'Fn::GetAtt': [taskFunctionIds.get(task), 'Arn'] });
      }
      // What Step Functions will run: the template's definition with its substitutions applied.
      const deployed = (machine.Properties!.DefinitionString as string).replace(/\$\{(\w+)\}/g, (_, key: string) => {
        const value = subs[key] as { 'Fn::GetAtt': [string, string] };
        return `arn:aws:lambda:eu-west-1:123456789012:function:${value['Fn::GetAtt'][0]}`;
      });
      const expected = renderAsl(workflow.text, (task) => `arn:aws:lambda:eu-west-1:123456789012:function:${taskFunctionIds.get(task)}`);
      expect(JSON.parse(deployed)).toEqual(JSON.parse(expected));
      expect(deployed).not.toContain('${');
    });

    it('logs all events with execution data and traces with X-Ray', () => {
      expect(machine.Properties!.TracingConfiguration).toEqual({ Enabled: true });
      expect(machine.Properties!.LoggingConfiguration).toMatchObject({ Level: 'ALL', IncludeExecutionData: true });
    });

    it('may invoke exactly the task functions it references', () => {
      const role = machine.Properties!.RoleArn['Fn::GetAtt'][0] as string;
      const invokes = grantsOfRole(template, role).filter((g) => g.action.startsWith('lambda:'));
      const targets = new Set(invokes.map((g) => /"(\w+)","Arn"/.exec(g.resource)?.[1]));
      expect([...targets].sort()).toEqual(workflow.tasks.map((t) => taskFunctionIds.get(t)).sort());
      expect(invokes.every((g) => g.action === 'lambda:InvokeFunction')).toBe(true);
    });
  });
});

describe('one HTTP API per system, from its route table', () => {
  const integrations = Object.fromEntries(resourcesOfType(template, 'AWS::ApiGatewayV2::Integration'));
  const apis = { emulator: stack.emulator!.http.api, 'control-plane': stack.controlPlane!.http.api };
  const routesOn = (system: keyof typeof apis) =>
    resourcesOfType(template, 'AWS::ApiGatewayV2::Route').filter(([, r]) => JSON.stringify(r.Properties!.ApiId) === JSON.stringify({ Ref: logicalId(apis[system]) }));

  it('creates the two APIs and no route outside them', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 2);
    expect(routesOn('emulator').length + routesOn('control-plane').length).toBe(resourcesOfType(template, 'AWS::ApiGatewayV2::Route').length);
  });

  describe.each(Object.keys(apis) as (keyof typeof apis)[])('%s', (system) => {
    const table = systemRouteTables[system];
    const apiRoutes = routesOn(system);

    it('has every route of its table and no other', () => {
      // Site routes once per mount (the emulator's); `/health` on both APIs.
      const expected = [...new Set(mountRoutes(table).flatMap(routeKeys))].sort();
      expect(expected.length).toBeGreaterThan(0);
      expect(apiRoutes.map(([, r]) => r.Properties!.RouteKey).sort()).toEqual(expected);
    });

    it.each(mountRoutes(table).map((r) => [`${r.mount === 'site-root' ? 'site root ' : ''}${r.method} ${r.path}`, r] as const))('%s points at the function of its group', (_, route) => {
      for (const key of routeKeys(route)) {
        const [, apiRoute] = apiRoutes.find(([, r]) => r.Properties!.RouteKey === key)!;
        const integrationId = (apiRoute.Properties!.Target['Fn::Join'][1] as unknown[])[1] as { Ref: string };
        const integration = integrations[integrationId.Ref]!;
        expect(integration.Properties!.IntegrationType).toBe('AWS_PROXY');
        expect(integration.Properties!.PayloadFormatVersion).toBe('2.0');
        expect(integration.Properties!.IntegrationUri).toEqual({ 'Fn::GetAtt': [groupFunctionIds.get(route.group), 'Arn'] });
      }
    });

    it("deploys each of its route groups' functions in its system (the health probe once, for both)", () => {
      for (const group of new Set(table.map((r) => r.group))) {
        const f = stack.functions.find((x) => x.kind === 'route group' && x.name === group)!;
        expect(f.system).toBe(group === 'system' ? 'platform' : system);
      }
    });
  });

  it('creates one function per route group, all from the one API entry', () => {
    const groups = [...new Set(routes.map((r) => r.group))].sort();
    expect([...groupFunctionIds.keys()].sort()).toEqual(groups);
    for (const [group, id] of groupFunctionIds) {
      expect(json.Resources[id]!.Properties.FunctionName).toMatch(new RegExp(`-api-${group}$`));
    }
  });

  it('logs access and throttles on its default stage', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') },
      DefaultRouteSettings: { ThrottlingRateLimit: Match.anyValue(), ThrottlingBurstLimit: Match.anyValue() },
    });
  });
});

describe('response streaming for routes marked `streaming` (API Gateway buffers at most 6 MB)', () => {
  const streamed = [...new Set(routes.filter((r) => r.streaming).map((r) => r.group))];
  const urls = resourcesOfType(template, 'AWS::Lambda::Url');

  it('the reporting routes are marked', () => {
    expect(mountRoutes(routes).filter((r) => r.streaming).map((r) => `${r.method} ${r.path}`).sort()).toEqual([
      'GET /api/reporting',
      'GET /api/reporting.ns',
      'GET /appliances/:applianceId/api/reporting',
      'GET /appliances/:applianceId/api/reporting.ns',
      'POST /api/reporting',
      'POST /api/reporting.ns',
      'POST /appliances/:applianceId/api/reporting',
      'POST /appliances/:applianceId/api/reporting.ns',
    ]);
  });

  it.each(streamed)('group %s: a RESPONSE_STREAM Function URL on a function of the stream entry with the group\'s rights', (group) => {
    const fn = stack.functions.find((f) => f.kind === 'route stream' && f.name === group)!;
    expect(fn.permissions).toBe(stack.functions.find((f) => f.kind === 'route group' && f.name === group)!.permissions);
    const id = logicalId(fn.construct.fn);
    const [, url] = urls.find(([, u]) => JSON.stringify(u.Properties!.TargetFunctionArn).includes(id))!;
    // Auth is the API's own (bearer tokens checked by the app), as behind API Gateway.
    expect(url.Properties).toMatchObject({ InvokeMode: 'RESPONSE_STREAM', AuthType: 'NONE' });
    expect(json.Resources[id]!.Properties.FunctionName).toMatch(new RegExp(`-api-${group}-stream$`));
    template.hasOutput(`${group[0]!.toUpperCase()}${group.slice(1)}StreamUrl`, { Value: { 'Fn::GetAtt': [Match.anyValue(), 'FunctionUrl'] } });
  });

  it('only those groups get one', () => {
    expect(urls).toHaveLength(streamed.length);
    expect(stack.functions.filter((f) => f.kind === 'route stream').map((f) => f.name)).toEqual(streamed);
  });
});

describe('environment the functions read', () => {
  it('every function with Route 53 rights gets the hosted zone under the name the emulator adapters read (emulator-services.ts), and so a Route 53 publisher', () => {
    const withDns = stack.functions.filter((f) => f.permissions.route53);
    expect(withDns.length).toBeGreaterThan(0);
    for (const f of stack.functions) {
      const env = json.Resources[logicalId(f.construct.fn)]!.Properties.Environment.Variables as Record<string, string>;
      expect(env[ROUTE53_ZONE_ENV], `${f.kind} ${f.name}`).toBe(f.permissions.route53 ? HOSTED_ZONE : undefined);
      const literal = Object.fromEntries(Object.entries(env).filter(([, v]) => typeof v === 'string')); // tokens resolve at deploy time
      if (f.permissions.route53) expect(buildServices(loadConfig({}), undefined, literal, [emulatorAdapters]).dns?.name).toBe('route53');
    }
  });
});

describe('functions', () => {
  const all = [...taskFunctionIds.values(), ...groupFunctionIds.values()];

  it('has one function per task of the registry, selected by TASK_NAME', () => {
    expect([...taskFunctionIds.keys()].sort()).toEqual(Object.keys(tasks).sort());
    for (const [task, id] of taskFunctionIds) expect(json.Resources[id]!.Properties.Environment.Variables.TASK_NAME).toBe(task);
  });

  it.each(all)('%s: ARM64, Node 22, JSON logs, X-Ray, source maps, names by env', (id) => {
    const p = json.Resources[id]!.Properties;
    expect(p.Runtime).toBe(LAMBDA_RUNTIME.name);
    expect(p.Architectures).toEqual(['arm64']);
    expect(p.Handler).toBe('index.handler');
    expect(p.LoggingConfig).toMatchObject({ LogFormat: 'JSON', ApplicationLogLevel: 'INFO' });
    expect(p.TracingConfig).toEqual({ Mode: 'Active' });
    const env = p.Environment.Variables;
    expect(env.NODE_OPTIONS).toBe('--enable-source-maps');
    for (const t of TABLES) expect(env[`${t.toUpperCase()}_TABLE`]).toEqual({ Ref: tableIds[t] });
    for (const b of BUCKETS) expect(env[`${b.toUpperCase()}_BUCKET`]).toEqual({ Ref: bucketIds[b] });
    expect(JSON.stringify(env.STATE_MACHINE_ARN_PREFIX)).toContain(`:stateMachine:${prefix}-`);
  });

  it('state machine names are what SfnWorkflowEngine derives from STATE_MACHINE_ARN_PREFIX + workflow', () => {
    const arnPrefix = JSON.stringify(json.Resources[all[0]!]!.Properties.Environment.Variables.STATE_MACHINE_ARN_PREFIX);
    expect(arnPrefix.endsWith(`:stateMachine:${prefix}-"]]}`)).toBe(true);
    for (const w of workflows) template.hasResourceProperties('AWS::StepFunctions::StateMachine', { StateMachineName: `${prefix}-${w.name}` });
  });
});

describe('DynamoDB tables', () => {
  it('creates every table of TABLES', () => template.resourceCountIs('AWS::DynamoDB::Table', TABLES.length));

  it.each([...TABLES])('%s: on demand, PITR, deletion protection, TTL, the GSIs the stores use', (name) => {
    const p = json.Resources[tableIds[name]!]!.Properties;
    expect(p.BillingMode).toBe('PAY_PER_REQUEST');
    expect(p.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(p.DeletionProtectionEnabled).toBe(true);
    expect(p.TimeToLiveSpecification).toEqual({ AttributeName: TABLE_KEY_SCHEMA.ttlAttribute, Enabled: true });
    expect(p.KeySchema).toEqual([
      { AttributeName: TABLE_KEY_SCHEMA.partitionKey, KeyType: 'HASH' },
      { AttributeName: TABLE_KEY_SCHEMA.sortKey, KeyType: 'RANGE' },
    ]);
    expect(p.GlobalSecondaryIndexes.map((i: { IndexName: string }) => i.IndexName)).toEqual(TABLE_KEY_SCHEMA.indexes.map((i) => i.name));
    for (const index of TABLE_KEY_SCHEMA.indexes) {
      expect(p.AttributeDefinitions).toContainEqual({ AttributeName: index.sortKey, AttributeType: index.sortKeyType });
    }
  });
});

describe('S3 buckets', () => {
  const policies = resourcesOfType(template, 'AWS::S3::BucketPolicy');

  it.each([...BUCKETS])('%s: versioned, SSE, blocks public access, enforces TLS, access logs', (name) => {
    const p = json.Resources[bucketIds[name]!]!.Properties;
    expect(p.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(p.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toBe('AES256');
    expect(p.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(p.LoggingConfiguration.LogFilePrefix).toBe(`${name}/`);
    const [, policy] = policies.find(([, r]) => JSON.stringify(r.Properties!.Bucket) === JSON.stringify({ Ref: bucketIds[name] }))!;
    expect(policy.Properties!.PolicyDocument.Statement).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
  });

  it('expires old backup versions', () => {
    const rules = json.Resources[bucketIds.backups!]!.Properties.LifecycleConfiguration.Rules as Record<string, any>[];
    expect(rules.some((r) => r.Status === 'Enabled' && r.NoncurrentVersionExpiration?.NoncurrentDays >= 30)).toBe(true);
  });
});

describe('least privilege: each function may use only what cdk/permissions.ts declares', () => {
  const TABLE_WRITE = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'];
  const TABLE_READ = ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:Scan', 'dynamodb:BatchGetItem'];
  const BUCKET_WRITE = ['s3:PutObject'];
  const BUCKET_READ = ['s3:GetObject*', 's3:List*'];
  const BUCKET_DELETE = ['s3:DeleteObject*'];
  const STAR_ALWAYS = ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'];

  const expectAccess = (grants: Grant[], id: string, access: Access | undefined, read: string[], write: string[]) => {
    const actions = new Set(grants.filter((g) => g.resource.includes(`"${id}"`)).map((g) => g.action));
    const has = (list: string[]) => list.some((a) => actions.has(a));
    expect(has(read), `read on ${id}`).toBe(access === 'read' || access === 'readwrite');
    expect(has(write), `write on ${id}`).toBe(access === 'write' || access === 'readwrite');
  };

  describe.each(stack.functions.map((f) => [`${f.kind} ${f.name}`, f] as const))('%s', (_, f) => {
    const role = logicalId(f.construct.role);
    const grants = grantsOfRole(template, role);
    const p = f.permissions;

    it('has no managed policies (not even AWSLambdaBasicExecutionRole)', () => {
      expect(json.Resources[role]!.Properties.ManagedPolicyArns).toBeUndefined();
      expect(grants.length).toBeGreaterThan(0);
    });

    it('reads and writes exactly the declared tables', () => {
      for (const t of TABLES) expectAccess(grants, tableIds[t]!, p.tables?.[t], TABLE_READ, TABLE_WRITE);
    });

    it('reads and writes exactly the declared buckets (deletes only with readwrite)', () => {
      for (const b of BUCKETS) {
        expectAccess(grants, bucketIds[b]!, p.buckets?.[b], BUCKET_READ, BUCKET_WRITE);
        const deletes = grants.some((g) => g.resource.includes(`"${bucketIds[b]}"`) && BUCKET_DELETE.includes(g.action));
        expect(deletes, `delete on ${b}`).toBe(p.buckets?.[b] === 'readwrite');
      }
    });

    it('starts and reads executions only of the declared workflows', () => {
      const declared = p.workflows === 'all' ? workflows.map((w) => w.name) : (p.workflows ?? []);
      const states = grants.filter((g) => g.action.startsWith('states:') && g.resource !== '"*"');
      for (const w of workflows) {
        const starts = states.some((g) => g.action === 'states:StartExecution' && g.resource.includes(`:stateMachine:${prefix}-${w.name}"`));
        expect(starts, `start ${w.name}`).toBe(declared.includes(w.name));
      }
      for (const g of states) expect(declared.some((w) => g.resource.includes(`${prefix}-${w}`))).toBe(true);
    });

    it('manages schedules and passes the Scheduler role only when declared', () => {
      const scheduler = grants.filter((g) => g.action.startsWith('scheduler:') || g.action === 'iam:PassRole');
      expect(scheduler.length > 0).toBe(Boolean(p.scheduler));
      for (const g of scheduler.filter((x) => x.action === 'iam:PassRole')) {
        expect(g.resource).toContain(logicalId(stack.controlPlane!.windows.executionRole));
      }
    });

    it('changes Route 53 records only when declared, and only in the configured zone', () => {
      const route53 = grants.filter((g) => g.action.startsWith('route53:'));
      expect(route53.length > 0).toBe(Boolean(p.route53));
      for (const g of route53.filter((x) => x.action === 'route53:ChangeResourceRecordSets')) expect(g.resource).toContain(`hostedzone/${HOSTED_ZONE}`);
    });

    it('grants "*" only for actions AWS cannot scope (X-Ray, the health probe)', () => {
      const star = grants.filter((g) => g.resource === '"*"').map((g) => g.action);
      const allowed = [...STAR_ALWAYS, ...(p.healthProbe ? HEALTH_PROBE_ACTIONS : [])];
      expect(star.filter((a) => !allowed.includes(a))).toEqual([]);
      expect(star.some((a) => HEALTH_PROBE_ACTIONS.includes(a))).toBe(Boolean(p.healthProbe));
      expect(grants.every((g) => !g.action.endsWith(':*') && g.action !== '*')).toBe(true);
    });

    it('writes logs only to its own log group', () => {
      const logs = grants.filter((g) => g.action.startsWith('logs:'));
      expect(logs.map((g) => g.action).sort()).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
      for (const g of logs) expect(g.resource).toBe(JSON.stringify({ 'Fn::GetAtt': [logicalId(f.construct.logGroup), 'Arn'] }));
    });
  });
});

describe('maintenance windows (EventBridge Scheduler)', () => {
  it('has a schedule group and an execution role only Scheduler of this account can assume', () => {
    template.hasResourceProperties('AWS::Scheduler::ScheduleGroup', { Name: `${prefix}-maintenance-windows` });
    const role = json.Resources[logicalId(stack.controlPlane!.windows.executionRole)]!.Properties;
    expect(role.AssumeRolePolicyDocument.Statement[0]).toMatchObject({
      Principal: { Service: 'scheduler.amazonaws.com' },
      Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
    });
  });

  it('lets the execution role invoke the scheduler function and nothing else', () => {
    const grants = grantsOfRole(template, logicalId(stack.controlPlane!.windows.executionRole));
    expect(new Set(grants.map((g) => g.action))).toEqual(new Set(['lambda:InvokeFunction']));
    const scheduler = stack.functions.find((f) => f.kind === 'scheduler')!;
    for (const g of grants) expect(g.resource).toContain(logicalId(scheduler.construct.fn));
  });

  it('points one-time window schedules and the catch-up schedule at the scheduler function', () => {
    const schedule = resourcesOfType(template, 'AWS::Scheduler::Schedule').map(([, r]) => r.Properties!);
    expect(schedule).toHaveLength(1);
    expect(schedule[0]).toMatchObject({ ScheduleExpression: 'rate(5 minutes)' });
    const control = stack.functions.find((f) => f.kind === 'route group' && f.name === 'control')!;
    const env = (template.toJSON().Resources[logicalId(control.construct.fn)].Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(Object.keys(env)).toEqual(expect.arrayContaining(['SCHEDULER_TARGET_ARN', 'SCHEDULER_ROLE_ARN', 'SCHEDULER_GROUP']));
    expect(JSON.stringify(env.SCHEDULER_TARGET_ARN)).toContain(`${prefix}-scheduler`);
  });
});

describe('alarms', () => {
  const alarms = resourcesOfType(template, 'AWS::CloudWatch::Alarm').map(([, r]) => r.Properties!);
  const metric = (namespace: string, name: string) => alarms.filter((a) => a.Namespace === namespace && a.MetricName === name);

  it('alarms on failed and timed-out executions of every state machine', () => {
    expect(metric('AWS/States', 'ExecutionsFailed')).toHaveLength(workflows.length);
    expect(metric('AWS/States', 'ExecutionsTimedOut')).toHaveLength(workflows.length);
  });

  it('alarms on errors of every function and on API 5xx', () => {
    expect(metric('AWS/Lambda', 'Errors')).toHaveLength(stack.functions.length);
    // One 5xx count alarm per API (each API's 5xx rate alarm is a math expression).
    expect(metric('AWS/ApiGateway', '5xx')).toHaveLength(2);
  });

  it('notifies the topic given by -c alarmTopicArn', () => {
    expect(alarms.length).toBeGreaterThan(0);
    for (const a of alarms) expect(a.AlarmActions).toEqual([TOPIC]);
  });
});
