/**
 * Fuzzing of the appliance-facing input surfaces: reporting and command query strings and form bodies,
 * OAuth2 token requests and package uploads. Every answer is a 4xx with a clear body or a correct 2xx,
 * never a 5xx; XML answers validate against the served XSD; nothing changes state.
 * Fixed seed and bounded runs here; `npm run fuzz` raises FUZZ_RUNS for deeper runs.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiAccount, issueToken } from '../../functions/emulator/app/api-accounts.js';
import { sourceLimits } from '../../functions/emulator/app/source-limits.js';
import { createAppliance } from '../../functions/emulator/app/appliance-store.js';
import { buildPackageFile } from '../../functions/emulator/app/package-signing.js';
import { listPackages } from '../../functions/emulator/app/packages.js';
import { generateSessions } from '../../functions/emulator/app/session-generator.js';
import { iterateSessions } from '../../functions/emulator/app/session-store.js';
import { sampleAppliance } from '../helpers/fixtures.js';
import { startTestRuntime, type TestRuntime } from '../helpers/runtime.js';
import { xsdErrors } from '../helpers/xml.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 20);
const SEED = Number(process.env.FUZZ_SEED ?? 20261126);
const options = { numRuns: RUNS, seed: SEED, endOnFailure: true };

let rt: TestRuntime;
let token = '';
let basic = '';
const xsd: Record<string, string> = {};
const APPLIANCE = 'fuzz-1';

async function fingerprint() {
  const sessions: unknown[] = [];
  for await (const s of iterateSessions(rt.services, APPLIANCE)) sessions.push(s);
  const appliance = await rt.services.records.appliances.get({ pk: `APPLIANCE#${APPLIANCE}`, sk: 'PROFILE' });
  const packages = (await listPackages(rt.services)).map((p) => p.packageId).sort();
  return JSON.stringify({ sessions, appliance, packages });
}

beforeAll(async () => {
  rt = await startTestRuntime();
  const appliance = await createAppliance(rt.services, sampleAppliance(APPLIANCE, { productVersion: '11.1.1' }));
  await generateSessions(rt.services, appliance, { count: 25, activeFraction: 0.1, seed: 7 });
  const account = await createApiAccount(rt.services, APPLIANCE, { name: 'fuzz', permissions: { reporting: true, command: 'full', backup: true } });
  basic = `Basic ${Buffer.from(`${account.clientId}:${account.clientSecret}`).toString('base64')}`;
  token = (await issueToken(rt.services, APPLIANCE, account, 'client_credentials', 'test')).access_token;
  for (const kind of ['reporting', 'command']) xsd[kind] = await (await fetch(`${rt.url}/appliances/${APPLIANCE}/api/${kind}.xsd`)).text();
}, 60_000);
afterAll(() => rt?.dispose());

/** Parameter values that stress parsers: injections, control characters, numbers at the edges. */
const nasty = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('', '0', '-1', '1e309', 'NaN', '2026-02-30', '2026-13-01', '9999-12-31', '1970-01-01', '<x/>', '"><script>', "'; DROP TABLE session;--", ']]>', '&amp;', '%00', '../../etc/passwd', 'a'.repeat(5000)),
  fc.integer().map(String),
);
const reportingParams = fc.dictionary(
  fc.constantFrom('generate_report', 'start_date', 'end_date', 'start_time', 'end_time', 'duration', 'lsid', 'lsids', 'start_lseq', 'limit', 'report_type', 'id', 'team_id', 'group_by', 'x', 'generate_report[]'),
  fc.oneof(
    nasty,
    fc.constantFrom('SupportSession', 'SupportSessionListing', 'SupportSessionSummary', 'SupportCustExitSurvey', 'SupportRepExitSurvey', 'SupportTeam', 'LicenseUsage', 'Nope'),
    fc.constantFrom('rep', 'team', 'site', 'all', 'hour', 'day', 'month', '2000-01-01', '0'),
  ),
  { maxKeys: 6 },
);
const commandParams = fc.dictionary(
  fc.constantFrom('action', 'lsid', 'role', 'force', 'data_sync_first', 'y', 'type', 'queue_id', 'rep_id', 'rep_username', 'showmembers', 'session.custom.tag', 'ttl', 'summary_only', 'id', 'username', 'password'),
  fc.oneof(
    nasty,
    fc.constantFrom('get_api_info', 'check_health', 'terminate_session', 'set_failover_role', 'get_logged_in_reps', 'get_support_teams', 'generate_session_key', 'join_session', 'transfer_session', 'get_session_attributes', 'set_session_attributes', 'get_appliances', 'get_connected_client_list', 'get_connected_clients', 'leave_session', 'primary', 'backup', '1', 'support', 'general', 'team:1', 'rep:1'),
  ),
  { maxKeys: 5 },
);

