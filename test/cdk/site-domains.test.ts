/** Site routes on AWS: the root paths are HTTP API routes; per-site custom domains only when context asks. */
import { App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { stageConfig } from '../../cdk/stage.js';
import type { IConstruct } from 'constructs';
import { logicalId, resourcesOfType, synthStage } from './synth.js';

const CERT = 'arn:aws:acm:eu-west-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';

describe("site routes on the emulator's HTTP API", () => {
  const { stack, template } = synthStage({ stage: 'dev' });
  const onApi = (api: IConstruct) => resourcesOfType(template, 'AWS::ApiGatewayV2::Route').filter(([, r]) => JSON.stringify(r.Properties!.ApiId) === JSON.stringify({ Ref: logicalId(api) }));
  const keys = onApi(stack.emulator!.http.api).map(([, r]) => r.Properties!.RouteKey as string);

  it('has the site root paths and their .ns aliases beside /appliances/{applianceId}/...', () => {
    for (const key of ['GET /api/command', 'POST /api/command', 'GET /api/command.ns', 'GET /api/reporting.ns', 'POST /api/backup.ns', 'GET /api/command.xsd', 'POST /oauth2/token', 'GET /login', 'GET /check_health', 'GET /appliance/updates', 'GET /login/software-management/backups/{backupId}']) {
      expect(keys).toContain(key);
    }
    expect(keys).toContain('GET /appliances/{applianceId}/api/command.ns');
    expect(keys.filter((k) => k === 'GET /')).toHaveLength(1);
  });

  it('leaves the control API without site paths (its `GET /` is the console)', () => {
    const control = onApi(stack.controlPlane!.http.api).map(([, r]) => r.Properties!.RouteKey as string);
    expect(control).toContain('GET /');
    expect(control.filter((k) => /^\w+ \/(api|oauth2|login|appliances)\b/.test(k))).toEqual([]);
  });

  it('creates no custom domain unless context lists them', () => {
    expect(resourcesOfType(template, 'AWS::ApiGatewayV2::DomainName')).toHaveLength(0);
  });
});

describe('context siteDomains', () => {
  const { stack, template } = synthStage({ stage: 'dev', siteDomains: `support.example.com=${CERT}, a.support.example.com=${CERT}` });

  it('maps one regional custom domain per site hostname to the API, TLS 1.2, with the given certificate', () => {
    const domains = resourcesOfType(template, 'AWS::ApiGatewayV2::DomainName').map(([, d]) => d.Properties!);
    expect(domains.map((d) => d.DomainName).sort()).toEqual(['a.support.example.com', 'support.example.com']);
    for (const d of domains) expect(d.DomainNameConfigurations).toEqual([expect.objectContaining({ CertificateArn: CERT, SecurityPolicy: 'TLS_1_2', EndpointType: 'REGIONAL' })]);
    const mappings = resourcesOfType(template, 'AWS::ApiGatewayV2::ApiMapping');
    expect(mappings).toHaveLength(2);
    for (const [, m] of mappings) expect(m.Properties!.ApiId).toEqual({ Ref: logicalId(stack.emulator!.http.api) });
    expect(Object.keys(template.toJSON().Outputs).filter((o) => o.includes('SiteDomain'))).toHaveLength(2);
  });

  it('keeps cdk-nag clean', () => {
    const report = new AwsSolutionsChecks().validateScope(stack);
    expect(report.violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
  });

  it('refuses a malformed list with one clear line', () => {
    const config = (siteDomains: unknown) => stageConfig(new App({ context: { stage: 'dev', siteDomains } }).node);
    expect(() => config('support.example.com')).toThrow(/invalid CDK context siteDomains: expected hostname=acm-certificate-arn/);
    expect(() => config('bad_host=' + CERT)).toThrow(/siteDomains/);
    expect(() => config('support.example.com=arn:aws:iam::1:role/x')).toThrow(/siteDomains/);
    expect(config({ 'Support.Example.com': CERT }).siteDomains).toEqual([{ hostname: 'support.example.com', certificateArn: CERT }]);
    expect(config(undefined).siteDomains).toEqual([]);
  });
});
