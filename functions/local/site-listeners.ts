/**
 * Per-site ports (local runtime): every site hostname (each appliance's, each primary hostname) gets its
 * own listener on 127.0.0.1, so a client written for `https://support.example.com/` works by host
 * substitution alone. The port decides the site (the Host sent to 127.0.0.1:PORT names no site); a
 * primary hostname's port follows its DNS record on every request.
 *
 * Ports come from a base port and are recorded in `<dataDir>/sites/ports.json`, so a restart gives each
 * hostname the port it had. Each port speaks HTTPS (certificates from site-certificates.ts) and, unless
 * turned off, plain HTTP too: the first byte of a connection tells (a TLS ClientHello starts with 0x16).
 */
import { getRequestListener } from '@hono/node-server';
import { answerClientErrors, HTTP_SERVER_OPTIONS, nodeFetch } from './http-server.js';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Hono } from 'hono';
import type { Services } from '../platform/adapters/services.js';
import { readSiteDirectory } from '../emulator/app/site-hosts.js';
import type { StoredItem } from '../platform/core/ports.js';
import { canonicalHostname, type SiteListing } from '../emulator/core/site-host.js';
import type { AppEnv } from '../platform/api/http.js';
import type { SiteBindings } from '../emulator/api/site/site-address.js';
import { StartupError } from './emulators.js';
import { SiteCertificates } from './site-certificates.js';

const TLS_HANDSHAKE = 0x16;
/** A connection that sends nothing for this long is dropped (the first byte decides the protocol). */
const FIRST_BYTE_TIMEOUT_MS = 10_000;
const PORT_SEARCH = 200;

export interface SiteListenerOptions {
  dataDir: string;
  /** Bind address (the runtime's HOST). */
  host: string;
  /** First port to assign; 0 = any free port (still recorded, so a restart asks for the same one). */
  basePort: number;
  /** Serve plain HTTP on the same port as HTTPS (default true). */
  plainHttp?: boolean;
  services: Services;
  /** The sites-only app (createApp with `sitesOnly`). */
  app: Hono<AppEnv>;
  /** One line per event (listener added, port conflict); default console.log. */
  log?: (line: string) => void;
}

export interface SiteEntry extends SiteListing {
  port: number;
  url: string;
}

interface PortRecord {
  basePort: number;
  ports: Record<string, number>;
}

interface Listener {
  hostname: string;
  port: number;
  front: net.Server;
  close(): Promise<void>;
}

export class SiteListeners {
  private readonly listeners = new Map<string, Listener>();
  private sites: SiteListing[] = [];
  /** applianceId → hostname as of the last directory read: writes that keep it need no re-read. */
  private applianceHostnames = new Map<string, string>();
  private record: PortRecord = { basePort: 0, ports: {} };
  private running: Promise<void> | undefined;
  private again = false;
  private closed = false;
  private readonly log: (line: string) => void;

  private constructor(
    private readonly options: SiteListenerOptions,
    readonly certificates: SiteCertificates,
  ) {
    this.log = options.log ?? ((line) => console.log(line));
  }

  /** Opens the CA (creating it on first start), then one listener per site hostname that exists now. */
  static async start(options: SiteListenerOptions): Promise<SiteListeners> {
    const certificates = await SiteCertificates.open(options.dataDir);
    const sites = new SiteListeners(options, certificates);
    sites.record = await sites.readRecord();
    await sites.sync({ strict: true });
    return sites;
  }

  /** The CA certificate file clients should trust. */
  get caFile(): string {
    return this.certificates.caFile;
  }

  /** hostname → port, one row per site that has a listener, sorted by hostname. */
  table(): SiteEntry[] {
    const entries: SiteEntry[] = [];
    for (const site of this.sites) {
      const l = this.listeners.get(site.hostname);
      if (l) entries.push({ ...site, port: l.port, url: `https://127.0.0.1:${l.port}` });
    }
    return entries;
  }

  /**
   * Appliance or DNS records were written: re-read the directory only if a hostname may have appeared or
   * gone (a new appliance, a changed hostname, a new record); a record switched to another appliance
   * needs no listener change (its port resolves per request), only the table's note.
   */
  noticeWrites(items: readonly StoredItem[]): void {
    for (const item of items) {
      if (item.type === 'appliance') {
        if (this.applianceHostnames.get(String(item.applianceId)) !== canonicalHostname(String(item.hostname ?? ''))) return this.changed();
      } else if (item.type === 'dns-record') {
        const site = this.sites.find((s) => s.hostname === item.hostname && s.via === 'primary-hostname');
        if (!site) return this.changed();
        site.applianceId = String(item.applianceId);
      }
    }
  }

