/**
 * The live session lifecycle on the site (issue 14). The customer's request is the vendor's session
 * generation path (`/api/start_session`, a session key or the front-end survey); the customer client's end
 * and the representative console's actions are the emulator's own small endpoints (the vendor's client and
 * console protocols are proprietary; docs/vendor-api.md §12 marks them emulator-specific). Answers are JSON;
 * refusals are problem+json with `Retry-After` while the site is down. Handlers stay thin: the rules are in
 * functions/emulator/app/session-lifecycle.ts.
 */
import type { Context } from 'hono';
import type { Appliance } from '../../../platform/core/appliance.js';
import { DomainError } from '../../../platform/core/errors.js';
import type { SupportSession } from '../../core/session.js';
import {
  acceptSession,
  addSessionEvent,
  consoleLogin,
  consoleLogout,
  endSessionByCustomer,
  endSessionByRepresentative,
  requestSession,
} from '../../app/session-lifecycle.js';
import { authenticateSiteUser } from '../../app/site-users.js';
import { problemJson, type AppEnv, type ErrorFormatter, type RouteHandler } from '../../../platform/api/http.js';
import { readParams, siteAppliance, sourceAddress } from '../sessions/api-request.js';

const json = (c: Context<AppEnv>, body: unknown, status: 200 | 201 = 200) => c.body(JSON.stringify(body), status, { 'content-type': 'application/json', 'cache-control': 'no-store' });

/** What a client sees of a session: its ids, state and the appliance that answered (the ledger's `servedBy`). */
const view = (s: SupportSession, appliance: Appliance) => ({
  lsid: s.lsid,
  ...(s.lseq !== undefined ? { lseq: s.lseq } : {}),
  externalKey: s.externalKey,
  status: s.status,
  queue: s.queue,
  ...(s.endReason ? { endReason: s.endReason } : {}),
  ...(s.endTime ? { endTime: s.endTime } : {}),
  servedBy: appliance.applianceId,
  productVersion: appliance.productVersion,
});

/** Problem+json with the site's Retry-After (the client backs off) and the stable code header. */
export const liveSessionError: ErrorFormatter = (error, status, c) => {
  const response = problemJson(error, status, c);
  const retry = error.details?.retryAfterSeconds;
  response.headers.set('x-error-code', error.code);
  if (typeof retry === 'number') response.headers.set('retry-after', String(retry));
  return response;
};

const missingCredentials = () => new DomainError('unauthorized', 'MissingCredentials', 'Login failed', { hint: 'send the representative\'s username and password as form parameters' });

async function representative(c: Context<AppEnv>) {
  const appliance = await siteAppliance(c);
  let params: Record<string, string>;
  try {
    params = await readParams(c);
  } catch (e) {
    // A body we cannot read from a caller who shows no credential is first of all unauthenticated.
    if (!new URL(c.req.url).searchParams.has('username')) throw missingCredentials();
    throw e;
  }
  if (params.username === undefined || params.password === undefined) throw missingCredentials();
  const user = await authenticateSiteUser(c.get('services'), appliance.applianceId, params.username ?? '', params.password ?? '', sourceAddress(c));
  return { appliance, params, user, consoleId: params.console_id ?? `console-${user.username}` };
}

export const startSessionHandler: RouteHandler = async (c) => {
  const appliance = await siteAppliance(c);
  const { session, customerToken } = await requestSession(c.get('services'), appliance, await readParams(c));
  return json(c, { ...view(session, appliance), customerToken }, 201);
};

export const customerEndHandler: RouteHandler = async (c) => {
  const appliance = await siteAppliance(c);
  const params = await readParams(c);
  return json(c, view(await endSessionByCustomer(c.get('services'), appliance, params.lsid ?? '', params.customer_token ?? '', params), appliance));
};

export const consoleLoginHandler: RouteHandler = async (c) => {
  const { appliance, user, consoleId } = await representative(c);
  const console = await consoleLogin(c.get('services'), appliance, user, consoleId);
  return json(c, { consoleId: console.consoleId, version: console.version, loggedIn: console.loggedIn, userId: user.userId, servedBy: appliance.applianceId, productVersion: appliance.productVersion });
};

export const consoleLogoutHandler: RouteHandler = async (c) => {
  const { appliance, user, consoleId } = await representative(c);
  const console = await consoleLogout(c.get('services'), appliance, user, consoleId);
  return json(c, { consoleId: console.consoleId, loggedIn: console.loggedIn, servedBy: appliance.applianceId });
};

export const consoleAcceptHandler: RouteHandler = async (c) => {
  const { appliance, params, user, consoleId } = await representative(c);
  return json(c, view(await acceptSession(c.get('services'), appliance, user, consoleId, params.lsid ?? ''), appliance));
};

export const consoleEventHandler: RouteHandler = async (c) => {
  const { appliance, params, user, consoleId } = await representative(c);
  const s = await addSessionEvent(c.get('services'), appliance, user, consoleId, params.lsid ?? '', { kind: params.event ?? '', body: params.body, fileName: params.file_name, fileSize: params.file_size });
  return json(c, { ...view(s, appliance), events: s.events?.length ?? 0, fileTransfers: s.fileTransfers });
};

export const consoleEndHandler: RouteHandler = async (c) => {
  const { appliance, params, user, consoleId } = await representative(c);
  return json(c, view(await endSessionByRepresentative(c.get('services'), appliance, user, consoleId, params.lsid ?? ''), appliance));
};
