import type { RouteHandler } from '../../../platform/api/http.js';
import { consoleSignInConfig } from '../../../platform/api/auth/oidc.js';

/** `GET /v1/auth/config`: what the console needs to offer OIDC sign-in (`{ oidc: null }` without an issuer). */
export const getSignInConfig: RouteHandler = async (c) =>
  c.json(await consoleSignInConfig(c.get('services').oidc), 200, { 'cache-control': 'no-cache' });
