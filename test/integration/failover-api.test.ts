import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppliance, requireAppliance, updateAppliance } from '../../functions/emulator/app/appliance-store.js';
import { getPair } from '../../functions/emulator/app/failover-pair-store.js';
import { readAllSessions } from '../../functions/emulator/app/failover-sync.js';
import { allocateSessionIds, putSession } from '../../functions/emulator/app/session-store.js';
import { failoverRoutes } from '../../functions/emulator/api/routes/failover-routes.js';
import type { Appliance } from '../../functions/platform/core/appliance.js';
import type { SupportSession } from '../../functions/emulator/core/session.js';
import { sampleAppliance } from '../helpers/fixtures.js';
import { startTestRuntime, type TestRuntime } from '../helpers/runtime.js';

let runtime: TestRuntime;
beforeAll(async () => {
  runtime = await startTestRuntime();
});
afterAll(async () => {
  await runtime?.dispose();
});

const ctx = () => runtime.services;
let ipCounter = 10;

async function appliances(prefix: string, version = '10.5.2', overrides: Partial<Appliance> = {}) {
  const a = `${prefix}-a`;
  const b = `${prefix}-b`;
  const license = { primaryHostname: `${prefix}.example.com`, licenseCount: 15, expires: null };
  await createAppliance(ctx(), sampleAppliance(a, { productVersion: version, ipAddress: `10.1.0.${ipCounter++}`, license, ...overrides }));
  await createAppliance(ctx(), sampleAppliance(b, { productVersion: version, ipAddress: `10.1.0.${ipCounter++}`, license, ...overrides }));
  return { a, b };
}

