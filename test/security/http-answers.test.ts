/**
 * HTTP answers to malformed requests (issue 17 item 7): over-long path parameters are a 400 with the limit
 * (never a retryable 503), long request targets and header blocks are answered in the API's own error
 * format (never Node's empty 431), and a wrong method is a 405 with `Allow`.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApiAccount, issueToken } from '../../functions/emulator/app/api-accounts.js';
import { createAppliance } from '../../functions/emulator/app/appliance-store.js';
import type { Route } from '../../functions/platform/api/http.js';
import { MAX_PATH_PARAM_BYTES, SERVER_MAX_HEADER_BYTES, URL_LIMITS } from '../../functions/platform/api/request-limits.js';
import { routes as declared } from '../../functions/local/routes.js';
import { mountRoutes, type MountedRoute } from '../../functions/platform/api/site-mounts.js';
import { oauthError, xmlError } from '../../functions/emulator/api/sessions/xml-response.js';
import { htmlError, textError } from '../../functions/emulator/api/site/public-site-handler.js';
import { sampleAppliance } from '../helpers/fixtures.js';
import { sendHead } from '../helpers/raw-http.js';
import { startTestRuntime, TEST_ADMIN_TOKEN, type TestRuntime } from '../helpers/runtime.js';

const SITE_HOST = 'http-1.example.com';
/** Every concrete route: site routes under /appliances/:applianceId and at the site root (addressed by Host). */
const routes = mountRoutes(declared);
const key = (r: MountedRoute) => `${r.mount === 'site-root' ? 'site root ' : ''}${r.method} ${r.path}`;
const hostOf = (r: MountedRoute | undefined): Record<string, string> => (r?.mount === 'site-root' ? { host: SITE_HOST } : {});
const concrete = (path: string, long?: string) =>
  path.replace(/:(\w+)/g, (_, name: string) => (name === long ? 'a'.repeat(5000) : name === 'applianceId' ? 'http-1' : `x-${name}`));
const admin = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };

let rt: TestRuntime;
let apiToken: string;
beforeAll(async () => {
  rt = await startTestRuntime();
  await createAppliance(rt.services, sampleAppliance('http-1', { productVersion: '11.1.1', hostname: SITE_HOST }));
  const account = await createApiAccount(rt.services, 'http-1', { name: 'http', permissions: { reporting: true, command: 'full', backup: true } });
  apiToken = (await issueToken(rt.services, 'http-1', account, 'client_credentials', 'test')).access_token;
});
afterAll(() => rt?.dispose());

/** The refusal is in the route's own format and carries `code`. */
function expectFormat(route: Route | MountedRoute | undefined, answer: { headers: Record<string, unknown>; body: string }, code: string) {
  if (route?.formatError === xmlError) {
    expect(answer.headers['content-type']).toMatch(/^text\/xml/);
    expect(answer.body).toMatch(/<error[ >]/);
    expect(answer.headers['x-error-code']).toBe(code);
  } else if (route?.formatError === oauthError) {
    expect(JSON.parse(answer.body)).toMatchObject({ error: 'invalid_request', code });
  } else if (route?.formatError === textError || route?.formatError === htmlError) {
    expect(answer.headers['content-type']).toMatch(route.formatError === textError ? /^text\/plain/ : /^text\/html/);
    expect(answer.headers['x-error-code']).toBe(code);
  } else {
    expect(answer.headers['content-type']).toBe('application/problem+json');
    expect(JSON.parse(answer.body)).toMatchObject({ code });
  }
}

const withParams = routes.flatMap((r) => [...r.path.matchAll(/:(\w+)/g)].map((m) => [`${key(r)} :${m[1]}`, r, m[1]!] as const));

describe('path parameters', () => {
  it('the table has path parameters to check', () => expect(withParams.length).toBeGreaterThan(30));

  it.each(withParams)('%s over the limit → 400 naming the limit, not logged as an error', async (_, route, param) => {
    const errors = vi.spyOn(console, 'error');
    try {
      const answer = await sendHead(`${rt.url}${concrete(route.path, param)}`, { method: route.method, headers: { ...admin, ...hostOf(route), 'content-type': 'application/json', 'content-length': '0' } });
      expect(answer.status).toBe(400);
      expectFormat(route, answer, 'PathParameterTooLong');
      expect(answer.body).toContain(String(MAX_PATH_PARAM_BYTES));
      expect(answer.body).not.toContain('a'.repeat(100));
      expect(errors.mock.calls.flat().join('\n')).not.toContain('unhandled');
    } finally {
      errors.mockRestore();
    }
  });

  it('ids just under the limit still reach the handler (404 for an unknown pair, not 503)', async () => {
    const res = await fetch(`${rt.url}/failover-pairs/${'p'.repeat(MAX_PATH_PARAM_BYTES)}`);
    expect(res.status).toBe(404);
  });
});

