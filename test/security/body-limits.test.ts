/**
 * Request-body limits (issue 17 item 1): every route of the table has a limit, enforced while reading and
 * before authentication or parsing: a declared Content-Length over it is refused without reading, a chunked
 * body is cut off once it passes it. 413 in the route's own format: problem+json on the control API, the
 * appliance's XML on its XML APIs, OAuth2 JSON on the token endpoint.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApiAccount, issueToken } from '../../functions/emulator/app/api-accounts.js';
import { createAppliance } from '../../functions/emulator/app/appliance-store.js';
import { issueOperatorToken } from '../../functions/control-plane/app/operator-tokens.js';
import { BODY_LIMITS, bodyLimitOf } from '../../functions/platform/api/body-limit.js';
import type { Route } from '../../functions/platform/api/http.js';
import { routes as declared } from '../../functions/local/routes.js';
import { mountRoutes, type MountedRoute } from '../../functions/platform/api/site-mounts.js';
import { oauthError, xmlError } from '../../functions/emulator/api/sessions/xml-response.js';
import { htmlError, textError } from '../../functions/emulator/api/site/public-site-handler.js';
import { sampleAppliance } from '../helpers/fixtures.js';
import { sendBody } from '../helpers/raw-http.js';
import { startTestRuntime, type TestRuntime } from '../helpers/runtime.js';

const MB = 1024 * 1024;
const SITE_HOST = 'lim-1.example.com';
/** Every concrete route: site routes under /appliances/:applianceId and at the site root (addressed by Host). */
const routes = mountRoutes(declared);
const key = (r: MountedRoute) => `${r.mount === 'site-root' ? 'site root ' : ''}${r.method} ${r.path}`;
const hostOf = (r: MountedRoute): Record<string, string> => (r.mount === 'site-root' ? { host: SITE_HOST } : {});
const concrete = (path: string) => path.replace(/:(\w+)/g, (_, name: string) => (name === 'applianceId' ? 'lim-1' : `x-${name}`));

let rt: TestRuntime;
let viewer: string;
let apiToken: string;
beforeAll(async () => {
  rt = await startTestRuntime();
  await createAppliance(rt.services, sampleAppliance('lim-1', { productVersion: '11.1.1', hostname: SITE_HOST }));
  viewer = (await issueOperatorToken(rt.services, { operatorId: 'lim-viewer', displayName: 'Limits viewer', roles: ['viewer'] })).token;
  const account = await createApiAccount(rt.services, 'lim-1', { name: 'limits', permissions: { reporting: true, command: 'full', backup: true } });
  apiToken = (await issueToken(rt.services, 'lim-1', account, 'client_credentials', 'test')).access_token;
});
afterAll(() => rt?.dispose());

/** The 413 is in the route's own format and names the code. */
function expectTooLarge(route: Route | MountedRoute, answer: { status: number; headers: Record<string, unknown>; body: string }) {
  expect(answer.status).toBe(413);
  if (route.formatError === xmlError) {
    expect(answer.headers['content-type']).toMatch(/^text\/xml/);
    expect(answer.body).toMatch(/<error[ >]/);
  } else if (route.formatError === oauthError) {
    expect(JSON.parse(answer.body)).toMatchObject({ error: 'invalid_request', code: 'RequestTooLarge' });
  } else if (route.formatError === textError || route.formatError === htmlError) {
    expect(answer.headers['content-type']).toMatch(route.formatError === textError ? /^text\/plain/ : /^text\/html/);
    expect(answer.headers['x-error-code']).toBe('RequestTooLarge');
  } else {
    expect(answer.headers['content-type']).toBe('application/problem+json');
    expect(JSON.parse(answer.body)).toMatchObject({ status: 413, code: 'RequestTooLarge' });
  }
}

