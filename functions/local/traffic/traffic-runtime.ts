/**
 * The local runtime's live traffic (issue 14): the generator, its ledger in the data dir, the representatives
 * it logs in with (site users it provisions on every appliance of a site, as an administrator would), and the
 * measurement of each run: per window downtime when the window has ended, reconciliation once the run closed.
 * The generator itself only talks HTTP to the sites; this shell reads the store for set-up and bookkeeping.
 */
import { join } from 'node:path';
import { listAppliances } from '../../emulator/app/appliance-store.js';
import type { AppContext } from '../../platform/app/context.js';
import { listPrimaryHostnames, resolveHostname } from '../../emulator/app/primary-hostname.js';
import { recordRunTraffic, type TrafficControl } from '../../control-plane/app/run-traffic.js';
import { appendAudit, listRuns, requireRun } from '../../control-plane/app/run-store.js';
import { createSiteUser, getSiteUser } from '../../emulator/app/site-users.js';
import type { Run, RunTraffic } from '../../control-plane/core/run.js';
import { isClosed } from '../../control-plane/core/run.js';
import http from 'node:http';
import { TrafficGenerator, type SiteRepresentative, type TrafficSite, type TrafficStatus } from '../../traffic/generator.js';
import { LedgerFile } from '../../traffic/ledger-file.js';
import type { LedgerEntry } from '../../traffic/ledger.js';
import { measureWindow, reconciliationSummary, reportedSessions } from './run-traffic.js';
import { DEFAULT_TRAFFIC, MAX_SESSION_MINUTES, type TrafficSettings } from '../../traffic/traffic-model.js';

export const TRAFFIC_AUDIT_ID = 'traffic';
/** Site user ids of the generator's representatives: pinned, so both appliances of a pair agree. */
const REP_USER_ID_BASE = 990_000;

/** Settings from the environment (TRAFFIC_SESSIONS_PER_HOUR, TRAFFIC_MEDIAN_MINUTES, TRAFFIC_REPS_PER_TEAM, TRAFFIC_SEED). */
export function trafficSettingsFromEnv(env: Record<string, string | undefined>, defaults: Partial<TrafficSettings> = {}): TrafficSettings {
  const num = (name: string, fallback: number, min: number, max: number) => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < min || value > max) throw new Error(`${name} must be a number from ${min} to ${max} (got ${raw})`);
    return value;
  };
  const base = { ...DEFAULT_TRAFFIC, ...defaults };
  return {
    sessionsPerHour: num('TRAFFIC_SESSIONS_PER_HOUR', base.sessionsPerHour, 0, 100_000),
    medianSessionMinutes: num('TRAFFIC_MEDIAN_MINUTES', base.medianSessionMinutes, 0.1, MAX_SESSION_MINUTES),
    sessionLengthSigma: num('TRAFFIC_LENGTH_SIGMA', base.sessionLengthSigma, 0, 3),
    representativesPerTeam: Math.round(num('TRAFFIC_REPS_PER_TEAM', base.representativesPerTeam, 1, 100)),
    seed: Math.round(num('TRAFFIC_SEED', base.seed, 0, 2 ** 31)),
  };
}

const repCredential = (i: number): SiteRepresentative => ({ username: `traffic-rep-${i}`, password: `traffic-rep-password-${i}` });

export interface LocalTrafficOptions {
  baseUrl: string;
  dataDir: string;
  msPerModelledMinute: number;
  settings: TrafficSettings;
  /** How often runs are looked at for measurement (real ms). */
  observeMs?: number;
}

export class LocalTraffic implements TrafficControl {
  readonly ledger: LedgerFile;
  readonly generator: TrafficGenerator;
  private readonly provisioned = new Set<string>();
  private observer?: NodeJS.Timeout;
  private observing?: Promise<void>;
  /** Runs seen running while traffic was on: only those get a measurement. */
  private readonly watched = new Set<string>();

