/**
 * The assembly runner fails when the artifact is wrong, and says what is wrong: the synthesized template
 * (real esbuild bundles) is broken on purpose, one way per test, and run. A clean run of the same cheap
 * scenarios comes first, so every failure below is the edit's doing.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthesize, type CloudAssembly } from '../../tools/assembly/cloud-assembly.js';
import { runAssembly } from '../../tools/assembly/run-assembly.js';
import { SCENARIOS, type Scenario } from '../../tools/assembly/scenarios.js';
import type { Template } from '../../tools/assembly/template.js';
import { dropFunctionUrlPermissions, dropRoleAction, dropApiPermission, environmentOf, functionId, renameSubstitution, setSubstitution } from './template-edits.js';

let assembly: CloudAssembly;
beforeAll(async () => {
  assembly = await synthesize();
}, 240_000);
afterAll(() => assembly && rmSync(assembly.directory, { recursive: true, force: true }));

const scenario = (name: string) => SCENARIOS.find((s) => s.name === name)!;
/** GET /health only: no seeding, the cheapest call that crosses API Gateway, a function and all three services. */
const health: Scenario = {
  name: 'health-only',
  summary: 'GET /health',
  async run({ rt }) {
    const res = await fetch(`${rt.apiUrl}/health`);
    if (res.status !== 200) throw new Error(`GET /health answered ${res.status}: ${await res.text()} (${rt.accessLog.at(-1)?.error ?? ''})`);
    return {};
  },
};
/** A request to the streaming Function URL for an appliance that does not exist: the app itself must answer, in the vendor's XML. */
const functionUrl: Scenario = {
  name: 'function-url',
  summary: 'the streaming Function URL reaches the app',
  async run({ rt }) {
    const url = Object.entries(rt.deployment.outputs).find(([k]) => k.endsWith('StreamUrl'))![1];
    const res = await fetch(`${url}appliances/appliance-a/api/reporting?generate_report=SupportSessionListing`);
    const text = await res.text();
    if (res.status !== 404 && res.status !== 401) throw new Error(`the Function URL answered ${res.status}: ${text.slice(0, 200)}`);
    return { status: res.status, body: text };
  },
};
const run = (scenarios: Scenario[], mutate?: (t: Template) => void) => runAssembly({ assembly, scenarios, mutate });

describe('the assembly runner on a correct template', () => {
  it('runs the cheap scenarios with no failure: every call allowed, every variable set and read', async () => {
    const result = await run([health, functionUrl, scenario('ic-export')]);
    expect(result.scenarios.map((s) => [s.name, s.ok, s.error])).toEqual([
      ['health-only', true, undefined],
      ['function-url', true, undefined],
      ['ic-export', true, undefined],
    ]);
    expect(result.failures).toEqual([]);
    // The app answered through the URL: the streamed refusal is the vendor's XML error.
    expect(String(result.scenarios[1]!.facts!.body)).toMatch(/<error/);
  }, 180_000);
});