describe('every route has a body limit', () => {
  it('declares one that suits it: none on reads, small forms and JSON, large only for package files', () => {
    for (const route of routes) {
      const limit = bodyLimitOf(route);
      if (route.method === 'GET') expect(limit, key(route)).toBeLessThanOrEqual(BODY_LIMITS.form);
      else if (route.path === '/packages' || route.path.endsWith('/updates/manual')) expect(limit, key(route)).toBe(BODY_LIMITS.package);
      else expect(limit, key(route)).toBeLessThanOrEqual(BODY_LIMITS.json);
    }
  });

  it.each(routes.map((r) => [key(r), r] as const))('%s refuses a declared body over its limit, before authentication', async (_, route) => {
    const limit = bodyLimitOf(route);
    // No credential: the size refusal comes first, so an anonymous client cannot make the server read anything.
    const answer = await sendBody(`${rt.url}${concrete(route.path)}`, { method: route.method, framing: 'content-length', totalBytes: limit + 1, headers: { 'content-type': 'application/json', ...hostOf(route) } });
    expectTooLarge(route, answer);
  });
});

describe('bodies are counted while they stream', () => {
  const plans = () => routes.find((r) => r.method === 'POST' && r.path === '/v1/plans')!;

  it('a chunked body past the limit at the site root (Host-addressed) gets the appliance XML 413', async () => {
    const route = routes.find((r) => r.mount === 'site-root' && r.method === 'POST' && r.path === '/api/command')!;
    const answer = await sendBody(`${rt.url}/api/command`, {
      framing: 'chunked',
      totalBytes: 4 * MB,
      fill: 'action=x&',
      headers: { host: SITE_HOST, authorization: `Bearer ${apiToken}`, 'content-type': 'application/x-www-form-urlencoded' },
    });
    expectTooLarge(route, answer);
  });

  it('a 10 MB JSON body with a viewer token is refused before it is read or parsed', async () => {
    const parse = vi.spyOn(JSON, 'parse');
    try {
      const answer = await sendBody(`${rt.url}/v1/plans`, { framing: 'content-length', totalBytes: 10 * MB, headers: { authorization: `Bearer ${viewer}`, 'content-type': 'application/json' } });
      expectTooLarge(plans(), answer);
      expect(parse.mock.calls.filter(([text]) => typeof text === 'string' && text.length > BODY_LIMITS.json)).toEqual([]);
    } finally {
      parse.mockRestore();
    }
  });

  it('a chunked body that grows past the limit is cut off at the limit', async () => {
    const parse = vi.spyOn(JSON, 'parse');
    try {
      const answer = await sendBody(`${rt.url}/v1/plans`, { framing: 'chunked', totalBytes: 50 * MB, headers: { authorization: `Bearer ${viewer}`, 'content-type': 'application/json' } });
      expectTooLarge(plans(), answer);
      // The server stopped reading near the 1 MiB limit; what else went out sat in socket buffers.
      expect(answer.bytesSent).toBeLessThan(20 * MB);
      expect(parse.mock.calls.filter(([text]) => typeof text === 'string' && text.length > BODY_LIMITS.json)).toEqual([]);
    } finally {
      parse.mockRestore();
    }
  });

  it('a chunked form body on the reporting API past 64 KiB gets the appliance XML 413', async () => {
    const route = routes.find((r) => r.method === 'POST' && r.path.endsWith('/api/reporting'))!;
    const answer = await sendBody(`${rt.url}/appliances/lim-1/api/reporting`, {
      framing: 'chunked',
      totalBytes: 4 * MB,
      fill: 'lsid=x&',
      headers: { authorization: `Bearer ${apiToken}`, 'content-type': 'application/x-www-form-urlencoded' },
    });
    expectTooLarge(route, answer);
    expect(answer.body).toContain('RequestTooLarge');
  });

  it('a chunked token request past its limit gets the OAuth2 JSON 413', async () => {
    const route = routes.find((r) => r.path.endsWith('/oauth2/token'))!;
    const answer = await sendBody(`${rt.url}/appliances/lim-1/oauth2/token`, { framing: 'chunked', totalBytes: 1 * MB, fill: 'grant_type=x&', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expectTooLarge(route, answer);
  });

  it('bodies within the limit are served as before', async () => {
    const res = await fetch(`${rt.url}/v1/plans`, { method: 'POST', headers: { authorization: `Bearer ${viewer}`, 'content-type': 'application/json' }, body: JSON.stringify({ pairId: 'missing-pair', packageId: 'bomgar-10.6.0' }) });
    expect(res.status).not.toBe(413);
    expect(((await res.json()) as { code: string }).code).not.toBe('RequestTooLarge');
    const form = await fetch(`${rt.url}/appliances/lim-1/api/command`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiToken}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'action=get_api_info',
    });
    expect(form.status).toBe(200);
  });
});
