import type { Appliance } from '../../platform/core/appliance.js';
import { SYSTEM_ACTOR, type ExitSurvey, type SessionActor, type SessionCustomer, type SessionEvent, type SessionRepresentative, type SupportSession } from '../core/session.js';
import type { AppContext } from '../../platform/app/context.js';
import { allocateSessionIds, ensureListingRecords, hasSessions, markListingRecordsComplete, putSessions } from './session-store.js';

/** Small deterministic PRNG (mulberry32): the same seed gives the same fleet history. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SITES = [
  { id: 1, name: 'Default' },
  { id: 2, name: 'Helpdesk EMEA' },
  { id: 3, name: 'Partner & Vendor <Support>' },
];

/**
 * The generator's site users (representatives) and support teams. Ids are what the reports show
 * (`representative@id`, `team_id`); a seeded site with its own users should use the same ids.
 */
export const GENERATED_REPS = [
  { id: 1, username: 'atanaka', displayName: 'Aiko Tanaka', teamId: 1 },
  { id: 2, username: 'bortiz', displayName: 'Ben Ortiz', teamId: 1 },
  { id: 3, username: 'cmartin', displayName: 'Chloé Martin', teamId: 2 },
  { id: 4, username: 'dpatel', displayName: 'Dev Patel', teamId: 2 },
  { id: 5, username: 'elund', displayName: 'Erik Lund', teamId: 3 },
  { id: 6, username: 'foneil', displayName: "Fiona O'Neil", teamId: 3 },
] as const;
export const GENERATED_TEAMS = [
  { id: 1, name: 'Service Desk' },
  { id: 2, name: 'Field Support EMEA' },
  { id: 3, name: 'Escalations & "Tier 3"' },
] as const;

const CUSTOMERS = [
  { username: 'j.smith', name: 'John Smith', company: 'Contoso Ltd' },
  { username: 'm.garcia', name: 'María García', company: 'Fabrikam' },
  { username: 'k.yamamoto', name: '山本 健', company: '株式会社サンプル' },
  { username: 'l.nguyen', name: 'Linh Nguyen', company: 'Northwind Traders' },
  { username: 'p.kowalski', name: 'Piotr Kowalski', company: 'Contoso Ltd' },
  { username: 'r.silva', name: 'Rita Silva', company: 'Tailspin Toys' },
  { username: 's.müller', name: 'Stefan Müller', company: 'Fabrikam' },
];
const ISSUES = ['Printer offline', 'VPN will not connect', 'Outlook crashes on start', 'New laptop setup', 'Password reset', 'Slow performance <urgent>'];
const OS = ['Windows 10 Enterprise (22H2)', 'Windows 11 Pro (23H2)', 'macOS 14.4', 'Ubuntu 22.04 LTS'];
const CHAT = [
  ['Hello, I will be helping you today.', 'Hi! Thanks.'],
  ['Can you see my cursor?', 'Yes I can.'],
  ['I am restarting the spooler service now.', 'OK'],
  ['That should be fixed; can you try again?', 'It works, thank you!'],
];
const FILES = ['logs.zip', 'driver-setup.exe', 'screenshot.png', 'config.xml'];
const CUSTOMER_SURVEY = [
  { questionId: 1, name: 'rating', label: 'How satisfied are you with this session?', type: 'radio', reportHeader: 'Rating' },
  { questionId: 2, name: 'comments', label: 'Comments', type: 'textarea', reportHeader: 'Comments' },
];
const REP_SURVEY = [{ questionId: 3, name: 'resolved', label: 'Was the issue resolved?', type: 'radio', reportHeader: 'Resolved' }];

export interface GenerateOptions {
  count: number;
  /** Sessions spread evenly over the days before `until` (default 365). */
  days?: number;
  until?: Date;
  /** Fraction still active at the end (the newest ones). */
  activeFraction?: number;
  seed?: number;
  batchSize?: number;
}

