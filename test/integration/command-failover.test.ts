import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppliance, requireAppliance } from '../../functions/emulator/app/appliance-store.js';
import { getPair } from '../../functions/emulator/app/failover-pair-store.js';
import { establishPair } from '../../functions/emulator/app/failover-pairs.js';
import { sampleAppliance } from '../helpers/fixtures.js';
import { startTestRuntime, type TestRuntime } from '../helpers/runtime.js';
import { expectValid } from '../helpers/xml.js';

let rt: TestRuntime;
let token: string;
let commandXsd: string;

async function command(applianceId: string, params: Record<string, string>) {
  const res = await fetch(`${rt.url}/appliances/${applianceId}/api/command`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params).toString(),
  });
  return { status: res.status, text: await res.text() };
}

beforeAll(async () => {
  rt = await startTestRuntime();
  const license = { primaryHostname: 'cmd.example.com', licenseCount: 15, expires: null };
  await createAppliance(rt.services, sampleAppliance('cmd-a', { productVersion: '11.1.1', ipAddress: '10.9.0.1', license }));
  await createAppliance(rt.services, sampleAppliance('cmd-b', { productVersion: '11.1.1', ipAddress: '10.9.0.2', license }));
  await establishPair(rt.services, { primaryId: 'cmd-a', backupId: 'cmd-b' });
  const account = await (
    await fetch(`${rt.url}/v1/appliances/cmd-b/api-accounts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'ops', permissions: { reporting: false, command: 'full', backup: false } }) })
  ).json();
  const tokenRes = await fetch(`${rt.url}/appliances/cmd-b/oauth2/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${account.clientId}:${account.clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });
  token = (await tokenRes.json()).access_token;
  commandXsd = await (await fetch(`${rt.url}/appliances/cmd-b/api/command.xsd`)).text();
});
afterAll(() => rt?.dispose());

describe('command API set_failover_role', () => {
  it('refuses a bad role or flag with an XML error and changes nothing', async () => {
    const before = JSON.stringify([await getPair(rt.services, (await requireAppliance(rt.services, 'cmd-b')).failover.pairId!), await requireAppliance(rt.services, 'cmd-b')]);
    const bad: Record<string, string>[] = [{ action: 'set_failover_role', role: 'leader' }, { action: 'set_failover_role', role: 'primary', force: 'yes' }];
    for (const params of bad) {
      const res = await command('cmd-b', params);
      // The vendor's answer: HTTP 200 with an <error> document (set_failover_role answers <success> or <error>).
      expect(res.status).toBe(200);
      expect(res.text).toMatch(/<error xmlns="[^"]+">Invalid value for parameter: (role|force)<\/error>/);
      await expectValid(res.text, commandXsd);
    }
    const after = JSON.stringify([await getPair(rt.services, (await requireAppliance(rt.services, 'cmd-b')).failover.pairId!), await requireAppliance(rt.services, 'cmd-b')]);
    expect(after).toBe(before);
  });

  it('promotes the backup after a data sync and answers <success>', async () => {
    const res = await command('cmd-b', { action: 'set_failover_role', role: 'primary', data_sync_first: '1' });
    expect(res.status).toBe(200);
    expect(res.text).toMatch(/<success[^>]*>[^<]+<\/success>/);
    await expectValid(res.text, commandXsd);
    expect((await requireAppliance(rt.services, 'cmd-b')).failover.role).toBe('primary');
    expect((await requireAppliance(rt.services, 'cmd-a')).failover.role).toBe('backup');
  });
});
