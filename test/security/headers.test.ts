/**
 * Response headers (issue 17 item 8): a response carrying a new client secret is never cached, the console's
 * CSP pins `base-uri` and `form-action`, every response sends `Referrer-Policy`, and JSON (like every other
 * type) is sent with `X-Content-Type-Options: nosniff`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../functions/platform/api/app.js';
import { routes } from '../../functions/local/routes.js';
import { createApiAccount, issueToken } from '../../functions/emulator/app/api-accounts.js';
import { createAppliance } from '../../functions/emulator/app/appliance-store.js';
import { sampleAppliance } from '../helpers/fixtures.js';
import { rawFetch, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';

let rt: TestRuntime;
let apiToken: string;
beforeAll(async () => {
  rt = await startTestRuntime();
  await createAppliance(rt.services, sampleAppliance('hdr-1', { productVersion: '11.1.1' }));
  const account = await createApiAccount(rt.services, 'hdr-1', { name: 'headers', permissions: { reporting: true, command: 'read_only', backup: false } });
  apiToken = (await issueToken(rt.services, 'hdr-1', account, 'client_credentials', 'test')).access_token;
});
afterAll(() => rt?.dispose());

describe('responses that carry a new client secret', () => {
  it('creating an API account: Cache-Control no-store', async () => {
    const res = await fetch(`${rt.url}/v1/appliances/hdr-1/api-accounts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'x', permissions: { reporting: true } }) });
    expect(res.status).toBe(201);
    expect(((await res.json()) as { clientSecret?: string }).clientSecret).toBeTruthy();
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('pragma')).toBe('no-cache');
  });

  it('regenerating a secret: Cache-Control no-store', async () => {
    const { clientId } = (await (await fetch(`${rt.url}/v1/appliances/hdr-1/api-accounts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).json()) as { clientId: string };
    const res = await fetch(`${rt.url}/v1/appliances/hdr-1/api-accounts/${clientId}/secret`, { method: 'POST' });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
  });
});

describe('the operator console', () => {
  it('CSP restricts base-uri and form-action, beside the existing directives', async () => {
    const res = await rawFetch(`${rt.url}/`);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("base-uri 'none'");
    expect(csp).toContain("form-action 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
  });
});

describe('every response', () => {
  const cases: [string, () => Promise<Response>][] = [
    ['JSON (health)', () => rawFetch(`${rt.url}/health`)],
    ['JSON (control API)', () => fetch(`${rt.url}/v1/pairs`)],
    ['problem+json (401)', () => rawFetch(`${rt.url}/v1/pairs`)],
    ['problem+json (404)', () => rawFetch(`${rt.url}/nowhere`)],
    ['XML (command API)', () => rawFetch(`${rt.url}/appliances/hdr-1/api/command?action=get_api_info`, { headers: { authorization: `Bearer ${apiToken}` } })],
    ['XML streamed (reporting API)', () => rawFetch(`${rt.url}/appliances/hdr-1/api/reporting?generate_report=SupportSessionListing&start_date=2020-01-01&duration=0`, { headers: { authorization: `Bearer ${apiToken}` } })],
    ['XML error', () => rawFetch(`${rt.url}/appliances/hdr-1/api/command?action=get_api_info`)],
  ];
  it.each(cases)('%s: nosniff and Referrer-Policy', async (_, send) => {
    const res = await send();
    await res.arrayBuffer();
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
  });
});

describe('the same headers in both runtimes', () => {
  // Locally the Node server sets them before the app runs; on Lambda the app's middleware does.
  const lambdaApp = () => createApp(rt.services, routes);
  const names = (res: Response) => [...res.headers.keys()].filter((n) => !['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding'].includes(n)).sort();

  it.each(['/health', '/v1/pairs', '/nowhere'])('%s: the local server and the Lambda app send the same header names', async (path) => {
    const local = await rawFetch(`${rt.url}${path}`);
    await local.arrayBuffer();
    const lambda = await lambdaApp().request(path);
    expect(names(local)).toEqual(names(lambda));
    expect(names(local)).toContain('strict-transport-security');
    expect(local.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('a caller-chosen request id comes back from the local server', async () => {
    const res = await rawFetch(`${rt.url}/health`, { headers: { 'x-request-id': 'trace-42' } });
    expect(res.headers.get('x-request-id')).toBe('trace-42');
  });

  it("a handler's own header wins over the server's default (the console's frame policy)", async () => {
    const local = await rawFetch(`${rt.url}/`);
    const lambda = await lambdaApp().request('/');
    expect(local.headers.get('content-security-policy')).toBe(lambda.headers.get('content-security-policy'));
    expect(local.headers.get('x-frame-options')).toBe(lambda.headers.get('x-frame-options'));
  });
});
