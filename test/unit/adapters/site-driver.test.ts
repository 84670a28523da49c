/** The site driver against a scripted transport: credentials, retries with backoff, error mapping, re-enrolment. */
import { describe, expect, it } from 'vitest';
import { MemoryDriverCredentials } from '../../../functions/control-plane/adapters/driver-credentials.js';
import { backoffDelay, SiteDriver, type SiteTransport } from '../../../functions/control-plane/adapters/site-driver.js';

const json = (status: number, body: unknown, headers: Record<string, string> = {}) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

function driver(answers: ((r: Request) => Response | Promise<Response>)[], options: { enrol?: boolean; retries?: number } = {}) {
  const seen: Request[] = [];
  const transport: SiteTransport = async (r) => {
    seen.push(r);
    const next = answers.shift();
    if (!next) throw new Error('no more answers');
    return next(r);
  };
  const credentials = new MemoryDriverCredentials();
  let enrolments = 0;
  const d = new SiteDriver({
    baseUrl: () => 'http://emulator.test',
    transport,
    credentials,
    backoffMs: 1,
    retries: options.retries,
    enrol: options.enrol === false ? undefined : async () => ({ username: 'upgrade-driver', password: `pw-${++enrolments}` }),
  });
  return { d, seen, credentials, enrolments: () => enrolments };
}

const basicOf = (r: Request) => Buffer.from((r.headers.get('authorization') ?? '').replace(/^Basic /, ''), 'base64').toString();

describe('site driver', () => {
  it('sends the appliance admin credential (Basic), never a bearer token, and names the appliance', async () => {
    const { d, seen } = driver([() => json(200, { applianceId: 'a', productVersion: '10.5.2' })]);
    expect(await d.describe('a')).toMatchObject({ productVersion: '10.5.2' });
    expect(seen[0]!.url).toBe('http://emulator.test/appliances/a');
    expect(basicOf(seen[0]!)).toBe('upgrade-driver:pw-1');
    expect(seen[0]!.headers.get('x-appliance-id')).toBe('a');
  });

  it('retries an idempotent call on 503 without Retry-After, then succeeds', async () => {
    const { d, seen } = driver([() => json(503, { code: 'InternalError' }), () => new Response('', { status: 502 }), () => json(200, { installs: [] })]);
    expect(await d.listInstalls('a')).toEqual([]);
    expect(seen).toHaveLength(3);
  });

  it('gives up after its retries with an error naming the call and the answer', async () => {
    const { d, seen } = driver(Array.from({ length: 4 }, () => () => json(503, { code: 'InternalError', detail: 'internal error' })));
    await expect(d.failoverStatus('a')).rejects.toMatchObject({ code: 'ApplianceError', message: 'GET /appliances/a/login/failover on a answered 503 InternalError: internal error' });
    expect(seen).toHaveLength(4);
  });

  it('does not wait out a long Retry-After (the site is installing): the refusal goes to the workflow', async () => {
    const { d, seen } = driver([() => json(503, { code: 'SiteUnavailable', detail: 'the site is installing; retry later' }, { 'retry-after': '120' })]);
    await expect(d.listBackups('a')).rejects.toMatchObject({ code: 'SiteUnavailable', kind: 'unavailable' });
    expect(seen).toHaveLength(1);
  });

  it("keeps the appliance's refusal code and details (the workflow's Catch paths read them)", async () => {
    const { d } = driver([() => json(422, { code: 'PrerequisitesNotMet', detail: 'Bomgar-11.1.1: 3.2.4 does not satisfy', reasons: [{ code: 'BaseTooOld' }] })]);
    await expect(d.startInstall('a', 'bomgar-11.1.1', { requestKey: 'k', requireBrokenFailover: true })).rejects.toMatchObject({
      kind: 'precondition',
      code: 'PrerequisitesNotMet',
      details: { reasons: [{ code: 'BaseTooOld' }], applianceId: 'a' },
    });
  });

  it('sends the step key as Idempotency-Key and the hold token on an install', async () => {
    const { d, seen } = driver([() => json(202, { installId: 'i1', replayed: false })]);
    await d.startInstall('a', 'p', { requestKey: 'run:w1:install:a', requireBrokenFailover: false, holdToken: 'h' });
    expect(seen[0]!.headers.get('idempotency-key')).toBe('run:w1:install:a');
    expect(seen[0]!.headers.get('maintenance-hold-token')).toBe('h');
    expect(await seen[0]!.json()).toEqual({ requireBrokenFailover: false });
  });

  it('enrols again once after a 401 (the users were replaced), then uses the new credential', async () => {
    const { d, seen, enrolments } = driver([() => json(401, { code: 'LoginFailed' }), () => json(200, { backups: [] })]);
    expect(await d.listBackups('a')).toEqual([]);
    expect(enrolments()).toBe(2);
    expect(basicOf(seen[1]!)).toBe('upgrade-driver:pw-2');
  });

  it('refuses clearly without a credential and without enrolment', async () => {
    const { d, seen } = driver([], { enrol: false });
    await expect(d.describe('a')).rejects.toMatchObject({ code: 'ApplianceNotEnrolled' });
    expect(seen).toHaveLength(0);
  });

  it('transport failures are retried for idempotent calls and reported as unreachable', async () => {
    const fail = () => {
      throw new TypeError('fetch failed');
    };
    const { d, seen } = driver([fail, fail, fail, fail]);
    await expect(d.installStatus('a')).rejects.toMatchObject({ code: 'ApplianceUnreachable' });
    expect(seen).toHaveLength(4);
  });

  it('parses check_health and get_api_info from the vendor XML', async () => {
    const health = '<?xml version="1.0"?><check_health><appliance id="a">a.example.com</appliance><version>10.6.0</version><success>1</success><failover_role>backup</failover_role><last_data_sync_time ts="1">2026-11-01T00:00:00Z</last_data_sync_time><last_data_sync_status>success</last_data_sync_status></check_health>';
    const { d, seen } = driver([() => new Response(health), () => new Response('<get_api_info><api_version>1.5.0</api_version></get_api_info>')]);
    expect(await d.health('a')).toEqual({ version: '10.6.0', success: true, failoverRole: 'backup', lastDataSyncTime: '2026-11-01T00:00:00Z', lastDataSyncStatus: 'success' });
    expect(await d.apiInfo('a')).toEqual({ apiVersion: '1.5.0' });
    expect(new URL(seen[0]!.url).searchParams.get('action')).toBe('check_health');
    expect(new URL(seen[0]!.url).searchParams.get('username')).toBe('upgrade-driver');
  });

  it('full-jitter backoff stays within base·2^attempt', () => {
    expect(backoffDelay(0, 50, () => 0.999)).toBe(49);
    expect(backoffDelay(3, 50, () => 0.5)).toBe(200);
    expect(backoffDelay(3, 50, () => 0)).toBe(0);
  });
});