describe('a template broken on purpose fails the run, naming what is wrong', () => {
  it('one IAM action dropped: the function\'s call is denied, naming function, action and resource', async () => {
    const result = await run([scenario('ic-export')], (t) => expect(dropRoleAction(t, '-api-sessions', 's3:PutObject')).toBeGreaterThan(0));
    expect(result.scenarios[0]!.ok).toBe(false);
    expect(result.failures.find((f) => f.startsWith('IAM:'))).toMatch(/^IAM: upgrade-cp-assembly-api-sessions is not allowed s3:PutObject on arn:aws:s3:::[a-z0-9-]*exports[a-z0-9-]*\/integration-client\/appliance-a\/.*\/session\.sql \(PutObject; no statement allows it\)$/);
  }, 120_000);

  it('one environment variable renamed: the code reads one name, the template sets the other; both are named', async () => {
    const result = await run([scenario('ic-export')], (t) => {
      const env = environmentOf(t, '-api-sessions');
      env.EXPORT_BUCKET = env.EXPORTS_BUCKET;
      delete env.EXPORTS_BUCKET;
    });
    expect(result.scenarios[0]!.ok, JSON.stringify(result.failures)).toBe(false);
    const env = result.failures.find((f) => f.startsWith('environment: upgrade-cp-assembly-api-sessions:'));
    expect(env).toMatch(/: reads EXPORTS_BUCKET, which the template does not set; the template sets (\w+, )*EXPORT_BUCKET(, \w+)*, which its code never reads \(the template sets EXPORT_BUCKET where the code reads EXPORTS_BUCKET\)$/);
    // Without its variable the code falls back to the local default bucket, which its role does not cover.
    expect(result.failures.some((f) => /^IAM: upgrade-cp-assembly-api-sessions is not allowed s3:PutObject on arn:aws:s3:::upgrade-cp-exports\//.test(f))).toBe(true);
  }, 120_000);

  it('a substitution broken: the state machine\'s placeholder stays unresolved and the run refuses to start', async () => {
    let machine = '';
    const result = await run([health], (t) => (machine = renameSubstitution(t, 'CreateBackupFunctionArn', 'CreateBackupFnArn')));
    expect(machine).toMatch(/TakeBackup/);
    expect(result.scenarios).toHaveLength(1);
    expect(result.failures).toEqual([
      'scenario health-only: TemplateError: state machine upgrade-cp-assembly-take-backup (' +
        machine +
        '): its definition uses ${CreateBackupFunctionArn} but DefinitionSubstitutions defines no such key (unused keys: CreateBackupFnArn); CloudFormation would leave the placeholder as written and Step Functions would reject it',
    ]);
  }, 60_000);

  it('a substitution pointing at something that is not a function of the template is refused', async () => {
    const result = await run([health], (t) => setSubstitution(t, 'LoadRunFunctionArn', 'arn:aws:lambda:us-east-1:000000000000:function:not-deployed'));
    expect(result.failures[0]).toMatch(/TemplateError: state machine upgrade-cp-assembly-.*: Task resource arn:aws:lambda:us-east-1:000000000000:function:not-deployed is not a Lambda function of the template/);
  }, 60_000);

  it('four more breaks in one template (route permission, handler, Function URL grants, log rights): each is named', async () => {
    const probes: Scenario = {
      name: 'probes',
      summary: 'one request per break',
      async run({ rt }) {
        const url = Object.entries(rt.deployment.outputs).find(([k]) => k.endsWith('StreamUrl'))![1];
        const status = async (u: string, token?: string) => (await fetch(u, { headers: token ? { authorization: `Bearer ${token}` } : {} })).status;
        return {
          health: await status(`${rt.apiUrl}/health`),
          pairs: await status(`${rt.sitesUrl}/failover-pairs`),
          streamed: await status(`${url}appliances/appliance-a/api/reporting`),
          me: await status(`${rt.apiUrl}/v1/me`),
          log: rt.accessLog.map((e) => `${e.path} ${e.status} ${e.error ?? ''}`),
        };
      },
    };
    const result = await run([probes], (t) => {
      // The health probe is one function on both systems' APIs: one permission per API.
      expect(dropApiPermission(t, '-api-system')).toBe(2);
      t.Resources[functionId(t, '-api-failover')]!.Properties!.Handler = 'index.main';
      expect(dropFunctionUrlPermissions(t)).toBe(2);
      expect(dropRoleAction(t, '-api-control', 'logs:PutLogEvents')).toBe(1);
    });
    const facts = result.scenarios[0]!.facts!;
    expect(facts).toMatchObject({ health: 500, pairs: 500, streamed: 403, me: 401 });
    // API Gateway may not invoke the route's function.
    expect(result.failures).toContain('IAM: API Gateway (route GET /health) is not allowed lambda:InvokeFunction on arn:aws:lambda:us-east-1:000000000000:function:upgrade-cp-assembly-api-system (Invoke; no statement allows it)');
    // The handler string names an export the bundle does not have: the runtime's own error.
    expect(facts.log).toContain('/failover-pairs 500 Runtime.HandlerNotFound: index.main is undefined or not exported');
    // A public Function URL needs both grants; each missing one is named.
    expect(result.failures.filter((f) => f.startsWith('IAM: Function URL client'))).toEqual([
      'IAM: Function URL client is not allowed lambda:InvokeFunctionUrl on arn:aws:lambda:us-east-1:000000000000:function:upgrade-cp-assembly-api-sessions-stream (Invoke; no statement allows it)',
      'IAM: Function URL client is not allowed lambda:InvokeFunction on arn:aws:lambda:us-east-1:000000000000:function:upgrade-cp-assembly-api-sessions-stream (Invoke; no statement allows it)',
    ]);
    // Lambda still runs a function that may not write its logs (the 401 is the app's answer); the logs would be lost.
    expect(result.failures.some((f) => /^IAM: upgrade-cp-assembly-api-control is not allowed logs:PutLogEvents on arn:aws:logs:us-east-1:000000000000:log-group:\/aws\/lambda\/upgrade-cp-assembly-api-control:log-stream:/.test(f))).toBe(true);
  }, 120_000);
});
