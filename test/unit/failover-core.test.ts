import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ChangeResourceRecordSetsCommand } from '@aws-sdk/client-route-53';
import { Route53DnsPublisher } from '../../functions/emulator/adapters/route53-dns.js';
import { buildServices } from '../../functions/platform/adapters/services.js';
import { emulatorAdapters } from '../../functions/emulator/adapters/emulator-services.js';
import { loadConfig } from '../../functions/platform/adapters/config.js';
import { createAppliance, requireAppliance, updateAppliance } from '../../functions/emulator/app/appliance-store.js';
import { seedDemoFailoverPair } from '../../functions/emulator/app/failover-seed.js';
import { getPair } from '../../functions/emulator/app/failover-pair-store.js';
import { getPrimaryHostname } from '../../functions/emulator/app/primary-hostname.js';
import type { Appliance } from '../../functions/platform/core/appliance.js';
import {
  advanceWatermark,
  assertNoSessionsAtRisk,
  decideBreak,
  decideEstablish,
  decideRoleChange,
  decideSync,
  evaluateIntegration,
  pairIdFor,
  sessionFingerprint,
  sessionIdentity,
  sessionsAtRisk,
  type FailoverPair,
} from '../../functions/emulator/core/failover.js';
import { migrateLegacySession, type SupportSession } from '../../functions/emulator/core/session.js';
import { sampleAppliance } from '../helpers/fixtures.js';
import { memoryContext } from '../helpers/memory-context.js';

const sha = (t: string) => createHash('sha256').update(t).digest('hex');
const appliance = (id: string, o: Partial<Appliance> = {}): Appliance => ({ ...sampleAppliance(id, o), version: 1 });
const pair = (o: Partial<FailoverPair> = {}): FailoverPair => ({
  pairId: 'fp-1', primaryId: 'a', backupId: 'b', status: 'established', productVersions: {}, watermarks: {},
  createdAt: '', updatedAt: '', version: 1, ...o,
});
const session = (o: Partial<SupportSession>): SupportSession => ({
  applianceId: 'a', lsid: '1', sessionType: 'support', status: 'completed', startTime: '2026-01-01T00:00:00Z', fileTransfers: 0,
  hostName: 'h', externalKey: '', publicSiteId: 1, publicSiteName: 'D', customerName: 'c', representativeName: 'r', recordedBy: 'a', ...o,
});
const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
};

describe('decideEstablish', () => {
  const id = pairIdFor('a', 'b', sha);
  it('derives one pair id per two appliances, whatever the order', () => {
    expect(pairIdFor('b', 'a', sha)).toBe(id);
    expect(pairIdFor('a', 'c', sha)).not.toBe(id);
  });
  it('picks merge for ≥ 10.6 and overwrite before', () => {
    expect(decideEstablish(appliance('a', { productVersion: '10.6.0' }), appliance('b', { productVersion: '10.6.0' }), undefined, id).mode).toBe('merge');
    expect(decideEstablish(appliance('a'), appliance('b'), undefined, id).mode).toBe('overwrite');
  });
  it('refuses with a reason', () => {
    expect(codeOf(() => decideEstablish(appliance('a'), appliance('a'), undefined, id))).toBe('SameAppliance');
    expect(codeOf(() => decideEstablish(appliance('a'), appliance('b', { productVersion: '10.6.0' }), undefined, id))).toBe('ProductVersionMismatch');
    expect(codeOf(() => decideEstablish(appliance('a', { state: 'installing' }), appliance('b'), undefined, id))).toBe('ApplianceInstalling');
    expect(codeOf(() => decideEstablish(appliance('a'), appliance('b', { state: 'failed' }), undefined, id))).toBe('ApplianceNotOnline');
    expect(codeOf(() => decideEstablish(appliance('a', { failover: { role: 'primary', pairId: 'fp-other' } }), appliance('b'), undefined, id))).toBe('ApplianceInAnotherPair');
    expect(codeOf(() => decideEstablish(appliance('b'), appliance('a'), pair({ pairId: id }), id))).toBe('PairAlreadyEstablished');
    expect(codeOf(() => decideEstablish(appliance('a'), appliance('b'), pair({ pairId: id, status: 'syncing', syncing: { kind: 'incremental', startedAt: '' } }), id))).toBe('PairSyncing');
  });
  it('is idempotent when established with the same roles and resumes an interrupted establish', () => {
    expect(decideEstablish(appliance('a'), appliance('b'), pair({ pairId: id }), id)).toMatchObject({ alreadyEstablished: true });
    expect(decideEstablish(appliance('a'), appliance('b'), pair({ pairId: id, status: 'syncing', syncing: { kind: 'establish', startedAt: '' } }), id)).toMatchObject({ resume: true });
  });
});

