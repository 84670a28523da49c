/**
 * Demo seed of the people in each demo site (idempotent): users with the documented demo credentials
 * (README "Demo credentials"), two support teams with members and issues, and one more logged-in console
 * on the primary, so every command API action answers with data. The pair's two appliances get the same
 * users and ids (configuration is the same on both sides of a failover pair); reps are logged in on the
 * primary only.
 */
import { ConditionFailedError } from '../../platform/core/ports.js';
import type { SiteUserPermissions } from '../core/site-users.js';
import { getAppliance } from './appliance-store.js';
import type { AppContext } from '../../platform/app/context.js';
import { hashPassword } from '../../platform/app/credential-hash.js';
import { createSiteUser, createSupportTeam, getSiteUser, listSupportTeams } from './site-users.js';
import { putConsole } from './staff-console-store.js';

export const DEMO_PASSWORDS = { admin: 'demo-admin-password', rep: 'demo-rep-password', api: 'demo-api-password' } as const;

const none: SiteUserPermissions = { administrator: false, commandApi: false, provideRemoteSupport: false, reportingApi: false, backupApi: false };
const rep = { ...none, provideRemoteSupport: true };
const DEMO_USERS: { userId: number; username: string; name: string; password: keyof typeof DEMO_PASSWORDS; permissions: SiteUserPermissions }[] = [
  { userId: 1, username: 'admin', name: 'Site Administrator', password: 'admin', permissions: { administrator: true, commandApi: true, provideRemoteSupport: true, reportingApi: true, backupApi: true } },
  { userId: 2, username: 'api', name: 'Integration', password: 'api', permissions: { ...none, commandApi: true, provideRemoteSupport: true, reportingApi: true, backupApi: true } },
  { userId: 3, username: 'alice', name: 'Alice Archer', password: 'rep', permissions: rep },
  { userId: 4, username: 'bob', name: 'Bob Brandt', password: 'rep', permissions: rep },
  { userId: 5, username: 'carol', name: 'Carol Chen', password: 'rep', permissions: rep },
  { userId: 6, username: 'dave', name: 'Dave Dubois', password: 'rep', permissions: rep },
  { userId: 7, username: 'qa', name: 'QA Tester', password: 'rep', permissions: rep },
];
const DEMO_TEAMS = [
  { teamId: 1, name: 'Tech Support', codeName: 'tech_support', members: [{ userId: 3, role: 'lead' as const }, { userId: 4, role: 'member' as const }, { userId: 6, role: 'member' as const }], issues: ['password_reset', 'printer'] },
  { teamId: 2, name: 'Network', codeName: 'network', members: [{ userId: 5, role: 'lead' as const }, { userId: 4, role: 'member' as const }], issues: ['vpn'] },
];
const DEMO_SITES = ['appliance-a', 'appliance-b', 'staging-1'];

export async function seedSitePeople(ctx: AppContext): Promise<void> {
  const sites = [];
  for (const id of DEMO_SITES) if (await getAppliance(ctx, id)) sites.push(id);
  const missing: [string, (typeof DEMO_USERS)[number]][] = [];
  for (const applianceId of sites) for (const u of DEMO_USERS) if (!(await getSiteUser(ctx, applianceId, u.username))) missing.push([applianceId, u]);
  if (missing.length > 0) {
    // One scrypt per demo password, not per account: first start-up stays fast.
    const hashes = Object.fromEntries(await Promise.all(Object.entries(DEMO_PASSWORDS).map(async ([k, p]) => [k, await hashPassword(p)] as const)));
    for (const [applianceId, u] of missing) {
      const input = { userId: u.userId, username: u.username, password: DEMO_PASSWORDS[u.password], publicDisplayName: u.name, privateDisplayName: u.name, permissions: u.permissions, disabled: false, showOnRepList: true };
      await ignoreExisting(() => createSiteUser(ctx, applianceId, input, hashes[u.password]));
    }
  }
  for (const applianceId of sites) {
    const existing = new Set((await listSupportTeams(ctx, applianceId)).map((t) => t.teamId));
    for (const t of DEMO_TEAMS) if (!existing.has(t.teamId)) await ignoreExisting(() => createSupportTeam(ctx, applianceId, t));
  }
  if (sites.includes('appliance-a')) {
    const now = ctx.clock.now().toISOString();
    await ignoreExisting(() =>
      putConsole(ctx, { applianceId: 'appliance-a', consoleId: 'dave-desk', username: 'dave', version: '10.5.2', deployment: 'auto-update', registeredAt: now, loggedIn: true, loggedInAt: now }, { ifNotExists: true }),
    );
  }
}

async function ignoreExisting(fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof ConditionFailedError || (e as { kind?: string }).kind === 'conflict') return;
    throw e;
  }
}
