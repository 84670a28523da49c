import { BODY_LIMITS } from '../../../platform/api/body-limit.js';
import type { Route } from '../../../platform/api/http.js';
import { URL_LIMITS } from '../../../platform/api/request-limits.js';
import { createApiAccountHandler, icExportHandler, regenerateSecretHandler } from '../sessions/accounts-handler.js';
import { backupHandler } from '../sessions/backup-handler.js';
import { commandHandler } from '../sessions/command-handler.js';
import { tokenHandler } from '../sessions/oauth-handler.js';
import { reportingHandler } from '../sessions/reporting-handler.js';
import { commandXsdHandler, reportingXsdHandler } from '../sessions/xsd-handler.js';
import { oauthError, xmlError } from '../sessions/xml-response.js';
import { liveSessionRoutes } from './live-session-routes.js';
import { onSites } from '../site/site-hosting.js';

// Site paths (relative to the site root; mounted under /appliances/:applianceId and at the site root), with the legacy `.ns` forms.
const xml = { group: 'sessions', formatError: xmlError, site: true } as const;
const ns = (path: string) => ({ aliases: [`${path}.ns`] });
/** The XML APIs take parameters in the query string or a url-encoded form body (MAX_PARAMS_BYTES each). */
const params = { bodyLimit: BODY_LIMITS.form, urlLimit: URL_LIMITS.siteApi } as const;

/** Routes of the sessions area: the appliance's public APIs (XML, OAuth2, backup) and IC exports. */
export const sessionsRoutes: Route[] = onSites([
  { method: 'GET', path: '/api/reporting', handler: reportingHandler, ...params, auth: 'api-account', summary: 'Reporting API (SupportSession, SupportSessionListing, SupportSessionSummary, exit surveys, SupportTeam, LicenseUsage), streamed XML', streaming: true, ...xml, ...ns('/api/reporting') },
  { method: 'POST', path: '/api/reporting', handler: reportingHandler, ...params, auth: 'api-account', summary: 'Reporting API with url-encoded form parameters', streaming: true, ...xml, ...ns('/api/reporting') },
  { method: 'GET', path: '/api/command', handler: commandHandler, ...params, auth: 'api-account', summary: 'Command API: the actions of the appliance version, with username+password or a bearer token', ...xml, ...ns('/api/command') },
  { method: 'POST', path: '/api/command', handler: commandHandler, ...params, auth: 'api-account', summary: 'Command API with url-encoded form parameters', ...xml, ...ns('/api/command') },
  { method: 'GET', path: '/api/reporting.xsd', handler: reportingXsdHandler, auth: 'public', summary: 'Reporting API schema for the appliance version', ...xml },
  { method: 'GET', path: '/api/command.xsd', handler: commandXsdHandler, auth: 'public', summary: 'Command API schema for the appliance version', ...xml },
  { method: 'GET', path: '/api/backup', handler: backupHandler, ...params, auth: 'api-account', summary: 'Backup API: the site configuration as a fresh .nsb download', ...xml, ...ns('/api/backup') },
  { method: 'POST', path: '/api/backup', handler: backupHandler, ...params, auth: 'api-account', summary: 'Backup API: the site configuration as a fresh .nsb download', ...xml, ...ns('/api/backup') },
  { method: 'POST', path: '/oauth2/token', handler: tokenHandler, bodyLimit: BODY_LIMITS.small, group: 'sessions', auth: 'public', site: true, summary: 'OAuth2 client credentials: bearer token for the APIs', formatError: oauthError },
  { method: 'POST', path: '/v1/appliances/:applianceId/api-accounts', handler: createApiAccountHandler, bodyLimit: BODY_LIMITS.small, group: 'sessions', auth: 'operator', summary: 'Create an API account (client id/secret, permissions)' },
  { method: 'POST', path: '/v1/appliances/:applianceId/api-accounts/:clientId/secret', handler: regenerateSecretHandler, bodyLimit: BODY_LIMITS.small, group: 'sessions', auth: 'operator', summary: 'Regenerate an API account secret (revokes its tokens)' },
  { method: 'POST', path: '/v1/appliances/:applianceId/ic-exports', handler: icExportHandler, bodyLimit: BODY_LIMITS.small, group: 'sessions', auth: 'operator', summary: 'Integration Client export (SQL, CSV, 10.6 migration) into S3' },
  // The live session lifecycle (issue 14): the customer's request and end, the representative console.
  ...liveSessionRoutes,
]);
