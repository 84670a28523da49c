import { readFile } from 'node:fs/promises';
import type { RouteHandler } from '../../../platform/api/http.js';
import { consoleSignInConfig } from '../../../platform/api/auth/oidc.js';

/**
 * The operator console: plain HTML, CSS and JS (no framework, no build step) calling the /v1 API with the
 * operator's token. Files sit beside this module; a Lambda bundle must copy functions/control-plane/api/console/assets.
 */
const ASSETS = new URL('./assets/', import.meta.url);
const TYPES: Record<string, string> = { 'index.html': 'text/html; charset=utf-8', 'console.js': 'text/javascript; charset=utf-8', 'sign-in.js': 'text/javascript; charset=utf-8', 'clock.js': 'text/javascript; charset=utf-8', 'console.css': 'text/css; charset=utf-8' };
const cache = new Map<string, string>();

async function asset(name: string): Promise<string> {
  let text = cache.get(name);
  if (text === undefined) {
    text = await readFile(new URL(name, ASSETS), 'utf8');
    cache.set(name, text);
  }
  return text;
}

/** The console talks to its own origin, plus the identity provider's token endpoint when OIDC sign-in is on. */
const connectSources = (tokenEndpoint: string | undefined) => ["'self'", ...(tokenEndpoint ? [new URL(tokenEndpoint).origin] : [])].join(' ');

const serve = (name: string): RouteHandler => async (c) => {
  const oidc = c.get('services').oidc;
  // An unreachable identity provider must not take the console down: token sign-in still works.
  const tokenEndpoint = oidc ? (await consoleSignInConfig(oidc).catch(() => undefined))?.oidc?.tokenEndpoint : undefined;
  return c.body(await asset(name), 200, {
    'content-type': TYPES[name]!,
    'cache-control': 'no-cache',
    // No injected <base> or form may send anything elsewhere (sign-in redirects by navigation, not a form).
    'content-security-policy': `default-src 'self'; style-src 'self'; script-src 'self'; connect-src ${connectSources(tokenEndpoint)}; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'`,
    'x-content-type-options': 'nosniff',
  });
};

/**
 * The control API's OpenAPI document, generated from the request schemas by `npm run openapi` (a test fails
 * when it is stale): building it at run time would bundle zod's JSON Schema generator into the control
 * function (~20 KB of its 300 KB budget) for one rarely read document.
 */
export const getOpenApiDocument: RouteHandler = async (c) =>
  c.body(await asset('openapi.json'), 200, { 'content-type': 'application/json', 'cache-control': 'no-cache' });

export const getConsolePage = serve('index.html');
export const getConsoleScript = serve('console.js');
export const getConsoleStyles = serve('console.css');
export const getConsoleSignInScript = serve('sign-in.js');
export const getConsoleClockScript = serve('clock.js');
