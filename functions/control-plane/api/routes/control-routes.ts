import type { Route } from '../../../platform/api/http.js';
import { getConsolePage, getConsoleScript, getConsoleStyles, getOpenApiDocument } from '../console/console-handler.js';
import { campaignRoutes } from '../control/campaigns-handler.js';
import type { ControlRoute } from '../control/control-route.js';
import { fleetRoutes } from '../control/fleet-handler.js';
import { runRoutes } from '../control/runs-handler.js';
import { manualStepRoutes } from '../control/manual-steps-handler.js';
import { tokenRoutes } from '../control/tokens-handler.js';
import { trafficRoutes } from '../control/traffic-handler.js';
import { getSignInConfig } from '../auth/sign-in-handler.js';
import { getConsoleClockScript, getConsoleSignInScript } from '../console/console-handler.js';

/** The /v1 control API: every route declares its role; `auth: 'operator'` is enforced in functions/platform/api/app.ts. */
export const controlApiRoutes: ControlRoute[] = [...fleetRoutes, ...runRoutes, ...manualStepRoutes, ...campaignRoutes, ...tokenRoutes, ...trafficRoutes];

/** Routes of the control area: the /v1 API, its OpenAPI document and the operator console. */
export const controlRoutes: Route[] = [
  {
    method: 'GET',
    path: '/v1/openapi.json',
    handler: getOpenApiDocument,
    group: 'control',
    auth: 'public',
    summary: 'OpenAPI 3.1 document of the control API',
  },
  ...controlApiRoutes,
  // Locally (one server for both systems) a site host's `/` is that appliance's public site, declared before this one; on AWS the control API has no sites.
  { method: 'GET', path: '/', handler: getConsolePage, group: 'control', auth: 'public', summary: 'Operator console' },
  { method: 'GET', path: '/console/console.js', handler: getConsoleScript, group: 'control', auth: 'public', summary: 'Operator console script' },
  { method: 'GET', path: '/v1/auth/config', handler: getSignInConfig, group: 'control', auth: 'public', summary: 'How the console signs in: the OIDC issuer, client id and endpoints (or none)' },
  { method: 'GET', path: '/console/sign-in.js', handler: getConsoleSignInScript, group: 'control', auth: 'public', summary: 'Operator console sign-in (OIDC authorization code + PKCE)' },
  { method: 'GET', path: '/console/clock.js', handler: getConsoleClockScript, group: 'control', auth: 'public', summary: 'Operator console clock (one time format, shared with the CLI)' },
  { method: 'GET', path: '/console/console.css', handler: getConsoleStyles, group: 'control', auth: 'public', summary: 'Operator console styles' },
];
