import { SYSTEM_ACTOR, type SessionActor, type SessionCustomer, type SessionEvent, type SessionRepresentative, type SupportSession } from './session.js';

/*
 * What the reports show of a stored session. Sessions stored before the richer record existed carry only
 * customerName / representativeName / hostName: their participants and events are derived from those, so
 * every session renders in the vendor's full shape (a derived representative has no site-user id).
 */

export function customersOf(s: SupportSession): SessionCustomer[] {
  if (s.customers && s.customers.length > 0) return s.customers;
  return [{ gsnumber: 1, primary: true, username: s.customerName, info: { name: s.customerName }, hostname: s.hostName }];
}

/** Representatives; `id` is 0 for one derived from an old record (unknown site user). */
export function representativesOf(s: SupportSession): SessionRepresentative[] {
  if (s.representatives) return s.representatives;
  if (!s.representativeName) return [];
  return [{ gsnumber: 2, id: 0, username: '', displayName: s.representativeName, primary: true, secondsInvolved: s.duration ?? 0 }];
}

export const primaryCustomerOf = (s: SupportSession) => customersOf(s).find((c) => c.primary) ?? customersOf(s)[0];
export const primaryRepOf = (s: SupportSession) => representativesOf(s).find((r) => r.primary);

const asActor = (type: 'customer' | 'representative', p: { gsnumber: number }, name: string): SessionActor => ({ type, gsnumber: p.gsnumber, name });
export const customerActor = (c: SessionCustomer) => asActor('customer', c, c.info.name || c.username);
export const repActor = (r: SessionRepresentative) => asActor('representative', r, r.displayName);

/** Session events in time order; for an old record, its start (and end) as the system recorded them. */
export function eventsOf(s: SupportSession): SessionEvent[] {
  if (s.events && s.events.length > 0) return s.events;
  const customer = primaryCustomerOf(s);
  const rep = primaryRepOf(s);
  const events: SessionEvent[] = [{ timestamp: s.startTime, eventType: 'Session Start', performedBy: SYSTEM_ACTOR, ...(customer ? { destination: customerActor(customer) } : {}) }];
  if (rep) events.push({ timestamp: s.startTime, eventType: 'Conference Owner Changed', performedBy: SYSTEM_ACTOR, destination: repActor(rep) });
  if (s.status === 'completed' && s.endTime) events.push({ timestamp: s.endTime, eventType: 'Session End', performedBy: SYSTEM_ACTOR });
  return events;
}
