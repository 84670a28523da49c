import { readFile } from 'node:fs/promises';
import type { RouteHandler } from '../http.js';

/**
 * The operator console: plain HTML, CSS and JS (no framework, no build step) calling the /v1 API with the
 * operator's token. Files sit beside this module; a Lambda bundle must copy functions/api/console/assets.
 */
const ASSETS = new URL('./assets/', import.meta.url);
const TYPES: Record<string, string> = { 'index.html': 'text/html; charset=utf-8', 'console.js': 'text/javascript; charset=utf-8', 'console.css': 'text/css; charset=utf-8' };
const cache = new Map<string, string>();

async function asset(name: string): Promise<string> {
  let text = cache.get(name);
  if (text === undefined) {
    text = await readFile(new URL(name, ASSETS), 'utf8');
    cache.set(name, text);
  }
  return text;
}

const serve = (name: string): RouteHandler => async (c) =>
  c.body(await asset(name), 200, {
    'content-type': TYPES[name]!,
    'cache-control': 'no-cache',
    // The console only talks to its own origin; no injected <base> or form may send anything elsewhere.
    'content-security-policy': "default-src 'self'; style-src 'self'; script-src 'self'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    'x-content-type-options': 'nosniff',
  });

export const getConsolePage = serve('index.html');
export const getConsoleScript = serve('console.js');
export const getConsoleStyles = serve('console.css');
