/**
 * The site driver: the ApplianceDriver port over HTTP(S) against an appliance's site. The vendor's APIs
 * (`/api/command`) for what they offer; the emulator's admin pages (`/login/...`, `/appliance/...`) for
 * what a real appliance offers only in its web interface. Every request carries the appliance's own
 * admin credential (a site user, HTTP Basic), never an operator token: the control plane and the
 * appliances do not share a token store. Timeouts per request, retries with jittered backoff for
 * transport failures and 429/502/503/504 (idempotent or keyed requests only), and errors that name the
 * appliance and the call.
 */
import { DomainError, type ErrorKind } from '../../platform/core/errors.js';
import type {
  ApiInfoView,
  ApplianceDriver,
  ApplianceView,
  BackupView,
  ConsolesReportView,
  DnsRecordView,
  FailoverStatusView,
  FleetInventory,
  HealthView,
  InstallRecordView,
  IntegrationClientView,
  IntegrationReadinessView,
  PackageView,
  ApiUsageView,
  InstallStatusView,
  InstallView,
  PairChangeView,
  SyncView,
} from '../../platform/core/appliance-driver.js';
import type { TrafficProfile } from '../../platform/core/busy-hours.js';

/** A fetch-shaped transport: real HTTP(S) (./site-transport.ts) or the app in process (tests). */
export type SiteTransport = (request: Request) => Promise<Response>;

export interface SiteCredential {
  username: string;
  password: string;
}

/** Per-appliance credentials (the data dir locally, Secrets Manager on AWS). */
export interface DriverCredentials {
  get(applianceId: string): Promise<SiteCredential | undefined>;
  put(applianceId: string, credential: SiteCredential): Promise<void>;
}

export interface SiteDriverOptions {
  /** The emulator's base URL (its admin pages are namespaced per appliance under it). */
  baseUrl: () => string;
  transport: SiteTransport;
  credentials: DriverCredentials;
  /** Creates the appliance's credential when it has none yet (the emulator's seeds locally); else refuse. */
  enrol?: (applianceId: string) => Promise<SiteCredential>;
  /** The inventory token (an operator token of the emulator's fleet API, viewer role); `renew` after a 401. */
  inventoryToken?: (renew?: boolean) => Promise<string>;
  timeoutMs?: number;
  retries?: number;
  /** Base of the exponential backoff (full jitter). */
  backoffMs?: number;
}

/** The driver credential under which the control plane keeps its inventory token (docs/driver.md). */
export const INVENTORY_CREDENTIAL = '_inventory';

