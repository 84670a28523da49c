/**
 * The appliance's own admin credential on `auth: 'appliance-admin'` routes: HTTP Basic with a site user
 * of that appliance who has the Administrator permission (the control plane's site driver enrols one per
 * appliance, docs/driver.md). The appliance is the one the request addresses (its site, or
 * `/appliances/:applianceId`); on the emulator's fleet-wide routes (a pair's session exports, a primary
 * hostname) the `X-Appliance-Id` header names it and it must belong to what the route changes.
 */
import type { Context } from 'hono';
import { getAppliance } from '../../app/appliance-store.js';
import { getPair } from '../../app/failover-pair-store.js';
import { getPrimaryHostname, normalizeHostname } from '../../app/primary-hostname.js';
import { authenticateSiteUser } from '../../app/site-users.js';
import { DomainError } from '../../../platform/core/errors.js';
import type { AppEnv } from '../../../platform/api/http.js';
import { sourceAddress } from '../sessions/api-request.js';

export { basicCredential } from '../../../platform/api/auth/operator-auth.js';

const forbidden = (message: string) => new DomainError('forbidden', 'Forbidden', message);

/** The appliance whose admin may call this route, or a refusal. */
async function addressedAppliance(c: Context<AppEnv>): Promise<string> {
  const fromPath = c.get('site')?.applianceId ?? c.req.param('applianceId');
  if (fromPath) return fromPath;
  const named = c.req.header('x-appliance-id');
  if (!named) throw forbidden('an appliance credential on this route needs the X-Appliance-Id header');
  const services = c.get('services');
  const pairId = c.req.param('pairId');
  if (pairId) {
    const pair = await getPair(services, pairId);
    if (!pair || (pair.primaryId !== named && pair.backupId !== named)) throw forbidden(`${named} is not a member of failover pair ${pairId}`);
    return named;
  }
  const hostname = c.req.param('hostname');
  if (hostname) {
    const record = await getPrimaryHostname(services, normalizeHostname(hostname));
    const appliance = await getAppliance(services, named);
    const target = record ? await getAppliance(services, record.applianceId) : undefined;
    const samePair = Boolean(appliance?.failover.pairId && appliance.failover.pairId === target?.failover.pairId);
    const licensed = appliance?.license.primaryHostname === normalizeHostname(hostname);
    if (record?.applianceId !== named && !samePair && !licensed) throw forbidden(`${named} may not change ${hostname}`);
    return named;
  }
  throw forbidden('this route does not take an appliance credential');
}

/** Verifies the Basic credential; returns the operator identity the request runs as. */
export async function authenticateApplianceAdmin(c: Context<AppEnv>, credential: { username: string; password: string }) {
  const applianceId = await addressedAppliance(c);
  const user = await authenticateSiteUser(c.get('services'), applianceId, credential.username, credential.password, sourceAddress(c));
  if (!user.permissions.administrator) throw forbidden(`${credential.username} is not an administrator of ${applianceId}`);
  return { operatorId: `${applianceId}/${user.username}`, displayName: user.privateDisplayName, roles: ['viewer', 'operator'] as ('viewer' | 'operator')[] };
}
