/**
 * Session keys (`generate_session_key`): a short code a representative gives a customer, with the queue,
 * custom attributes, priority and skills the session starts with. A key is redeemed once, when the customer
 * arrives (a later issue's live traffic), and becomes a waiting session in its queue. Pure rules.
 */
import { conflict, validationError } from '../../platform/core/errors.js';
import type { SupportSession } from './session.js';

export type SessionPriority = 'low' | 'medium' | 'high';

export interface SessionKey {
  applianceId: string;
  /** The code the customer types (7 digits). */
  shortKey: string;
  type: 'support';
  /** Resolved queue: `general`, `rep:<id>`, `team:<id>`. */
  queue: string;
  /** The queue as requested (`rep_username:…`, `issue:…` stay visible in the response). */
  queueId: string;
  externalKey: string;
  customAttributes: Record<string, string>;
  priority?: SessionPriority;
  skills: string[];
  /** Seconds the key stays valid. */
  ttl: number;
  createdAt: string;
  expiresAt: string;
  /** Hostname the key URL points at (`url_hostname`, default the site's own). */
  urlHostname: string;
  /** Who generated it: `user:<username>` or `api-account:<clientId>`. */
  createdBy: string;
  redeemedAt?: string;
  redeemedLsid?: string;
}

/** [D] default and bounds of `ttl` (docs/vendor-api.md §4: the sources do not give them). */
export const DEFAULT_KEY_TTL_SECONDS = 86_400;
export const MAX_KEY_TTL_SECONDS = 31_536_000;
export const SHORT_KEY_DIGITS = 7;

export function parseTtl(text: string | undefined): number {
  if (text === undefined) return DEFAULT_KEY_TTL_SECONDS;
  if (!/^[0-9]{1,9}$/.test(text) || Number(text) < 60 || Number(text) > MAX_KEY_TTL_SECONDS) {
    throw validationError('InvalidTtl', `Invalid ttl: a number of seconds from 60 to ${MAX_KEY_TTL_SECONDS}`);
  }
  return Number(text);
}

export function parsePriority(text: string | undefined): SessionPriority | undefined {
  if (text === undefined) return undefined;
  if (text !== 'low' && text !== 'medium' && text !== 'high') throw validationError('InvalidPriority', 'Invalid priority: use low, medium or high');
  return text;
}

export function parseSkills(text: string | undefined): string[] {
  if (text === undefined || text === '') return [];
  const skills = text.split(',').map((s) => s.trim());
  if (skills.length > 50 || skills.some((s) => !/^[a-z0-9_]{1,64}$/.test(s))) throw validationError('InvalidSkills', 'Invalid skills: a comma-separated list of skill code names');
  return [...new Set(skills)];
}

/** A 7-digit code from uniform random bytes (`byte` returns 0..255). Leading digit 1-9, so it never loses a digit. */
export function newShortKey(byte: () => number): string {
  let out = '';
  while (out.length < SHORT_KEY_DIGITS) {
    const b = byte();
    if (b >= 250) continue; // rejection keeps the digits uniform
    const digit = b % 10;
    if (out.length === 0 && digit === 0) continue;
    out += String(digit);
  }
  return out;
}

/** [D] The URL a customer opens to start the session with the key. */
export const keyUrl = (hostname: string, shortKey: string) => `https://${hostname}/?ak=${shortKey}`;

export const isKeyExpired = (k: Pick<SessionKey, 'expiresAt'>, now: Date) => now.getTime() >= Date.parse(k.expiresAt);

export const MAIL_SUBJECT = 'Remote Support Invitation';
export const mailBody = (url: string, shortKey: string) =>
  `Your representative would like to start a support session with you. Open ${url} and follow the instructions, or enter the session key ${shortKey} on the support site.`;

/**
 * Redeeming: the key becomes a waiting session (status active, no representative yet) in its queue, with its
 * external key and custom attributes. A key redeems once; an expired one not at all.
 */
export function sessionFromKey(
  key: SessionKey,
  now: Date,
  ids: { lsid: string; lseq?: number },
  customer: { name: string; hostname: string; publicSiteId?: number; publicSiteName?: string },
): SupportSession {
  if (key.redeemedAt) throw conflict('SessionKeyUsed', 'This session key was already used');
  if (isKeyExpired(key, now)) throw conflict('SessionKeyExpired', 'This session key has expired');
  const teamId = key.queue.startsWith('team:') ? Number(key.queue.slice(5)) : undefined;
  return {
    applianceId: key.applianceId,
    ...ids,
    sessionType: 'support',
    status: 'active',
    startTime: now.toISOString(),
    fileTransfers: 0,
    hostName: customer.hostname,
    externalKey: key.externalKey,
    publicSiteId: customer.publicSiteId ?? 1,
    publicSiteName: customer.publicSiteName ?? 'Default',
    customerName: customer.name,
    representativeName: '',
    recordedBy: key.applianceId,
    customers: [{ gsnumber: 1, primary: true, username: customer.name, info: { name: customer.name }, hostname: customer.hostname }],
    representatives: [],
    ...(Object.keys(key.customAttributes).length > 0 ? { customAttributes: { ...key.customAttributes } } : {}),
    queue: key.queue,
    ...(teamId !== undefined ? { teamId } : {}),
  };
}
