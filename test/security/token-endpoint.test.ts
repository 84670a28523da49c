/**
 * The token endpoint under attack (issue 17 items 2, 3): an unknown client id costs no scrypt (counted), so a
 * flood of them cannot exhaust the CPU and timing shows nothing; secrets of accounts written by older versions
 * still verify and are upgraded to the fast hash; failures limit the failing source, not the account.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApiAccount } from '../../functions/emulator/app/api-accounts.js';
import { createAppliance } from '../../functions/emulator/app/appliance-store.js';
import { kdf } from '../../functions/platform/app/credential-hash.js';
import { sourceLimits } from '../../functions/emulator/app/source-limits.js';
import { sampleAppliance } from '../helpers/fixtures.js';
import { rawFetch, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';
import { basicAuth, fromSource } from '../helpers/command-client.js';

let rt: TestRuntime;
const SITE = 'tok-1';
const tokenUrl = () => `${rt.url}/appliances/${SITE}/oauth2/token`;
const post = (authorization: string) =>
  rawFetch(tokenUrl(), { method: 'POST', headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' });

beforeAll(async () => {
  rt = await startTestRuntime();
  await createAppliance(rt.services, sampleAppliance(SITE, { productVersion: '11.1.1' }));
});
afterAll(() => rt?.dispose());

describe('token endpoint cost and lockout', () => {
  it('unknown client ids and current accounts cost no scrypt call', async () => {
    const account = await createApiAccount(rt.services, SITE, { permissions: { command: 'read_only' } });
    const scrypt = vi.spyOn(kdf, 'scrypt');
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 15; i++) statuses.push((await post(basicAuth(`${String(i).padStart(2, '0')}${'e'.repeat(30)}`, 'guess'))).status);
      statuses.push((await post(basicAuth(account.clientId, 'wrong-secret'))).status);
      statuses.push((await post(basicAuth(account.clientId, account.clientSecret))).status);
      expect(statuses).toEqual([...Array(16).fill(401), 200]);
      expect(scrypt).not.toHaveBeenCalled();
    } finally {
      scrypt.mockRestore();
      sourceLimits(rt.services).authFailures.clear();
    }
  });

  it('an account stored with scrypt (older data dirs) still verifies once, then is rewritten with the fast hash', async () => {
    const account = await createApiAccount(rt.services, SITE, { permissions: { command: 'full' } });
    const key = { pk: `APPLIANCE#${SITE}`, sk: `API-ACCOUNT#${account.clientId}` };
    const item = (await rt.services.records.appliances.get(key))!;
    // the format earlier versions wrote: scrypt$salt$hash, N=16384 r=8 p=1
    const salt = Buffer.from('0123456789abcdef');
    const legacy = `scrypt$${salt.toString('base64')}$${(await kdf.scrypt(account.clientSecret, salt)).toString('base64')}`;
    await rt.services.records.appliances.put({ ...item, secretHash: legacy });
    const scrypt = vi.spyOn(kdf, 'scrypt');
    try {
      expect((await post(basicAuth(account.clientId, account.clientSecret))).status).toBe(200);
      expect(scrypt).toHaveBeenCalledTimes(1);
      expect(String((await rt.services.records.appliances.get(key))!.secretHash)).toMatch(/^hmac-sha256\$/);
      expect((await post(basicAuth(account.clientId, account.clientSecret))).status).toBe(200);
      expect(scrypt).toHaveBeenCalledTimes(1);
    } finally {
      scrypt.mockRestore();
    }
  });

  it('21 wrong secrets from one source do not lock the right secret out for another source', async () => {
    const account = await createApiAccount(rt.services, SITE, { permissions: { reporting: true } });
    const init = (secret: string) => ({ method: 'POST', headers: { authorization: basicAuth(account.clientId, secret), 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' });
    const statuses: number[] = [];
    for (let i = 0; i < 21; i++) statuses.push((await fromSource(tokenUrl(), '127.0.0.6', init('wrong'))).status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(20);
    expect(statuses[20]).toBe(429);
    const elsewhere = await fromSource(tokenUrl(), '127.0.0.7', init(account.clientSecret));
    expect(elsewhere.status).toBe(200);
    expect(JSON.parse(elsewhere.text)).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
  });
});
