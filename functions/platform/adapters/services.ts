import { oidcSettings, type OidcSettings } from './oidc-settings.js';
import type { ApplianceDrivers } from '../core/appliance-driver.js';
import type { BlobStore, Clock, RecordStore, WorkflowEngine } from '../core/ports.js';
import type { AwsClients } from './clients.js';
import { BUCKETS, loadConfig, TABLES, type BucketName, type Config, type TableName } from './config.js';
import { cursorCodecFor } from './cursor-key.js';
import { lazyPort, once } from './lazy.js';

/**
 * Everything a handler or task needs, built once per process (Lambda cold start or local runtime). A
 * port only one system uses is declared by that system, merged into this interface beside its adapters
 * (`declare module`: the emulator's `dns`, the control plane's `windowScheduler` and `traffic`), so the
 * platform names neither system's types.
 */
export interface Services {
  config: Config;
  records: Record<TableName, RecordStore>;
  blobs: Record<BucketName, BlobStore>;
  workflows: WorkflowEngine;
  clock: Clock;
  /** Locally: a store failure seen while running (a corrupt DynamoDB read); `/health` reports it. */
  integrity?: () => string | undefined;
  /** Operator sign-in with an OIDC issuer's JWTs, when `OIDC_ISSUER` and `OIDC_AUDIENCE` are set. */
  oidc?: OidcSettings;
  /** Local runtime only: the Prometheus exposition behind `GET /metrics` (on AWS the metrics are EMF in CloudWatch). */
  metricsExposition?: { render(): Promise<string>; contentType: string };
  /** The control plane's drivers to appliances (docs/driver.md); set by the composition root. */
  drivers?: ApplianceDrivers;
  /** SDK clients, for health checks and emulator bootstrap only; created on first call. */
  awsClients(): Promise<AwsClients>;
  /** Releases SDK clients (sockets) if they were created. */
  destroy(): void;
}

export const systemClock: Clock = { now: () => new Date() };

/**
 * A system's own adapters, for the ports only it uses (the emulator's DNS publisher; the control plane's
 * window scheduler and appliance drivers), read off the environment. Each composition passes the systems
 * it serves (a system's Lambda entries its own, functions/local both), so a function bundles only its
 * own system's adapters and the platform wires none.
 */
export type SystemAdapters = (platform: Pick<Services, 'config' | 'awsClients'>, env: Record<string, string | undefined>) => Partial<Services>;

/**
 * Wires ports to adapters: the platform's, then each system's. Nothing here imports the AWS SDK: each
 * adapter module (and the SDK with it) is imported on its first call, so a Lambda cold start pays only
 * for the clients it uses.
 */
export function buildServices(
  config: Config = loadConfig(),
  clock: Clock = systemClock,
  env: Record<string, string | undefined> = process.env,
  systems: readonly SystemAdapters[] = [],
): Services {
  let created: AwsClients | undefined;
  const awsClients = once(async () => (created = await (await import('./clients.js')).createClients(config)));
  // One codec for every table: a cursor is bound to its table by the codec's additional data.
  const cursors = cursorCodecFor(config);
  const records = Object.fromEntries(
    TABLES.map((name) => [
      name,
      lazyPort<RecordStore>(async () => {
        const { DynamoRecordStore } = await import('./dynamo-record-store.js');
        return new DynamoRecordStore((await awsClients()).documents, config.tables[name], cursors);
      }, { tableName: config.tables[name] }),
    ]),
  ) as Record<TableName, RecordStore>;
  const blobs = Object.fromEntries(
    BUCKETS.map((name) => [
      name,
      lazyPort<BlobStore>(async () => {
        const { S3BlobStore } = await import('./s3-blob-store.js');
        return new S3BlobStore((await awsClients()).s3, config.buckets[name]);
      }, { bucket: config.buckets[name] }),
    ]),
  ) as Record<BucketName, BlobStore>;
  const workflows = lazyPort<WorkflowEngine>(
    async () => {
      const { SfnWorkflowEngine } = await import('./sfn-workflow-engine.js');
      return new SfnWorkflowEngine((await awsClients()).sfn, config.stateMachineArnPrefix);
    },
    // Pure: needed synchronously by callers.
    { stateMachineArn: (workflow: string) => `${config.stateMachineArnPrefix}${workflow}` },
  );
  const platform: Services = {
    config,
    clock,
    records,
    blobs,
    workflows,
    oidc: oidcSettings(env),
    awsClients,
    destroy: () => created?.destroy(),
  };
  return systems.reduce<Services>((services, adapters) => ({ ...services, ...adapters(platform, env) }), platform);
}

let cached: Services | undefined;
/** Lambda entry points share one Services per container, with the adapters of the entry's system. */
export const servicesFromEnvironment = (...systems: SystemAdapters[]): Services => (cached ??= buildServices(undefined, undefined, undefined, systems));
