import type { Route } from '../../../platform/api/http.js';
import { htmlError, publicSiteHandler } from '../site/public-site-handler.js';
import { onSites } from '../site/site-hosting.js';

/**
 * `GET /` on a site host: that appliance's public site. Locally (one server for both systems) any other host
 * gets the operator console, which comes after this route in the one route table; on AWS the emulator has an
 * HTTP API of its own, where `GET /` is this route alone and a host naming no site gets the unknown-site page.
 */
export const siteRootRoutes: Route[] = onSites([
  { method: 'GET', path: '/', handler: publicSiteHandler, group: 'appliance', auth: 'public', site: 'root', summary: 'Public site of the appliance the host names', formatError: htmlError },
]);
