import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedPackageCatalog } from '../../functions/emulator/app/appliance-seed.js';
import { updateAppliance } from '../../functions/emulator/app/appliance-store.js';
import { buildPackageFile, packageHead, signManifest } from '../../functions/emulator/app/package-signing.js';
import { allocateSessionIds, getSession, putSession } from '../../functions/emulator/app/session-store.js';
import { eventually, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';

let rt: TestRuntime;
beforeAll(async () => {
  rt = await startTestRuntime();
  await seedPackageCatalog(rt.services);
});
afterAll(async () => rt?.dispose());

const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body instanceof Uint8Array) {
    init.body = body as unknown as BodyInit;
    (init.headers as Record<string, string>)['content-type'] ??= 'application/octet-stream';
  } else if (body !== undefined) {
    init.body = JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] = 'application/json';
  }
  const res = await fetch(`${rt.url}${path}`, init);
  const type = res.headers.get('content-type') ?? '';
  const json = type.includes('json') ? await res.json() : await res.text();
  return { status: res.status, headers: res.headers, body: json as Record<string, any> };
};

const newAppliance = async (id: string, o: Record<string, unknown> = {}) => {
  const res = await call('POST', '/appliances', {
    applianceId: id, hostname: `${id}.example.com`, productVersion: '10.5.2', baseVersion: '3.2.4',
    license: { primaryHostname: 'support.example.com', licenseCount: 15, expires: null }, storedDataGb: 0, ...o,
  });
  expect(res.status).toBe(201);
  return res.body;
};

/** Everything a refused request must leave untouched. */
const snapshot = async (id: string) => ({
  appliance: (await call('GET', `/appliances/${id}`)).body,
  installs: (await call('GET', `/appliances/${id}/appliance/installs`)).body,
  packages: (await call('GET', '/packages')).body,
  objects: (await rt.services.blobs.packages.list('')).map((o) => o.key).sort(),
});

const waitOnline = (id: string) =>
  eventually(async () => {
    const s = await call('GET', `/appliances/${id}/appliance/install`);
    return s.body.state === 'online' || s.body.state === 'failed' ? s.body : undefined;
  });

const productPackage = (version: string, requires: Record<string, unknown> = {}, payload = Buffer.from(`payload of ${version}`)) =>
  buildPackageFile({ packageId: `bomgar-${version}`, kind: 'product', version, requires }, payload);

describe('fleet and Check for Updates', () => {
  it('creates appliances and refuses bad input without creating anything', async () => {
    await newAppliance('fleet-1');
    const dup = await call('POST', '/appliances', { applianceId: 'fleet-1', hostname: 'x', productVersion: '10.5.2', baseVersion: '3.2.4', license: { primaryHostname: 'x', licenseCount: 1 } });
    expect(dup).toMatchObject({ status: 409, body: { code: 'ApplianceExists' } });
    const bad = await call('POST', '/appliances', { applianceId: 'fleet-2', hostname: 'x', productVersion: '10.x', baseVersion: '3.2.4', license: { primaryHostname: 'x', licenseCount: 1 } });
    expect(bad).toMatchObject({ status: 400, body: { code: 'InvalidRequest' } });
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
    expect((await call('GET', '/appliances/fleet-2')).status).toBe(404);
  });

  it("lists packages with status, the guide's reason and license info", async () => {
    await newAppliance('check-1');
    const res = await call('GET', '/appliances/check-1/appliance/updates');
    expect(res.status).toBe(200);
    expect(res.body.license).toEqual({ primaryHostname: 'support.example.com', licenses: 15, expires: 'Never' });
    const rows = Object.fromEntries(res.body.updates.map((u: any) => [u.name, u]));
    expect(rows['Base Software-3.2.6']).toMatchObject({ status: 'installable', action: 'Install this Update' });
    expect(rows['Bomgar-10.6.0']).toMatchObject({ status: 'installable' });
    expect(rows['Bomgar-11.1.1']).toMatchObject({ status: 'not-installable', action: null });
    expect(rows['Bomgar-11.1.1'].reasons[0].message).toBe("Bomgar-11.1.1: 3.2.4 does not satisfy 11.1.1's requirements");
    expect((await call('GET', '/appliances/missing-1/appliance/updates')).status).toBe(404);
  });
});