type Rng = () => number;
const pick = <T>(random: Rng, xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
const ip = (random: Rng, prefix: string) => `${prefix}.${Math.floor(random() * 254) + 1}.${Math.floor(random() * 254) + 1}`;

/**
 * One realistic support session (pure given the random source): a customer from a site, a primary
 * representative (sometimes a second one joining), chat, system information, file transfers, notes,
 * exit surveys on some, and the events of all that in time order.
 */
export function generateSession(random: Rng, base: { applianceId: string; lsid: string; lseq?: number; start: number; end?: number }): SupportSession {
  const { start, end } = base;
  const active = end === undefined;
  const site = pick(random, SITES);
  const person = pick(random, CUSTOMERS);
  const rep = pick(random, GENERATED_REPS);
  const team = GENERATED_TEAMS.find((t) => t.id === rep.teamId)!;
  const hostname = `ws-${Math.floor(random() * 5000).toString().padStart(4, '0')}.corp.example.com`;
  const issue = pick(random, ISSUES);
  const customer: SessionCustomer = {
    gsnumber: 2,
    primary: true,
    username: person.username,
    info: { name: person.name, company: person.company, issue, ...(random() < 0.3 ? { details: `Ticket note: ${issue.toLowerCase()} since this morning` } : {}) },
    hostname,
    os: pick(random, OS),
    privateIp: ip(random, '10.20'),
    publicIp: ip(random, '203.0'),
  };
  const until = end ?? start + 30 * 60_000;
  const span = Math.max(0, until - start);
  const at = (fraction: number) => new Date(start + Math.floor(span * fraction)).toISOString();
  const repDuration = Math.round(span / 1000);
  const primary: SessionRepresentative = { gsnumber: 3, id: rep.id, username: rep.username, displayName: rep.displayName, primary: true, secondsInvolved: repDuration, hostname: `rep-${rep.username}.corp.example.com`, os: 'Windows 11 Pro (23H2)', privateIp: ip(random, '10.10'), publicIp: ip(random, '198.51') };
  const representatives = [primary];
  const customerActor: SessionActor = { type: 'customer', gsnumber: customer.gsnumber, name: person.name };
  const repActor: SessionActor = { type: 'representative', gsnumber: primary.gsnumber, name: rep.displayName };
  const events: SessionEvent[] = [
    { timestamp: at(0), eventType: 'Session Start', performedBy: SYSTEM_ACTOR, destination: customerActor },
    { timestamp: at(0), eventType: 'Conference Member Added', performedBy: SYSTEM_ACTOR, destination: customerActor },
    { timestamp: at(0.02), eventType: 'Conference Owner Changed', performedBy: SYSTEM_ACTOR, destination: repActor, data: [{ name: 'owner', value: rep.displayName }] },
  ];
  const chats = 1 + Math.floor(random() * CHAT.length);
  for (let i = 0; i < chats; i++) {
    const [fromRep, fromCustomer] = CHAT[i]!;
    events.push({ timestamp: at(0.05 + i * 0.1), eventType: 'Chat Message', performedBy: repActor, destination: customerActor, body: fromRep });
    events.push({ timestamp: at(0.1 + i * 0.1), eventType: 'Chat Message', performedBy: customerActor, destination: repActor, body: fromCustomer });
  }
  if (random() < 0.7) {
    events.push({ timestamp: at(0.5), eventType: 'System Information Retrieved', performedBy: repActor, destination: customerActor, data: [{ name: 'Operating System', value: customer.os! }, { name: 'Host Name', value: hostname }, { name: 'Private IP', value: customer.privateIp! }] });
  }
  const fileTransfers = random() < 0.8 ? 0 : 1 + Math.floor(random() * 5);
  for (let i = 0; i < fileTransfers; i++) {
    const upload = random() < 0.5;
    events.push({ timestamp: at(0.55 + i * 0.05), eventType: upload ? 'File Upload' : 'File Download', performedBy: repActor, destination: customerActor, data: [{ name: 'filename', value: pick(random, FILES) }, { name: 'filesize', value: String(1024 + Math.floor(random() * 5_000_000)) }] });
  }
  if (random() < 0.2) {
    const second = pick(random, GENERATED_REPS.filter((r) => r.id !== rep.id));
    const joined = 0.6;
    representatives.push({ gsnumber: 4, id: second.id, username: second.username, displayName: second.displayName, primary: false, secondsInvolved: Math.round((repDuration * (1 - joined)) / 2) });
    const secondActor: SessionActor = { type: 'representative', gsnumber: 4, name: second.displayName };
    events.push({ timestamp: at(joined), eventType: 'Conference Member Added', performedBy: repActor, destination: secondActor });
    events.push({ timestamp: at(0.8), eventType: 'Conference Member Departed', performedBy: secondActor });
  }
  if (random() < 0.4) events.push({ timestamp: at(0.9), eventType: 'Session Note Added', performedBy: repActor, body: `Resolved: ${issue}` });
  const customerSurveys: ExitSurvey[] = [];
  const representativeSurveys: ExitSurvey[] = [];
  if (!active && random() < 0.3) {
    const rating = String(1 + Math.floor(random() * 5));
    customerSurveys.push({ gsnumber: customer.gsnumber, submittedAt: new Date(until).toISOString(), answers: CUSTOMER_SURVEY.map((q) => ({ ...q, answer: q.name === 'rating' ? rating : rating >= '4' ? 'Quick & friendly' : 'Took <too> long' })) });
  }
  if (!active && random() < 0.2) {
    representativeSurveys.push({ gsnumber: primary.gsnumber, submittedAt: new Date(until).toISOString(), answers: REP_SURVEY.map((q) => ({ ...q, answer: random() < 0.85 ? 'Yes' : 'No' })) });
  }
  if (!active) events.push({ timestamp: new Date(until).toISOString(), eventType: 'Session End', performedBy: SYSTEM_ACTOR });
  events.sort((a, b) => (a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : 0));
  const externalKey = random() < 0.3 ? '' : `INC${String(100000 + Math.floor(random() * 900000))}`;
  return {
    applianceId: base.applianceId,
    lsid: base.lsid,
    ...(base.lseq !== undefined ? { lseq: base.lseq } : {}),
    sessionType: 'support',
    status: active ? 'active' : 'completed',
    startTime: new Date(start).toISOString(),
    ...(active ? {} : { endTime: new Date(until).toISOString(), duration: Math.round((until - start) / 1000), endReason: 'completed' as const }),
    fileTransfers,
    hostName: hostname,
    externalKey,
    publicSiteId: site.id,
    publicSiteName: site.name,
    customerName: person.username,
    representativeName: rep.displayName,
    recordedBy: base.applianceId,
    customers: [customer],
    representatives,
    events,
    ...(customerSurveys.length ? { customerSurveys } : {}),
    ...(representativeSurveys.length ? { representativeSurveys } : {}),
    ...(random() < 0.25 ? { customAttributes: { priority: pick(random, ['P1', 'P2', 'P3']), asset_tag: `AT-${Math.floor(random() * 90000) + 10000}` } } : {}),
    queue: `team:${team.id}`,
    teamId: team.id,
    teamName: team.name,
  };
}

/**
 * Generates realistic support sessions for an appliance and stores them in batches: ids from the
 * appliance's allocator (integer lsid before 10.6, GUID + lseq after), start times ascending,
 * log-normal-ish durations, the rich record of `generateSession`. Deterministic by seed.
 */
export async function generateSessions(ctx: AppContext, appliance: Appliance, options: GenerateOptions): Promise<number> {
  const random = prng(options.seed ?? 42);
  const until = (options.until ?? ctx.clock.now()).getTime();
  const spanMs = (options.days ?? 365) * 86_400_000;
  const batchSize = options.batchSize ?? 1000;
  const activeFrom = Math.floor(options.count * (1 - (options.activeFraction ?? 0)));
  const fresh = !(await hasSessions(ctx, appliance.applianceId));
  let written = 0;
  while (written < options.count) {
    const n = Math.min(batchSize, options.count - written);
    const ids = await allocateSessionIds(ctx, appliance.applianceId, appliance.productVersion, n);
    const batch: SupportSession[] = ids.map((id, i) => {
      const index = written + i;
      const start = until - spanMs + Math.floor(((index + random()) / options.count) * spanMs);
      // exp of a normal-ish sum: most sessions 5-30 min, a long tail to a few hours.
      const duration = Math.min(6 * 3600, Math.round(60 * Math.exp(2.3 + 0.9 * (random() + random() + random() - 1.5))));
      const end = index >= activeFrom ? undefined : Math.min(start + duration * 1000, until);
      return generateSession(random, { applianceId: appliance.applianceId, ...id, start, end });
    });
    await putSessions(ctx, batch);
    written += n;
  }
  // Every session written here has its listing record; older ones (an old data dir) may not.
  if (fresh) await markListingRecordsComplete(ctx, appliance.applianceId);
  else await ensureListingRecords(ctx, appliance.applianceId);
  return written;
}