async function expectSafeXml(res: Response, kind: 'reporting' | 'command') {
  const text = await res.text();
  expect(res.status, text.slice(0, 300)).toBeLessThan(500);
  if (res.status === 503) return;
  if ((res.headers.get('content-type') ?? '').includes('xml')) expect(await xsdErrors(text, xsd[kind]!)).toEqual([]);
}

describe('fuzz: appliance API surfaces', () => {
  it('reporting: GET query strings and url-encoded POST bodies', async () => {
    const before = await fingerprint();
    await fc.assert(
      fc.asyncProperty(reportingParams, fc.boolean(), async (params, post) => {
        const query = new URLSearchParams(params).toString();
        const url = `${rt.url}/appliances/${APPLIANCE}/api/reporting`;
        const res = post
          ? await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-www-form-urlencoded' }, body: query })
          : await fetch(`${url}?${query}`, { headers: { authorization: `Bearer ${token}` } });
        await expectSafeXml(res, 'reporting');
      }),
      options,
    );
    expect(await fingerprint()).toBe(before);
  });

  it('command: random actions and parameters', async () => {
    const before = await fingerprint();
    await fc.assert(
      fc.asyncProperty(commandParams, async (params) => {
        sourceLimits(rt.services).authFailures.clear();
        const res = await fetch(`${rt.url}/appliances/${APPLIANCE}/api/command?${new URLSearchParams(params)}`, { headers: { authorization: `Bearer ${token}` } });
        await expectSafeXml(res, 'command');
      }),
      options,
    );
    expect(await fingerprint()).toBe(before);
  });

  it('reporting: arbitrary content types and raw bodies', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('multipart/form-data; boundary=x', 'application/json', 'text/xml', '', 'application/x-www-form-urlencoded'), fc.uint8Array({ maxLength: 2000 }), async (type, body) => {
        const res = await fetch(`${rt.url}/appliances/${APPLIANCE}/api/reporting`, { method: 'POST', headers: { authorization: `Bearer ${token}`, ...(type ? { 'content-type': type } : {}) }, body });
        await expectSafeXml(res, 'reporting');
      }),
      options,
    );
  });

  it('OAuth2 token endpoint: random credentials and bodies never issue a token or fail with 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.constant(undefined), nasty.map((s) => `Basic ${s}`), nasty.map((s) => `Basic ${Buffer.from(s).toString('base64')}`), nasty), nasty, async (authorization, body) => {
        // every refusal counts against this one test client; the per-source limit has its own tests
        sourceLimits(rt.services).authFailures.clear();
        const res = await fetch(`${rt.url}/appliances/${APPLIANCE}/oauth2/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', ...(authorization !== undefined ? { authorization: authorization.replace(/[^\x20-\x7e]/g, '') } : {}) },
          body: `grant_type=client_credentials&${body}`,
        });
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
        const json = (await res.json()) as { error?: string; access_token?: string };
        expect(json.access_token).toBeUndefined();
        expect(typeof json.error).toBe('string');
      }),
      { ...options, numRuns: Math.min(RUNS, 15) }, // the endpoint is rate-limited per client id
    );
  });

  it('package uploads: random bytes, truncated and tampered files, huge declared sizes', async () => {
    const before = await fingerprint();
    const payload = new Uint8Array(4096).map((_, i) => i % 251);
    const valid = buildPackageFile({ packageId: 'bomgar-12.1.1', kind: 'product', version: '12.1.1' }, payload);
    const file = fc.oneof(
      fc.uint8Array({ maxLength: 5000 }),
      fc.nat({ max: valid.length - 1 }).map((n) => valid.slice(0, n)),
      fc.tuple(fc.nat({ max: valid.length - 1 }), fc.integer({ min: 1, max: 255 })).map(([i, x]) => {
        const copy = valid.slice();
        copy[i] = copy[i]! ^ x;
        return copy;
      }),
      fc.integer({ min: 0, max: 0xffffffff }).map((n) => {
        const copy = valid.slice();
        new DataView(copy.buffer).setUint32(16, n);
        return copy;
      }),
    );
    await fc.assert(
      fc.asyncProperty(file, async (bytes) => {
        const res = await fetch(`${rt.url}/packages`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: bytes });
        const text = await res.text();
        expect(res.status, text.slice(0, 300)).toBeGreaterThanOrEqual(400);
        expect(res.status, text.slice(0, 300)).toBeLessThan(500);
        expect(JSON.parse(text)).toMatchObject({ status: res.status, code: expect.any(String) });
      }),
      options,
    );
    expect(await fingerprint()).toBe(before);
  });
});