describe('install from the catalog', () => {
  it('installs base software then Bomgar-11.1.1, ending sessions and flagging consoles; consoles report lists laggards', async () => {
    await newAppliance('happy-1');
    for (const [consoleId, deployment] of [['auto-1', 'auto-update'], ['msi-1', 'msi']]) {
      expect((await call('POST', '/appliances/happy-1/staff-consoles', { consoleId, username: consoleId, deployment, loggedIn: true })).status).toBe(201);
      // The console's representative, whose credential starts the console (issue 17 item 9).
      expect((await call('POST', '/appliances/happy-1/login/users', { username: consoleId, password: `${consoleId}-password`, permissions: { provideRemoteSupport: true } })).status).toBe(201);
    }
    const [ids] = await allocateSessionIds(rt.services, 'happy-1', '10.5.2', 1);
    await putSession(rt.services, {
      applianceId: 'happy-1', lsid: ids!.lsid, sessionType: 'support', status: 'active', startTime: new Date().toISOString(), fileTransfers: 0,
      hostName: 'h', externalKey: '', publicSiteId: 1, publicSiteName: 'Default', customerName: 'c', representativeName: 'r', recordedBy: 'happy-1',
    });
    const base = await call('POST', '/appliances/happy-1/appliance/updates/base-3.2.6/install', {}, { 'idempotency-key': 'k-base' });
    expect(base.status).toBe(202);
    expect(base.body).toMatchObject({ packageId: 'base-3.2.6', sessionsTerminated: 1, staffLoggedOut: 2 });
    expect(base.headers.get('location')).toBe(`/appliances/happy-1/appliance/installs/${base.body.installId}`);
    const session = await getSession(rt.services, 'happy-1', ids!.lsid);
    expect(session).toMatchObject({ status: 'completed', endReason: 'terminated-by-upgrade' });
    expect((await waitOnline('happy-1')).baseVersion).toBe('3.2.6');
    // Retrying with the same key returns the same install and installs nothing new.
    const replay = await call('POST', '/appliances/happy-1/appliance/updates/base-3.2.6/install', {}, { 'idempotency-key': 'k-base' });
    expect(replay).toMatchObject({ status: 200, body: { installId: base.body.installId, replayed: true, state: 'online' } });

    expect((await call('POST', '/appliances/happy-1/appliance/updates/bomgar-11.1.1/install', {})).status).toBe(202);
    const done = await waitOnline('happy-1');
    expect(done).toMatchObject({ productVersion: '11.1.1', install: { outcome: 'online', fromVersion: '10.5.2' } });
    expect((await call('GET', '/appliances/happy-1/appliance/installs')).body.installs).toHaveLength(2);
    // Crossing 10.6 migrated the legacy lsid.
    expect(await getSession(rt.services, 'happy-1', ids!.lsid)).toBeUndefined();

    const report = await call('GET', '/appliances/happy-1/staff-consoles/report');
    expect(report.body.appliances[0]).toMatchObject({ siteVersion: '11.1.1', total: 2, current: 0 });
    expect(report.body.appliances[0].laggards.map((l: any) => [l.consoleId, l.status]).sort()).toEqual([['auto-1', 'pending-auto-update'], ['msi-1', 'needs-redeploy']]);
    const login = (user: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${user}-password`).toString('base64')}` });
    const started = await call('POST', '/appliances/happy-1/staff-consoles/auto-1/start', undefined, login('auto-1'));
    expect(started.body).toMatchObject({ version: '11.1.1', loggedIn: true });
    const msi = await call('POST', '/appliances/happy-1/staff-consoles/msi-1/start', undefined, login('msi-1'));
    expect(msi).toMatchObject({ status: 422, body: { code: 'ConsoleNeedsRedeploy' } });
    expect((await call('POST', '/appliances/happy-1/staff-consoles/msi-1/redeploy', {})).body.version).toBe('11.1.1');
    const after = await call('GET', '/staff-consoles/report');
    expect(after.body.appliances.find((r: any) => r.applianceId === 'happy-1').laggards).toEqual([]);
  });

  it('ends failed when the emulator is told to fail, keeping the old version', async () => {
    await newAppliance('fail-1');
    expect((await call('POST', '/appliances/fail-1/appliance/updates/bomgar-10.6.0/install', { simulateFailure: true })).status).toBe(202);
    expect(await waitOnline('fail-1')).toMatchObject({ state: 'failed', productVersion: '10.5.2', install: { outcome: 'failed' } });
  });
});

