/**
 * The two systems deploy on their own (`-c systems=...`): the emulator without the control plane, the control
 * plane without the emulator (reaching a fleet at `applianceBaseUrl`), and both in one stack, where neither holds
 * the other's rights.
 */
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { systemRouteTables } from '../../functions/local/routes.js';
import { mountRoutes } from '../../functions/platform/api/site-mounts.js';
import { routeKeys } from '../../cdk/constructs/http-api.js';
import { resourcesOfType, synthStage } from './synth.js';

const nagViolations = (stack: Parameters<AwsSolutionsChecks['validateScope']>[0]) =>
  new AwsSolutionsChecks().validateScope(stack).violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath).join(', ')}`);
const routeKeysOf = (template: ReturnType<typeof synthStage>['template']) => resourcesOfType(template, 'AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties!.RouteKey as string).sort();
const functionEnvironments = (template: ReturnType<typeof synthStage>['template']) =>
  resourcesOfType(template, 'AWS::Lambda::Function').map(([, f]) => ({ name: String(f.Properties!.FunctionName), env: (f.Properties!.Environment?.Variables ?? {}) as Record<string, unknown> }));

describe('the emulator alone (-c systems=emulator)', () => {
  const { app, stack, template } = synthStage({ stage: 'lab', systems: 'emulator' });

  it('is a stack of its own, with names of its own', () => {
    expect(app.node.children.map((c) => c.node.id)).toContain('UpgradeEmulatorLab');
    expect(stack.controlPlane).toBeUndefined();
    for (const { name } of functionEnvironments(template)) expect(name).toMatch(/^upgrade-emu-lab-/);
  });

  it("has the sites' API with exactly the emulator's routes, and nothing of the control plane", () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
    expect(routeKeysOf(template)).toEqual([...new Set(mountRoutes(systemRouteTables.emulator).flatMap(routeKeys))].sort());
    const controlKeys = mountRoutes(systemRouteTables['control-plane']).filter((r) => r.group !== 'system').flatMap(routeKeys);
    expect(controlKeys.length).toBeGreaterThan(0);
    // `GET /` is the site root here; every other control route is absent.
    expect(routeKeysOf(template).filter((k) => controlKeys.includes(k))).toEqual(['GET /']);
    for (const type of ['AWS::StepFunctions::StateMachine', 'AWS::Scheduler::Schedule', 'AWS::Scheduler::ScheduleGroup', 'AWS::Cognito::UserPool']) template.resourceCountIs(type, 0);
    expect(stack.functions.every((f) => f.system === 'emulator' || f.system === 'platform')).toBe(true);
    expect(stack.functions.some((f) => f.permissions.applianceDriver || f.permissions.workflows)).toBe(false);
    const outputs = Object.keys(template.toJSON().Outputs);
    expect(outputs).toContain('SitesApiUrl');
    expect(outputs).not.toContain('ApiUrl');
  });

  it("holds the appliances' tables and buckets, and the runs table for operator tokens", () => {
    expect(Object.keys(stack.storage.tables).sort()).toEqual(['appliances', 'runs', 'sessions']);
    expect(Object.keys(stack.storage.buckets).sort()).toEqual(['backups', 'exports', 'packages']);
  });

  it('keeps cdk-nag clean', () => {
    expect(nagViolations(stack)).toEqual([]);
  });
});

describe('the control plane alone (-c systems=control-plane -c applianceBaseUrl=...)', () => {
  const { app, stack, template } = synthStage({ stage: 'ops', systems: 'control-plane', applianceBaseUrl: 'https://support.example.com/' });

  it("has the control API alone, the workflows and the scheduler, and no appliance's route", () => {
    expect(app.node.children.map((c) => c.node.id)).toContain('UpgradeControlPlaneOnlyOps');
    expect(stack.emulator).toBeUndefined();
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
    expect(routeKeysOf(template)).toEqual([...new Set(mountRoutes(systemRouteTables['control-plane']).flatMap(routeKeys))].sort());
    expect(routeKeysOf(template).some((k) => /^\w+ \/(api|oauth2|appliances|login)\b/.test(k))).toBe(false);
    expect(resourcesOfType(template, 'AWS::StepFunctions::StateMachine').length).toBeGreaterThan(0);
    expect(Object.keys(template.toJSON().Outputs)).toEqual(expect.arrayContaining(['ApiUrl', 'ConsoleUrl']));
  });

  it('holds only the runs table: no appliance table, no bucket', () => {
    expect(Object.keys(stack.storage.tables)).toEqual(['runs']);
    expect(Object.keys(stack.storage.buckets)).toEqual([]);
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
  });

  it('points the site driver at the fleet named by applianceBaseUrl', () => {
    const drivers = stack.functions.filter((f) => f.permissions.applianceDriver);
    expect(drivers.length).toBeGreaterThan(0);
    const withUrl = functionEnvironments(template).filter((f) => f.env.APPLIANCE_BASE_URL !== undefined);
    expect(withUrl).toHaveLength(drivers.length);
    for (const f of withUrl) expect(f.env.APPLIANCE_BASE_URL).toBe('https://support.example.com');
  });

  it('keeps cdk-nag clean', () => {
    expect(nagViolations(stack)).toEqual([]);
  });
});

describe('both systems in one stack (the default)', () => {
  const { stack } = synthStage({ stage: 'dev' });

  it("gives the control plane's functions no right on the emulator's tables, buckets or DNS: it reaches appliances over their sites", () => {
    const control = stack.functions.filter((f) => f.system === 'control-plane');
    expect(control.length).toBeGreaterThan(10);
    for (const f of control) {
      expect(Object.keys(f.permissions.tables ?? {}).filter((t) => t !== 'runs'), `${f.kind} ${f.name}`).toEqual([]);
      expect(f.permissions.buckets ?? {}, `${f.kind} ${f.name}`).toEqual({});
      expect(f.permissions.route53 ?? false, `${f.kind} ${f.name}`).toBe(false);
    }
  });

  it("sends the control plane's site driver to the emulator's API", () => {
    expect(stack.httpApis).toHaveLength(2);
    expect(stack.emulator!.http.url).not.toBe(stack.controlPlane!.http.url);
  });
});

describe('refusals', () => {
  it('names the systems when given another', () => {
    expect(() => synthStage({ stage: 'dev', systems: 'emulator,billing' })).toThrow(/invalid CDK context systems: systems must be some of emulator, control-plane/);
    expect(() => synthStage({ stage: 'dev', systems: '' })).toThrow(/systems must be some of/);
  });

  it('needs applianceBaseUrl for a control plane alone, and only then', () => {
    expect(() => synthStage({ stage: 'dev', systems: 'control-plane' })).toThrow(/needs applianceBaseUrl/);
    expect(() => synthStage({ stage: 'dev', systems: 'control-plane', applianceBaseUrl: 'http://support.example.com' })).toThrow(/applianceBaseUrl must be https/);
    expect(() => synthStage({ stage: 'dev', applianceBaseUrl: 'https://support.example.com' })).toThrow(/applianceBaseUrl is for a control plane without the emulator/);
  });

  it('refuses sign-in without the control plane and site domains without the emulator', () => {
    expect(() => synthStage({ stage: 'dev', systems: 'emulator', cognito: true })).toThrow(/operator sign-in .* does not deploy the control plane/);
    expect(() =>
      synthStage({ stage: 'dev', systems: 'control-plane', applianceBaseUrl: 'https://s.example.com', siteDomains: 'support.example.com=arn:aws:acm:eu-west-1:123456789012:certificate/x' }),
    ).toThrow(/siteDomains are custom domains of the emulator's API/);
  });
});
