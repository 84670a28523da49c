/**
 * A live support session on the site, from the customer's request to its end (issue 14): the customer asks
 * (a session key, or the public site's front-end survey), waits in the queue, a logged-in representative
 * accepts it, events happen (chat, file transfers, system information), the representative or the customer
 * ends it. Every step reads the session, checks it, then writes it; a refusal changes nothing, and a
 * repeated accept or end answers as the first did (clients retry after a lost answer).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Appliance } from '../../platform/core/appliance.js';
import { conflict, DomainError, notFound, validationError } from '../../platform/core/errors.js';

const unauthorized = (code: string, message: string) => new DomainError('unauthorized', code, message);
import { closeInvolvement, joinRepresentative } from '../core/session-commands.js';
import { SYSTEM_ACTOR, type SessionActor, type SessionEvent, type SupportSession } from '../core/session.js';
import { startConsole, type StaffConsole } from '../core/staff-console.js';
import { usernameKey, type SiteUser } from '../core/site-users.js';
import type { AppContext } from '../../platform/app/context.js';
import { redeemSessionKey } from './session-keys.js';
import { allocateSessionIds, endSession, getSession, putSession } from './session-store.js';
import { getConsole, putConsole } from './staff-console-store.js';

/** What the customer typed on the public site's front-end survey (the vendor's `customer.*` fields). */
export interface FrontEndSurvey {
  name: string;
  company?: string;
  companyCode?: string;
  details?: string;
  /** `session.custom.external_key`: the caller's own identity for the session. */
  externalKey?: string;
  hostname: string;
}

const text = (value: string | undefined, name: string, max: number, required = false): string | undefined => {
  if (value === undefined || value === '') {
    if (required) throw validationError('MissingParameter', `Missing required parameter: ${name}`, { parameter: name });
    return undefined;
  }
  if (value.length > max || /[\u0000-\u001f]/.test(value)) throw validationError('InvalidParameter', `Invalid value for parameter: ${name}`, { parameter: name });
  return value;
};

/** The vendor limits customer.details in bytes, not characters (docs/vendor-api.md §12). */
const bytes = (value: string | undefined, name: string, max: number) => {
  if (value !== undefined && Buffer.byteLength(value) > max) throw validationError('InvalidParameter', `Invalid value for parameter: ${name}`, { parameter: name });
  return value;
};

/** Parses the customer's request parameters (pure; limits per docs/vendor-api.md §12). */
export function parseSessionRequest(params: Record<string, string>): { shortKey: string; survey: FrontEndSurvey } | { survey: FrontEndSurvey } {
  const survey: FrontEndSurvey = {
    name: text(params['customer.name'], 'customer.name', 100, params.short_key === undefined) ?? 'Customer',
    company: text(params['customer.company'], 'customer.company', 100),
    companyCode: text(params['customer.company_code'], 'customer.company_code', 100),
    details: bytes(text(params['customer.details'], 'customer.details', 1024), 'customer.details', 1024),
    externalKey: text(params['session.custom.external_key'], 'session.custom.external_key', 1024),
    hostname: text(params['customer.hostname'], 'customer.hostname', 253) ?? 'customer-pc',
  };
  if (params.short_key !== undefined) {
    if (!/^[0-9]{7}$/.test(params.short_key)) throw validationError('InvalidParameter', 'Invalid value for parameter: short_key', { parameter: 'short_key' });
    return { shortKey: params.short_key, survey };
  }
  if (params.issue_menu !== '1') throw validationError('MissingParameter', 'Give short_key, or issue_menu=1 with the front-end survey fields', { parameter: 'issue_menu' });
  return { survey };
}

const hash = (token: string) => createHash('sha256').update(token).digest('hex');

export interface WaitingSession {
  session: SupportSession;
  /** The customer client's own secret for this session (shown once; the session stores its hash). */
  customerToken: string;
}

/** The customer's request: a waiting session in the general queue (survey) or the key's queue. */
export async function requestSession(ctx: AppContext, appliance: Appliance, params: Record<string, string>): Promise<WaitingSession> {
  const request = parseSessionRequest(params);
  const customerToken = randomBytes(24).toString('base64url');
  const { survey } = request;
  let session: SupportSession;
  if ('shortKey' in request) {
    session = await redeemSessionKey(ctx, appliance.applianceId, request.shortKey, { name: survey.name, hostname: survey.hostname });
  } else {
    const [ids] = await allocateSessionIds(ctx, appliance.applianceId, appliance.productVersion, 1);
    const now = ctx.clock.now().toISOString();
    session = {
      applianceId: appliance.applianceId,
      ...ids!,
      sessionType: 'support',
      status: 'active',
      startTime: now,
      fileTransfers: 0,
      hostName: survey.hostname,
      externalKey: survey.externalKey ?? '',
      publicSiteId: 1,
      publicSiteName: 'Default',
      customerName: survey.name,
      representativeName: '',
      recordedBy: appliance.applianceId,
      customers: [
        {
          gsnumber: 1,
          primary: true,
          username: survey.name,
          info: { name: survey.name, ...(survey.company ? { company: survey.company } : {}), ...(survey.companyCode ? { companyCode: survey.companyCode } : {}), ...(survey.details ? { details: survey.details } : {}) },
          hostname: survey.hostname,
        },
      ],
      representatives: [],
      ...(survey.externalKey ? { customAttributes: { external_key: survey.externalKey } } : {}),
      queue: 'general',
      events: [{ timestamp: now, eventType: 'Session Start', performedBy: SYSTEM_ACTOR, destination: { type: 'customer', gsnumber: 1, name: survey.name } }],
    };
  }
  session = { ...session, customerTokenHash: hash(customerToken) };
  await putSession(ctx, session);
  return { session, customerToken };
}

