import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { BUCKETS, loadConfig, TABLES, type Config } from '../platform/adapters/config.js';
import { ensureBucket, ensureTable } from '../platform/adapters/bootstrap.js';
import { createClients, type AwsClients } from '../platform/adapters/clients.js';
import { cursorCodecFor } from '../platform/adapters/cursor-key.js';
import { DynamoRecordStore } from '../platform/adapters/dynamo-record-store.js';
import { buildServices, type Services } from '../platform/adapters/services.js';
import { probeHealth } from '../platform/adapters/health.js';
import { createApp } from '../platform/api/app.js';
import { siteNotFound } from '../emulator/api/site/public-site-handler.js';
import { FileDriverCredentials } from '../control-plane/adapters/driver-credentials.js';
import { controlPlaneAdapters } from '../control-plane/adapters/control-plane-services.js';
import { emulatorAdapters } from '../emulator/adapters/emulator-services.js';
import { siteDrivers, type SiteTransport } from '../control-plane/adapters/site-driver.js';
import { emulatorEnrolment, emulatorInventoryToken } from './driver-enrolment.js';
import { routes } from './routes.js';
import { runSeeds } from './app/seed.js';
import { tasks } from '../control-plane/tasks/index.js';
import { closeServer, listen, startEmulators, StartupError, type Emulators } from './emulators.js';
import { createApiServer } from './http-server.js';
import { markerStoresFor, openDataDir, reconcileStoreMarks, sealDataDir } from './data-dir.js';
import { guardDynamo, type StoreGuard } from './store-guard.js';
import { storeMarks } from './store-marks.js';
import type { FaultInjector } from './faults.js';
import { LocalStepFunctions } from './local-step-functions.js';
import { createSfnServer } from './sfn-server.js';
import { controlSettings } from '../control-plane/app/control-settings.js';
import { startLocalScheduler, type LocalScheduler } from './scheduler.js';
import { instrumentTask } from '../control-plane/tasks/instrument.js';
import { startPrometheusMetrics } from './prometheus.js';
import { SiteListeners } from './site-listeners.js';
import type { RecordStore, StoredItem } from '../platform/core/ports.js';
import { LocalTraffic, trafficSettingsFromEnv } from './traffic/traffic-runtime.js';

// The SDK warns on every start that future releases need Node 22; this project pins its SDK and targets Node 20.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** Captured at load: the driver sends exactly the credentials it means to (a test may wrap the global fetch). */
const nativeFetch = globalThis.fetch.bind(globalThis);

export const STATEMACHINES_DIR = fileURLToPath(new URL('../../statemachines/', import.meta.url));
const EXECUTIONS_TABLE = 'local-stepfunctions-executions';

export interface LocalRuntimeOptions {
  dataDir?: string;
  /** HTTP port of the control plane; 0 picks a free one. */
  port?: number;
  host?: string;
  dynamodbPort?: number;
  s3Port?: number;
  sfnPort?: number;
  /** Run the first-start seeds (default catalog, demo fleet). `npm start` does; tests opt in. */
  seed?: boolean;
  /** Test-only fault injection for tasks and store/blob calls; absent in the product. */
  faults?: FaultInjector;
  /** Extra environment for loadConfig (table prefixes, time scale). */
  env?: Record<string, string | undefined>;
  /**
   * Per-site listeners (HTTPS + plain HTTP on one port per site hostname, functions/local/site-listeners.ts).
   * `npm start` turns them on; tests leave them off unless they ask, so the suite opens no extra ports.
   */
  sites?: { basePort?: number; plainHttp?: boolean; log?: (line: string) => void };
  /** Wraps the site driver's HTTP transport (the workflows bench times the hop with it). */
  driverTransport?: (next: SiteTransport) => SiteTransport;
}

export interface LocalRuntime {
  url: string;
  config: Config;
  services: Services;
  stepFunctions: LocalStepFunctions;
  /** Fires maintenance-window schedules and advances campaigns (control area). */
  scheduler: LocalScheduler;
  endpoints: { dynamodb: string; s3: string; sfn: string };
  /** The per-site listeners, when `sites` was given. */
  sites?: SiteListeners;
  /** The live traffic generator and its ledger (docs/traffic.md). */
  traffic: LocalTraffic;
  /** ms from start() call to ready. */
  startupMs: number;
  stop(): Promise<void>;
}

