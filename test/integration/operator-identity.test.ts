/**
 * Operator identity on a deployed stack, run locally: OIDC sign-in with JWTs verified against an issuer's
 * JWKS (keys, JWKS and discovery document made by the test and served over HTTP), role mapping, the
 * four-eyes rule on the token's subject, and token administration by role.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueOperatorToken } from '../../functions/control-plane/app/operator-tokens.js';
import { requireRun, updateRun } from '../../functions/control-plane/app/run-store.js';
import { createUpgradeRun } from '../../functions/control-plane/app/runs.js';
import { rolesFromClaims } from '../../functions/platform/api/auth/oidc.js';
import { createAppliance } from '../../functions/emulator/app/appliance-store.js';
import { sampleAppliance } from '../helpers/fixtures.js';
import { rawFetch, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';

const AUDIENCE = 'console-client-1';
const ROLE_MAP = { 'upgrade-operators': ['operator'], 'upgrade-approvers': ['approver'], 'upgrade-admins': ['admin'], 'upgrade-leads': ['operator', 'approver'] };

let idp: Server;
let issuer: string;
let signingKey: CryptoKey;
let strangerKey: CryptoKey;
let rt: TestRuntime;
let jwksFetches = 0;

beforeAll(async () => {
  const pair = await generateKeyPair('RS256');
  signingKey = pair.privateKey;
  strangerKey = (await generateKeyPair('RS256')).privateKey;
  const jwk: JWK = { ...(await exportJWK(pair.publicKey)), kid: 'key-1', alg: 'RS256', use: 'sig' };
  idp = createServer((req, res) => {
    if (req.url === '/.well-known/openid-configuration') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks.json`, authorization_endpoint: `${issuer}/authorize`, token_endpoint: `${issuer}/token` }));
    } else if (req.url === '/jwks.json') {
      jwksFetches++;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [jwk] }));
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((r) => idp.listen(0, '127.0.0.1', r));
  issuer = `http://127.0.0.1:${(idp.address() as AddressInfo).port}`;
  rt = await startTestRuntime({ env: { OIDC_ISSUER: issuer, OIDC_AUDIENCE: AUDIENCE, OIDC_ROLE_MAP: JSON.stringify(ROLE_MAP) } });
  await issueOperatorToken(rt.services, { operatorId: 'root-admin', displayName: 'Root admin', roles: ['admin'], token: ADMIN_TOKEN });
});
afterAll(async () => {
  await rt?.dispose();
  await new Promise((r) => idp?.close(r));
});

const ADMIN_TOKEN = 'identity-test-admin-token-0001';

async function jwt(claims: Record<string, unknown>, options: { key?: CryptoKey; kid?: string; issuer?: string; audience?: string | null; expiresIn?: string | number } = {}) {
  let builder = new SignJWT({ groups: ['upgrade-leads'], name: 'Alice Example', ...claims })
    .setProtectedHeader({ alg: 'RS256', kid: options.kid ?? 'key-1' })
    .setIssuer(options.issuer ?? issuer)
    .setSubject(String(claims.sub ?? 'alice-0001'))
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '10m');
  if (options.audience !== null) builder = builder.setAudience(options.audience ?? AUDIENCE);
  return builder.sign(options.key ?? signingKey);
}

const me = (token: string) => rawFetch(`${rt.url}/v1/me`, { headers: { authorization: `Bearer ${token}` } });
const problem = async (res: Response) => (await res.json()) as { code: string; detail: string };

describe('OIDC sign-in (JWT verified against the issuer JWKS)', () => {
  it('accepts a valid token: the operator is its subject, with the mapped roles and name', async () => {
    const res = await me(await jwt({ sub: 'alice-0001' }));
    expect(res.status).toBe(200);
    expect((await res.json()).operator).toEqual({ operatorId: 'alice-0001', displayName: 'Alice Example', roles: ['operator', 'approver'] });
  });

  it('refuses an expired token (401 TokenExpired)', async () => {
    const res = await me(await jwt({}, { expiresIn: Math.floor(Date.now() / 1000) - 60 }));
    expect(res.status).toBe(401);
    expect((await problem(res)).code).toBe('TokenExpired');
  });

  it('refuses a token for another audience', async () => {
    const res = await me(await jwt({}, { audience: 'some-other-api' }));
    expect(res.status).toBe(401);
    expect((await problem(res)).detail).toContain('audience');
  });

  it('refuses a token from another issuer, even signed with the right key', async () => {
    const res = await me(await jwt({}, { issuer: 'https://evil.example.com' }));
    expect(res.status).toBe(401);
    expect((await problem(res)).detail).toContain('not issued by');
  });

  it('refuses a token whose key id the issuer does not publish, and one signed with a key it does not hold', async () => {
    const fetched = jwksFetches;
    const unknownKid = await me(await jwt({}, { key: strangerKey, kid: 'key-unknown' }));
    expect(unknownKid.status).toBe(401);
    expect((await problem(unknownKid)).detail).toContain('key');
    expect(jwksFetches).toBeGreaterThanOrEqual(fetched); // an unknown kid may refetch the JWKS (rate-limited by jose)
    const forged = await me(await jwt({}, { key: strangerKey, kid: 'key-1' }));
    expect(forged.status).toBe(401);
  });

  it('maps groups to roles; a token that grants no role is refused (403 NoRoleGranted)', async () => {
    const admin = await me(await jwt({ sub: 'adam-1', groups: ['upgrade-admins', 'unrelated'] }));
    expect((await admin.json()).operator.roles).toEqual(['admin']);
    const none = await me(await jwt({ sub: 'nobody-1', groups: ['unrelated'] }));
    expect(none.status).toBe(403);
    expect((await problem(none)).code).toBe('NoRoleGranted');
    // Without a map, role names are taken as they are; Cognito's claim name and nested claims work too.
    expect(rolesFromClaims({ 'cognito:groups': ['approver', 'viewer', 'root'] }, { rolesClaim: 'cognito:groups' })).toEqual(['viewer', 'approver']);
    expect(rolesFromClaims({ realm_access: { roles: ['operator'] } }, { rolesClaim: 'realm_access.roles' })).toEqual(['operator']);
    expect(rolesFromClaims({ groups: 'upgrade-admins upgrade-operators' }, { rolesClaim: 'groups', roleMap: ROLE_MAP as never })).toEqual(['operator', 'admin']);
  });

  it('accepts a Cognito access token (no aud; client_id names the app client)', async () => {
    const res = await me(await jwt({ sub: 'cog-1', token_use: 'access', client_id: AUDIENCE }, { audience: null }));
    expect(res.status).toBe(200);
    const other = await me(await jwt({ sub: 'cog-2', token_use: 'access', client_id: 'other-client' }, { audience: null }));
    expect(other.status).toBe(401);
  });

  it('holds the four-eyes rule on the subject: a second token of the same person cannot approve their own run', async () => {
    await createAppliance(rt.services, sampleAppliance('eyes-1', { productVersion: '10.5.2', baseVersion: '3.2.4' }));
    await createAppliance(rt.services, sampleAppliance('eyes-2', { productVersion: '10.5.2', baseVersion: '3.2.4' }));
    const start = new Date(Date.now() + 86_400_000).toISOString();
    const later = new Date(Date.now() + 3 * 86_400_000).toISOString();
    const run = await createUpgradeRun(rt.services, { option: 'option1', packageId: 'bomgar-10.6.0', targetVersion: '10.6.0', primaryId: 'eyes-1', backupId: 'eyes-2', windows: [{ start, durationMinutes: 60, timeZone: 'UTC' }, { start: later, durationMinutes: 60, timeZone: 'UTC' }] }, 'alice-0001');
    // As if window 1 had succeeded and its checks passed.
    await updateRun(rt.services, run.runId, (r) => ({ ...r, status: 'interim', windows: r.windows.map((w) => (w.index === 1 ? { ...w, status: 'succeeded' } : w)), interim: { checks: { passed: true, results: [], checkedAt: new Date().toISOString() } } }));
    const approve = (token: string) => rawFetch(`${rt.url}/v1/runs/${run.runId}/approve`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{}' });
    const self = await approve(await jwt({ sub: 'alice-0001', jti: 'second-session' }));
    expect(self.status).toBe(403);
    expect((await problem(self)).code).toBe('SelfApprovalForbidden');
    expect((await requireRun(rt.services, run.runId)).interim.approval).toBeUndefined();
    const other = await approve(await jwt({ sub: 'bob-0002', groups: ['upgrade-approvers'] }));
    expect(other.status).toBe(200);
    expect((await requireRun(rt.services, run.runId)).interim.approval?.by).toBe('bob-0002');
  });

  it('tells the console how to sign in (issuer, client id, endpoints from discovery) and lets it reach the token endpoint', async () => {
    const res = await rawFetch(`${rt.url}/v1/auth/config`);
    expect(await res.json()).toEqual({ oidc: { issuer, clientId: AUDIENCE, authorizationEndpoint: `${issuer}/authorize`, tokenEndpoint: `${issuer}/token`, scope: 'openid email profile' } });
    const page = await rawFetch(`${rt.url}/`);
    expect(page.headers.get('content-security-policy')).toContain(`connect-src 'self' ${issuer}`);
  });
});

describe('operator token administration (/v1/tokens, admin role)', () => {
  const call = (token: string, method: string, path: string, body?: unknown) =>
    rawFetch(`${rt.url}${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });

  it('refuses every token action without the admin role', async () => {
    for (const [method, path, body] of [
      ['GET', '/v1/tokens'],
      ['POST', '/v1/tokens', { operatorId: 'x', roles: ['viewer'], expiresInHours: 1 }],
      ['POST', '/v1/tokens/0123456789abcdef/revoke'],
    ] as const) {
      const res = await call(rt.adminToken, method, path, body);
      expect(res.status, `${method} ${path}`).toBe(403);
      expect((await problem(res)).code).toBe('RoleRequired');
    }
  });

  it('creates a token with roles and expiry (shown once, not cacheable), lists it without secrets, revokes it (safe to repeat), all audited', async () => {
    const created = await call(ADMIN_TOKEN, 'POST', '/v1/tokens', { operatorId: 'olga', displayName: 'Olga', roles: ['operator'], expiresInHours: 8 });
    expect(created.status).toBe(201);
    expect(created.headers.get('cache-control')).toBe('no-store');
    const { token, tokenId, expiresAt } = (await created.json()) as { token: string; tokenId: string; expiresAt: number };
    expect(token).toMatch(/^ucp_/);
    expect(expiresAt * 1000 - Date.now()).toBeGreaterThan(7.9 * 3_600_000);
    expect((await (await me(token)).json()).operator).toEqual({ operatorId: 'olga', displayName: 'Olga', roles: ['operator'] });

    const listed = await call(ADMIN_TOKEN, 'GET', '/v1/tokens');
    const text = await listed.text();
    expect(text).not.toContain(token);
    const { tokens, audit } = JSON.parse(text) as { tokens: { tokenId: string; status: string; createdBy?: string }[]; audit: { step: string; actor: string }[] };
    expect(tokens.find((t) => t.tokenId === tokenId)).toMatchObject({ status: 'active', createdBy: 'root-admin' });

    const revoked = await call(ADMIN_TOKEN, 'POST', `/v1/tokens/${tokenId}/revoke`);
    expect(revoked.status).toBe(200);
    expect((await revoked.json()).token).toMatchObject({ tokenId, status: 'revoked', revokedBy: 'root-admin' });
    expect((await me(token)).status).toBe(401);
    const again = await call(ADMIN_TOKEN, 'POST', `/v1/tokens/${tokenId}/revoke`);
    expect(again.status).toBe(200);
    expect((await again.json()).token.status).toBe('revoked');

    const after = (await (await call(ADMIN_TOKEN, "GET", "/v1/tokens")).json()) as { audit: { step: string; actor: string }[] };
    expect(after.audit.map((a) => a.step)).toEqual(expect.arrayContaining(['token.create', 'token.revoke']));
    expect(audit.every((a) => a.actor === 'root-admin')).toBe(true);
  });

  it('refuses bad input with a clear error and creates nothing', async () => {
    const before = ((await (await call(ADMIN_TOKEN, 'GET', '/v1/tokens')).json()) as { tokens: unknown[] }).tokens.length;
    for (const body of [{ operatorId: 'x', roles: [], expiresInHours: 1 }, { operatorId: 'x', roles: ['root'], expiresInHours: 1 }, { operatorId: 'x y', roles: ['viewer'], expiresInHours: 1 }, { operatorId: 'x', roles: ['viewer'] }, { operatorId: 'x', roles: ['viewer'], expiresInHours: 100_000 }]) {
      const res = await call(ADMIN_TOKEN, 'POST', '/v1/tokens', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    expect(((await (await call(ADMIN_TOKEN, 'GET', '/v1/tokens')).json()) as { tokens: unknown[] }).tokens.length).toBe(before);
    expect((await call(ADMIN_TOKEN, 'POST', '/v1/tokens/ffffffffffffffff/revoke')).status).toBe(404);
  });

  it('an OIDC admin (group mapping) administers tokens too', async () => {
    const res = await call(await jwt({ sub: 'adam-1', groups: ['upgrade-admins'] }), 'GET', '/v1/tokens');
    expect(res.status).toBe(200);
  });
});