/** The representative console logs in: registered on first use (auto-update), upgraded by the staff-console rules. */
export async function consoleLogin(ctx: AppContext, appliance: Appliance, user: SiteUser, consoleId: string): Promise<StaffConsole> {
  if (!user.permissions.provideRemoteSupport) throw unauthorized('NotRepresentative', 'This user may not provide remote support');
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(consoleId)) throw validationError('InvalidParameter', 'Invalid value for parameter: console_id', { parameter: 'console_id' });
  const at = ctx.clock.now().toISOString();
  const known = await getConsole(ctx, appliance.applianceId, consoleId);
  if (known && usernameKey(known.username) !== usernameKey(user.username)) throw conflict('ConsoleInUse', `console ${consoleId} belongs to another representative`);
  const current: StaffConsole = known ?? { applianceId: appliance.applianceId, consoleId, username: user.username, version: appliance.productVersion, deployment: 'auto-update', registeredAt: at, loggedIn: false };
  const started = startConsole(current, appliance.productVersion, at);
  await putConsole(ctx, started);
  return started;
}

async function requireLoggedIn(ctx: AppContext, appliance: Appliance, user: SiteUser, consoleId: string): Promise<StaffConsole> {
  const c = await getConsole(ctx, appliance.applianceId, consoleId);
  if (!c || !c.loggedIn || usernameKey(c.username) !== usernameKey(user.username)) {
    throw unauthorized('ConsoleNotLoggedIn', `console ${consoleId} is not logged in to this site${c?.lastLogout ? ` (logged out: ${c.lastLogout.reason})` : ''}; log in again`);
  }
  return c;
}

async function requireSession(ctx: AppContext, appliance: Appliance, lsid: string): Promise<SupportSession> {
  if (typeof lsid !== 'string' || !/^[0-9a-f]{1,32}$/.test(lsid)) throw validationError('InvalidLsid', 'Invalid value for parameter: lsid', { parameter: 'lsid' });
  const s = await getSession(ctx, appliance.applianceId, lsid);
  if (!s) throw notFound('SessionNotFound', 'No session with this lsid');
  return s;
}

/** A session that ended other than normally cannot be continued: the answer names how it ended. */
function requireLive(s: SupportSession): void {
  if (s.status !== 'active') throw conflict('SessionEnded', `The session ended (${s.endReason ?? 'completed'})`, { endReason: s.endReason ?? 'completed' });
}

const repActor = (s: SupportSession, user: SiteUser): SessionActor => ({ type: 'representative', gsnumber: s.representatives?.find((r) => r.id === user.userId)?.gsnumber ?? 2, name: user.publicDisplayName });
const customerActor = (s: SupportSession): SessionActor => ({ type: 'customer', gsnumber: 1, name: s.customerName });

/** A logged-in representative accepts a waiting session (again by the same representative: the same answer). */
export async function acceptSession(ctx: AppContext, appliance: Appliance, user: SiteUser, consoleId: string, lsid: string): Promise<SupportSession> {
  await requireLoggedIn(ctx, appliance, user, consoleId);
  const s = await requireSession(ctx, appliance, lsid);
  requireLive(s);
  const owner = s.representatives?.find((r) => r.primary);
  if (owner && owner.id !== user.userId) throw conflict('SessionTaken', 'Another representative accepted this session');
  if (owner) return s;
  const at = ctx.clock.now().toISOString();
  const joined = joinRepresentative(s, user, at);
  const accepted: SupportSession = {
    ...joined,
    representativeName: user.publicDisplayName,
    events: [...(joined.events ?? []), { timestamp: at, eventType: 'Conference Owner Changed', performedBy: SYSTEM_ACTOR, destination: repActor(joined, user), data: [{ name: 'owner', value: user.publicDisplayName }] }],
  };
  await putSession(ctx, accepted);
  return accepted;
}

export type LiveEventKind = 'chat' | 'file' | 'system-info';

