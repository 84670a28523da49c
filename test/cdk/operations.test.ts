/**
 * The stack's operational parts: alarms on the control plane's own metrics (EMF namespace, service
 * dimension the functions are given), the 5xx rate, operator sign-in (Cognito pool with the role groups,
 * or an external issuer) wired into every API function, and the console URL output.
 */
import { describe, expect, it } from 'vitest';
import { ROLES } from '../../functions/platform/app/operator-identity.js';
import { METRICS_NAMESPACE } from '../../functions/platform/observability/metrics.js';
import { resourcesOfType, synthStage } from './synth.js';

const prod = synthStage({ stage: 'prod', cognito: true, installOverrunAlarmMinutes: 10, api5xxRatePercent: 2 });
const alarms = resourcesOfType(prod.template, 'AWS::CloudWatch::Alarm').map(([, r]) => r.Properties!);
const functions = resourcesOfType(prod.template, 'AWS::Lambda::Function').map(([, r]) => r.Properties!);
// API functions are named <prefix>-api-<group>[-stream] (cdk/constructs/http-api.ts).
const isApi = (f: { FunctionName?: unknown }) => /-api-[a-z-]+$/.test(String(f.FunctionName));
const apiFunctions = functions.filter(isApi);

describe('alarms on the control plane metrics', () => {
  const own = (name: string) => alarms.find((a) => a.Namespace === METRICS_NAMESPACE && a.MetricName === name);

  it('every function publishes EMF under the namespace and service dimension the alarms select on', () => {
    for (const f of functions) expect(f.Environment.Variables).toMatchObject({ POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE, METRICS_SERVICE_NAME: 'upgrade-cp-prod' });
  });

  it('alarms on any window failure and on any lost session', () => {
    for (const name of ['WindowsFailed', 'SessionsLost']) {
      expect(own(name), name).toMatchObject({ Statistic: 'Sum', Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', Period: 300, Dimensions: [{ Name: 'service', Value: 'upgrade-cp-prod' }] });
    }
  });

  it('alarms when an install runs past its estimate by more than the configured minutes', () => {
    expect(own('InstallOverEstimateMinutes')).toMatchObject({ Statistic: 'Maximum', Threshold: 10, ComparisonOperator: 'GreaterThanThreshold' });
  });

  it('alarms on the 5xx rate (5xx / requests of the HTTP API) beside the 5xx count', () => {
    const rate = alarms.find((a) => Array.isArray(a.Metrics) && a.Metrics.some((m: { Expression?: string }) => m.Expression?.includes('100 * errors / requests')));
    expect(rate).toMatchObject({ Threshold: 2, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
    const names = (rate!.Metrics as { MetricStat?: { Metric: { MetricName: string; Namespace: string } } }[]).flatMap((m) => (m.MetricStat ? [m.MetricStat.Metric.MetricName] : [])).sort();
    expect(names).toEqual(['5xx', 'Count']);
  });
});

describe('operator sign-in', () => {
  it('creates a Cognito user pool (no self sign-up, MFA, strong passwords) with one group per role', () => {
    const [, pool] = resourcesOfType(prod.template, 'AWS::Cognito::UserPool')[0]!;
    expect(pool.Properties).toMatchObject({ AdminCreateUserConfig: { AllowAdminCreateUserOnly: true }, MfaConfiguration: 'ON', Policies: { PasswordPolicy: { MinimumLength: 12, RequireSymbols: true } } });
    const groups = resourcesOfType(prod.template, 'AWS::Cognito::UserPoolGroup').map(([, g]) => g.Properties!.GroupName).sort();
    expect(groups).toEqual([...ROLES].sort());
  });

  it('has a public console client using the authorization code flow back to the console URL', () => {
    const [, client] = resourcesOfType(prod.template, 'AWS::Cognito::UserPoolClient')[0]!;
    expect(client.Properties).toMatchObject({ GenerateSecret: false, AllowedOAuthFlows: ['code'], AllowedOAuthFlowsUserPoolClient: true });
    expect(JSON.stringify(client.Properties!.CallbackURLs)).toMatch(/"Fn::GetAtt":\["ControlPlaneHttp\w+","ApiEndpoint"\]},"\/"/);
    expect(JSON.stringify(client.Properties!.CallbackURLs)).toBe(JSON.stringify(prod.template.toJSON().Outputs.ConsoleUrl.Value).replace(/^/, '[').replace(/$/, ']'));
    expect(prod.template.toJSON().Outputs.ConsoleUrl).toBeDefined();
  });

  it('gives every API function the issuer, audience, JWKS, Cognito groups claim and endpoints', () => {
    expect(apiFunctions.length).toBeGreaterThan(0);
    for (const f of apiFunctions) {
      const v = f.Environment.Variables;
      expect(Object.keys(v)).toEqual(expect.arrayContaining(['OIDC_ISSUER', 'OIDC_AUDIENCE', 'OIDC_JWKS_URL', 'OIDC_AUTHORIZATION_ENDPOINT', 'OIDC_TOKEN_ENDPOINT']));
      expect(v.OIDC_ROLES_CLAIM).toBe('cognito:groups');
    }
    // Tasks and the scheduler never authenticate operators.
    for (const f of functions.filter((x) => !isApi(x))) expect(f.Environment.Variables.OIDC_ISSUER).toBeUndefined();
  });

  it('takes an external issuer from context instead (no user pool)', () => {
    const ext = synthStage({ stage: 'ext', oidcIssuer: 'https://login.example.com/realms/ops', oidcAudience: 'upgrade-api', oidcClientId: 'upgrade-console', oidcRolesClaim: 'realm_access.roles', oidcRoleMap: '{"sre":["operator"]}' });
    expect(resourcesOfType(ext.template, 'AWS::Cognito::UserPool')).toEqual([]);
    const api = resourcesOfType(ext.template, 'AWS::Lambda::Function').map(([, r]) => r.Properties!).filter(isApi);
    for (const f of api) {
      expect(f.Environment.Variables).toMatchObject({ OIDC_ISSUER: 'https://login.example.com/realms/ops', OIDC_AUDIENCE: 'upgrade-api', OIDC_CLIENT_ID: 'upgrade-console', OIDC_ROLES_CLAIM: 'realm_access.roles', OIDC_ROLE_MAP: '{"sre":["operator"]}' });
    }
  });

  it('without sign-in context: no pool and no OIDC settings (operator tokens only)', () => {
    const dev = synthStage({ stage: 'dev' });
    expect(resourcesOfType(dev.template, 'AWS::Cognito::UserPool')).toEqual([]);
    for (const [, f] of resourcesOfType(dev.template, 'AWS::Lambda::Function')) expect(f.Properties!.Environment.Variables.OIDC_ISSUER).toBeUndefined();
  });

  it('refuses contradictory or incomplete sign-in context', () => {
    expect(() => synthStage({ stage: 'bad', cognito: true, oidcIssuer: 'https://x.example.com', oidcAudience: 'a' })).toThrow(/either cognito=true or oidcIssuer/);
    expect(() => synthStage({ stage: 'bad', oidcIssuer: 'https://x.example.com' })).toThrow(/go together/);
    expect(() => synthStage({ stage: 'bad', oidcIssuer: 'http://x.example.com', oidcAudience: 'a' })).toThrow(/https/);
    expect(() => synthStage({ stage: 'bad', oidcIssuer: 'https://x.example.com', oidcAudience: 'a', oidcRoleMap: '[1]' })).toThrow(/JSON object/);
  });
});
