import type { BlobStore, Clock, RecordStore, WorkflowEngine } from '../core/ports.js';
import { createClients, type AwsClients } from './clients.js';
import { loadConfig, type BucketName, type Config, type TableName } from './config.js';
import { DynamoRecordStore } from './dynamo-record-store.js';
import { S3BlobStore } from './s3-blob-store.js';
import { SfnWorkflowEngine } from './sfn-workflow-engine.js';

/** Everything a handler or task needs, built once per process (Lambda cold start or local runtime). */
export interface Services {
  config: Config;
  records: Record<TableName, RecordStore>;
  blobs: Record<BucketName, BlobStore>;
  workflows: WorkflowEngine;
  clock: Clock;
  /** SDK clients, for health checks and emulator bootstrap only. */
  clients: AwsClients;
}

export const systemClock: Clock = { now: () => new Date() };

export function buildServices(config: Config = loadConfig(), clock: Clock = systemClock): Services {
  const clients = createClients(config);
  return {
    config,
    clock,
    clients,
    records: {
      appliances: new DynamoRecordStore(clients.documents, config.tables.appliances),
      sessions: new DynamoRecordStore(clients.documents, config.tables.sessions),
      runs: new DynamoRecordStore(clients.documents, config.tables.runs),
    },
    blobs: {
      packages: new S3BlobStore(clients.s3, config.buckets.packages),
      backups: new S3BlobStore(clients.s3, config.buckets.backups),
      exports: new S3BlobStore(clients.s3, config.buckets.exports),
    },
    workflows: new SfnWorkflowEngine(clients.sfn, config.stateMachineArnPrefix),
  };
}

let cached: Services | undefined;
/** Lambda entry points share one Services per container. */
export const servicesFromEnvironment = (): Services => (cached ??= buildServices());
