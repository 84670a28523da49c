import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CloudAssembly } from '../../tools/assembly/cloud-assembly.js';
import { buildDeployment } from '../../tools/assembly/deployment.js';
import { checkEnvironment } from '../../tools/assembly/environment-check.js';
import { matchRoutePath, selectRoute } from '../../tools/assembly/http-front.js';
import type { EnvUsage } from '../../tools/assembly/lambda-service.js';
import { TemplateResolver, type Template } from '../../tools/assembly/template.js';

const ENV = { stackName: 'S', account: '000000000000', region: 'us-east-1', partition: 'aws', urlSuffix: 'amazonaws.com' };
const dir = mkdtempSync(join(tmpdir(), 'assembly-unit-'));
mkdirSync(join(dir, 'asset.abc'));
writeFileSync(join(dir, 'asset.abc', 'index.mjs'), 'export const handler = async () => 1;');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const fn = (extra: Record<string, unknown> = {}) => ({
  Type: 'AWS::Lambda::Function',
  Properties: { FunctionName: 'f', Handler: 'index.handler', Runtime: 'nodejs22.x', Role: { 'Fn::GetAtt': ['Role', 'Arn'] }, Code: { S3Bucket: 'b', S3Key: 'abc.zip' }, ...extra },
});
const template = (resources: Template['Resources'], rest: Partial<Template> = {}): Template => ({
  Resources: { Role: { Type: 'AWS::IAM::Role', Properties: { AssumeRolePolicyDocument: { Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] } } }, Fn: fn(), ...resources },
  ...rest,
});
const assembly = (t: Template): CloudAssembly => ({ directory: dir, stackName: 'S', template: t, fileAssets: new Map([['abc', join(dir, 'asset.abc')]]) });

describe('template resolution (tools/assembly/template.ts)', () => {
  const t = template(
    {
      Table: { Type: 'AWS::DynamoDB::Table', Properties: { TableName: 'given-name' } },
      Bucket: { Type: 'AWS::S3::Bucket' },
      Machine: { Type: 'AWS::StepFunctions::StateMachine', Properties: { StateMachineName: 'sm' } },
      Maybe: { Type: 'AWS::S3::Bucket', Condition: 'IsProd' },
    },
    { Conditions: { IsProd: { 'Fn::Equals': ['dev', 'prod'] } }, Parameters: { Stage: { Type: 'String', Default: 'dev' } } },
  );
  const r = new TemplateResolver(t, ENV);

  it('resolves Ref (names, ARNs for state machines, parameters, pseudo parameters) and GetAtt', () => {
    expect(r.resolve({ Ref: 'Table' }, 'x')).toBe('given-name');
    expect(r.resolve({ Ref: 'Machine' }, 'x')).toBe('arn:aws:states:us-east-1:000000000000:stateMachine:sm');
    expect(r.resolve({ 'Fn::GetAtt': ['Table', 'Arn'] }, 'x')).toBe('arn:aws:dynamodb:us-east-1:000000000000:table/given-name');
    expect(r.resolve({ Ref: 'Stage' }, 'x')).toBe('dev');
    expect(r.resolve({ Ref: 'AWS::Region' }, 'x')).toBe('us-east-1');
    // A bucket without a name gets a deterministic, lowercase CloudFormation-style one.
    const name = r.resolveString({ Ref: 'Bucket' }, 'x');
    expect(name).toMatch(/^s-bucket-[a-z0-9]{12}$/);
    expect(new TemplateResolver(t, ENV).resolveString({ Ref: 'Bucket' }, 'x')).toBe(name);
  });

  it('resolves Fn::Sub (both forms, ${!literal}), Join, Select, Split, If and conditions', () => {
    expect(r.resolve({ 'Fn::Sub': 'arn:${AWS::Partition}:s3:::${Bucket}/${Table.Arn}-${!Keep}' }, 'x')).toBe(`arn:aws:s3:::${r.resolve({ Ref: 'Bucket' }, 'x')}/arn:aws:dynamodb:us-east-1:000000000000:table/given-name-\${Keep}`);
    expect(r.resolve({ 'Fn::Sub': ['${A}-${B}', { A: 'a', B: { Ref: 'Stage' } }] }, 'x')).toBe('a-dev');
    expect(r.resolve({ 'Fn::Join': ['/', ['a', { Ref: 'Stage' }]] }, 'x')).toBe('a/dev');
    expect(r.resolve({ 'Fn::Select': [1, { 'Fn::Split': [',', 'a,b,c'] }] }, 'x')).toBe('b');
    expect(r.resolve({ 'Fn::If': ['IsProd', 'p', 'd'] }, 'x')).toBe('d');
    expect(r.resource('Maybe', 'x').Condition).toBe('IsProd');
    expect(r.resourcesOfType('AWS::S3::Bucket').map(([id]) => id)).toEqual(['Bucket']);
    expect(r.resolve({ a: { Ref: 'AWS::NoValue' }, b: 1 }, 'x')).toEqual({ b: 1 });
  });

  it('fails on what CloudFormation would refuse, naming the property and the reference', () => {
    expect(() => r.resolve({ Ref: 'Nope' }, 'Fn.Environment.X')).toThrow('Fn.Environment.X: references "Nope", which is not a resource of the template');
    expect(() => r.resolve({ 'Fn::GetAtt': ['Table', 'Bogus'] }, 'y')).toThrow(/Fn::GetAtt Table.Bogus/);
    expect(() => r.resolve({ 'Fn::ImportValue': 'x' }, 'z')).toThrow(/ImportValue/);
  });
});

