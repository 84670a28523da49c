import { getFailoverStatus, postBreak, postEstablish, postForceSync, postSetRole } from '../failover/failover-handler.js';
import {
  getIntegrationReadiness,
  getIntegrations,
  getPair,
  getPairs,
  getSessionsAtRisk,
  postExport,
  postReimport,
  putIntegration,
} from '../failover/failover-pairs-handler.js';
import { getHostname, getHostnames, putHostname } from '../failover/primary-hostname-handler.js';
import { BODY_LIMITS } from '../../../platform/api/body-limit.js';
import type { Route } from '../../../platform/api/http.js';
import { authenticateApplianceAdmin } from '../auth/appliance-admin-auth.js';

/** Routes the appliance's own administrator may call (HTTP Basic), beside operator tokens. */
const APPLIANCE_ADMIN = { auth: 'appliance-admin', applianceAdmin: authenticateApplianceAdmin } as const;

const login = '/appliances/:applianceId/login/failover';

/** Failover pairs: the appliance's Management > Failover page and the control plane's pair, DNS and preservation calls. */
export const failoverRoutes: Route[] = [
  { method: 'GET', path: login, handler: getFailoverStatus, group: 'failover', ...APPLIANCE_ADMIN, summary: 'Failover status of the appliance’s pair: roles, in sync, how far behind' },
  { method: 'POST', path: `${login}/sync`, handler: postForceSync, bodyLimit: BODY_LIMITS.small, group: 'failover', ...APPLIANCE_ADMIN, summary: 'Force a data sync (backup pulls from primary); full=1 for a full resync' },
  { method: 'POST', path: `${login}/break`, handler: postBreak, bodyLimit: BODY_LIMITS.small, group: 'failover', ...APPLIANCE_ADMIN, summary: 'Break the failover relationship' },
  { method: 'POST', path: `${login}/establish`, handler: postEstablish, bodyLimit: BODY_LIMITS.small, group: 'failover', ...APPLIANCE_ADMIN, summary: 'Establish (or re-establish) the failover relationship with a peer' },
  { method: 'POST', path: `${login}/role`, handler: postSetRole, bodyLimit: BODY_LIMITS.small, group: 'failover', ...APPLIANCE_ADMIN, summary: 'Set this appliance’s failover role (promote backup / demote primary)' },
  { method: 'GET', path: '/failover-pairs', handler: getPairs, group: 'failover', auth: 'operator', summary: 'List failover pairs' },
  { method: 'GET', path: '/failover-pairs/:pairId', handler: getPair, group: 'failover', auth: 'operator', summary: 'Failover pair status' },
  { method: 'GET', path: '/failover-pairs/:pairId/sessions-at-risk', handler: getSessionsAtRisk, group: 'failover', auth: 'operator', summary: 'Sessions a pre-10.6 re-establish would overwrite' },
  { method: 'POST', path: '/failover-pairs/:pairId/exports', handler: postExport, bodyLimit: BODY_LIMITS.small, group: 'failover', ...APPLIANCE_ADMIN, summary: 'Export the sessions at risk to S3 before re-establishing' },
  { method: 'POST', path: '/failover-pairs/:pairId/reimport', handler: postReimport, bodyLimit: BODY_LIMITS.small, group: 'failover', ...APPLIANCE_ADMIN, summary: 'Re-import exported sessions into the primary and sync them' },
  { method: 'GET', path: '/failover-pairs/:pairId/integrations', handler: getIntegrations, group: 'failover', auth: 'operator', summary: 'Integration clients of the pair' },
  { method: 'PUT', path: '/failover-pairs/:pairId/integrations/:integrationId', handler: putIntegration, bodyLimit: BODY_LIMITS.small, group: 'failover', auth: 'operator', summary: 'Register how an integration client reaches the primary (hostname or IP)' },
  { method: 'GET', path: '/failover-pairs/:pairId/integration-readiness', handler: getIntegrationReadiness, group: 'failover', ...APPLIANCE_ADMIN, summary: 'Would each integration follow a DNS swap of the primary hostname?' },
  { method: 'GET', path: '/primary-hostnames', handler: getHostnames, group: 'failover', auth: 'operator', summary: 'Primary-hostname DNS records' },
  { method: 'GET', path: '/primary-hostnames/:hostname', handler: getHostname, group: 'failover', auth: 'operator', summary: 'One primary-hostname record' },
  { method: 'PUT', path: '/primary-hostnames/:hostname', handler: putHostname, bodyLimit: BODY_LIMITS.small, group: 'failover', ...APPLIANCE_ADMIN, summary: 'Point a primary hostname at an appliance (DNS swap)' },
];
