/**
 * Walks the route table: every route that is not deliberately public rejects a request without a
 * credential, and state-changing operator routes reject a viewer. Secrets never reach the logs, and
 * path-traversal attempts in ids that become object keys are refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiAccount, issueToken } from '../../functions/emulator/app/api-accounts.js';
import { createAppliance } from '../../functions/emulator/app/appliance-store.js';
import { issueOperatorToken } from '../../functions/control-plane/app/operator-tokens.js';
import { requiredRole } from '../../functions/platform/api/auth/operator-auth.js';
import { routes as declared } from '../../functions/local/routes.js';
import { mountRoutes, type MountedRoute } from '../../functions/platform/api/site-mounts.js';
import { sampleAppliance } from '../helpers/fixtures.js';
import { rawFetch, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';
import { findSecrets, mark, noteSecret, recordsSince } from '../helpers/log-capture.js';
import { siteRequest } from '../helpers/site-client.js';

/** Every concrete route: site routes once under /appliances/:applianceId and once at the site root. */
const routes = mountRoutes(declared);
const SITE_HOST = 'sec-1.example.com';

/** Public on purpose, each with the reason. A new public route must be added here knowingly. */
const PUBLIC: Record<string, string> = {
  'GET /health': 'load balancer / operator health probe, exposes component status only',
  'GET /v1/openapi.json': 'API description, no data',
  'GET /': 'console shell; every API call it makes carries the operator token',
  'GET /console/console.js': 'console asset',
  'GET /console/console.css': 'console asset',
  'GET /console/sign-in.js': 'console asset (OIDC sign-in flow)',
  'GET /console/clock.js': 'console asset (time format shared with the CLI)',
  'GET /v1/auth/config': 'tells the console which identity provider to sign in with: issuer, public client id, endpoints (no secret)',
  'GET /metrics': 'Prometheus scrape of the local runtime (counts only, no ids or secrets); on AWS it answers 404 (metrics are in CloudWatch)',
  'GET /appliances/:applianceId/api/reporting.xsd': 'the vendor serves its schemas publicly',
  'GET /appliances/:applianceId/api/command.xsd': 'the vendor serves its schemas publicly',
  'POST /appliances/:applianceId/oauth2/token': 'authenticates with client id/secret (Basic) itself',
  'GET /appliances/:applianceId/login': 'site landing page: answers 503 + Retry-After while installing',
  'GET /appliances/:applianceId/check_health': 'the vendor\'s unauthenticated health probe: 200/500 and a short text, no data',
  'site root GET /api/reporting.xsd': 'the vendor serves its schemas publicly',
  'site root GET /api/command.xsd': 'the vendor serves its schemas publicly',
  'site root POST /oauth2/token': 'authenticates with client id/secret (Basic) itself',
  'site root GET /login': 'site landing page: answers 503 + Retry-After while installing',
  'site root GET /check_health': 'the vendor\'s unauthenticated health probe: 200/500 and a short text, no data',
  'site root GET /': 'the public site: a page for customers, no data',
  'POST /appliances/:applianceId/staff-consoles/:consoleId/start': "the representative logs in with the console owner's site-user password, checked in the handler (test/integration/site-command.test.ts)",
  'GET /appliances/:applianceId/api/start_session': 'the customer asks for a session (the vendor\'s public session request): creates a waiting session, no data beyond its own ids',
  'POST /appliances/:applianceId/api/start_session': 'the customer asks for a session (form parameters), as above',
  'POST /appliances/:applianceId/customer/end': 'the customer client ends its own session: checked against the session\'s customer token in the handler (test/integration/live-sessions.test.ts)',
  'site root GET /api/start_session': 'the customer asks for a session (the vendor\'s public session request): creates a waiting session, no data beyond its own ids',
  'site root POST /api/start_session': 'the customer asks for a session (form parameters), as above',
  'site root POST /customer/end': 'the customer client ends its own session: checked against the session\'s customer token in the handler (test/integration/live-sessions.test.ts)',
};

const key = (r: MountedRoute) => `${r.mount === 'site-root' ? 'site root ' : ''}${r.method} ${r.path}`;

/** A request as an outside client sends it: site-root routes are addressed to the site by Host. */
async function send(route: MountedRoute, headers: Record<string, string>, body?: string) {
  if (route.mount !== 'site-root') return (await rawFetch(`${rt.url}${concrete(route.path)}`, { method: route.method, headers, body })).status;
  return (await siteRequest(`${rt.url}${concrete(route.path)}`, { method: route.method, host: SITE_HOST, headers, body })).status;
}
const concrete = (path: string) => path.replace(/:(\w+)/g, (_, name: string) => (name === 'applianceId' ? 'sec-1' : `x-${name}`));

let rt: TestRuntime;
let viewerToken: string;
beforeAll(async () => {
  rt = await startTestRuntime();
  await createAppliance(rt.services, sampleAppliance('sec-1', { productVersion: '11.1.1', hostname: SITE_HOST }));
  viewerToken = (await issueOperatorToken(rt.services, { operatorId: 'sec-viewer', displayName: 'Security viewer', roles: ['viewer'] })).token;
});
afterAll(() => rt?.dispose());

