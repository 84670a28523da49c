/**
 * The traffic generator (issue 14): simulated customers and representatives using the sites while the
 * windows run. They are outside clients: every call is HTTP to the local runtime with the site's primary
 * hostname in `Host` (so they follow the DNS change of option 2), and they retry with backoff while the
 * site is down, as the customer client and the representative console do. What they saw goes to the
 * ledger (functions/traffic/ledger-file.ts), never read back from the appliances' store.
 *
 * Cheap when off (no timer at all), bounded when on: one arrival timer per site, at most
 * `maxActivePerSite` customers in flight per site (later arrivals are counted as dropped), one keep-alive
 * agent with a fixed number of sockets, nothing kept in memory per finished session.
 */
import { setMaxListeners } from 'node:events';
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { prng } from '../platform/core/random.js';
import type { LedgerEntry } from './ledger.js';
import type { LedgerFile } from './ledger-file.js';
import { nextArrivalMinutes, planSession, retryDelayMinutes, DEFAULT_TRAFFIC, type SessionPlan, type TrafficSettings } from './traffic-model.js';

export interface SiteRepresentative {
  username: string;
  password: string;
}

/** What the generator needs to know of a site: its primary hostname and its representatives' credentials. */
export interface TrafficSite {
  hostname: string;
  representatives: SiteRepresentative[];
}

export interface TrafficGeneratorOptions {
  /** The runtime's HTTP origin (the sites answer there by Host header). */
  baseUrl: string;
  ledger: LedgerFile;
  msPerModelledMinute: number;
  settings?: Partial<TrafficSettings>;
  /** The sites to use now (called on every refresh: pairs created later join). */
  sites: () => Promise<TrafficSite[]>;
  refreshMs?: number;
  maxActivePerSite?: number;
  /** Give up a customer's request after this many failed attempts (each one is in the ledger). */
  maxAttempts?: number;
}

export interface TrafficStatus {
  settings: TrafficSettings;
  running: boolean;
  sites: string[];
  active: number;
  requested: number;
  completed: number;
  cutOff: number;
  failedAttempts: number;
  dropped: number;
  gaveUp: number;
  lastLoginRefusal?: string;
}

interface Answer {
  status: number;
  body: Record<string, unknown>;
  retryAfter?: number;
}

class Stopped extends Error {}

interface RepState {
  rep: SiteRepresentative;
  consoleId: string;
  /** Shared login in progress (every session of this representative waits for the same one). */
  login?: Promise<boolean>;
  loggedIn: boolean;
}

interface SiteState {
  site: TrafficSite;
  timer?: NodeJS.Timeout;
  active: number;
  reps: RepState[];
  next: number;
}

export class TrafficGenerator {
  private settings: TrafficSettings;
  private random: () => number;
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  private readonly sites = new Map<string, SiteState>();
  private refreshTimer?: NodeJS.Timeout;
  private abort = new AbortController();
  private readonly base: URL;
  private readonly runTag = randomBytes(4).toString('hex');
  private counter = 0;
  /** The last refusal of a console login (diagnostics in the status). */
  private lastLoginRefusal?: string;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly counts = { requested: 0, completed: 0, cutOff: 0, failedAttempts: 0, dropped: 0, gaveUp: 0 };

  constructor(private readonly options: TrafficGeneratorOptions) {
    this.settings = { ...DEFAULT_TRAFFIC, ...options.settings };
    this.random = prng(this.settings.seed);
    this.base = new URL(options.baseUrl);
    setMaxListeners(0, this.abort.signal);
  }

  get running(): boolean {
    return this.settings.sessionsPerHour > 0 && !this.abort.signal.aborted && this.refreshTimer !== undefined;
  }

  status(): TrafficStatus {
    return {
      settings: { ...this.settings },
      running: this.running,
      sites: [...this.sites.keys()],
      active: [...this.sites.values()].reduce((n, s) => n + s.active, 0),
      ...this.counts,
      ...(this.lastLoginRefusal ? { lastLoginRefusal: this.lastLoginRefusal } : {}),
    };
  }