describe('deployment from a template (tools/assembly/deployment.ts)', () => {
  it('reads functions with their asset, role, environment and log group; permissions as resource policies', () => {
    const d = buildDeployment(
      assembly(
        template({
          Fn: fn({ Environment: { Variables: { TABLE: { Ref: 'T' } } }, LoggingConfig: { LogGroup: '/custom/f' }, TracingConfig: { Mode: 'Active' } }),
          T: { Type: 'AWS::DynamoDB::Table', Properties: { TableName: 'tbl' } },
          Perm: { Type: 'AWS::Lambda::Permission', Properties: { FunctionName: { 'Fn::GetAtt': ['Fn', 'Arn'] }, Action: 'lambda:InvokeFunction', Principal: 'apigateway.amazonaws.com', SourceArn: 'arn:aws:execute-api:us-east-1:000000000000:api/*/*/x' } },
        }),
      ),
      ENV,
    );
    expect(d.functions).toHaveLength(1);
    expect(d.functions[0]).toMatchObject({ name: 'f', environment: { TABLE: 'tbl' }, logGroupName: '/custom/f', tracing: true, codeDirectory: join(dir, 'asset.abc') });
    const [statement] = d.functionPolicies.get('arn:aws:lambda:us-east-1:000000000000:function:f')!;
    expect(statement!.statement).toMatchObject({ Principal: { Service: 'apigateway.amazonaws.com' }, Condition: { ArnLike: { 'aws:SourceArn': 'arn:aws:execute-api:us-east-1:000000000000:api/*/*/x' } } });
  });

  it('refuses code that is not an asset of the assembly', () => {
    expect(() => buildDeployment(assembly(template({ Fn: fn({ Code: { S3Bucket: 'b', S3Key: 'missing.zip' } }) })), ENV)).toThrow(/Fn: code missing.zip is not an asset/);
  });

  it('applies DefinitionSubstitutions as CloudFormation does and keeps what they leave unresolved', () => {
    const d = buildDeployment(
      assembly(
        template({
          SM: {
            Type: 'AWS::StepFunctions::StateMachine',
            Properties: {
              StateMachineName: 'sm',
              RoleArn: 'arn:aws:iam::000000000000:role/x',
              DefinitionString: '{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"${AFunctionArn}","Next":"B"},"B":{"Type":"Task","Resource":"${BFunctionArn}","End":true}}}',
              DefinitionSubstitutions: { AFunctionArn: { 'Fn::GetAtt': ['Fn', 'Arn'] }, Typo: 'x' },
            },
          },
        }),
      ),
      ENV,
    );
    const sm = d.stateMachines[0]!;
    expect(sm.definition).toContain('"Resource":"arn:aws:lambda:us-east-1:000000000000:function:f"');
    expect(sm.unresolved).toEqual(['BFunctionArn']);
    expect(sm.unusedSubstitutions).toEqual(['Typo']);
  });
});