async function record(applianceId: string, count: number): Promise<SupportSession[]> {
  const appliance = await requireAppliance(ctx(), applianceId);
  const ids = await allocateSessionIds(ctx(), applianceId, appliance.productVersion, count);
  const sessions = ids.map(({ lsid, lseq }, i) => ({
    applianceId, lsid, ...(lseq !== undefined ? { lseq } : {}), sessionType: 'support' as const, status: 'completed' as const,
    startTime: `2026-11-01T10:0${i}:00.000Z`, endTime: `2026-11-01T10:1${i}:00.000Z`, duration: 600, fileTransfers: 0, hostName: 'pc',
    externalKey: '', publicSiteId: 1, publicSiteName: 'Default', customerName: 'c', representativeName: 'r', recordedBy: applianceId,
  }));
  for (const s of sessions) await putSession(ctx(), s);
  return sessions;
}

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${runtime.url}${path}`, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: text ? JSON.parse(text) : undefined };
}

const login = (id: string, op = '') => `/appliances/${id}/login/failover${op}`;
const establish = (self: string, peer: string, role: 'primary' | 'backup', extra: Record<string, unknown> = {}) =>
  call('POST', login(self, '/establish'), { peerApplianceId: peer, role, ...extra });

/** Everything a refusal must leave untouched: both appliances, the pair record and both sides' sessions. */
async function snapshot(a: string, b: string) {
  const [pa, pb] = [await requireAppliance(ctx(), a), await requireAppliance(ctx(), b)];
  const pairId = pa.failover.pairId ?? pb.failover.pairId;
  return {
    appliances: [pa, pb],
    pair: pairId ? await getPair(ctx(), pairId) : undefined,
    sessions: [await readAllSessions(ctx(), a), await readAllSessions(ctx(), b)],
  };
}

async function expectRefusal(res: Awaited<ReturnType<typeof call>>, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.type).toContain('application/problem+json');
  expect(res.body).toMatchObject({ status, code });
  expect(typeof res.body.detail).toBe('string');
}

describe('route table', () => {
  it('serves every failover route under the failover group with an auth level', () => {
    expect(failoverRoutes.length).toBeGreaterThanOrEqual(16);
    for (const r of failoverRoutes) {
      expect(r.group).toBe('failover');
      // The routes the control plane's site driver calls take the appliance's own admin credential too (docs/driver.md).
      const driverRoute = /\/(exports|reimport|integration-readiness)$/.test(r.path) || (r.method === 'PUT' && r.path === '/primary-hostnames/:hostname');
      expect(r.auth, `${r.method} ${r.path}`).toBe(r.path.startsWith('/appliances/') || driverRoute ? 'appliance-admin' : 'operator');
    }
  });
});

describe('establish', () => {
  it('establishes a pair, mirrors it onto both appliances, and is idempotent', async () => {
    const { a, b } = await appliances('est');
    await record(a, 3);
    const res = await establish(b, a, 'backup');
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ status: 'established', primaryId: a, backupId: b, changed: true, mode: 'overwrite' });
    expect((await requireAppliance(ctx(), a)).failover).toMatchObject({ pairId: res.body.pairId, role: 'primary', pairStatus: 'established', lastSyncStatus: 'success' });
    expect((await requireAppliance(ctx(), b)).failover).toMatchObject({ pairId: res.body.pairId, role: 'backup', pairStatus: 'established' });
    expect((await readAllSessions(ctx(), b)).map((s) => s.lsid)).toEqual(['1', '2', '3']);
    const status = await call('GET', login(b));
    expect(status.body).toMatchObject({ status: 'established', inSync: true, behind: 0, primaryId: a, backupId: b, mergesOnEstablish: false });
    const before = await snapshot(a, b);
    const again = await establish(a, b, 'primary');
    expect(again.status).toBe(200);
    expect(again.body.changed).toBe(false);
    expect(await snapshot(a, b)).toEqual(before);
  });

  it('refuses bad input and unmet rules with a clear error and no state change', async () => {
    const { a, b } = await appliances('estbad');
    const { a: c } = await appliances('estbad2', '10.6.0');
    const before = await snapshot(a, b);
    await expectRefusal(await call('POST', login(a, '/establish'), { peerApplianceId: b }), 400, 'InvalidRequest');
    await expectRefusal(await call('POST', login(a, '/establish'), { peerApplianceId: b, role: 'primary', extra: 1 }), 400, 'InvalidRequest');
    await expectRefusal(await call('POST', login(a, '/establish'), '{"peerApplianceId":'), 400, 'MalformedJson');
    await expectRefusal(await establish(a, a, 'primary'), 400, 'SameAppliance');
    await expectRefusal(await establish(a, 'no-such-appliance', 'primary'), 404, 'ApplianceNotFound');
    await expectRefusal(await establish(a, 'bad id!', 'primary'), 400, 'InvalidApplianceId');
    const mismatch = await establish(a, c, 'primary');
    await expectRefusal(mismatch, 422, 'ProductVersionMismatch');
    expect(mismatch.body.versions).toEqual({ [a]: '10.5.2', [c]: '10.6.0' });
    await updateAppliance(ctx(), b, (x) => ({ ...x, state: 'installing' }));
    const installing = await snapshot(a, b);
    await expectRefusal(await establish(a, b, 'primary'), 422, 'ApplianceInstalling');
    expect(await snapshot(a, b)).toEqual(installing);
    await updateAppliance(ctx(), b, (x) => ({ ...x, state: 'online' }));
    expect((await snapshot(a, b)).pair).toBeUndefined();
    expect((await snapshot(a, b)).sessions).toEqual(before.sessions);
  });

  it('refuses to re-establish with the other roles or with an appliance of another pair', async () => {
    const { a, b } = await appliances('estroles');
    const { a: c } = await appliances('estroles2');
    expect((await establish(a, b, 'primary')).status).toBe(201);
    const before = await snapshot(a, b);
    await expectRefusal(await establish(b, a, 'primary'), 409, 'PairAlreadyEstablished');
    const other = await establish(c, a, 'primary');
    await expectRefusal(other, 409, 'ApplianceInAnotherPair');
    expect(other.body.pairId).toBe(before.pair!.pairId);
    expect(await snapshot(a, b)).toEqual(before);
    expect((await requireAppliance(ctx(), c)).failover.pairId).toBeUndefined();
  });
});

describe('pre-10.6 re-establish guard, export and re-import', () => {
  it('refuses with the sessions at risk, then exports to S3, re-establishes and re-imports them', async () => {
    const { a, b } = await appliances('pre');
    await record(a, 2);
    const est = await establish(b, a, 'backup');
    const pairId = est.body.pairId as string;
    expect((await call('POST', login(b, '/break'))).body).toMatchObject({ status: 'broken', changed: true });
    await record(a, 1);
    const onBackup = await record(b, 2);

    const atRisk = await call('GET', `/failover-pairs/${pairId}/sessions-at-risk`);
    expect(atRisk.body).toMatchObject({ count: 2, primaryId: a, backupId: b });
    const before = await snapshot(a, b);
    const refused = await establish(b, a, 'backup');
    await expectRefusal(refused, 422, 'SessionsAtRisk');
    expect(refused.body.count).toBe(2);
    expect(refused.body.sessions.map((s: SupportSession) => [s.lsid, s.recordedBy])).toEqual(onBackup.map((s) => [s.lsid, b]));
    expect(await snapshot(a, b)).toEqual(before);

    const exp = await call('POST', `/failover-pairs/${pairId}/exports`);
    expect(exp.status).toBe(201);
    expect(exp.body).toMatchObject({ count: 2, export: { fromApplianceId: b, primaryId: a, status: 'exported' } });
    const object = await ctx().blobs.exports.head(exp.body.export.objectKey);
    expect(object?.size).toBeGreaterThan(0);
    const repeat = await call('POST', `/failover-pairs/${pairId}/exports`);
    expect(repeat.body).toEqual({ count: 0 });

    const ok = await establish(b, a, 'backup');
    expect(ok.body).toMatchObject({ status: 'established', mode: 'overwrite', overwritten: 2 });
    const reimport = await call('POST', `/failover-pairs/${pairId}/reimport`);
    expect(reimport.body).toMatchObject({ reimported: 2, skipped: 0, synced: 2 });
    for (const side of [a, b]) {
      const held = await readAllSessions(ctx(), side);
      expect(held).toHaveLength(5);
      expect(held.filter((s) => s.recordedBy === b).map((s) => s.sourceLsid).sort()).toEqual(onBackup.map((s) => s.lsid).sort());
    }
    const again = await call('POST', `/failover-pairs/${pairId}/reimport`);
    expect(again.body).toMatchObject({ reimported: 0, synced: 0 });
    expect((await call('GET', `/failover-pairs/${pairId}`)).body).toMatchObject({ inSync: true, behind: 0 });
  });

  it('overwrites the un-exported sessions only when forced, and says how many', async () => {
    const { a, b } = await appliances('force');
    await establish(a, b, 'primary');
    await call('POST', login(a, '/break'));
    await record(b, 3);
    const res = await establish(a, b, 'primary', { force: true });
    expect(res.body).toMatchObject({ status: 'established', overwritten: 3 });
    expect(await readAllSessions(ctx(), b)).toEqual([]);
    expect((await getPair(ctx(), res.body.pairId))?.lastEstablishOverwrote).toBe(3);
  });

  it('answers unknown pairs with 404 and a bad primary with 422', async () => {
    await expectRefusal(await call('GET', '/failover-pairs/fp-nope/sessions-at-risk'), 404, 'FailoverPairNotFound');
    await expectRefusal(await call('POST', '/failover-pairs/fp-nope/exports'), 404, 'FailoverPairNotFound');
    await expectRefusal(await call('POST', '/failover-pairs/fp-nope/reimport'), 404, 'FailoverPairNotFound');
    const { a, b } = await appliances('riskbad');
    const pairId = (await establish(a, b, 'primary')).body.pairId;
    await expectRefusal(await call('GET', `/failover-pairs/${pairId}/sessions-at-risk?primary=someone-else`), 422, 'NotAPairMember');
    await call('POST', login(a, '/break'));
    await expectRefusal(await call('POST', `/failover-pairs/${pairId}/reimport`), 422, 'PairNotEstablished');
  });
});

describe('10.6 merge', () => {
  it('merges sessions recorded on either side while broken, deduplicated, with no export step', async () => {
    const { a, b } = await appliances('merge', '10.6.0');
    await record(a, 2);
    await establish(a, b, 'primary');
    await call('POST', login(a, '/break'));
    const fromA = await record(a, 2);
    const fromB = await record(b, 3);
    const res = await establish(a, b, 'primary');
    expect(res.body).toMatchObject({ status: 'established', mode: 'merge', merged: 3, overwritten: 0 });
    for (const side of [a, b]) {
      const lsids = (await readAllSessions(ctx(), side)).map((s) => s.lsid);
      expect(lsids).toHaveLength(7);
      expect(new Set(lsids).size).toBe(7);
      for (const s of [...fromA, ...fromB]) expect(lsids).toContain(s.lsid);
    }
  });
});

describe('break', () => {
  it('breaks, is idempotent, and refuses appliances outside a pair', async () => {
    const { a, b } = await appliances('brk');
    await establish(a, b, 'primary');
    const res = await call('POST', login(b, '/break'));
    expect(res.body).toMatchObject({ status: 'broken', changed: true });
    expect((await requireAppliance(ctx(), a)).failover).toMatchObject({ role: 'primary', pairStatus: 'broken' });
    const before = await snapshot(a, b);
    expect((await call('POST', login(a, '/break'))).body).toMatchObject({ status: 'broken', changed: false });
    expect(await snapshot(a, b)).toEqual(before);
    const { a: lonely } = await appliances('brk-single');
    await expectRefusal(await call('POST', login(lonely, '/break')), 404, 'NotInFailoverPair');
    await expectRefusal(await call('POST', login('ghost', '/break')), 404, 'ApplianceNotFound');
    await expectRefusal(await call('POST', login(a, '/break'), { now: true }), 400, 'InvalidRequest');
    expect(await snapshot(a, b)).toEqual(before);
  });
});

describe('force sync', () => {
  it('moves only sessions above the watermark; full resync rewrites everything', async () => {
    const { a, b } = await appliances('sync', '10.6.0');
    await record(a, 4);
    await establish(a, b, 'primary');
    await record(a, 2);
    expect((await call('GET', login(a))).body).toMatchObject({ inSync: false, behind: 2 });
    const inc = await call('POST', login(b, '/sync'));
    expect(inc.body).toMatchObject({ kind: 'incremental', transferred: 2, status: 'established' });
    expect((await call('GET', login(a))).body).toMatchObject({ inSync: true, behind: 0 });
    expect((await call('POST', login(b, '/sync'))).body).toMatchObject({ kind: 'incremental', transferred: 0 });
    const full = await call('POST', login(b, '/sync'), 'full=1', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(full.body).toMatchObject({ kind: 'full', transferred: 6 });
    expect(await readAllSessions(ctx(), b)).toHaveLength(6);
  });

  it('refuses on a broken pair and on bad input, changing nothing', async () => {
    const { a, b } = await appliances('syncbad');
    await establish(a, b, 'primary');
    await expectRefusal(await call('POST', login(b, '/sync'), { full: 'maybe' }), 400, 'InvalidRequest');
    await call('POST', login(b, '/break'));
    await record(a, 1);
    const before = await snapshot(a, b);
    await expectRefusal(await call('POST', login(b, '/sync')), 422, 'PairNotEstablished');
    expect(await snapshot(a, b)).toEqual(before);
  });
});

describe('set role', () => {
  it('refuses a swap that would leave sessions behind, then swaps with data_sync_first', async () => {
    const { a, b } = await appliances('role', '10.6.0');
    await establish(a, b, 'primary');
    await record(a, 2);
    const before = await snapshot(a, b);
    const refused = await call('POST', login(b, '/role'), { role: 'primary' });
    await expectRefusal(refused, 422, 'BackupBehind');
    expect(refused.body.behind).toBe(2);
    expect(await snapshot(a, b)).toEqual(before);
    const res = await call('POST', login(b, '/role'), { role: 'primary', dataSyncFirst: '1' });
    expect(res.body).toMatchObject({ changed: true, primaryId: b, backupId: a, status: 'established', synced: 2 });
    expect(res.body.message).toContain('role changed');
    expect((await requireAppliance(ctx(), b)).failover.role).toBe('primary');
    expect((await requireAppliance(ctx(), a)).failover.role).toBe('backup');
    const same = await call('POST', login(b, '/role'), { role: 'primary' });
    expect(same.body).toMatchObject({ changed: false });
  });

  it('demoting the primary with an unreachable peer needs force, and then leaves the pair broken', async () => {
    const { a, b } = await appliances('roleforce');
    await establish(a, b, 'primary');
    await updateAppliance(ctx(), b, (x) => ({ ...x, state: 'restarting' }));
    const before = await snapshot(a, b);
    await expectRefusal(await call('POST', login(a, '/role'), { role: 'backup' }), 422, 'PeerUnreachable');
    await expectRefusal(await call('POST', login(a, '/role'), { role: 'owner' }), 400, 'InvalidRequest');
    expect(await snapshot(a, b)).toEqual(before);
    const forced = await call('POST', login(a, '/role'), { role: 'backup', force: true });
    expect(forced.body).toMatchObject({ changed: true, primaryId: b, backupId: a, status: 'broken', message: 'Successfully changed role.' });
  });

  it('swaps roles of a broken pair (option 2) but cannot sync first there', async () => {
    const { a, b } = await appliances('rolebroken');
    await establish(a, b, 'primary');
    await call('POST', login(a, '/break'));
    const before = await snapshot(a, b);
    await expectRefusal(await call('POST', login(b, '/role'), { role: 'primary', dataSyncFirst: true }), 422, 'PairNotEstablished');
    expect(await snapshot(a, b)).toEqual(before);
    expect((await call('POST', login(b, '/role'), { role: 'primary' })).body).toMatchObject({ changed: true, primaryId: b, status: 'broken' });
  });
});

describe('primary hostname and integration readiness', () => {
  it('points the hostname at the primary, refuses the backup of a live pair, and reports IP-configured integrations', async () => {
    const { a, b } = await appliances('dns');
    const pairId = (await establish(a, b, 'primary')).body.pairId;
    const put = await call('PUT', '/primary-hostnames/DNS.example.com', { applianceId: a, ttlSeconds: 30 });
    expect(put.body).toMatchObject({ hostname: 'dns.example.com', applianceId: a, ttlSeconds: 30, changed: true });
    expect((await call('PUT', '/primary-hostnames/dns.example.com', { applianceId: a, ttlSeconds: 30 })).body.changed).toBe(false);
    expect((await call('GET', `/failover-pairs/${pairId}`)).body.primaryHostname).toEqual({ hostname: 'dns.example.com', resolvesTo: a, resolvesToPrimary: true });

    const record = await call('GET', '/primary-hostnames/dns.example.com');
    await expectRefusal(await call('PUT', '/primary-hostnames/dns.example.com', { applianceId: b }), 422, 'NotPrimary');
    await expectRefusal(await call('PUT', '/primary-hostnames/not_a_host', { applianceId: a }), 400, 'InvalidHostname');
    await expectRefusal(await call('PUT', '/primary-hostnames/dns.example.com', { applianceId: a, ttlSeconds: -1 }), 400, 'InvalidRequest');
    await expectRefusal(await call('PUT', '/primary-hostnames/dns.example.com', { applianceId: 'ghost' }), 404, 'ApplianceNotFound');
    await expectRefusal(await call('GET', '/primary-hostnames/unknown.example.com'), 404, 'HostnameNotFound');
    expect((await call('GET', '/primary-hostnames/dns.example.com')).body).toEqual(record.body);

    const ipOfA = (await requireAppliance(ctx(), a)).ipAddress;
    expect((await call('PUT', `/failover-pairs/${pairId}/integrations/ic-ip`, { name: 'Integration Client (IP)', ipAddress: ipOfA })).status).toBe(200);
    expect((await call('PUT', `/failover-pairs/${pairId}/integrations/ic-dns`, { name: 'Integration Client', hostname: 'dns.example.com' })).status).toBe(200);
    await expectRefusal(await call('PUT', `/failover-pairs/${pairId}/integrations/ic-bad`, { name: 'x', ipAddress: '999.1.1.1' }), 400, 'InvalidIpAddress');
    await expectRefusal(await call('PUT', `/failover-pairs/${pairId}/integrations/ic-bad`, { name: 'x' }), 400, 'InvalidRequest');
    expect((await call('GET', `/failover-pairs/${pairId}/integrations`)).body.integrations).toHaveLength(2);

    const readiness = await call('GET', `/failover-pairs/${pairId}/integration-readiness`);
    expect(readiness.body).toMatchObject({ targetPrimaryId: b, ready: false });
    const byId = Object.fromEntries(readiness.body.integrations.map((i: { integrationId: string }) => [i.integrationId, i]));
    expect(byId['ic-dns']).toMatchObject({ ready: true, reachesNow: a, reachesAfter: b });
    expect(byId['ic-ip']).toMatchObject({ ready: false, reachesNow: a, reachesAfter: a });
    expect(byId['ic-ip'].reason).toContain(`configured by IP ${ipOfA}`);
    await expectRefusal(await call('GET', `/failover-pairs/${pairId}/integration-readiness?primary=ghost`), 422, 'NotAPairMember');

    // Option 2: break, promote b, swap DNS: now the hostname may point at b.
    await call('POST', login(a, '/break'));
    await call('POST', login(b, '/role'), { role: 'primary' });
    expect((await call('PUT', '/primary-hostnames/dns.example.com', { applianceId: b })).body).toMatchObject({ applianceId: b, changed: true });
    expect((await call('GET', `/failover-pairs/${pairId}`)).body.primaryHostname).toMatchObject({ resolvesTo: b, resolvesToPrimary: true });
  });

  it('lists pairs and answers unknown ones with 404', async () => {
    const list = await call('GET', '/failover-pairs');
    expect(list.body.pairs.length).toBeGreaterThan(0);
    await expectRefusal(await call('GET', '/failover-pairs/fp-unknown'), 404, 'FailoverPairNotFound');
    await expectRefusal(await call('GET', login('ghost')), 404, 'ApplianceNotFound');
  });
});
