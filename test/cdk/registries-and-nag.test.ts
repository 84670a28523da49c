import { App, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import type { Route } from '../../functions/platform/api/http.js';
import { routes } from '../../functions/local/routes.js';
import { tasks } from '../../functions/control-plane/tasks/index.js';
import { UpgradeStack } from '../../cdk/upgrade-stack.js';
import { FEATURE_FLAGS } from '../../cdk/feature-flags.js';
import { ACCEPTED_WILDCARDS } from '../../cdk/nag-suppressions.js';
import { ROUTE_GROUP_PERMISSIONS, TASK_PERMISSIONS } from '../../cdk/permissions.js';
import { workflowSources, type WorkflowSource } from '../../cdk/sources.js';
import { stageConfig } from '../../cdk/stage.js';
import { grantsOfRole, logicalId, NO_BUNDLING, synthStage } from './synth.js';

const dev = synthStage({ stage: 'dev' });

describe('every route group and task has an IAM declaration in cdk/permissions.ts', () => {
  it.each([...new Set(routes.map((r) => r.group))])('route group %s', (group) => {
    expect(Object.keys(ROUTE_GROUP_PERMISSIONS), `declare route group "${group}" in ROUTE_GROUP_PERMISSIONS`).toContain(group);
  });

  it.each(Object.keys(tasks))('task %s', (task) => {
    expect(Object.keys(TASK_PERMISSIONS), `declare task "${task}" in TASK_PERMISSIONS`).toContain(task);
  });

  it('declares the known route groups', () => {
    expect(Object.keys(ROUTE_GROUP_PERMISSIONS).sort()).toEqual(['appliance', 'control', 'failover', 'sessions', 'system']);
  });
});

describe('cdk-nag AwsSolutions', () => {
  const acknowledgments = (scope: IConstruct) =>
    scope.node
      .findAll()
      .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
      .flatMap((m) => Object.entries(m.data as Record<string, string>));

  it('reports zero unacknowledged findings for the dev and prod stages', () => {
    const prod = synthStage({ stage: 'prod', hostedZoneId: 'Z0123456789ABC', alarmTopicArn: 'arn:aws:sns:eu-west-1:123456789012:ops' });
    for (const { stack } of [dev, prod]) {
      const report = new AwsSolutionsChecks().validateScope(stack);
      expect(report.violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
      expect(report.success).toBe(true);
    }
  });

  it('stays clean when the CLI gives a concrete region and account (ARNs then hold literal partitions)', () => {
    const saved = { region: process.env.CDK_DEFAULT_REGION, account: process.env.CDK_DEFAULT_ACCOUNT };
    Object.assign(process.env, { CDK_DEFAULT_REGION: 'eu-west-1', CDK_DEFAULT_ACCOUNT: '123456789012' });
    try {
      const { stack } = synthStage({ stage: 'prod', hostedZoneId: 'Z0123456789ABC' });
      expect(stack.region).toBe('eu-west-1');
      const report = new AwsSolutionsChecks().validateScope(stack);
      expect(report.violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
    } finally {
      for (const [k, v] of [['CDK_DEFAULT_REGION', saved.region], ['CDK_DEFAULT_ACCOUNT', saved.account]] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  it('gives every acknowledgment a reason', () => {
    const acks = acknowledgments(dev.stack);
    expect(acks.length).toBeGreaterThan(0);
    for (const [id, reason] of acks) {
      expect(id).toMatch(/AwsSolutions-/);
      expect(reason.length, id).toBeGreaterThan(30);
    }
    for (const w of ACCEPTED_WILDCARDS) expect(w.reason.length).toBeGreaterThan(30);
  });

  it('writes the acknowledgments into the template as an audit trail on synth', () => {
    const { app, stack } = dev;
    app.synth();
    const resources = Object.values(app.synth().getStackArtifact(stack.artifactId).template.Resources) as { Metadata?: Record<string, any> }[];
    const rules = resources.flatMap((r) => r.Metadata?.cdk_nag?.rules_to_suppress ?? []) as { id: string; reason: string }[];
    expect(rules.some((r) => r.id === 'AwsSolutions-L1')).toBe(true);
  });

  it('still reports a wildcard nobody accepted (the check can fail)', () => {
    const { stack } = synthStage({ stage: 'nagprobe' });
    stack.functions[0]!.construct.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:*'], resources: ['*'] }));
    const names = new AwsSolutionsChecks().validateScope(stack).violations.map((v) => v.ruleName);
    expect(names).toContain('AwsSolutions-IAM5[Action::s3:*]');
  });
});

describe('dev stage defaults', () => {
  it('keeps deletion protection, sends alarms nowhere, and grants no Route 53 without a hosted zone', () => {
    dev.template.allResourcesProperties('AWS::DynamoDB::Table', { DeletionProtectionEnabled: true });
    for (const [, alarm] of Object.entries(dev.template.findResources('AWS::CloudWatch::Alarm'))) {
      expect(alarm.Properties.AlarmActions).toBeUndefined();
    }
    for (const f of dev.stack.functions) {
      expect(grantsOfRole(dev.template, logicalId(f.construct.role)).some((g) => g.action.startsWith('route53:'))).toBe(false);
    }
  });

  it('refuses bad context with one clear line', () => {
    const app = (context: Record<string, unknown>) => new App({ context });
    expect(() => stageConfig(app({ stage: 'Prod!' }).node)).toThrow(/invalid CDK context stage/);
    expect(() => stageConfig(app({}).node)).toThrow(/invalid CDK context stage/);
    expect(() => stageConfig(app({ stage: 'dev', hostedZoneId: 'nope' }).node)).toThrow(/hostedZoneId/);
    expect(() => stageConfig(app({ stage: 'dev', logRetentionDays: '-3' }).node)).toThrow(/logRetentionDays/);
    expect(() => stageConfig(app({ stage: 'dev', logRetentionDays: '45' }).node)).toThrow(/logRetentionDays: must be one of/);
    expect(stageConfig(app({ stage: 'dev', logRetentionDays: '14' }).node).logRetentionDays).toBe(14);
    expect(stageConfig(app({ stage: 'dev', deletionProtection: 'false' }).node).deletionProtection).toBe(false);
  });
});

describe('generic over the registries', () => {
  const handler: Route['handler'] = (c) => c.text('ok');
  const route = (method: Route['method'], path: string, group: string): Route => ({ method, path, group, auth: 'operator', summary: path, handler });
  const asl = (tasks: string[]): WorkflowSource => {
    const text = JSON.stringify({
      StartAt: 'S0',
      States: Object.fromEntries(
        tasks.map((t, i) => [`S${i}`, { Type: 'Task', Resource: `\${${t[0]!.toUpperCase()}${t.slice(1)}FunctionArn}`, ...(i === tasks.length - 1 ? { End: true } : { Next: `S${i + 1}` }) }]),
      ),
    });
    return { name: 'probe', file: 'probe.asl.json', text, tasks };
  };
  const build = (props: { routes?: Route[]; tasks?: string[]; workflows?: WorkflowSource[] }) => {
    const app = new App({ context: { ...FEATURE_FLAGS, ...NO_BUNDLING, stage: 'probe' } });
    // Routes of group `control` are the control plane's, any other the emulator's (as in functions/local/routes.ts).
    const routes = props.routes && { emulator: props.routes.filter((r) => r.group !== 'control'), 'control-plane': props.routes.filter((r) => r.group === 'control') };
    return new UpgradeStack(app, 'Probe', { config: stageConfig(app.node), ...props, routes });
  };

  it('creates one function per group and maps parameters for routes other areas will add', () => {
    const stack = build({
      routes: [
        route('GET', '/appliances/:applianceId/api/reporting', 'appliance'),
        route('POST', '/appliances/:applianceId/api/command', 'appliance'),
        route('PUT', '/v1/windows/:windowId', 'control'),
      ],
      workflows: [],
    });
    const template = Template.fromStack(stack);
    expect(stack.functions.filter((f) => f.kind === 'route group').map((f) => f.name)).toEqual(['appliance', 'control']);
    template.resourceCountIs('AWS::ApiGatewayV2::Route', 3);
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'PUT /v1/windows/{windowId}' });
    template.resourceCountIs('AWS::ApiGatewayV2::Integration', 2);
  });

  it('refuses a route group without a declaration', () => {
    expect(() => build({ routes: [route('GET', '/x', 'mystery')] })).toThrow(/route group "mystery".*ROUTE_GROUP_PERMISSIONS in cdk\/permissions.ts/);
  });

  it('refuses a task without a declaration', () => {
    expect(() => build({ routes: [], tasks: ['createBackup', 'wipeEverything'], workflows: [] })).toThrow(/task "wipeEverything".*TASK_PERMISSIONS/);
  });

  it('refuses a workflow that references an unregistered task', () => {
    expect(() => build({ routes: [], tasks: ['createBackup'], workflows: [asl(['createBackup', 'ghostTask'])] })).toThrow(/"ghostTask" that functions\/control-plane\/tasks\/index.ts does not register/);
  });

  it('refuses two routes that map to the same API Gateway route', () => {
    expect(() => build({ routes: [route('GET', '/v1/a/:id', 'control'), route('GET', '/v1/a/:other', 'control')], workflows: [] })).toThrow(/GET \/v1\/a\/\{other\} is declared twice/);
  });

  it('uses the real statemachines/ directory by default', () => {
    expect(dev.stack.controlPlane!.workflows.machines.size).toBe(workflowSources().length);
  });
});