  constructor(
    private readonly ctx: AppContext,
    private readonly options: LocalTrafficOptions,
  ) {
    this.ledger = new LedgerFile(join(options.dataDir, 'traffic', 'ledger.jsonl'));
    this.generator = new TrafficGenerator({ baseUrl: options.baseUrl, ledger: this.ledger, msPerModelledMinute: options.msPerModelledMinute, settings: options.settings, sites: () => this.sites() });
  }

  async start(): Promise<void> {
    if (this.options.settings.sessionsPerHour > 0) {
      await this.generator.start();
      this.observe();
    }
  }

  status(): TrafficStatus {
    return this.generator.status();
  }

  async configure(settings: Partial<TrafficSettings>, actor: string): Promise<TrafficStatus> {
    const before = this.generator.status().settings;
    const status = await this.generator.configure(settings);
    if (status.settings.sessionsPerHour > 0) this.observe();
    await appendAudit(this.ctx, { runId: TRAFFIC_AUDIT_ID, step: 'traffic.configure', actor, outcome: 'succeeded', inputs: settings, detail: `${JSON.stringify(before)} → ${JSON.stringify(status.settings)}` });
    return status;
  }

  async stop(): Promise<void> {
    if (this.observer) clearTimeout(this.observer);
    this.observer = undefined;
    await this.observing?.catch(() => undefined);
    await this.generator.stop();
  }

  /** Every site with a primary hostname record, with the generator's representatives on each of its appliances. */
  private async sites(): Promise<TrafficSite[]> {
    const [records, appliances] = await Promise.all([listPrimaryHostnames(this.ctx), listAppliances(this.ctx)]);
    const reps = Array.from({ length: this.generator.status().settings.representativesPerTeam }, (_, i) => repCredential(i + 1));
    const sites: TrafficSite[] = [];
    for (const record of records) {
      const members = appliances.filter((a) => a.applianceId === record.applianceId || a.license.primaryHostname === record.hostname);
      for (const a of members) await this.provision(a.applianceId, reps);
      sites.push({ hostname: record.hostname, representatives: reps });
    }
    return sites;
  }

  private async provision(applianceId: string, reps: SiteRepresentative[]): Promise<void> {
    for (const [i, rep] of reps.entries()) {
      const key = `${applianceId}/${rep.username}`;
      if (this.provisioned.has(key)) continue;
      if (!(await getSiteUser(this.ctx, applianceId, rep.username))) {
        await createSiteUser(this.ctx, applianceId, {
          username: rep.username,
          password: rep.password,
          publicDisplayName: `Traffic Rep ${i + 1}`,
          privateDisplayName: `Traffic Rep ${i + 1}`,
          permissions: { provideRemoteSupport: true, reportingApi: true },
          disabled: false,
          showOnRepList: true,
          userId: REP_USER_ID_BASE + i + 1,
        }).catch((e: unknown) => {
          // A concurrent refresh created it first: fine.
          if (!(e as { code?: string }).code?.includes('Exists')) throw e;
        });
      }
      this.provisioned.add(key);
    }
  }

  private observe(): void {
    if (this.observer) return;
    const tick = () => {
      this.observer = setTimeout(() => {
        this.observing = this.observeRuns().catch(() => undefined);
        void this.observing.finally(() => this.observer && tick());
      }, this.options.observeMs ?? 500);
      this.observer.unref();
    };
    tick();
  }

  /** Measures windows that ended and reconciles runs that closed, for runs that ran while traffic was on. */
  async observeRuns(): Promise<void> {
    const { runs } = await listRuns(this.ctx, { limit: 50 });
    for (const run of runs) {
      const running = run.status === 'window1-running' || run.status === 'window2-running' || run.status === 'interim';
      if (running && this.generator.running) this.watched.add(run.runId);
      if (!this.watched.has(run.runId)) continue;
      const ended = run.windows.filter((w) => w.startedAt && w.endedAt).length;
      const closed = isClosed(run.status);
      if ((run.traffic?.windows.length ?? -1) < ended || (closed && !run.traffic?.reconciliation)) {
        await this.measureRun(run.runId, { reconcile: closed });
      }
      if (closed && run.traffic?.reconciliation) this.watched.delete(run.runId);
    }
  }

