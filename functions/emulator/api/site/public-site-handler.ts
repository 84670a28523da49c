/**
 * The site's own pages that are not an API: the public site at `/` and the unauthenticated
 * `GET /check_health` probe (docs/vendor-api.md §2 has the sources and what is decided here).
 */
import type { Context } from 'hono';
import { xmlText } from '../../core/xml.js';
import type { AppEnv, ErrorFormatter, RouteHandler } from '../../../platform/api/http.js';
import { addressedApplianceRecord, assertSiteUp } from './site-address.js';

const HTML = 'text/html; charset=UTF-8';
const TEXT = 'text/plain; charset=UTF-8';

const page = (title: string, body: string) =>
  `<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>${xmlText(title)}</title>\n</head>\n<body>\n${body}\n</body>\n</html>\n`;

/**
 * `GET /`: the public site, where customers ask for support (the vendor: by choosing a logged-in
 * representative, entering a session key, or submitting an issue). The emulator shows the session-key
 * form only; the session generation API behind it (`/api/start_session`) is not emulated.
 */
export const publicSiteHandler: RouteHandler = async (c) => {
  const appliance = await addressedApplianceRecord(c);
  assertSiteUp(c, appliance);
  const host = c.get('site')?.hostname ?? appliance.hostname;
  const body =
    `<h1>${xmlText(host)}</h1>\n<p>Support portal</p>\n` +
    `<form method="get" action="/api/start_session">\n<label>Session key <input name="short_key" autocomplete="off"></label>\n<button type="submit">Submit</button>\n</form>`;
  return c.body(page(`${host} Support`, body), 200, { 'content-type': HTML, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' });
};

/**
 * `GET /check_health`: 200 with a short human-readable text when the site is healthy, 500 otherwise
 * (down for an install, or the last install failed); no data beyond that, no credential.
 */
export const checkHealthHandler: RouteHandler = async (c) => {
  const appliance = await addressedApplianceRecord(c);
  const healthy = appliance.state === 'online';
  return c.body(healthy ? 'Health check: success\n' : 'Health check: failure\n', healthy ? 200 : 500, { 'content-type': TEXT, 'cache-control': 'no-store' });
};

function errorHeaders(error: Parameters<ErrorFormatter>[0]): Record<string, string> {
  const retry = error.details?.retryAfterSeconds;
  return { 'x-error-code': error.code, ...(typeof retry === 'number' ? { 'retry-after': String(retry) } : {}) };
}

/** Site pages answer errors as short pages, not problem+json (the status and `x-error-code` carry the kind). */
export const htmlError: ErrorFormatter = (error, status, c) =>
  c.body(page(`${status} ${error.code}`, `<h1>${status}</h1>\n<p>${xmlText(error.message)}</p>`), status, { 'content-type': HTML, ...errorHeaders(error) });

export const textError: ErrorFormatter = (error, status, c) => c.body(`${error.message}\n`, status, { 'content-type': TEXT, ...errorHeaders(error) });

/** Any other path on a per-site port: the site has no such page. */
export const siteNotFound = (c: Context<AppEnv>) =>
  c.body(page('404 Not Found', `<h1>Not Found</h1>\n<p>${xmlText(c.req.path.slice(0, 200))} is not a page of this site.</p>`), 404, { 'content-type': HTML });