const RETRYABLE = new Set([429, 502, 503, 504]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Full jitter (AWS architecture blog, "Exponential Backoff And Jitter"): uniform in [0, base·2^attempt]. */
export const backoffDelay = (attempt: number, baseMs: number, random = Math.random) => Math.floor(random() * baseMs * 2 ** attempt);

const KINDS: Record<number, ErrorKind> = { 400: 'validation', 401: 'unauthorized', 403: 'forbidden', 404: 'not-found', 409: 'conflict', 412: 'precondition', 422: 'precondition', 429: 'rate-limited', 503: 'unavailable' };

export class SiteDriver implements ApplianceDriver {
  readonly kind = 'site' as const;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly enrolling = new Map<string, Promise<SiteCredential>>();

  constructor(private readonly options: SiteDriverOptions) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.retries = options.retries ?? 3;
    this.backoffMs = options.backoffMs ?? 50;
  }

  private async credential(applianceId: string, renew = false): Promise<SiteCredential> {
    const stored = renew ? undefined : await this.options.credentials.get(applianceId);
    if (stored) return stored;
    if (!this.options.enrol) throw new DomainError('precondition', 'ApplianceNotEnrolled', `no driver credential for ${applianceId}: enrol the appliance (docs/driver.md)`, { applianceId });
    let pending = this.enrolling.get(applianceId);
    if (!pending) {
      pending = this.options.enrol(applianceId).finally(() => this.enrolling.delete(applianceId));
      this.enrolling.set(applianceId, pending);
    }
    return pending;
  }

  /** The inventory's bearer token, or a refusal that says how to configure one. */
  private async inventoryAuthorization(renew = false): Promise<string> {
    if (!this.options.inventoryToken) throw new DomainError('precondition', 'InventoryNotConfigured', 'no inventory token for the fleet API: store one as the driver credential _inventory (docs/driver.md)');
    return `Bearer ${await this.options.inventoryToken(renew)}`;
  }

  /**
   * One call to the appliance's site (its admin credential), or with `inventory` to the emulator's fleet
   * API (the inventory token); `idempotent` allows retries (GETs, keyed POSTs, PUT/DELETE); `absent`
   * answers undefined for a 404.
   */
  private async call<T>(
    applianceId: string,
    method: string,
    path: string,
    options: { body?: unknown; headers?: Record<string, string>; idempotent?: boolean; inventory?: boolean; absent?: boolean } = {},
  ): Promise<T> {
    const authorization = async (renew: boolean) => (options.inventory ? this.inventoryAuthorization(renew) : basic(await this.credential(applianceId, renew)));
    const reauthorizes = options.inventory ? Boolean(this.options.inventoryToken) : Boolean(this.options.enrol);
    let renewed = false;
    const url = `${this.options.baseUrl()}${path}`;
    const headers: Record<string, string> = {
      authorization: await authorization(false),
      ...(options.inventory ? {} : { 'x-appliance-id': applianceId }),
      accept: 'application/json',
      ...options.headers,
    };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const idempotent = options.idempotent ?? (method === 'GET' || method === 'PUT' || method === 'DELETE');
    for (let attempt = 0; ; attempt++) {
      let response: Response;
      try {
        response = await this.options.transport(
          new Request(url, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body), signal: AbortSignal.timeout(this.timeoutMs) }),
        );
      } catch (e) {
        if (idempotent && attempt < this.retries) {
          await sleep(backoffDelay(attempt, this.backoffMs));
          continue;
        }
        const timedOut = (e as Error).name === 'TimeoutError';
        throw new DomainError('unavailable', timedOut ? 'ApplianceTimeout' : 'ApplianceUnreachable', `${method} ${path} on ${applianceId}: ${timedOut ? `no answer within ${this.timeoutMs} ms` : (e as Error).message}`, { applianceId });
      }
      if (response.ok) return (response.status === 204 ? undefined : await response.json()) as T;
      if (response.status === 404 && options.absent) return undefined as T;
      const text = await response.text();
      // A restored backup or a failover overwrite replaced the appliance's users (or the token expired): once more.
      if (response.status === 401 && reauthorizes && !renewed) {
        renewed = true;
        headers.authorization = await authorization(true);
        attempt--;
        continue;
      }
      if (idempotent && RETRYABLE.has(response.status) && attempt < this.retries) {
        const after = Number(response.headers.get('retry-after'));
        // Retry-After is the appliance's own answer (an install in progress): do not wait that out here.
        if (!(after > 1)) {
          await sleep(backoffDelay(attempt, this.backoffMs));
          continue;
        }
      }
      throw siteError(applianceId, method, path, response.status, text);
    }
  }

  /** A read of the emulator's fleet API (SiteInventory). */
  inventoryCall<T>(path: string, absent: boolean): Promise<T> {
    return this.call<T>('fleet inventory', 'GET', path, { inventory: true, absent });
  }

  private site(applianceId: string, path: string) {
    return `/appliances/${encodeURIComponent(applianceId)}${path}`;
  }

  describe(applianceId: string) {
    return this.call<ApplianceView>(applianceId, 'GET', this.site(applianceId, ''));
  }

  /** A vendor XML API call (username + password parameters, as integrations of every version send them). */
  private async xml(applianceId: string, api: 'command' | 'reporting', params: Record<string, string>): Promise<string> {
    const cred = await this.credential(applianceId);
    const query = new URLSearchParams({ ...params, username: cred.username, password: cred.password });
    const path = `/api/${api}`;
    for (let attempt = 0; ; attempt++) {
      const response = await this.options.transport(new Request(`${this.options.baseUrl()}${this.site(applianceId, `${path}?${query}`)}`, { signal: AbortSignal.timeout(this.timeoutMs) })).catch((e: Error) => e);
      if (response instanceof Error || RETRYABLE.has(response.status)) {
        if (attempt < this.retries) {
          await sleep(backoffDelay(attempt, this.backoffMs));
          continue;
        }
        if (response instanceof Error) throw new DomainError('unavailable', 'ApplianceUnreachable', `GET ${path} on ${applianceId}: ${response.message}`, { applianceId });
      }
      const text = await response.text();
      // The XML APIs answer errors as <error> in a 200 (or a 4xx) document.
      const error = /<error[^>]*>([^<]*)<\/error>/.exec(text)?.[1];
      if (!response.ok || error) throw new DomainError('precondition', 'ApplianceApiError', `${path} ${params.action ?? params.generate_report} on ${applianceId}: ${error ?? `status ${response.status}`}`, { applianceId });
      return text;
    }
  }

  async apiInfo(applianceId: string): Promise<ApiInfoView> {
    const text = await this.xml(applianceId, 'command', { action: 'get_api_info' });
    return { apiVersion: element(text, 'api_version') ?? '' };
  }

  async health(applianceId: string): Promise<HealthView> {
    const text = await this.xml(applianceId, 'command', { action: 'check_health' });
    return {
      version: element(text, 'version') ?? '',
      success: element(text, 'success') === '1',
      failoverRole: element(text, 'failover_role') ?? 'none',
      lastDataSyncTime: new RegExp('<last_data_sync_time[^>]*>([^<]*)</last_data_sync_time>').exec(text)?.[1],
      lastDataSyncStatus: element(text, 'last_data_sync_status'),
    };
  }

  async completedSessions(applianceId: string): Promise<number> {
    const text = await this.xml(applianceId, 'reporting', { generate_report: 'SupportSessionSummary', report_type: 'site', start_date: '2000-01-01', duration: '0' });
    return [...text.matchAll(/<completed_session_count>(\d+)<\/completed_session_count>/g)].reduce((n, m) => n + Number(m[1]), 0);
  }

  failoverStatus(applianceId: string, options: { asOf?: string } = {}) {
    const asOf = options.asOf ? `?as_of=${encodeURIComponent(options.asOf)}` : '';
    return this.call<FailoverStatusView>(applianceId, 'GET', this.site(applianceId, `/login/failover${asOf}`));
  }

  forceSync(applianceId: string) {
    // A forced sync is safe to repeat (it pulls what is missing).
    return this.call<SyncView>(applianceId, 'POST', this.site(applianceId, '/login/failover/sync'), { body: {}, idempotent: true });
  }

  breakPair(applianceId: string, options: { holdToken?: string }) {
    return this.call<PairChangeView>(applianceId, 'POST', this.site(applianceId, '/login/failover/break'), { body: {}, headers: holdHeader(options.holdToken), idempotent: true });
  }

  establishPair(input: { primaryId: string; backupId: string; holdToken?: string }) {
    return this.call<PairChangeView>(input.primaryId, 'POST', this.site(input.primaryId, '/login/failover/establish'), {
      body: { peerApplianceId: input.backupId, role: 'primary' },
      headers: holdHeader(input.holdToken),
      idempotent: true,
    });
  }

  async startInstall(applianceId: string, packageId: string, request: { requestKey: string; requireBrokenFailover: boolean; holdToken?: string }): Promise<InstallView> {
    const result = await this.call<{ installId: string; replayed: boolean }>(applianceId, 'POST', this.site(applianceId, `/appliance/updates/${encodeURIComponent(packageId)}/install`), {
      body: { requireBrokenFailover: request.requireBrokenFailover },
      headers: { 'idempotency-key': request.requestKey, ...holdHeader(request.holdToken) },
      idempotent: true,
    });
    return { installId: result.installId, replayed: result.replayed };
  }

  installStatus(applianceId: string) {
    return this.call<InstallStatusView>(applianceId, 'GET', this.site(applianceId, '/appliance/install'));
  }

  async listInstalls(applianceId: string) {
    return (await this.call<{ installs: { installId: string; requestKey?: string; state?: string }[] }>(applianceId, 'GET', this.site(applianceId, '/appliance/installs'))).installs;
  }

  integrationReadiness(pairId: string, targetPrimaryId: string) {
    return this.call<IntegrationReadinessView>(targetPrimaryId, 'GET', readinessPath(pairId, targetPrimaryId));
  }

  async listBackups(applianceId: string): Promise<BackupView[]> {
    return (await this.call<{ backups: BackupView[] }>(applianceId, 'GET', this.site(applianceId, '/login/software-management/backups'))).backups;
  }

  createBackup(applianceId: string, idempotencyKey: string) {
    return this.call<BackupView>(applianceId, 'POST', this.site(applianceId, '/login/software-management/backups'), { headers: { 'idempotency-key': idempotencyKey }, idempotent: true });
  }

  backupDownloadPath(b: Pick<BackupView, 'applianceId' | 'backupId'>) {
    return this.site(b.applianceId, `/login/software-management/backups/${b.backupId}`);
  }

  consolesReport(applianceId: string) {
    return this.call<ConsolesReportView>(applianceId, 'GET', this.site(applianceId, '/staff-consoles/report'));
  }

  switchPrimaryHostname(hostname: string, applianceId: string) {
    return this.call<DnsRecordView>(applianceId, 'PUT', `/primary-hostnames/${encodeURIComponent(hostname)}`, { body: { applianceId } });
  }

  exportSessionsAtRisk(pairId: string, primaryId: string) {
    return this.call<{ count: number }>(primaryId, 'POST', `/failover-pairs/${encodeURIComponent(pairId)}/exports`, { body: { primaryId }, idempotent: true });
  }

  reimportSessions(pairId: string, via: string) {
    return this.call<{ reimported: number }>(via, 'POST', `/failover-pairs/${encodeURIComponent(pairId)}/reimport`, { body: {}, idempotent: true });
  }

  async hold(applianceId: string, input: { owner: string; token: string; expiresAt: string }): Promise<void> {
    await this.call(applianceId, 'PUT', this.site(applianceId, '/appliance/maintenance-hold'), { body: { owner: input.owner, expiresAt: input.expiresAt }, headers: holdHeader(input.token) });
  }

  async releaseHold(applianceId: string, token: string): Promise<void> {
    await this.call(applianceId, 'DELETE', this.site(applianceId, '/appliance/maintenance-hold'), { headers: holdHeader(token) });
  }
}