describe('route table security', () => {
  it('every public route is on the reviewed list', () => {
    const publicRoutes = routes.filter((r) => r.auth === 'public').map(key).sort();
    expect(publicRoutes).toEqual(Object.keys(PUBLIC).sort());
  });

  it.each(routes.filter((r) => r.auth !== 'public').map((r) => [key(r), r] as const))('%s refuses a request without a credential', async (_, route) => {
    const status = await send(route, route.method === 'GET' ? {} : { 'content-type': 'application/json' }, route.method === 'GET' ? undefined : '{}');
    expect(status).toBe(401);
  });

  it.each(routes.filter((r) => (r.auth === 'operator' || r.auth === 'appliance-admin') && requiredRole(r) !== 'viewer').map((r) => [key(r), r] as const))(
    '%s refuses a viewer token',
    async (_, route) => {
      const status = await send(route, { authorization: `Bearer ${viewerToken}`, 'content-type': 'application/json' }, route.method === 'GET' ? undefined : '{}');
      expect(status).toBe(403);
    },
  );
});

describe('secrets and keys', () => {
  it('never writes client secrets, bearer tokens, passwords or operator tokens to the logs', async () => {
    const from = mark();
    const account = await createApiAccount(rt.services, 'sec-1', { name: 'log-check', permissions: { reporting: true, command: 'full', backup: true } });
    const { access_token } = await issueToken(rt.services, 'sec-1', account, 'client_credentials', 'test');
    noteSecret(account.clientSecret);
    noteSecret(access_token);
    await rawFetch(`${rt.url}/appliances/sec-1/api/command?action=get_api_info`, { headers: { authorization: `Bearer ${access_token}` } });
    await rawFetch(`${rt.url}/appliances/sec-1/api/command?action=nope&secret=${account.clientSecret}&password=hunter2-Secret9`, { headers: { authorization: `Bearer ${access_token}` } });
    await rawFetch(`${rt.url}/appliances/sec-1/api/reporting?generate_report=SupportSession&username=admin&password=hunter2-Secret9&access_token=${access_token}`);
    // The same at the site root (Host header), where the vendor's clients send their credentials.
    await siteRequest(`${rt.url}/api/command?action=get_api_info&username=admin&password=hunter2-Secret9`, { host: SITE_HOST });
    await siteRequest(`${rt.url}/oauth2/token`, { method: 'POST', host: SITE_HOST, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `grant_type=client_credentials&client_id=${account.clientId}&client_secret=${account.clientSecret}` });
    await rawFetch(`${rt.url}/appliances/sec-1/oauth2/token`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from(`${account.clientId}:wrong-${account.clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' });
    await rawFetch(`${rt.url}/appliances/sec-1/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `grant_type=client_credentials&client_id=${account.clientId}&client_secret=${account.clientSecret}` });
    await rawFetch(`${rt.url}/v1/runs`, { method: 'POST', headers: { authorization: `Bearer ${rt.adminToken}`, 'content-type': 'application/json' }, body: '{"not":"valid"' });
    await rawFetch(`${rt.url}/v1/me`, { headers: { authorization: `Bearer ${viewerToken}x` } });
    const lines = recordsSince(from).map((r) => JSON.stringify(r));
    // The requests were logged (one access line each), and none of them carries a secret.
    expect(lines.filter((l) => l.includes('"message":"request"')).length).toBeGreaterThanOrEqual(9);
    expect(lines.some((l) => l.includes('"route":"/api/command"'))).toBe(true);
    expect(findSecrets(lines, [account.clientSecret, access_token, rt.adminToken, viewerToken, 'hunter2-Secret9'])).toEqual([]);
  });

  it('the secret scan finds what it must (so a clean scan means something)', () => {
    const samples = [
      '{"message":"x","authorization":"Bearer abcdefghijk"}',
      'GET /api?password=hunter2',
      '{"token":"ucp_abcdefghijklmnopqrstuvwxyz0123"}',
      'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJl',
      `{"accessToken":"x"}`,
      'issued Ab3defghijklmnopqrstuvwxyz0123456789ABCD for x',
    ];
    for (const s of samples) expect(findSecrets([s], []), s).not.toEqual([]);
    expect(findSecrets(['{"message":"request","route":"/v1/runs/:runId","requestId":"0f8e2f0c-6a0e-4d0e-9a51-0c8d1f4c9b1a","authorization":"[redacted]"}'], [])).toEqual([]);
  });

  it.each([
    ['/appliances/..%2F..%2Fetc/appliance/updates', 'GET'],
    ['/appliances/sec-1/login/software-management/backups/..%2F..%2Fsecrets', 'GET'],
    ['/appliances/sec-1/appliance/installs/..%2F..%2Fx', 'GET'],
    ['/packages/..%2F..%2Fsha256%2Fabc', 'GET'],
    ['/appliances/sec-1/appliance/updates/..%2Fbomgar-11.1.1/install', 'POST'],
  ])('refuses path traversal in %s', async (path, method) => {
    const res = await fetch(`${rt.url}${path}`, { method, headers: { 'content-type': 'application/json' }, body: method === 'GET' ? undefined : '{}' });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
  });
});