  /** A site hostname may have appeared (or gone): re-read the directory soon; calls coalesce. */
  changed(): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.sync({ strict: false })
      .catch((e) => this.log(`site listeners: ${(e as Error).message}`))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.changed();
        }
      });
  }

  /** Waits for a pending re-read (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.running) await this.running;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.settled();
    await Promise.all([...this.listeners.values()].map((l) => l.close()));
    this.listeners.clear();
  }

  private async sync({ strict }: { strict: boolean }): Promise<void> {
    const { sites, applianceHostnames } = await readSiteDirectory(this.options.services);
    const wanted = new Set(sites.map((s) => s.hostname));
    for (const [hostname, listener] of this.listeners) {
      if (!wanted.has(hostname)) {
        this.listeners.delete(hostname);
        await listener.close();
        this.log(`site listener closed: ${hostname} is no site any more (its port stays reserved)`);
      }
    }
    let recordChanged = false;
    for (const site of sites) {
      if (this.closed) return;
      if (this.listeners.has(site.hostname)) continue;
      const recorded = this.record.ports[site.hostname];
      const listener = await this.open(site.hostname, recorded, strict);
      this.listeners.set(site.hostname, listener);
      if (recorded === undefined) {
        this.record.ports[site.hostname] = listener.port;
        recordChanged = true;
      }
      if (!strict) this.log(`site listener: ${site.hostname} → https://127.0.0.1:${listener.port}`);
    }
    this.sites = sites;
    this.applianceHostnames = applianceHostnames;
    if (recordChanged) await this.writeRecord();
  }

  /** Listens on the recorded port; a new hostname takes the next free port from the base. */
  private async open(hostname: string, recorded: number | undefined, strict: boolean): Promise<Listener> {
    const { key, cert } = await this.certificates.forHostname(hostname);
    if (recorded !== undefined) {
      try {
        return await this.listen(hostname, recorded, key, cert);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
        // Another process holds it: serve on a spare port for now and keep the record for the next start.
        const spare = await this.listenFrom(hostname, this.nextCandidate(), key, cert);
        this.log(`warning: site port ${recorded} of ${hostname} is in use; serving it on ${spare.port} until the next start`);
        return spare;
      }
    }
    try {
      return await this.listenFrom(hostname, this.nextCandidate(), key, cert);
    } catch (e) {
      if (strict) throw new StartupError(`site listener for ${hostname}: ${(e as Error).message} (set SITE_BASE_PORT to another base, or SITE_LISTENERS=false)`);
      throw e;
    }
  }

  private nextCandidate(): number {
    if (this.options.basePort === 0) return 0;
    const used = new Set([...Object.values(this.record.ports), ...[...this.listeners.values()].map((l) => l.port)]);
    let port = this.options.basePort;
    while (used.has(port)) port++;
    return port;
  }

  private async listenFrom(hostname: string, first: number, key: string, cert: string): Promise<Listener> {
    if (first === 0) return this.listen(hostname, 0, key, cert);
    const taken = new Set([...Object.values(this.record.ports), ...[...this.listeners.values()].map((l) => l.port)]);
    for (let port = first, tries = 0; port <= 65535 && tries < PORT_SEARCH; port++) {
      if (taken.has(port)) continue;
      tries++;
      try {
        return await this.listen(hostname, port, key, cert);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
      }
    }
    throw new Error(`no free port among ${PORT_SEARCH} from ${first}`);
  }

  private listen(hostname: string, port: number, key: string, cert: string): Promise<Listener> {
    const bindings: SiteBindings = { siteHostname: hostname };
    const requests = getRequestListener(nodeFetch(this.options.app, bindings));
    const tlsServer = https.createServer({ key, cert, ...HTTP_SERVER_OPTIONS }, requests);
    const httpServer = http.createServer(HTTP_SERVER_OPTIONS, requests);
    // Heads too large for Node get the app's 431 with a body, as on the API port.
    for (const server of [tlsServer, httpServer]) answerClientErrors(server as http.Server, this.options.app, '/');
    const plain = this.options.plainHttp !== false;
    const front = net.createServer((socket) => {
      socket.setTimeout(FIRST_BYTE_TIMEOUT_MS, () => socket.destroy());
      socket.once('data', (chunk: Buffer) => {
        socket.setTimeout(0);
        socket.pause();
        socket.unshift(chunk);
        if (chunk[0] === TLS_HANDSHAKE) tlsServer.emit('connection', socket);
        else if (plain) httpServer.emit('connection', socket);
        else return void socket.destroy();
        process.nextTick(() => socket.resume());
      });
      socket.on('error', () => socket.destroy());
    });
    return new Promise((resolve, reject) => {
      front.once('error', reject);
      front.listen(port, this.options.host, () => {
        front.off('error', reject);
        const bound = (front.address() as net.AddressInfo).port;
        resolve({
          hostname,
          port: bound,
          front,
          close: () =>
            new Promise<void>((done) => {
              front.close(() => done());
              for (const s of [tlsServer, httpServer]) s.closeAllConnections();
            }),
        });
      });
    });
  }

  private get recordFile(): string {
    return join(this.options.dataDir, 'sites', 'ports.json');
  }

  /**
   * The recorded ports. A changed base port moves every recorded port by the same offset, so the
   * assignment stays as it was relative to the base; `0` keeps whatever is recorded.
   */
  private async readRecord(): Promise<PortRecord> {
    let stored: PortRecord | undefined;
    try {
      const parsed = JSON.parse(await readFile(this.recordFile, 'utf8')) as PortRecord;
      if (Number.isInteger(parsed.basePort) && parsed.ports && typeof parsed.ports === 'object') stored = parsed;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') this.log(`warning: ${this.recordFile} is unreadable; site ports are assigned again`);
    }
    const base = this.options.basePort;
    if (!stored) return { basePort: base, ports: {} };
    const ports: Record<string, number> = {};
    for (const [hostname, port] of Object.entries(stored.ports)) {
      if (!Number.isInteger(port)) continue;
      if (base === 0 || stored.basePort === base) ports[hostname] = port;
      else if (stored.basePort !== 0 && port - stored.basePort + base <= 65535) ports[hostname] = port - stored.basePort + base;
    }
    const record = { basePort: base === 0 ? stored.basePort : base, ports };
    if (record.basePort !== stored.basePort || Object.keys(ports).length !== Object.keys(stored.ports).length) {
      this.record = record;
      await this.writeRecord();
    }
    return record;
  }

  private async writeRecord(): Promise<void> {
    await mkdir(join(this.options.dataDir, 'sites'), { recursive: true });
    const temp = `${this.recordFile}.${process.pid}.tmp`;
    await writeFile(temp, `${JSON.stringify(this.record, null, 2)}\n`);
    await rename(temp, this.recordFile);
  }
}