/** Starts the whole control plane in this process: emulators, tables, buckets, Step Functions endpoint, HTTP API. */
export async function startLocalRuntime(options: LocalRuntimeOptions = {}): Promise<LocalRuntime> {
  const started = performance.now();
  const dataDir = resolve(options.dataDir ?? '.data');
  await assertWritable(dataDir);
  const cleanup: (() => Promise<void>)[] = [];
  try {
    const data = await openLocalData(dataDir, cleanup, options);
    const { emulators } = data;

    // The data dir's cursor key, unless the caller configured one.
    const baseEnv: Record<string, string | undefined> = { ...process.env, ...options.env };
    baseEnv.CURSOR_KEY ||= data.opened.cursorKey;
    const preliminary = loadConfig({ ...baseEnv, DYNAMODB_ENDPOINT: emulators.dynamodbEndpoint, S3_ENDPOINT: emulators.s3Endpoint, SFN_ENDPOINT: 'http://127.0.0.1:1' });
    const bootClients = await createClients(preliminary);
    cleanup.push(async () => bootClients.destroy());
    const executionsTable = `${baseEnv.TABLE_PREFIX ?? ''}${EXECUTIONS_TABLE}`;
    // Before any table or bucket is created: both stores must belong to this data dir (stores in step).
    await data.reconcile(bootClients);
    await Promise.all([
      ...TABLES.map((t) => ensureTable(bootClients.dynamodb, preliminary.tables[t])),
      ensureTable(bootClients.dynamodb, executionsTable),
      ...BUCKETS.map((b) => ensureBucket(bootClients.s3, preliminary.buckets[b])),
    ]);

    // Tasks get their own Services (they call Step Functions too, through the same endpoint).
    let taskServices: Services | undefined;
    const stepFunctions = new LocalStepFunctions(new DynamoRecordStore(bootClients.documents, executionsTable, cursorCodecFor(preliminary)), {
      region: preliminary.region,
      msPerModelledMinute: preliminary.msPerModelledMinute,
      tasks: Object.fromEntries(
        Object.entries(tasks).map(([name, bare]) => [
          name,
          async (input: Record<string, unknown>) => {
            const task = instrumentTask(name, bare);
            await options.faults?.apply(`task:${name}`, { runId: input.runId as string | undefined, step: input.step as string | undefined });
            // As if the process had died before the task began: shutdown never starts new work.
            if (stepFunctions.stopping) throw new Error('the local runtime is stopping');
            return task(input, taskServices!);
          },
        ]),
      ),
    });
    for (const file of (await readdir(STATEMACHINES_DIR)).filter((f) => f.endsWith('.asl.json')).sort()) {
      stepFunctions.register({ name: file.replace(/\.asl\.json$/, ''), text: await readFile(join(STATEMACHINES_DIR, file), 'utf8') });
    }
    await stepFunctions.recoverInterrupted();
    const sfnServer: Server = createSfnServer(stepFunctions);
    const sfnPort = await listen(sfnServer, options.sfnPort ?? 0, 'Step Functions endpoint');
    cleanup.push(async () => {
      await stepFunctions.drain(true);
      await closeServer(sfnServer);
    });

    const endpoints = { dynamodb: emulators.dynamodbEndpoint, s3: emulators.s3Endpoint, sfn: `http://127.0.0.1:${sfnPort}` };
    const config = loadConfig({
      ...baseEnv,
      DYNAMODB_ENDPOINT: endpoints.dynamodb,
      S3_ENDPOINT: endpoints.s3,
      SFN_ENDPOINT: endpoints.sfn,
      STATE_MACHINE_ARN_PREFIX: stepFunctions.arnPrefix(),
    });
    const prometheus = startPrometheusMetrics();
    cleanup.push(async () => prometheus.stop());
    let siteListeners: SiteListeners | undefined;
    // Writes of appliance and DNS records may add or move a site hostname: the site listeners look.
    const services: Services = {
      ...watchSiteWrites(withFaults(buildServices(config, undefined, baseEnv, [emulatorAdapters, controlPlaneAdapters]), options.faults), {
        written: (items) => siteListeners?.noticeWrites(items),
        deleted: () => siteListeners?.changed(),
      }),
      metricsExposition: prometheus,
      integrity: data.guard.problem,
    };
    // The control plane reaches the emulated appliances over HTTP through this runtime's listener, with
    // each appliance's own admin credential (kept in the data dir; created on first use, docs/driver.md).
    let apiUrl = '';
    const credentials = FileDriverCredentials.inDataDir(dataDir);
    const transport: SiteTransport = (request) => nativeFetch(request);
    services.drivers = siteDrivers({ baseUrl: () => apiUrl, transport: options.driverTransport?.(transport) ?? transport, credentials, enrol: emulatorEnrolment(services, credentials), inventoryToken: emulatorInventoryToken(services, credentials) });
    taskServices = services;
    // Executions (and the tasks they invoked) settle before their clients and the emulators go away.
    cleanup.push(async () => {
      await stepFunctions.drain(true);
      services.destroy();
    });

    const app = createApp(services, routes, { headersAtServer: true });
    const host = options.host ?? '127.0.0.1';
    const httpServer = createApiServer(app);
    const port = await listen(httpServer, options.port ?? 3000, 'HTTP API', host);
    apiUrl = `http://${host}:${port}`;
    cleanup.push(() => closeServer(httpServer));

    if (options.seed) await runSeeds(services);
    // Live support traffic (issue 14): off unless TRAFFIC_SESSIONS_PER_HOUR > 0; settable at runtime (PUT /v1/traffic).
    const traffic = new LocalTraffic(services, { baseUrl: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`, dataDir, msPerModelledMinute: config.msPerModelledMinute, settings: trafficSettingsFromEnv(baseEnv) });
    services.traffic = traffic;
    cleanup.push(() => traffic.stop());
    await traffic.start();
    const scheduler = startLocalScheduler(services, { intervalMs: controlSettings(baseEnv).schedulerIntervalMs });
    cleanup.push(() => scheduler.stop());
    if (options.sites) {
      siteListeners = await SiteListeners.start({
        dataDir,
        host,
        basePort: options.sites.basePort ?? DEFAULT_SITE_BASE_PORT,
        plainHttp: options.sites.plainHttp,
        services,
        app: createApp(services, routes, { sitesOnly: { notFound: siteNotFound }, headersAtServer: true }),
        log: options.sites.log,
      });
      const started = siteListeners;
      cleanup.push(() => started.close());
    }
    const health = await probeHealth(services);
    if (health.status !== 'ok') throw new StartupError(`components not healthy: ${JSON.stringify(health.components)}`);

    let stopped = false;
    return {
      url: `http://${host}:${port}`,
      config,
      services,
      stepFunctions,
      scheduler,
      endpoints,
      sites: siteListeners,
      traffic,
      startupMs: Math.round(performance.now() - started),
      async stop() {
        if (stopped) return;
        stopped = true;
        for (const fn of cleanup.reverse()) await fn();
      },
    };
  } catch (e) {
    for (const fn of cleanup.reverse()) await fn().catch(() => undefined);
    throw e;
  }
}

/**
 * The data dir, verified before the emulators open it (functions/local/data-dir.ts), the emulators, and the
 * guard over dynalite's store errors. Cleanup closes the emulators and then seals the data dir.
 */
async function openLocalData(dataDir: string, cleanup: (() => Promise<void>)[], options: LocalRuntimeOptions) {
  const names = markerStoresFor({ ...process.env, ...options.env });
  const opened = await openDataDir(dataDir, names);
  let marker = opened.marker;
  let guard: StoreGuard | undefined;
  // A store that failed while running is not sealed: the next start reads it through and refuses it.
  cleanup.push(async () => {
    if (!guard?.problem()) await sealDataDir(dataDir, marker);
  });
  const emulators: Emulators = await startEmulators(dataDir, { dynamodb: options.dynamodbPort, s3: options.s3Port });
  guard = guardDynamo(emulators.dynamoServer);
  const watching = guard;
  cleanup.push(async () => {
    watching.stopping();
    await emulators.close();
    watching.dispose();
  });
  return {
    opened,
    emulators,
    guard: watching,
    async reconcile(clients: AwsClients) {
      marker = await reconcileStoreMarks(opened, storeMarks(clients, names.table, names.bucket));
    },
  };
}

/** Default first port of the per-site listeners: below Linux's ephemeral range, clear of 3000 and the usual dev ports. */
export const DEFAULT_SITE_BASE_PORT = 24400;

const SITE_RECORD_TYPES = new Set(['appliance', 'dns-record']);
const isSiteKey = (key: { pk: string; sk: string }) => key.pk.startsWith('DNS#') || (key.pk.startsWith('APPLIANCE#') && key.sk === 'PROFILE');

function watchSiteWrites(services: Services, on: { written: (items: StoredItem[]) => void; deleted: () => void }): Services {
  const store = services.records.appliances;
  const changed = on.deleted;
  const notice = (items: StoredItem[]) => {
    const site = items.filter((i) => SITE_RECORD_TYPES.has(String(i.type)));
    if (site.length > 0) on.written(site);
  };
  const watched: RecordStore = {
    get tableName() {
      return store.tableName;
    },
    get: (key) => store.get(key),
    query: (request) => store.query(request),
    delete: async (key, condition) => {
      await store.delete(key, condition);
      if (isSiteKey(key)) changed();
    },
    put: async (item, condition) => {
      await store.put(item, condition);
      notice([item]);
    },
    batchPut: async (items) => {
      await store.batchPut(items);
      notice(items);
    },
    batchDelete: async (keys) => {
      await store.batchDelete(keys);
      if (keys.some(isSiteKey)) changed();
    },
  };
  return { ...services, records: { ...services.records, appliances: watched } };
}

function withFaults(services: Services, faults: FaultInjector | undefined): Services {
  if (!faults) return services;
  const wrapAll = <T extends object>(group: Record<string, T>) =>
    Object.fromEntries(Object.entries(group).map(([name, store]) => [name, faults.wrap(store, name)]));
  return {
    ...services,
    records: wrapAll(services.records) as Services['records'],
    blobs: wrapAll(services.blobs) as Services['blobs'],
  };
}

async function assertWritable(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
    const probe = join(dir, `.write-probe-${process.pid}`);
    await writeFile(probe, '');
    await rm(probe);
  } catch (e) {
    throw new StartupError(`data directory ${dir} is not writable (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); set DATA_DIR to a writable folder`);
  }
}
