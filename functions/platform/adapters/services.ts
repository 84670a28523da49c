import { oidcSettings, type OidcSettings } from './oidc-settings.js';
import type { RemoteScheduler } from '../../control-plane/app/scheduler.js';
import type { TrafficControl } from '../../control-plane/app/run-traffic.js';
import type { ApplianceDrivers } from '../core/appliance-driver.js';
import type { DnsPublisher } from '../../emulator/core/failover.js';
import type { BlobStore, Clock, RecordStore, WorkflowEngine } from '../core/ports.js';
import type { AwsClients } from './clients.js';
import { SecretsManagerDriverCredentials } from '../../control-plane/adapters/driver-credentials.js';
import { INVENTORY_CREDENTIAL, siteDrivers } from '../../control-plane/adapters/site-driver.js';
import { DomainError } from '../core/errors.js';
import { BUCKETS, loadConfig, ROUTE53_ZONE_ENV, TABLES, type BucketName, type Config, type TableName } from './config.js';
import { cursorCodecFor } from './cursor-key.js';
import { lazyPort, once } from './lazy.js';

/** Everything a handler or task needs, built once per process (Lambda cold start or local runtime). */
export interface Services {
  config: Config;
  records: Record<TableName, RecordStore>;
  blobs: Record<BucketName, BlobStore>;
  workflows: WorkflowEngine;
  clock: Clock;
  /** Mirrors primary-hostname records to Route 53 when `ROUTE53_HOSTED_ZONE_ID` is set. */
  dns?: DnsPublisher;
  /**
   * EventBridge Scheduler for maintenance windows when `SCHEDULER_TARGET_ARN` and `SCHEDULER_ROLE_ARN`
   * are set (the CDK stack sets them); locally absent: the runtime's scheduler loop fires the records.
   */
  windowScheduler?: RemoteScheduler;
  /** Locally: a store failure seen while running (a corrupt DynamoDB read); `/health` reports it. */
  integrity?: () => string | undefined;
  /** Operator sign-in with an OIDC issuer's JWTs, when `OIDC_ISSUER` and `OIDC_AUDIENCE` are set. */
  oidc?: OidcSettings;
  /** Local runtime only: the Prometheus exposition behind `GET /metrics` (on AWS the metrics are EMF in CloudWatch). */
  metricsExposition?: { render(): Promise<string>; contentType: string };
  /** Local runtime only: the live traffic generator (issue 14, docs/traffic.md). */
  traffic?: TrafficControl;
  /** The control plane's drivers to appliances (docs/driver.md); set by the composition root. */
  drivers?: ApplianceDrivers;
  /** SDK clients, for health checks and emulator bootstrap only; created on first call. */
  awsClients(): Promise<AwsClients>;
  /** Releases SDK clients (sockets) if they were created. */
  destroy(): void;
}

export const systemClock: Clock = { now: () => new Date() };

/**
 * Wires ports to adapters. Nothing here imports the AWS SDK: each adapter module (and the SDK with it)
 * is imported on its first call, so a Lambda cold start pays only for the clients it uses.
 */
export function buildServices(config: Config = loadConfig(), clock: Clock = systemClock, env: Record<string, string | undefined> = process.env): Services {
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
      const { SfnWorkflowEngine } = await import('../../control-plane/adapters/sfn-workflow-engine.js');
      return new SfnWorkflowEngine((await awsClients()).sfn, config.stateMachineArnPrefix);
    },
    // Pure: needed synchronously by callers.
    { stateMachineArn: (workflow: string) => `${config.stateMachineArnPrefix}${workflow}` },
  );
  const zone = env[ROUTE53_ZONE_ENV]?.trim();
  const dns = zone
    ? lazyPort<DnsPublisher>(async () => (await import('../../emulator/adapters/route53-dns.js')).route53Publisher(config.region, zone), { name: 'route53' } as Partial<DnsPublisher>)
    : undefined;
  const targetArn = env.SCHEDULER_TARGET_ARN?.trim();
  const roleArn = env.SCHEDULER_ROLE_ARN?.trim();
  const windowScheduler =
    targetArn && roleArn
      ? lazyPort<RemoteScheduler>(async () => (await import('../../control-plane/adapters/eventbridge-scheduler.js')).eventBridgeWindowScheduler(config.region, { targetArn, roleArn, groupName: env.SCHEDULER_GROUP?.trim() || undefined }), {})
      : undefined;
  // On AWS the control plane reaches the appliances' sites at APPLIANCE_BASE_URL with credentials from
  // Secrets Manager (docs/driver.md); the local runtime sets its own drivers.
  const applianceBaseUrl = env.APPLIANCE_BASE_URL?.trim().replace(/\/+$/, '');
  const credentials = applianceBaseUrl ? new SecretsManagerDriverCredentials(config.region, env.DRIVER_CREDENTIALS_PREFIX?.trim() || 'upgrade-cp/appliances/') : undefined;
  const drivers: ApplianceDrivers | undefined = credentials
    ? siteDrivers({
        baseUrl: () => applianceBaseUrl!,
        transport: (request) => fetch(request),
        credentials,
        // The inventory token an operator stored beside the appliances' credentials (docs/driver.md).
        inventoryToken: async () => {
          const stored = await credentials.get(INVENTORY_CREDENTIAL);
          if (!stored) throw new DomainError('precondition', 'InventoryNotConfigured', `no inventory token: store a viewer operator token of the fleet API as the driver credential ${INVENTORY_CREDENTIAL} (docs/driver.md)`);
          return stored.password;
        },
      })
    : undefined;
  return {
    config,
    clock,
    records,
    blobs,
    workflows,
    dns,
    windowScheduler,
    drivers,
    oidc: oidcSettings(env),
    awsClients,
    destroy: () => created?.destroy(),
  };
}

let cached: Services | undefined;
/** Lambda entry points share one Services per container. */
export const servicesFromEnvironment = (): Services => (cached ??= buildServices());