describe('wrong methods', () => {
  // One case per path and mount; a path served at both mounts (the console's `/`) answers with every method of either.
  const paths = [...new Map(routes.map((r) => [`${r.mount === 'site-root' ? 'site root ' : ''}${r.path}`, r])).entries()];

  it.each(paths)('%s: an unsupported method → 405 with Allow listing the route’s methods', async (_, route) => {
    const same = routes.filter((r) => r.path === route.path);
    const methods = same.flatMap((r) => (r.method === 'GET' ? ['GET', 'HEAD'] : [r.method]));
    const wrong = ['DELETE', 'PATCH', 'PUT', 'POST'].find((m) => !methods.includes(m))!;
    const answer = await sendHead(`${rt.url}${concrete(route.path)}`, { method: wrong, headers: { ...admin, ...hostOf(route), 'content-length': '0' } });
    expect(answer.status).toBe(405);
    expect(String(answer.headers.allow).split(', ').sort()).toEqual([...new Set(methods)].sort());
    expectFormat(same[0], answer, 'MethodNotAllowed');
  });

  it('a path no route has is still 404', async () => {
    const res = await fetch(`${rt.url}/no/such/path`, { method: 'DELETE' });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { code: string }).code).toBe('RouteNotFound');
  });
});

describe('long request targets and header blocks', () => {
  const reporting = routes.find((r) => r.method === 'GET' && r.path.endsWith('/api/reporting'));

  it('a 33 KB reporting URL at the site root (Host-addressed) is answered too', async () => {
    const answer = await sendHead(`${rt.url}/api/reporting?generate_report=SupportSession&lsids=${lsids}`, { headers: { host: SITE_HOST, authorization: `Bearer ${apiToken}` } });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatch(/<session_list[ >]/);
  });
  const lsids = Array.from({ length: 1000 }, (_, i) => i.toString(16).padStart(32, '0')).join(',');

  it('a 33 KB reporting URL (1,000 lsids) is answered by the reporting API, not with an empty 431', async () => {
    const path = `/appliances/http-1/api/reporting?generate_report=SupportSession&lsids=${lsids}`;
    expect(path.length).toBeGreaterThan(33_000);
    const answer = await sendHead(`${rt.url}${path}`, { headers: { authorization: `Bearer ${apiToken}` } });
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toMatch(/^text\/xml/);
    expect(answer.body).toMatch(/<session_list[ >]/);
  });

  it('a request target over the route’s limit → 414 in its format', async () => {
    const control = routes.find((r) => r.method === 'GET' && r.path === '/v1/runs');
    const answer = await sendHead(`${rt.url}/v1/runs?cursor=${'c'.repeat(URL_LIMITS.default)}`, { headers: admin });
    expect(answer.status).toBe(414);
    expectFormat(control, answer, 'UriTooLong');
    const site = await sendHead(`${rt.url}/appliances/http-1/api/reporting?generate_report=SupportSession&lsids=${'0'.repeat(URL_LIMITS.siteApi)}`, { headers: { authorization: `Bearer ${apiToken}` } });
    expect(site.status).toBe(414);
    expectFormat(reporting, site, 'UriTooLong');
  });

  it('a header block over 16 KiB → 431 in the route’s format', async () => {
    const answer = await sendHead(`${rt.url}/appliances/http-1/api/reporting?generate_report=SupportSession&lsid=${'0'.repeat(32)}`, {
      headers: { authorization: `Bearer ${apiToken}`, 'x-padding': 'p'.repeat(20 * 1024) },
    });
    expect(answer.status).toBe(431);
    expectFormat(reporting, answer, 'RequestHeaderFieldsTooLarge');
  });

  it('a head larger than the server takes → 431 with a problem+json body, not an empty one', async () => {
    // Node detects the overflow past the request line, so the route is unknown: the control API's format.
    const site = await sendHead(`${rt.url}/appliances/http-1/api/reporting?lsids=${'0'.repeat(SERVER_MAX_HEADER_BYTES + 1024)}`);
    expect(site.status).toBe(431);
    expectFormat(undefined, site, 'RequestHeaderFieldsTooLarge');
    const control = await sendHead(`${rt.url}/v1/runs`, { headers: { 'x-padding': 'p'.repeat(SERVER_MAX_HEADER_BYTES + 1024) } });
    expect(control.status).toBe(431);
    expectFormat(undefined, control, 'RequestHeaderFieldsTooLarge');
  });
});