describe('break, sync and role rules', () => {
  it('break is idempotent and refused while syncing', () => {
    expect(decideBreak(pair({ status: 'broken' })).alreadyBroken).toBe(true);
    expect(decideBreak(pair()).alreadyBroken).toBe(false);
    expect(codeOf(() => decideBreak(pair({ status: 'syncing' })))).toBe('PairSyncing');
  });
  it('sync needs a live pair', () => {
    expect(codeOf(() => decideSync(pair({ status: 'broken' })))).toBe('PairNotEstablished');
    expect(codeOf(() => decideSync(pair({ status: 'syncing' })))).toBeUndefined();
  });
  it('role changes', () => {
    const opts = { dataSyncFirst: false, force: false, peerReachable: true, backupBehind: 0 };
    expect(decideRoleChange(pair(), 'a', 'primary', opts).unchanged).toBe(true);
    expect(decideRoleChange(pair(), 'b', 'primary', opts)).toEqual({ unchanged: false, syncFirst: false, breaksPair: false });
    expect(codeOf(() => decideRoleChange(pair(), 'b', 'primary', { ...opts, backupBehind: 3 }))).toBe('BackupBehind');
    expect(decideRoleChange(pair(), 'b', 'primary', { ...opts, backupBehind: 3, dataSyncFirst: true }).syncFirst).toBe(true);
    expect(codeOf(() => decideRoleChange(pair(), 'a', 'backup', { ...opts, peerReachable: false }))).toBe('PeerUnreachable');
    expect(decideRoleChange(pair(), 'a', 'backup', { ...opts, peerReachable: false, force: true }).breaksPair).toBe(true);
    expect(codeOf(() => decideRoleChange(pair({ status: 'broken' }), 'b', 'primary', { ...opts, dataSyncFirst: true }))).toBe('PairNotEstablished');
    expect(decideRoleChange(pair({ status: 'broken' }), 'b', 'primary', opts).breaksPair).toBe(false);
  });
});

describe('session identity, watermarks and sessions at risk', () => {
  it('identifies legacy sessions by recorder + number across migration and renumbering', () => {
    const legacy = session({ lsid: '7', recordedBy: 'b' });
    const migrated = migrateLegacySession(legacy, sha);
    expect(sessionIdentity(legacy)).toBe('legacy:b:7');
    expect(sessionIdentity(migrated)).toBe('legacy:b:7');
    expect(sessionIdentity({ ...legacy, lsid: '12', sourceLsid: '7' })).toBe('legacy:b:7');
    expect(sessionIdentity(session({ lsid: '7', recordedBy: 'a' }))).not.toBe('legacy:b:7');
    expect(sessionIdentity(session({ lsid: 'c69a8e10bea9428f816cfababe9815fe' }))).toBe('guid:c69a8e10bea9428f816cfababe9815fe');
  });
  it('stops the watermark below the first active session', () => {
    const w = { by: 'lseq' as const, value: 10 };
    expect(advanceWatermark(w, [session({ lseq: 11 }), session({ lseq: 12 })])).toEqual({ by: 'lseq', value: 12 });
    expect(advanceWatermark(w, [session({ lseq: 11 }), session({ lseq: 12, status: 'active' }), session({ lseq: 13 })])).toEqual({ by: 'lseq', value: 11 });
    expect(advanceWatermark({ by: 'lsid', value: 2 }, [session({ lsid: '3' }), session({ lsid: '5' })])).toEqual({ by: 'lsid', value: 5 });
    expect(advanceWatermark(w, [])).toEqual(w);
  });
  it('lists backup sessions neither on the primary nor exported in their current form', () => {
    const onBoth = session({ lsid: '1', recordedBy: 'a' });
    const exported = session({ lsid: '2', recordedBy: 'b' });
    const changedSinceExport = session({ lsid: '3', recordedBy: 'b', status: 'completed', endTime: 'x' });
    const fresh = session({ lsid: '4', recordedBy: 'b' });
    const risk = sessionsAtRisk(
      [onBoth, exported, changedSinceExport, fresh],
      new Set([sessionIdentity(onBoth)]),
      new Set([sessionFingerprint(exported), sessionFingerprint({ ...changedSinceExport, status: 'active', endTime: undefined })]),
    );
    expect(risk.map((s) => s.lsid)).toEqual(['3', '4']);
    expect(codeOf(() => assertNoSessionsAtRisk('fp', 'b', [{ lsid: '4', recordedBy: 'b', status: 'completed', startTime: '' }], false))).toBe('SessionsAtRisk');
    expect(codeOf(() => assertNoSessionsAtRisk('fp', 'b', [{ lsid: '4', recordedBy: 'b', status: 'completed', startTime: '' }], true))).toBeUndefined();
  });
});