describe('install refusals change nothing', () => {
  const refusals: [string, (id: string) => Promise<void>, string, unknown, number, string][] = [
    ['unmet prerequisites', async () => undefined, 'bomgar-11.1.1', {}, 422, 'PrerequisitesNotMet'],
    ['a downgrade', async (id) => void (await updateAppliance(rt.services, id, (a) => ({ ...a, productVersion: '11.1.1', baseVersion: '3.2.6' }))), 'bomgar-10.6.0', {}, 422, 'Downgrade'],
    ['the installed version', async (id) => void (await updateAppliance(rt.services, id, (a) => ({ ...a, productVersion: '10.6.0' }))), 'bomgar-10.6.0', {}, 409, 'AlreadyInstalled'],
    ['an established failover pair', async (id) => void (await updateAppliance(rt.services, id, (a) => ({ ...a, failover: { role: 'primary', pairId: 'p1', pairStatus: 'established' } }))), 'bomgar-10.6.0', {}, 422, 'FailoverPairEstablished'],
    ['a missing recent backup', async () => undefined, 'bomgar-10.6.0', { requireBackupWithinHours: 24 }, 422, 'BackupRequired'],
    ['an unknown package', async () => undefined, 'bomgar-99.9.9', {}, 404, 'PackageNotFound'],
    ['a malformed body', async () => undefined, 'bomgar-10.6.0', { force: 'yes' }, 400, 'InvalidRequest'],
  ];
  it.each(refusals)('refuses %s', async (_, arrange, packageId, body, status, code) => {
    const id = `refuse-${code.toLowerCase()}`;
    await newAppliance(id);
    await arrange(id);
    const before = await snapshot(id);
    const res = await call('POST', `/appliances/${id}/appliance/updates/${packageId}/install`, body);
    expect(res).toMatchObject({ status, body: { code, status } });
    expect(typeof res.body.detail).toBe('string');
    expect(await snapshot(id)).toEqual(before);
  });

  it('says the seed wording for unmet prerequisites and allows a forced reinstall', async () => {
    await newAppliance('refuse-wording');
    const res = await call('POST', '/appliances/refuse-wording/appliance/updates/bomgar-11.1.1/install', {});
    expect(res.body.detail).toContain("Bomgar-11.1.1: 3.2.4 does not satisfy 11.1.1's requirements");
    expect(res.body.reasons[0].code).toBe('BaseVersionTooOld');
    await updateAppliance(rt.services, 'refuse-wording', (a) => ({ ...a, productVersion: '10.6.0' }));
    const forced = await call('POST', '/appliances/refuse-wording/appliance/updates/bomgar-10.6.0/install', { force: true });
    expect(forced).toMatchObject({ status: 202, body: { forced: true } });
  });
});

