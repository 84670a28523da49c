import { BODY_LIMITS } from '../../../platform/api/body-limit.js';
import type { Route } from '../../../platform/api/http.js';
import {
  consoleAcceptHandler,
  consoleEndHandler,
  consoleEventHandler,
  consoleLoginHandler,
  consoleLogoutHandler,
  customerEndHandler,
  liveSessionError,
  startSessionHandler,
} from '../site/live-session-handler.js';

// Site paths (issue 14): the customer's request and end, the representative console's actions. Form parameters.
const site = { group: 'sessions', site: true, formatError: liveSessionError, bodyLimit: BODY_LIMITS.small } as const;

export const liveSessionRoutes: Route[] = [
  { method: 'GET', path: '/api/start_session', handler: startSessionHandler, auth: 'public', summary: 'Customer: request a support session (short_key, or issue_menu=1 with customer.* survey fields)', ...site },
  { method: 'POST', path: '/api/start_session', handler: startSessionHandler, auth: 'public', summary: 'Customer: request a support session with url-encoded form parameters', ...site },
  { method: 'POST', path: '/customer/end', handler: customerEndHandler, auth: 'public', summary: 'Customer client (emulator-specific): end the session, with the optional exit survey', ...site },
  { method: 'POST', path: '/rep-console/login', handler: consoleLoginHandler, auth: 'api-account', summary: 'Representative console (emulator-specific): log in with username+password; an auto-update console behind the site upgrades', ...site },
  { method: 'POST', path: '/rep-console/logout', handler: consoleLogoutHandler, auth: 'api-account', summary: 'Representative console (emulator-specific): log out', ...site },
  { method: 'POST', path: '/rep-console/accept', handler: consoleAcceptHandler, auth: 'api-account', summary: 'Representative console (emulator-specific): accept a waiting session', ...site },
  { method: 'POST', path: '/rep-console/event', handler: consoleEventHandler, auth: 'api-account', summary: 'Representative console (emulator-specific): chat, file transfer or system information in a session', ...site },
  { method: 'POST', path: '/rep-console/end', handler: consoleEndHandler, auth: 'api-account', summary: 'Representative console (emulator-specific): end a session', ...site },
];