  /** The run's measurement from the ledger (and the reconciliation, when asked), stored on the run. */
  async measureRun(runId: string, options: { reconcile?: boolean } = {}): Promise<RunTraffic | undefined> {
    const run = await requireRun(this.ctx, runId);
    const hostname = await this.hostnameOf(run);
    if (!hostname) return undefined;
    const { entries } = await this.ledger.read();
    const windows = run.windows
      .filter((w) => w.startedAt && w.endedAt)
      .map((w) => measureWindow(entries, hostname, { window: w.index, from: w.startedAt!, to: w.endedAt!, estimateMinutes: run.downtimeEstimateMinutes?.[w.index - 1] ?? 0 }, this.options.msPerModelledMinute))
      .filter((w) => w !== undefined);
    let reconciliation = run.traffic?.reconciliation;
    if (options.reconcile) reconciliation = (await this.reconcile(run, hostname, entries)) ?? reconciliation;
    const traffic: RunTraffic = { windows, ...(reconciliation ? { reconciliation } : {}) };
    await recordRunTraffic(this.ctx, runId, traffic);
    return traffic;
  }

  private async hostnameOf(run: Run): Promise<string | undefined> {
    const records = await listPrimaryHostnames(this.ctx);
    const members = new Set([run.primaryId, run.backupId].filter(Boolean));
    const appliances = await listAppliances(this.ctx);
    const primary = appliances.find((a) => a.applianceId === run.primaryId);
    return records.find((r) => r.hostname === primary?.license.primaryHostname)?.hostname ?? records.find((r) => members.has(r.applianceId))?.hostname;
  }

  /** The final primary's SupportSession report, fetched over the wire as a reporting client would, against the ledger. */
  private async reconcile(run: Run, hostname: string, entries: LedgerEntry[]) {
    const started = run.windows.map((w) => w.startedAt).filter((t): t is string => Boolean(t)).sort();
    const endedAll = run.windows.map((w) => w.endedAt).filter((t): t is string => Boolean(t)).sort();
    if (started.length === 0) return undefined;
    const from = started[0]!;
    const to = endedAll.at(-1) ?? run.updatedAt;
    return this.reconcileInterval(hostname, { from, to }, entries, run.primaryId);
  }

  /**
   * The ledger's sessions that ended in [from, to) against the SupportSession report of the appliance the hostname
   * points to now (also used by the bench sweep, which reconciles steady traffic without a run).
   */
  async reconcileInterval(hostname: string, interval: { from: string; to: string }, entries?: LedgerEntry[], fallbackPrimaryId = '') {
    const { from, to } = interval;
    entries ??= (await this.ledger.read()).entries;
    const primaryId = (await resolveHostname(this.ctx, hostname)) ?? fallbackPrimaryId;
    const rep = repCredential(1);
    const since = Math.floor((Date.parse(from) - MAX_SESSION_MINUTES * this.options.msPerModelledMinute) / 1000) - 60;
    const xml = await getText(this.options.baseUrl, hostname, `/api/reporting?${new URLSearchParams({ generate_report: 'SupportSession', start_time: String(Math.max(0, since)), duration: '0', username: rep.username, password: rep.password })}`);
    if (xml.status !== 200 || !xml.body.includes('session_list')) return undefined;
    return reconciliationSummary(entries, reportedSessions(xml.body), { from, to, hostname }, primaryId, new Date().toISOString());
  }
}

function getText(baseUrl: string, hostname: string, path: string): Promise<{ status: number; body: string }> {
  const base = new URL(baseUrl);
  return new Promise((resolve) => {
    const request = http.request({ hostname: base.hostname, port: base.port, path, method: 'GET', headers: { host: hostname }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', () => resolve({ status: 0, body: '' }));
    });
    request.on('error', () => resolve({ status: 0, body: '' }));
    request.end();
  });
}
