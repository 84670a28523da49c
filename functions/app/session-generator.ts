import type { Appliance } from '../core/appliance.js';
import type { SupportSession } from '../core/session.js';
import type { AppContext } from './context.js';
import { allocateSessionIds, putSessions } from './session-store.js';

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
const REPS = ['Aiko Tanaka', 'Ben Ortiz', 'Chloé Martin', 'Dev Patel', 'Erik Lund', "Fiona O'Neil"];
const CUSTOMERS = ['j.smith', 'm.garcia', 'k.yamamoto', 'l.nguyen', 'p.kowalski', 'r.silva', 's.müller'];

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

/**
 * Generates realistic support sessions for an appliance and stores them in batches: ids from the
 * appliance's allocator (integer lsid before 10.6, GUID + lseq after), start times ascending,
 * log-normal-ish durations, a few file transfers, external keys from a ticketing system.
 */
export async function generateSessions(ctx: AppContext, appliance: Appliance, options: GenerateOptions): Promise<number> {
  const random = prng(options.seed ?? 42);
  const until = (options.until ?? ctx.clock.now()).getTime();
  const spanMs = (options.days ?? 365) * 86_400_000;
  const batchSize = options.batchSize ?? 1000;
  const activeFrom = Math.floor(options.count * (1 - (options.activeFraction ?? 0)));
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
  let written = 0;
  while (written < options.count) {
    const n = Math.min(batchSize, options.count - written);
    const ids = await allocateSessionIds(ctx, appliance.applianceId, appliance.productVersion, n);
    const batch: SupportSession[] = ids.map((id, i) => {
      const index = written + i;
      const start = until - spanMs + Math.floor(((index + random()) / options.count) * spanMs);
      const active = index >= activeFrom;
      // exp of a normal-ish sum: most sessions 5-30 min, a long tail to a few hours.
      const duration = Math.min(6 * 3600, Math.round(60 * Math.exp(2.3 + 0.9 * (random() + random() + random() - 1.5))));
      const site = pick(SITES);
      const end = Math.min(start + duration * 1000, until);
      return {
        applianceId: appliance.applianceId,
        ...id,
        sessionType: 'support',
        status: active ? 'active' : 'completed',
        startTime: new Date(start).toISOString(),
        ...(active ? {} : { endTime: new Date(end).toISOString(), duration: Math.round((end - start) / 1000), endReason: 'completed' as const }),
        fileTransfers: random() < 0.8 ? 0 : Math.floor(random() * 6),
        hostName: `ws-${Math.floor(random() * 5000).toString().padStart(4, '0')}.corp.example.com`,
        externalKey: random() < 0.3 ? '' : `INC${String(100000 + Math.floor(random() * 900000))}`,
        publicSiteId: site.id,
        publicSiteName: site.name,
        customerName: pick(CUSTOMERS),
        representativeName: pick(REPS),
        recordedBy: appliance.applianceId,
      };
    });
    await putSessions(ctx, batch);
    written += n;
  }
  return written;
}