describe('HTTP API route selection (tools/assembly/http-front.ts)', () => {
  const route = (routeKey: string) => {
    const [method, path] = routeKey === '$default' ? [undefined, undefined] : routeKey.split(' ');
    return { logicalId: routeKey, apiLogicalId: 'A', routeKey, method, path, functionArn: routeKey, payloadFormatVersion: '2.0' };
  };
  const routes = ['GET /appliances/{applianceId}', 'GET /appliances/{applianceId}/api/reporting', 'GET /appliances/{proxy+}', 'ANY /appliances/x', 'GET /appliances/x', 'GET /health'].map(route);

  it('prefers literal segments over variables over greedy, and a method over ANY', () => {
    expect(selectRoute(routes, 'GET', '/appliances/a1')?.route.routeKey).toBe('GET /appliances/{applianceId}');
    expect(selectRoute(routes, 'GET', '/appliances/x')?.route.routeKey).toBe('GET /appliances/x');
    expect(selectRoute(routes, 'POST', '/appliances/x')?.route.routeKey).toBe('ANY /appliances/x');
    expect(selectRoute(routes, 'GET', '/appliances/a1/api/reporting')?.route.routeKey).toBe('GET /appliances/{applianceId}/api/reporting');
    expect(selectRoute(routes, 'GET', '/appliances/a1/login/failover')?.route.routeKey).toBe('GET /appliances/{proxy+}');
    expect(selectRoute(routes, 'DELETE', '/health')).toBeUndefined();
    expect(selectRoute([...routes, route('$default')], 'DELETE', '/health')?.route.routeKey).toBe('$default');
  });

  it('extracts path parameters, decoded', () => {
    expect(matchRoutePath('/primary-hostnames/{hostname}', '/primary-hostnames/support.example.com')).toEqual({ hostname: 'support.example.com' });
    expect(matchRoutePath('/a/{proxy+}', '/a/b%20c/d')).toEqual({ proxy: 'b c/d' });
    expect(matchRoutePath('/a/{id}', '/a/b/c')).toBeUndefined();
  });
});

describe('environment checked by use (tools/assembly/environment-check.ts)', () => {
  const spec = (name: string, environment: Record<string, string>) => ({ ...buildDeployment(assembly(template({})), ENV).functions[0]!, name, environment });
  const usage = (reads: Record<string, string[]>, enumerations: string[] = []): EnvUsage => ({ reads: new Map(Object.entries(reads).map(([k, v]) => [k, new Set(v)])), enumerations: new Set(enumerations), invocations: 1 });

  it('names both sides of a rename: read but not set, set but never read', () => {
    const report = checkEnvironment([spec('fn-a', { ROUTE53_ZONE_ID: 'Z1', NODE_OPTIONS: '--enable-source-maps', TABLE: 't' })], new Map([['fn-a', usage({ ROUTE53_HOSTED_ZONE_IDX: ['code'], TABLE: ['code'], AWS_REGION: ['code', 'sdk'] })]]), new Set(['AWS_REGION']));
    expect(report.findings).toHaveLength(1);
    expect(report.findings[0]).toMatchObject({ readNotSet: ['ROUTE53_HOSTED_ZONE_IDX'], setNotRead: ['ROUTE53_ZONE_ID'] });
    expect(report.findings[0]!.message).toContain('reads ROUTE53_HOSTED_ZONE_IDX, which the template does not set; the template sets ROUTE53_ZONE_ID, which its code never reads');
  });

  it('counts only reads by the function\'s own code; optional variables and runtime variables pass with their reason', () => {
    const report = checkEnvironment([spec('fn-b', { TABLE: 't' })], new Map([['fn-b', usage({ TABLE: ['code'], DYNAMODB_ENDPOINT: ['code'], AWS_ENDPOINT_URL: ['sdk'], _X_AMZN_TRACE_ID: ['sdk', 'code'] })]]), new Set());
    expect(report.findings).toEqual([]);
    expect(report.optionalReads.map((o) => o.variable)).toEqual(['DYNAMODB_ENDPOINT']);
  });

  it('does not fail a variable whose reader is awaited, and says when that reader has arrived', () => {
    const report = checkEnvironment([spec('early', { POWERTOOLS_SERVICE_NAME: 's' }), spec('late', { POWERTOOLS_SERVICE_NAME: 's' })], new Map([['early', usage({})], ['late', usage({ POWERTOOLS_SERVICE_NAME: ['code'] })]]), new Set(), { POWERTOOLS_SERVICE_NAME: 'a reader on its way (test)' });
    expect(report.findings).toEqual([]);
    expect(report.awaited).toEqual([{ variable: 'POWERTOOLS_SERVICE_NAME', readBy: ['late'], unreadBy: ['early'] }]);
  });

  it('reports functions no scenario invoked, and weakens the unread check for code that enumerates process.env', () => {
    const report = checkEnvironment([spec('idle', { X: '1' }), spec('spread', { Y: '1' })], new Map([['spread', usage({}, ['code'])]]), new Set());
    expect(report.notExercised).toEqual(['idle']);
    expect(report.enumerated).toEqual(['spread']);
    expect(report.findings).toEqual([]);
  });
});