describe('manual update: streamed signed upload', () => {
  it('uploads a package file, stores it content-addressed and installs it', async () => {
    await newAppliance('manual-1', { baseVersion: '3.2.6' });
    const file = productPackage('12.1.0', { minBaseVersion: '3.2.6' });
    const res = await call('POST', '/appliances/manual-1/appliance/updates/manual', file);
    expect(res).toMatchObject({ status: 202, body: { packageId: 'bomgar-12.1.0', targetVersion: '12.1.0' } });
    expect((await waitOnline('manual-1')).productVersion).toBe('12.1.0');
    const pkg = await call('GET', '/packages/bomgar-12.1.0');
    expect(pkg.body).toMatchObject({ source: 'upload', keyId: 'bomgar-emulator-dev-1' });
    const object = await rt.services.blobs.packages.get(`sha256/${pkg.body.sha256}`);
    const chunks: Uint8Array[] = [];
    for await (const c of object!.body) chunks.push(c);
    expect(createHash('sha256').update(Buffer.concat(chunks)).digest('hex')).toBe(pkg.body.sha256);
  });

  const good = () => productPackage('12.2.0');
  const unsigned = () => {
    const payload = Buffer.from('payload of 12.2.0');
    const manifest = { format: 1 as const, packageId: 'bomgar-12.2.0', kind: 'product' as const, version: '12.2.0', requires: {}, payload: { size: payload.length, sha256: createHash('sha256').update(payload).digest('hex') } };
    return Buffer.concat([packageHead({ manifest }), payload]);
  };
  const forged = () => {
    const payload = Buffer.from('payload of 12.2.0');
    const signed = signManifest({ format: 1, packageId: 'bomgar-12.2.0', kind: 'product', version: '12.1.9', requires: {}, payload: { size: payload.length, sha256: createHash('sha256').update(payload).digest('hex') } });
    // The manifest is altered after signing: the signature no longer matches.
    return Buffer.concat([packageHead({ ...signed, manifest: { ...signed.manifest, version: '12.2.0' } }), payload]);
  };
  const bad: [string, () => Uint8Array, number, string, Record<string, string>?][] = [
    ['corrupt', () => Buffer.from('this is not a package file at all'), 400, 'PackageCorrupt'],
    ['truncated', () => good().subarray(0, good().length - 5), 400, 'PackageTruncated'],
    ['unsigned', unsigned, 422, 'PackageUnsigned'],
    ['mis-signed', forged, 422, 'PackageSignatureInvalid'],
    ['digest-mismatching', () => { const f = Buffer.from(good()); f[f.length - 1] = f[f.length - 1]! ^ 0xff; return f; }, 400, 'PackageDigestMismatch'],
    ['empty', () => new Uint8Array(0), 400, 'PackageCorrupt'],
    ['multipart form', () => good(), 415, 'UnsupportedMediaType', { 'content-type': 'multipart/form-data; boundary=x' }],
  ];
  it.each(bad)('rejects a %s file and stores nothing', async (what, make, status, code, headers) => {
    const id = `upload-${what.replace(/\W+/g, '-')}`;
    await newAppliance(id);
    const before = await snapshot(id);
    const res = await call('POST', `/appliances/${id}/appliance/updates/manual`, make(), headers);
    expect(res).toMatchObject({ status, body: { code } });
    expect(await snapshot(id)).toEqual(before);
    expect((await call('GET', '/packages/bomgar-12.2.0')).status).toBe(404);
  });

  it('refuses an upload whose manifest fails the install rules before storing its payload', async () => {
    await newAppliance('upload-prereq');
    const before = await snapshot('upload-prereq');
    const res = await call('POST', '/appliances/upload-prereq/appliance/updates/manual', productPackage('12.3.0', { minBaseVersion: '3.2.6' }));
    expect(res).toMatchObject({ status: 422, body: { code: 'PrerequisitesNotMet' } });
    expect(res.body.detail).toContain("Bomgar-12.3.0: 3.2.4 does not satisfy 12.3.0's requirements");
    expect(await snapshot('upload-prereq')).toEqual(before);
  });

  it('uploads a package without installing; the same file again is deduplicated', async () => {
    const file = productPackage('13.1.0');
    const first = await call('POST', '/packages', file);
    expect(first.status).toBe(201);
    expect((await call('POST', '/packages', file)).status).toBe(200);
    const other = await call('POST', '/packages', productPackage('13.1.0', {}, Buffer.from('different bytes')));
    expect(other).toMatchObject({ status: 409, body: { code: 'PackageConflict' } });
    expect((await rt.services.blobs.packages.list('sha256/')).filter((o) => o.key === `sha256/${first.body.sha256}`)).toHaveLength(1);
  });
});