const element = (xml: string, name: string) => new RegExp(`<${name}(?:\\s[^>]*)?>([^<]*)</${name}>`).exec(xml)?.[1];
const basic = (c: SiteCredential) => `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
const holdHeader = (token: string | undefined): Record<string, string> => (token ? { 'maintenance-hold-token': token } : {});

/** The appliance's refusal as a domain error with its own code (problem+json), so workflow Catch paths see it. */
function siteError(applianceId: string, method: string, path: string, status: number, text: string): DomainError {
  let problem: { code?: string; detail?: string; title?: string; [k: string]: unknown } = {};
  try {
    problem = JSON.parse(text) as typeof problem;
  } catch {
    problem = { detail: text.slice(0, 300) };
  }
  const { code, detail, title, type: _type, status: _status, instance: _instance, ...details } = problem;
  // A server error is the appliance's failure, not a refusal: say where it happened and what it answered.
  if (status >= 500 && (status !== 503 || !code || code === 'InternalError')) {
    return new DomainError('unavailable', 'ApplianceError', `${method} ${path} on ${applianceId} answered ${status} ${code ?? ''}: ${detail ?? title ?? ''}`.trim(), { applianceId, status });
  }
  const kind = KINDS[status] ?? 'unavailable';
  return new DomainError(kind, code ?? `ApplianceHttp${status}`, detail ?? title ?? `${method} ${path} on ${applianceId} answered ${status}`, { ...details, applianceId });
}

const readinessPath = (pairId: string, targetPrimaryId: string) => `/failover-pairs/${encodeURIComponent(pairId)}/integration-readiness?primary=${encodeURIComponent(targetPrimaryId)}`;

/** The fleet's inventory over the emulator's fleet API (`/appliances`, `/packages`, ...), with the inventory token. */
export class SiteInventory implements FleetInventory {
  constructor(private readonly site: SiteDriver) {}

  private get<T>(path: string, absent = false): Promise<T> {
    return this.site.inventoryCall<T>(path, absent);
  }

  private appliancePath(applianceId: string, path = '') {
    return `/appliances/${encodeURIComponent(applianceId)}${path}`;
  }

  async listAppliances() {
    return (await this.get<{ appliances: ApplianceView[] }>('/appliances')).appliances;
  }

  getAppliance(applianceId: string) {
    return this.get<ApplianceView | undefined>(this.appliancePath(applianceId), true);
  }

  async listPackages() {
    return (await this.get<{ packages: PackageView[] }>('/packages')).packages;
  }

  getPackage(packageId: string, options: { verifyFile?: boolean } = {}) {
    return this.get<PackageView | undefined>(`/packages/${encodeURIComponent(packageId)}${options.verifyFile ? '?verify=file' : ''}`, true);
  }

  async listBackups(applianceId: string) {
    return (await this.get<{ backups: BackupView[] }>(this.appliancePath(applianceId, '/login/software-management/backups'))).backups;
  }

  backupDownloadPath(b: Pick<BackupView, 'applianceId' | 'backupId'>) {
    return this.site.backupDownloadPath(b);
  }

  async installHistory(applianceId: string) {
    return (await this.get<{ installs: InstallRecordView[] }>(this.appliancePath(applianceId, '/appliance/installs'))).installs;
  }

  async apiUsage(applianceId: string, since: string) {
    return (await this.get<{ usage: ApiUsageView[] }>(this.appliancePath(applianceId, `/api-usage?since=${encodeURIComponent(since)}`))).usage;
  }

  trafficProfile(applianceId: string, timeZone: string) {
    return this.get<TrafficProfile>(this.appliancePath(applianceId, `/busy-hours?timeZone=${encodeURIComponent(timeZone)}`));
  }

  async integrationClients(pairId: string) {
    return (await this.get<{ integrations: IntegrationClientView[] }>(`/failover-pairs/${encodeURIComponent(pairId)}/integrations`)).integrations;
  }

  integrationReadiness(pairId: string, targetPrimaryId: string) {
    return this.get<IntegrationReadinessView>(readinessPath(pairId, targetPrimaryId));
  }

  async resolveHostname(hostname: string) {
    return (await this.get<{ applianceId: string } | undefined>(`/primary-hostnames/${encodeURIComponent(hostname)}`, true))?.applianceId;
  }
}

/** One site driver for every appliance (the emulator's fleet, or sites behind one base URL), and the fleet's inventory. */
export function siteDrivers(options: SiteDriverOptions) {
  const driver = new SiteDriver(options);
  const inventory = new SiteInventory(driver);
  return { forAppliance: () => driver, inventory };
}
