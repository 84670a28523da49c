/**
 * API-account creation validates its body (issue 17 item 5): unknown fields and wrong types are a 400 that
 * names every bad field, and nothing is stored.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppliance } from '../../functions/emulator/app/appliance-store.js';
import { queryAll } from '../../functions/platform/core/ports.js';
import { sampleAppliance } from '../helpers/fixtures.js';
import { startTestRuntime, type TestRuntime } from '../helpers/runtime.js';

let rt: TestRuntime;
beforeAll(async () => {
  rt = await startTestRuntime();
  await createAppliance(rt.services, sampleAppliance('acct-1', { productVersion: '11.1.1' }));
});
afterAll(() => rt?.dispose());

const accounts = async () => (await queryAll(rt.services.records.appliances, { pk: 'APPLIANCE#acct-1', sk: { beginsWith: 'API-ACCOUNT#' } })).length;
const create = (body: string, type = 'application/json') => fetch(`${rt.url}/v1/appliances/acct-1/api-accounts`, { method: 'POST', headers: { 'content-type': type }, body });

describe('POST /v1/appliances/:applianceId/api-accounts', () => {
  it('{"permissions":7,"junk":1} → 400 naming both fields; nothing stored', async () => {
    const res = await create('{"permissions":7,"junk":1}');
    expect(res.status).toBe(400);
    const problem = (await res.json()) as { code: string; errors: { path: string }[] };
    expect(problem.code).toBe('ValidationFailed');
    expect(problem.errors.map((e) => e.path).sort()).toEqual(['junk', 'permissions']);
    expect(await accounts()).toBe(0);
  });

  it.each([
    ['a wrong permission value', '{"permissions":{"command":"admin"}}', 'permissions.command'],
    ['an unknown permission', '{"permissions":{"reporting":true,"everything":true}}', 'permissions.everything'],
    ['a non-boolean flag', '{"permissions":{"backup":"yes"}}', 'permissions.backup'],
    ['a name too long', JSON.stringify({ name: 'n'.repeat(129) }), 'name'],
    ['a body that is not an object', '[1,2]', '(root)'],
  ])('%s (%s) → 400 naming the field; nothing stored', async (_, body, path) => {
    const res = await create(body);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { errors: { path: string }[] }).errors.map((e) => e.path)).toContain(path);
    expect(await accounts()).toBe(0);
  });

  it('malformed JSON → 400 MalformedJson; another media type → 415; nothing stored', async () => {
    const malformed = await create('{"permissions":');
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { code: string }).code).toBe('MalformedJson');
    expect((await create('name=x', 'application/x-www-form-urlencoded')).status).toBe(415);
    expect(await accounts()).toBe(0);
  });

  it('a valid body still creates the account (an empty body too: defaults)', async () => {
    const res = await create(JSON.stringify({ name: 'ok', permissions: { reporting: true, command: 'read_only', backup: false } }));
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ name: 'ok', permissions: { reporting: true, command: 'read_only', backup: false } });
    expect((await create('')).status).toBe(201);
    expect(await accounts()).toBe(2);
  });
});
