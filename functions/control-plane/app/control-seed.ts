import type { AppContext } from '../../platform/app/context.js';
import { issueOperatorToken } from './operator-tokens.js';
import type { Role } from '../../platform/app/operator-identity.js';

/** Local demo credentials (documented in docs/control.md). Seeded only against the local emulators. */
export const DEMO_TOKENS: { operatorId: string; roles: Role[]; token: string }[] = [
  { operatorId: 'demo-viewer', roles: ['viewer'], token: 'demo-viewer-token' },
  { operatorId: 'demo-operator', roles: ['operator'], token: 'demo-operator-token' },
  { operatorId: 'demo-approver', roles: ['approver'], token: 'demo-approver-token' },
  { operatorId: 'demo-lead', roles: ['operator', 'approver'], token: 'demo-lead-token-1' },
];

/**
 * Control area seed: demo operator tokens (local emulators only; overwritten with the same values, so
 * idempotent). The demo fleet, package catalog and failover pair come from the appliance and failover seeds.
 */
export async function controlSeed(ctx: AppContext): Promise<void> {
  if (!ctx.config.local) return;
  for (const t of DEMO_TOKENS) await issueOperatorToken(ctx, { operatorId: t.operatorId, displayName: t.operatorId, roles: t.roles, token: t.token });
}
