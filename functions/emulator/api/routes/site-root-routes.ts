import type { Route } from '../../../platform/api/http.js';
import { htmlError, publicSiteHandler } from '../site/public-site-handler.js';

/**
 * `GET /` on a site host: that appliance's public site. On any other host `/` is the operator console, and
 * API Gateway has one `GET /` route, so this route is in the control group and its Lambda serves both
 * (functions/local/api/entries/control.ts composes them; in the one route table it comes before the console's).
 */
export const siteRootRoutes: Route[] = [
  { method: 'GET', path: '/', handler: publicSiteHandler, group: 'control', auth: 'public', site: 'root', summary: 'Public site of the appliance the host names', formatError: htmlError },
];
