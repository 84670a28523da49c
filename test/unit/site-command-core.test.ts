/** The pure rules behind the command API: queues, permissions, session changes, session keys, XML per version. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { principalMay, userApiPermissions, type ApiPrincipal } from '../../functions/emulator/core/api-access.js';
import { apiFlavor } from '../../functions/emulator/core/api-flavor.js';
import { newAppliance } from '../../functions/platform/core/appliance.js';
import {
  actionsOf,
  apiInfoXml,
  appliancesXml,
  checkHealthXml,
  companyApiName,
  connectedClientListXml,
  connectedClientsXml,
  customAttributesXml,
  errorInRootXml,
  loggedInRepsXml,
  rootErrorXml,
  sessionKeyXml,
  successXml,
  supportTeamsXml,
} from '../../functions/emulator/core/command-xml.js';
import { closeInvolvement, customParams, joinRepresentative, leaveRepresentative, setCustomAttributes, transferSession } from '../../functions/emulator/core/session-commands.js';
import { newShortKey, parsePriority, parseSkills, parseTtl, sessionFromKey, type SessionKey } from '../../functions/emulator/core/session-key.js';
import { parseQueueId, type SiteUser } from '../../functions/emulator/core/site-users.js';
import { commandXsd } from '../../functions/emulator/core/xsd.js';
import { sampleSession } from '../helpers/sessions.js';
import { expectAllValid } from '../helpers/xml.js';

const user = (userId: number, o: Partial<SiteUser['permissions']> = {}): SiteUser => ({
  applianceId: 'a',
  userId,
  username: `user${userId}`,
  publicDisplayName: `User ${userId}`,
  privateDisplayName: `user ${userId}`,
  permissions: { administrator: false, commandApi: false, provideRemoteSupport: false, reportingApi: false, backupApi: false, ...o },
  disabled: false,
  showOnRepList: true,
  createdAt: 't',
  updatedAt: 't',
  passwordChangedAt: 't',
});
const asUser = (u: SiteUser): ApiPrincipal => ({ kind: 'user', id: u.username, name: u.publicDisplayName, permissions: userApiPermissions(u.permissions), user: u });
const asAccount = (command: 'full' | 'read_only' | 'deny'): ApiPrincipal => ({ kind: 'api-account', id: 'c', name: 'n', permissions: { reporting: false, backup: false, command } });

describe('queues', () => {
  it('parses every queue_id form and refuses the rest', () => {
    expect(parseQueueId('general')).toEqual({ kind: 'general' });
    expect(parseQueueId('rep:12')).toEqual({ kind: 'rep', userId: 12 });
    expect(parseQueueId('team:3')).toEqual({ kind: 'team', teamId: 3 });
    expect(parseQueueId('rep_username:j.doe')).toEqual({ kind: 'rep_username', username: 'j.doe' });
    expect(parseQueueId('issue:printer')).toEqual({ kind: 'issue', codeName: 'printer' });
    for (const bad of [undefined, '', 'General', 'rep:', 'rep:0', 'rep:-1', 'rep:1.5', 'team:x', 'embassy:1', 'issue:Bad Code', 'rep_username:<x>', 'general:1']) {
      expect(() => parseQueueId(bad), String(bad)).toThrow(expect.objectContaining({ code: 'InvalidQueue' }));
    }
    expect(() => parseQueueId('general', ['rep', 'team'])).toThrow(expect.objectContaining({ code: 'InvalidQueue' }));
  });
});

describe('who may run what', () => {
  it('site users: command API permission, support for keys, administrator for session control (facts A4)', () => {
    const reader = asUser(user(1, { commandApi: true }));
    const rep = asUser(user(2, { commandApi: true, provideRemoteSupport: true }));
    const adminUser = asUser(user(3, { commandApi: true, administrator: true }));
    const nobody = asUser(user(4));
    expect(principalMay(nobody, { account: 'read_only', user: 'none' })).toBe(true);
    expect(principalMay(nobody, { account: 'read_only', user: 'command' })).toBe(false);
    expect(principalMay(reader, { account: 'read_only', user: 'command' })).toBe(true);
    expect(principalMay(reader, { account: 'full', user: 'support' })).toBe(false);
    expect(principalMay(rep, { account: 'full', user: 'support' })).toBe(true);
    expect(principalMay(rep, { account: 'full', user: 'admin' })).toBe(false);
    expect(principalMay(adminUser, { account: 'full', user: 'admin' })).toBe(true);
    expect(userApiPermissions(adminUser.kind === 'user' ? adminUser.user.permissions : user(0).permissions).command).toBe('full');
  });

  it('API accounts: read-only or full access (facts A19/A20)', () => {
    expect(principalMay(asAccount('deny'), { account: 'read_only', user: 'none' })).toBe(false);
    expect(principalMay(asAccount('read_only'), { account: 'read_only', user: 'admin' })).toBe(true);
    expect(principalMay(asAccount('read_only'), { account: 'full', user: 'none' })).toBe(false);
    expect(principalMay(asAccount('full'), { account: 'full', user: 'admin' })).toBe(true);
  });
});

describe('what session actions change', () => {
  const base = () => sampleSession('a', 'c69a8e10bea9428f816cfababe9815fe', { status: 'active' });
  it('join, join again (no-op), leave: seconds involved add up; terminate closes every involvement', () => {
    const alice = user(3);
    const joined = joinRepresentative(base(), alice, '2026-11-01T10:00:00.000Z');
    expect(joined.representatives).toEqual([expect.objectContaining({ id: 3, joinedAt: '2026-11-01T10:00:00.000Z', secondsInvolved: 0, primary: true })]);
    expect(joinRepresentative(joined, alice, '2026-11-01T10:05:00.000Z')).toBe(joined);
    const left = leaveRepresentative(joined, 3, '2026-11-01T10:01:30.000Z');
    expect(left.representatives![0]).toMatchObject({ secondsInvolved: 90 });
    expect(left.representatives![0]!.joinedAt).toBeUndefined();
    expect(() => leaveRepresentative(left, 3, '2026-11-01T10:02:00.000Z')).toThrow(expect.objectContaining({ code: 'RepresentativeNotInSession' }));
    const again = joinRepresentative(left, alice, '2026-11-01T11:00:00.000Z');
    const bob = joinRepresentative(again, user(4), '2026-11-01T11:00:00.000Z');
    expect(bob.representatives!.map((r) => [r.id, r.primary, r.gsnumber])).toEqual([[3, true, 2], [4, false, 3]]);
    const closed = closeInvolvement(bob, '2026-11-01T11:00:10.000Z');
    expect(closed.representatives!.map((r) => [r.secondsInvolved, r.joinedAt])).toEqual([[100, undefined], [10, undefined]]);
  });

  it('custom attributes: set, clear with an empty value, external key, limits; an ended session refuses everything', () => {
    const s = setCustomAttributes(base(), { asset: 'PC-1', external_key: 'INC9' });
    expect(s).toMatchObject({ customAttributes: { asset: 'PC-1' }, externalKey: 'INC9' });
    expect(setCustomAttributes(s, { asset: '' }).customAttributes).toBeUndefined();
    expect(() => setCustomAttributes(s, { note: 'x'.repeat(1025) })).toThrow(expect.objectContaining({ code: 'AttributeTooLong' }));
    const eleven = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`f${i}`, 'x'.repeat(1000)]));
    expect(() => setCustomAttributes(s, eleven)).toThrow(expect.objectContaining({ code: 'AttributesTooLarge' }));
    expect(customParams({ 'session.custom.a_1': 'v', action: 'x' })).toEqual({ a_1: 'v' });
    expect(() => customParams({ 'session.custom.A': 'v' })).toThrow(expect.objectContaining({ code: 'InvalidAttributeName' }));
    const ended = { ...base(), status: 'completed' as const };
    for (const f of [() => setCustomAttributes(ended, {}), () => transferSession(ended, 'team:1', 1), () => joinRepresentative(ended, user(1), 't')]) {
      expect(f).toThrow(expect.objectContaining({ code: 'SessionNotActive' }));
    }
  });
});

describe('session keys', () => {
  it('7-digit codes, uniform digits, never a leading zero', () => {
    let i = 0;
    const bytes = [0, 10, 250, 255, 1, 2, 3, 4, 5, 6, 7];
    expect(newShortKey(() => bytes[i++]!)).toBe('1234567');
    const counts = Array(10).fill(0);
    const rnd = fc.sample(fc.integer({ min: 0, max: 255 }), { numRuns: 70_000, seed: 1 });
    let at = 0;
    for (let k = 0; k < 8000; k++) for (const d of newShortKey(() => rnd[at++ % rnd.length]!).slice(1)) counts[Number(d)]++;
    for (const c of counts) expect(c / (8000 * 6)).toBeGreaterThan(0.08);
  });

  it('ttl, priority and skills are validated', () => {
    expect(parseTtl(undefined)).toBe(86_400);
    expect(parseTtl('3600')).toBe(3600);
    for (const bad of ['59', '31536001', '1e4', '-5', '']) expect(() => parseTtl(bad)).toThrow(expect.objectContaining({ code: 'InvalidTtl' }));
    expect(parsePriority('high')).toBe('high');
    expect(() => parsePriority('urgent')).toThrow(expect.objectContaining({ code: 'InvalidPriority' }));
    expect(parseSkills('a,b,a')).toEqual(['a', 'b']);
    expect(() => parseSkills('ok,Not Ok')).toThrow(expect.objectContaining({ code: 'InvalidSkills' }));
  });

  it('a key becomes one waiting session in its queue; expired and used keys refuse', () => {
    const key: SessionKey = { applianceId: 'a', shortKey: '1234567', type: 'support', queue: 'team:2', queueId: 'issue:vpn', externalKey: 'INC1', customAttributes: { tag: 'x' }, skills: [], ttl: 60, createdAt: '2026-11-01T00:00:00.000Z', expiresAt: '2026-11-01T00:01:00.000Z', urlHostname: 'h', createdBy: 'user:api' };
    const s = sessionFromKey(key, new Date('2026-11-01T00:00:30Z'), { lsid: 'f'.repeat(32), lseq: 9 }, { name: 'c', hostname: 'ws' });
    expect(s).toMatchObject({ status: 'active', queue: 'team:2', teamId: 2, externalKey: 'INC1', customAttributes: { tag: 'x' }, lseq: 9, representatives: [] });
    expect(() => sessionFromKey(key, new Date('2026-11-01T00:01:00Z'), { lsid: 'x' }, { name: 'c', hostname: 'ws' })).toThrow(expect.objectContaining({ code: 'SessionKeyExpired' }));
    expect(() => sessionFromKey({ ...key, redeemedAt: 't' }, new Date('2026-11-01T00:00:30Z'), { lsid: 'x' }, { name: 'c', hostname: 'ws' })).toThrow(expect.objectContaining({ code: 'SessionKeyUsed' }));
  });
});

describe('command XML per version', () => {
  const versions = ['10.5.2', '10.6.0', '11.1.1', '13.1.0', '21.1.0', '24.1.0'];

  it('each version has its actions: five plus the control plane two before 11.1, the 14.1 set from 1.6.0, leave_session from 1.21.0', () => {
    expect(actionsOf(apiFlavor('10.5.2'))).toHaveLength(7);
    expect(actionsOf(apiFlavor('10.6.0'))).toEqual(actionsOf(apiFlavor('10.5.2')));
    expect(actionsOf(apiFlavor('11.1.1'))).toHaveLength(14);
    expect(actionsOf(apiFlavor('11.1.1'))).not.toContain('leave_session');
    expect(actionsOf(apiFlavor('21.1.0'))).toContain('leave_session');
  });

  it('every response of every version validates against that version’s command.xsd, and not against the other flavor', async () => {
    for (const version of versions) {
      const flavor = apiFlavor(version);
      const a = { ...newAppliance('app-1', '2026-11-01T00:00:00.000Z', { productVersion: version, failover: { role: 'primary', lastSyncAt: '2026-11-01T00:00:00.000Z', lastSyncStatus: 'ok' } }), version: 1 };
      const key: SessionKey = { applianceId: 'a', shortKey: '1234567', type: 'support', queue: 'general', queueId: 'general', externalKey: '', customAttributes: {}, skills: [], ttl: 60, createdAt: '2026-11-01T00:00:00.000Z', expiresAt: '2026-11-01T00:01:00.000Z', urlHostname: 'h.example.com', createdBy: 'x' };
      const client = { id: '0123456789abcdef', type: 'representative' as const, hostname: 'pc', connectedSince: '2026-11-01T00:00:00.000Z' };
      const docs = [
        apiInfoXml(flavor, { now: new Date(), companyName: companyApiName(a), permissions: { reporting: true, backup: false, command: 'read_only' } }),
        apiInfoXml(flavor, { now: new Date(), companyName: 'x' }),
        checkHealthXml(flavor, a),
        checkHealthXml(flavor, { ...a, state: 'failed', failover: { role: 'none' } }),
        loggedInRepsXml(flavor, [{ userId: 1, publicDisplayName: 'A', privateDisplayName: 'a', loggedInSince: '2026-11-01T00:00:00.000Z', supportSessionCount: 2, showingOnRepList: true, directUrl: 'https://h/?id=1' }]),
        loggedInRepsXml(flavor, []),
        supportTeamsXml(flavor, [{ teamId: 1, name: 'T', codeName: 't', members: [{ userId: 1, displayName: 'A' }] }], true),
        supportTeamsXml(flavor, [], false),
        sessionKeyXml(flavor, key, { queueName: 'General Queue', mailSubject: 's', mailBody: 'b', url: 'https://h.example.com/?ak=1234567' }),
        successXml(flavor, 'Successfully transferred'),
        rootErrorXml(flavor, 'Invalid action'),
        errorInRootXml(flavor, 'logged_in_reps', 'Login failed'),
        errorInRootXml(flavor, 'get_api_info', 'Login failed'),
        errorInRootXml(flavor, 'session_key', 'Invalid ttl'),
      ];
      if (actionsOf(flavor).includes('get_appliances')) {
        docs.push(appliancesXml(flavor, [a]), customAttributesXml(flavor, 'INC1', { tag: 'v' }), connectedClientListXml(flavor, 'app-1', [client], ['representative'], false), connectedClientsXml(flavor, 'app-1', [client], true));
      }
      const xsd = commandXsd(flavor);
      await expectAllValid(docs, xsd);
      for (const d of docs) for (const line of d.trimEnd().split('\n').slice(1)) expect(line.match(/<[a-z_]+[ >]/g)?.length ?? 0).toBeLessThanOrEqual(1);
      const other = commandXsd(apiFlavor(flavor.namespace ? '10.5.2' : '10.6.0'));
      await expect(expectAllValid([docs[0]!], other)).rejects.toThrow();
    }
  });

  it('any text in names and attributes keeps the documents valid (property, real validator)', async () => {
    const flavor = apiFlavor('11.1.1');
    const texts = fc.sample(fc.string({ unit: 'binary', maxLength: 30 }), { numRuns: 40, seed: 7 });
    const docs = texts.flatMap((t) => [
      loggedInRepsXml(flavor, [{ userId: 1, publicDisplayName: t, privateDisplayName: t, loggedInSince: '2026-11-01T00:00:00.000Z', supportSessionCount: 0, showingOnRepList: false, directUrl: `https://h/?id=${t}` }]),
      supportTeamsXml(flavor, [{ teamId: 1, name: t, codeName: t, members: [{ userId: 1, displayName: t }] }], true),
      customAttributesXml(flavor, t, { [`c${t.length}`]: t }),
      errorInRootXml(flavor, 'custom_attributes', t),
    ]);
    await expectAllValid(docs, commandXsd(flavor));
  });
});