/** An event in an accepted session, by its owner: a chat message, a file transfer, the system information. */
export async function addSessionEvent(
  ctx: AppContext,
  appliance: Appliance,
  user: SiteUser,
  consoleId: string,
  lsid: string,
  event: { kind: string; body?: string; fileName?: string; fileSize?: string },
): Promise<SupportSession> {
  await requireLoggedIn(ctx, appliance, user, consoleId);
  const s = await requireSession(ctx, appliance, lsid);
  requireLive(s);
  requireOwner(s, user);
  const at = ctx.clock.now().toISOString();
  const me = repActor(s, user);
  let added: SessionEvent;
  let files = s.fileTransfers;
  switch (event.kind) {
    case 'chat':
      added = { timestamp: at, eventType: 'Chat Message', performedBy: me, destination: customerActor(s), body: text(event.body, 'body', 4096, true)! };
      break;
    case 'file': {
      const name = text(event.fileName, 'file_name', 255, true)!;
      const size = event.fileSize ?? '0';
      if (!/^[0-9]{1,12}$/.test(size)) throw validationError('InvalidParameter', 'Invalid value for parameter: file_size', { parameter: 'file_size' });
      added = { timestamp: at, eventType: 'File Download', performedBy: me, destination: customerActor(s), data: [{ name: 'filename', value: name }, { name: 'filesize', value: size }] };
      files++;
      break;
    }
    case 'system-info':
      added = { timestamp: at, eventType: 'System Information Retrieved', performedBy: me, destination: customerActor(s), data: [{ name: 'Host Name', value: s.hostName }] };
      break;
    default:
      throw validationError('InvalidParameter', 'Invalid value for parameter: event (chat, file or system-info)', { parameter: 'event' });
  }
  const next = { ...s, fileTransfers: files, events: [...(s.events ?? []), added] };
  await putSession(ctx, next);
  return next;
}

function requireOwner(s: SupportSession, user: SiteUser): void {
  const owner = s.representatives?.find((r) => r.primary);
  if (!owner || owner.id !== user.userId) throw conflict('NotSessionOwner', 'The representative does not own this session');
}

/** Survey answers the customer gives when the session ends (rating 1..5, optional comment). */
function customerSurvey(s: SupportSession, params: Record<string, string>, at: string) {
  const rating = params['survey.rating'];
  if (rating === undefined) return undefined;
  if (!/^[1-5]$/.test(rating)) throw validationError('InvalidParameter', 'Invalid value for parameter: survey.rating', { parameter: 'survey.rating' });
  const comments = text(params['survey.comments'], 'survey.comments', 1024);
  return [
    ...(s.customerSurveys ?? []),
    {
      gsnumber: 1,
      submittedAt: at,
      answers: [
        { questionId: 1, name: 'rating', label: 'How satisfied are you with this session?', type: 'radio', reportHeader: 'Rating', answer: rating },
        ...(comments ? [{ questionId: 2, name: 'comments', label: 'Comments', type: 'textarea', reportHeader: 'Comments', answer: comments }] : []),
      ],
    },
  ];
}

/**
 * Ends an accepted session normally. Ending it again (a retry after a lost answer) answers the ended record;
 * a session that ended otherwise (an install, a failover) is refused with its end reason.
 */
async function endNormally(ctx: AppContext, s: SupportSession, by: SessionActor, params: Record<string, string>): Promise<SupportSession> {
  if (s.status === 'completed' && s.endReason === 'completed') return s;
  requireLive(s);
  if (!s.representatives?.some((r) => r.primary)) throw conflict('SessionNotAccepted', 'No representative accepted this session yet');
  const now = ctx.clock.now();
  const at = now.toISOString();
  const surveys = by.type === 'customer' ? customerSurvey(s, params, at) : undefined;
  const closed = closeInvolvement(s, at);
  const ended = endSession({ ...closed, events: [...(closed.events ?? []), { timestamp: at, eventType: 'Conference Member Departed', performedBy: by }] }, now, 'completed');
  const record = surveys ? { ...ended, customerSurveys: surveys } : ended;
  await putSession(ctx, record);
  return record;
}

export async function endSessionByRepresentative(ctx: AppContext, appliance: Appliance, user: SiteUser, consoleId: string, lsid: string): Promise<SupportSession> {
  await requireLoggedIn(ctx, appliance, user, consoleId);
  const s = await requireSession(ctx, appliance, lsid);
  requireOwner(s, user);
  return endNormally(ctx, s, repActor(s, user), {});
}

export async function endSessionByCustomer(ctx: AppContext, appliance: Appliance, lsid: string, customerToken: string, params: Record<string, string>): Promise<SupportSession> {
  const s = await requireSession(ctx, appliance, lsid);
  if (!customerToken || !s.customerTokenHash || hash(customerToken) !== s.customerTokenHash) throw unauthorized('CustomerTokenInvalid', 'This customer client does not belong to the session');
  return endNormally(ctx, s, customerActor(s), params);
}

/** The console logs out (the representative closes it). */
export async function consoleLogout(ctx: AppContext, appliance: Appliance, user: SiteUser, consoleId: string): Promise<StaffConsole> {
  const c = await requireLoggedIn(ctx, appliance, user, consoleId);
  const { loggedInAt: _l, ...rest } = c;
  const out: StaffConsole = { ...rest, loggedIn: false, lastLogout: { at: ctx.clock.now().toISOString(), reason: 'logout' } };
  await putConsole(ctx, out);
  return out;
}
