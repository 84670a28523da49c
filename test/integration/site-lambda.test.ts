/**
 * Host-based site routing on AWS: the real Lambda entries of the `sessions` and `control` groups invoked
 * with API Gateway HTTP API (payload 2.0) events, against the emulators. A custom domain arrives as the
 * Host header and `requestContext.domainName`; the execute-api name names no site.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppliance } from '../../functions/emulator/app/appliance-store.js';
import { switchPrimaryHostname } from '../../functions/emulator/app/primary-hostname.js';
import { sampleAppliance } from '../helpers/fixtures.js';
import { startTestRuntime, type TestRuntime } from '../helpers/runtime.js';

type Handler = (event: object, context: object) => Promise<{ statusCode: number; headers?: Record<string, string>; body: string }>;
let rt: TestRuntime;
let sessions: Handler;
let control: Handler;
let appliance: Handler;
let savedEnv: NodeJS.ProcessEnv;
const EXECUTE_API = 'a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com';

const event = (domain: string, method: string, rawPath: string, rawQueryString = '') => ({
  version: '2.0',
  routeKey: `${method} ${rawPath}`,
  rawPath,
  rawQueryString,
  headers: { host: domain, 'x-forwarded-proto': 'https' },
  requestContext: { domainName: domain, domainPrefix: domain.split('.')[0], http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '198.51.100.7', userAgent: 'test' }, requestId: 'r1', stage: '$default' },
  isBase64Encoded: false,
});

beforeAll(async () => {
  rt = await startTestRuntime();
  await createAppliance(rt.services, sampleAppliance('aws-a', { hostname: 'a.aws.example.com', productVersion: '10.5.2' }));
  await createAppliance(rt.services, sampleAppliance('aws-b', { hostname: 'b.aws.example.com', productVersion: '11.1.1' }));
  await switchPrimaryHostname(rt.services, 'support.aws.example.com', 'aws-a');
  savedEnv = { ...process.env };
  Object.assign(process.env, { DYNAMODB_ENDPOINT: rt.endpoints.dynamodb, S3_ENDPOINT: rt.endpoints.s3, SFN_ENDPOINT: rt.endpoints.sfn });
  sessions = ((await import('../../functions/emulator/api/entries/sessions.js')) as unknown as { handler: Handler }).handler;
  control = ((await import('../../functions/control-plane/api/entries/control.js')) as unknown as { handler: Handler }).handler;
  appliance = ((await import('../../functions/emulator/api/entries/appliance.js')) as unknown as { handler: Handler }).handler;
}, 60_000);
afterAll(async () => {
  process.env = savedEnv;
  await rt?.dispose();
});

describe('site routes behind API Gateway (host-based routing in the function)', () => {
  it('serves each site at its custom domain, by the Host API Gateway passes', async () => {
    const a = await sessions(event('a.aws.example.com', 'GET', '/api/command.xsd'), {});
    const b = await sessions(event('b.aws.example.com', 'GET', '/api/command.xsd'), {});
    expect([a.statusCode, b.statusCode]).toEqual([200, 200]);
    expect(a.body).not.toContain('targetNamespace');
    expect(b.body).toContain('targetNamespace="http://www.networkstreaming.com/namespaces/API"');
  });

  it('follows the primary hostname record per request', async () => {
    const before = await sessions(event('support.aws.example.com', 'GET', '/api/reporting.xsd'), {});
    expect(before.body).not.toContain('targetNamespace');
    await switchPrimaryHostname(rt.services, 'support.aws.example.com', 'aws-b');
    const after = await sessions(event('support.aws.example.com', 'GET', '/api/reporting.xsd'), {});
    expect(after.body).toContain('targetNamespace="http://www.networkstreaming.com/namespaces/API"');
  });

  it('answers a site path on the execute-api domain with the XML error naming the sites', async () => {
    const res = await sessions(event(EXECUTE_API, 'GET', '/api/command', 'action=get_api_info'), {});
    expect(res.statusCode).toBe(404);
    expect(res.body).toContain('UnknownSite');
    expect(res.body).toContain('a.aws.example.com');
    // the control plane's addressing still works there
    const byPath = await sessions(event(EXECUTE_API, 'GET', '/appliances/aws-a/api/command.xsd'), {});
    expect(byPath.statusCode).toBe(200);
  });

  it("serves GET / on the sites' API as the public site of the host, and names the sites on a host that is none", async () => {
    const site = await appliance(event('a.aws.example.com', 'GET', '/'), {});
    const noSite = await appliance(event(EXECUTE_API, 'GET', '/'), {});
    expect(site.statusCode).toBe(200);
    expect(site.body).toContain('<h1>a.aws.example.com</h1>');
    expect(noSite.statusCode).toBe(404);
    expect(noSite.body).toContain('a.aws.example.com');
    expect(noSite.headers?.['content-type'] ?? '').toContain('text/html');
  });

  it("serves GET / on the control API as the console, whatever the host (the control plane knows no sites)", async () => {
    for (const host of [EXECUTE_API, 'a.aws.example.com']) {
      const consolePage = await control(event(host, 'GET', '/'), {});
      expect(consolePage.statusCode).toBe(200);
      expect(consolePage.body).not.toContain('<h1>a.aws.example.com</h1>');
      expect(consolePage.headers?.['content-type'] ?? '').toContain('text/html');
    }
  });
});