describe('integration readiness', () => {
  const target = { applianceId: 'b', ipAddress: '10.0.0.2' };
  const resolve = (h: string) => (h === 'support.example.com' ? 'a' : undefined);
  const byIp = (ip: string) => ({ '10.0.0.1': 'a', '10.0.0.2': 'b' })[ip];
  it('hostname clients follow the swap, IP clients do not', () => {
    expect(evaluateIntegration({ integrationId: 'i', name: 'n', pairId: 'p', target: { kind: 'hostname', hostname: 'support.example.com' } }, target, resolve, byIp)).toMatchObject({ ready: true, reachesAfter: 'b' });
    const ip = evaluateIntegration({ integrationId: 'i', name: 'n', pairId: 'p', target: { kind: 'ip', ipAddress: '10.0.0.1' } }, target, resolve, byIp);
    expect(ip).toMatchObject({ ready: false, reachesNow: 'a', reachesAfter: 'a' });
    expect(ip.reason).toContain('will not follow');
    expect(evaluateIntegration({ integrationId: 'i', name: 'n', pairId: 'p', target: { kind: 'ip', ipAddress: '10.0.0.2' } }, target, resolve, byIp).ready).toBe(true);
    expect(evaluateIntegration({ integrationId: 'i', name: 'n', pairId: 'p', target: { kind: 'hostname', hostname: 'other.example.com' } }, target, resolve, byIp).ready).toBe(false);
  });
});

describe('Route 53 adapter', () => {
  it('UPSERTs an A record with the TTL', async () => {
    const sent: unknown[] = [];
    const publisher = new Route53DnsPublisher({ send: async (command: unknown) => void sent.push(command) } as never, 'Z123');
    await publisher.publish({ hostname: 'support.example.com', applianceId: 'b', ipAddress: '10.0.0.2', ttlSeconds: 30, updatedAt: '', version: 2 });
    expect(sent).toHaveLength(1);
    expect(sent[0]).toBeInstanceOf(ChangeResourceRecordSetsCommand);
    expect((sent[0] as ChangeResourceRecordSetsCommand).input).toMatchObject({
      HostedZoneId: 'Z123',
      ChangeBatch: { Changes: [{ Action: 'UPSERT', ResourceRecordSet: { Name: 'support.example.com', Type: 'A', TTL: 30, ResourceRecords: [{ Value: '10.0.0.2' }] } }] },
    });
  });
  it('is only configured when a hosted zone is given', () => {
    expect(buildServices(loadConfig({}), undefined, {}, [emulatorAdapters]).dns).toBeUndefined();
    expect(buildServices(loadConfig({}), undefined, { ROUTE53_HOSTED_ZONE_ID: 'Z1' }, [emulatorAdapters]).dns?.name).toBe('route53');
  });
});

describe('demo seed', () => {
  it('does nothing without the demo appliances, then pairs them once with the primary hostname', async () => {
    const ctx = memoryContext();
    await seedDemoFailoverPair(ctx);
    expect(await getPrimaryHostname(ctx, 'support.example.com')).toBeUndefined();
    await createAppliance(ctx, sampleAppliance('appliance-a', { ipAddress: '10.0.0.1' }));
    await createAppliance(ctx, sampleAppliance('appliance-b', { ipAddress: '10.0.0.2' }));
    await seedDemoFailoverPair(ctx);
    const a = await requireAppliance(ctx, 'appliance-a');
    expect(a.failover).toMatchObject({ role: 'primary', pairStatus: 'established' });
    expect(await getPrimaryHostname(ctx, 'support.example.com')).toMatchObject({ applianceId: 'appliance-a', ipAddress: '10.0.0.1' });
    const pairVersion = (await getPair(ctx, a.failover.pairId!))!.version;
    await updateAppliance(ctx, 'appliance-b', (b) => b); // unrelated change
    await seedDemoFailoverPair(ctx);
    expect((await getPair(ctx, a.failover.pairId!))!.version).toBe(pairVersion);
  });
});