  /** Applies new settings: a rate of 0 stops the arrivals (sessions in flight finish); a new seed restarts the sequence. */
  async configure(settings: Partial<TrafficSettings>): Promise<TrafficStatus> {
    const seedChanged = settings.seed !== undefined && settings.seed !== this.settings.seed;
    this.settings = { ...this.settings, ...settings };
    if (seedChanged) this.random = prng(this.settings.seed);
    if (this.settings.sessionsPerHour > 0) await this.start();
    else this.pause();
    return this.status();
  }

  /** Starts arrivals on every site (no-op when the rate is 0). */
  async start(): Promise<void> {
    if (this.settings.sessionsPerHour <= 0) return;
    if (this.abort.signal.aborted) {
      this.abort = new AbortController();
      setMaxListeners(0, this.abort.signal);
    }
    await this.refresh();
    if (!this.refreshTimer) {
      const tick = () => {
        this.refreshTimer = setTimeout(() => void this.refresh().catch(() => undefined).finally(() => this.refreshTimer && tick()), this.options.refreshMs ?? 1_000);
        this.refreshTimer.unref();
      };
      tick();
    }
    for (const s of this.sites.values()) this.scheduleArrival(s);
  }

  /** No new arrivals; sessions in flight go on to their end. */
  pause(): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.refreshTimer = undefined;
    for (const s of this.sites.values()) {
      if (s.timer) clearTimeout(s.timer);
      s.timer = undefined;
    }
  }

  /** Waits until every session in flight ended (or `timeoutMs` passed). */
  async drain(timeoutMs = 60_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.inFlight.size > 0 && Date.now() < deadline) await Promise.race([Promise.allSettled([...this.inFlight]), sleepPlain(50)]);
    await this.options.ledger.flush();
    return this.inFlight.size === 0;
  }

  /** Stops everything now: timers, sessions in flight (abandoned, not recorded), sockets. */
  async stop(): Promise<void> {
    this.pause();
    this.abort.abort();
    await Promise.allSettled([...this.inFlight]);
    await this.options.ledger.flush();
    this.agent.destroy();
  }

  private async refresh(): Promise<void> {
    const sites = await this.options.sites();
    for (const site of sites) {
      const known = this.sites.get(site.hostname);
      if (known) {
        known.site = site;
        continue;
      }
      const state: SiteState = { site, active: 0, next: 0, reps: site.representatives.map((rep, i) => ({ rep, consoleId: `traffic-${this.runTag}-${i + 1}`, loggedIn: false })) };
      this.sites.set(site.hostname, state);
      if (this.refreshTimer || this.settings.sessionsPerHour > 0) this.scheduleArrival(state);
    }
  }

  private scheduleArrival(s: SiteState): void {
    if (s.timer || this.settings.sessionsPerHour <= 0 || this.abort.signal.aborted) return;
    const delay = nextArrivalMinutes(this.random, this.settings) * this.options.msPerModelledMinute;
    s.timer = setTimeout(() => {
      s.timer = undefined;
      this.arrive(s);
      this.scheduleArrival(s);
    }, delay);
    s.timer.unref();
  }

  private arrive(s: SiteState): void {
    if (s.active >= (this.options.maxActivePerSite ?? 500) || s.reps.length === 0) {
      this.counts.dropped++;
      return;
    }
    const plan = planSession(this.random, this.settings);
    const rep = s.reps[s.next++ % s.reps.length]!;
    const externalKey = `traffic-${this.runTag}-${++this.counter}`;
    s.active++;
    const p = this.customer(s, rep, plan, externalKey)
      .catch((e: unknown) => {
        if (!(e instanceof Stopped)) throw e;
      })
      .catch(() => undefined)
      .finally(() => {
        s.active--;
        this.inFlight.delete(p);
      });
    this.inFlight.add(p);
  }

  private ms = (minutes: number) => minutes * this.options.msPerModelledMinute;

  private record(...entries: LedgerEntry[]): void {
    void this.options.ledger.append(...entries).catch(() => undefined);
  }

  /** One customer: request (retrying while the site is down), wait to be accepted, events, end. */
  private async customer(s: SiteState, rep: RepState, plan: SessionPlan, externalKey: string): Promise<void> {
    const hostname = s.site.hostname;
    const requestedAt = new Date().toISOString();
    let started: Answer | undefined;
    this.counts.requested++;
    for (let attempt = 1; !started; attempt++) {
      const answer = await this.call(hostname, '/api/start_session', {
        issue_menu: '1',
        'customer.name': `Customer ${externalKey.slice(-6)}`,
        'customer.company': 'Example Corp',
        'customer.details': 'Traffic generator session',
        'customer.hostname': `pc-${externalKey.slice(-6)}`,
        'session.custom.external_key': externalKey,
      });
      const at = new Date().toISOString();
      if (answer.status === 201) {
        started = answer;
        this.record({ kind: 'success', hostname, at, servedBy: String(answer.body.servedBy) });
        break;
      }
      this.counts.failedAttempts++;
      this.record({ kind: 'failure', hostname, at, status: answer.status, reason: String(answer.body.code ?? answer.body.error ?? 'error') });
      if (attempt >= (this.options.maxAttempts ?? 200)) {
        this.counts.gaveUp++;
        return;
      }
      await this.backoff(attempt, answer.retryAfter);
    }
    const lsid = String(started.body.lsid);
    const customerToken = String(started.body.customerToken);
    const cutOff = (servedBy: string, reason: string) => {
      this.counts.cutOff++;
      this.record({ kind: 'cut-off', externalKey, lsid, hostname, servedBy, at: new Date().toISOString(), reason });
    };

    // The representative accepts it: a short wait in the queue.
    await this.sleep(this.ms(0.5 + this.random()));
    const accepted = await this.asRepresentative(s, rep, '/rep-console/accept', { lsid });
    if (accepted.status !== 200) return cutOff(String(started.body.servedBy), String(accepted.body.code ?? accepted.status));
    const startedAt = new Date().toISOString();

    // Events spread over the session; the end comes when the plan says.
    const events: Record<string, string>[] = [
      ...Array.from({ length: plan.chatMessages }, (_, i) => ({ event: 'chat', body: `Message ${i + 1}` })),
      ...(plan.systemInfo ? [{ event: 'system-info' }] : []),
      ...Array.from({ length: plan.fileTransfers }, (_, i) => ({ event: 'file', file_name: `log-${i + 1}.zip`, file_size: String(1024 * (i + 1)) })),
    ];
    const step = this.ms(plan.minutes) / (events.length + 1);
    for (const e of events) {
      await this.sleep(step);
      const answer = await this.asRepresentative(s, rep, '/rep-console/event', { lsid, ...e });
      if (answer.status !== 200) return cutOff(String(accepted.body.servedBy), String(answer.body.code ?? answer.status));
    }
    await this.sleep(step);
    const ended =
      plan.endedBy === 'customer'
        ? await this.retrying(hostname, '/customer/end', { lsid, customer_token: customerToken, ...(plan.survey ? { 'survey.rating': String(1 + Math.floor(this.random() * 5)), 'survey.comments': 'Thanks' } : {}) })
        : await this.asRepresentative(s, rep, '/rep-console/end', { lsid });
    if (ended.status !== 200 || ended.body.endReason !== 'completed') return cutOff(String(accepted.body.servedBy), String(ended.body.code ?? ended.body.endReason ?? ended.status));
    this.counts.completed++;
    this.record({ kind: 'session', externalKey, lsid: String(ended.body.lsid), hostname, servedBy: String(ended.body.servedBy), requestedAt, startedAt, endedAt: String(ended.body.endTime ?? new Date().toISOString()) });
  }

  /**
   * A representative's call: logged out (install, failover, DNS moved to the other appliance) → log in again
   * first; site down → back off and retry. Any other answer is returned.
   */
  private async asRepresentative(s: SiteState, rep: RepState, path: string, params: Record<string, string>): Promise<Answer> {
    const limit = this.options.maxAttempts ?? 200;
    for (let attempt = 1; ; attempt++) {
      if (!rep.loggedIn && !(await this.login(s, rep))) return { status: 401, body: { code: 'RepresentativeCannotLogIn' } };
      const answer = await this.call(s.site.hostname, path, { ...params, username: rep.rep.username, password: rep.rep.password, console_id: rep.consoleId });
      if (answer.status === 401 && answer.body.code === 'ConsoleNotLoggedIn' && attempt < limit) {
        rep.loggedIn = false;
        continue;
      }
      if (!isDown(answer.status) || attempt >= (this.options.maxAttempts ?? 200)) return answer;
      await this.backoff(attempt, answer.retryAfter);
    }
  }

  /** Logs the console in (one attempt series shared by every session of the representative); false when it gave up. */
  private login(s: SiteState, rep: RepState): Promise<boolean> {
    rep.login ??= (async () => {
      for (let attempt = 1; attempt <= (this.options.maxAttempts ?? 200); attempt++) {
        const answer = await this.call(s.site.hostname, '/rep-console/login', { username: rep.rep.username, password: rep.rep.password, console_id: rep.consoleId });
        if (answer.status === 200) {
          rep.loggedIn = true;
          return true;
        }
        this.lastLoginRefusal = `${answer.status} ${String(answer.body.code ?? answer.body.error ?? '')}`;
        await this.backoff(Math.min(attempt, 4), answer.retryAfter);
      }
      return false;
    })().finally(() => {
      rep.login = undefined;
    });
    return rep.login;
  }

  /** A customer client call that retries while the site is down. */
  private async retrying(hostname: string, path: string, params: Record<string, string>): Promise<Answer> {
    for (let attempt = 1; ; attempt++) {
      const answer = await this.call(hostname, path, params);
      if (!isDown(answer.status) || attempt >= (this.options.maxAttempts ?? 200)) return answer;
      await this.backoff(attempt, answer.retryAfter);
    }
  }

  /** Backoff in modelled minutes (doubling to 5, with jitter); never longer than the site's Retry-After says. */
  private backoff(attempt: number, retryAfterSeconds: number | undefined): Promise<void> {
    let delay = this.ms(retryDelayMinutes(this.random, attempt));
    if (retryAfterSeconds !== undefined) delay = Math.min(delay, Math.max(this.ms(0.25), retryAfterSeconds * 1000));
    return this.sleep(delay);
  }

  private sleep(ms: number): Promise<void> {
    const signal = this.abort.signal;
    if (signal.aborted) return Promise.reject(new Stopped());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(timer);
        reject(new Stopped());
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** One form POST to the site named `hostname`. A connection failure answers status 0. */
  private call(hostname: string, path: string, params: Record<string, string>): Promise<Answer> {
    if (this.abort.signal.aborted) return Promise.reject(new Stopped());
    const body = new URLSearchParams(params).toString();
    return new Promise((resolve) => {
      const request = http.request(
        {
          hostname: this.base.hostname,
          port: this.base.port,
          path,
          method: 'POST',
          agent: this.agent,
          headers: { host: hostname, 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (d: Buffer) => chunks.push(d));
          res.on('end', () => {
            let parsed: Record<string, unknown> = {};
            try {
              parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
            } catch {
              parsed = { error: 'unreadable answer' };
            }
            const retry = Number(res.headers['retry-after']);
            resolve({ status: res.statusCode ?? 0, body: parsed, ...(Number.isFinite(retry) ? { retryAfter: retry } : {}) });
          });
          res.on('error', () => resolve({ status: 0, body: { error: 'connection lost' } }));
        },
      );
      request.on('error', (e) => resolve({ status: 0, body: { error: e.message } }));
      request.end(body);
    });
  }
}

const isDown = (status: number) => status === 0 || status === 503 || status === 502;
const sleepPlain = (ms: number) => new Promise((r) => setTimeout(r, ms));