describe('backups', () => {
  it('create, list, download byte-identical, restore round-trip', async () => {
    await newAppliance('backup-1');
    const created = await call('POST', '/appliances/backup-1/login/software-management/backups');
    expect(created.status).toBe(201);
    const list = await call('GET', '/appliances/backup-1/login/software-management/backups');
    expect(list.body.backups.map((b: any) => b.backupId)).toEqual([created.body.backupId]);
    const dl = await fetch(`${rt.url}/appliances/backup-1/login/software-management/backups/${created.body.backupId}`);
    const bytes = Buffer.from(await dl.arrayBuffer());
    expect(bytes.length).toBe(created.body.size);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(created.body.sha256);
    expect(dl.headers.get('repr-digest')).toBe(`sha-256=:${Buffer.from(created.body.sha256, 'hex').toString('base64')}:`);

    await updateAppliance(rt.services, 'backup-1', (a) => ({ ...a, hostname: 'changed.example.com', license: { ...a.license, licenseCount: 1 } }));
    const restored = await call('POST', `/appliances/backup-1/login/software-management/backups/${created.body.backupId}/restore`);
    expect(restored.status).toBe(200);
    expect(restored.body).toMatchObject({ hostname: 'backup-1.example.com', license: { licenseCount: 15 }, lastRestore: { backupId: created.body.backupId } });
    // The stored file is unchanged by the restore: downloading again gives identical bytes.
    const again = Buffer.from(await (await fetch(`${rt.url}/appliances/backup-1/login/software-management/backups/${created.body.backupId}`)).arrayBuffer());
    expect(again.equals(bytes)).toBe(true);
  });

  it('one Idempotency-Key on two appliances gives two backups: a retry replays, a restore applies its own settings', async () => {
    await newAppliance('backup-key-a');
    await newAppliance('backup-key-b');
    const path = (id: string) => `/appliances/${id}/login/software-management/backups`;
    const a = await call('POST', path('backup-key-a'), undefined, { 'idempotency-key': 'nightly' });
    const b = await call('POST', path('backup-key-b'), undefined, { 'idempotency-key': 'nightly' });
    expect(a.body.backupId).not.toBe(b.body.backupId);
    expect((await call('POST', path('backup-key-a'), undefined, { 'idempotency-key': 'nightly' })).body.backupId).toBe(a.body.backupId);
    expect((await fetch(`${rt.url}${path('backup-key-a')}/${a.body.backupId}`)).status).toBe(200);
    await updateAppliance(rt.services, 'backup-key-a', (x) => ({ ...x, hostname: 'changed.example.com' }));
    const restored = await call('POST', `${path('backup-key-a')}/${a.body.backupId}/restore`);
    expect(restored.body).toMatchObject({ hostname: 'backup-key-a.example.com' });
  });

  it('refuses restoring onto an incompatible version and unknown backups, changing nothing', async () => {
    await newAppliance('backup-src');
    await newAppliance('backup-dst', { productVersion: '11.1.1', baseVersion: '3.2.6' });
    const created = await call('POST', '/appliances/backup-src/login/software-management/backups');
    const before = await snapshot('backup-dst');
    const res = await call('POST', `/appliances/backup-dst/login/software-management/backups/${created.body.backupId}/restore`);
    expect(res).toMatchObject({ status: 422, body: { code: 'IncompatibleBackup', backupVersion: '10.5.2', applianceVersion: '11.1.1' } });
    expect((await call('POST', `/appliances/backup-dst/login/software-management/backups/${'0'.repeat(32)}/restore`)).status).toBe(404);
    expect((await call('POST', '/appliances/backup-dst/login/software-management/backups/nothex/restore')).body.code).toBe('InvalidBackupId');
    expect(await snapshot('backup-dst')).toEqual(before);
  });

  it('lets an install require a recent backup', async () => {
    await newAppliance('backup-gate');
    await call('POST', '/appliances/backup-gate/login/software-management/backups');
    const res = await call('POST', '/appliances/backup-gate/appliance/updates/bomgar-10.6.0/install', { requireBackupWithinHours: 1 });
    expect(res.status).toBe(202);
  });
});
