import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { BUCKETS, TABLE_KEY_SCHEMA, TABLES, type BucketName, type TableName } from '../../functions/platform/adapters/config.js';
import { pascal } from '../sources.js';
import type { StageConfig } from '../stage.js';

const attributeType = (t: 'S' | 'N') => (t === 'N' ? dynamodb.AttributeType.NUMBER : dynamodb.AttributeType.STRING);

/**
 * Tables and buckets from `TABLES`, `BUCKETS` and `TABLE_KEY_SCHEMA` (the ones the local bootstrap creates): those
 * the stack's functions declare (a system deployed alone gets only its own), in that order.
 */
export class Storage extends Construct {
  readonly tables: Partial<Record<TableName, dynamodb.Table>>;
  readonly buckets: Partial<Record<BucketName, s3.Bucket>>;
  /** Receives S3 server access logs of the data buckets (none without data buckets). */
  readonly accessLogs?: s3.Bucket;

  constructor(scope: Construct, id: string, config: StageConfig, used: { tables: ReadonlySet<TableName>; buckets: ReadonlySet<BucketName> }) {
    super(scope, id);
    const k = TABLE_KEY_SCHEMA;
    this.tables = Object.fromEntries(
      TABLES.filter((name) => used.tables.has(name)).map((name) => {
        const table = new dynamodb.Table(this, `${pascal(name)}Table`, {
          partitionKey: { name: k.partitionKey, type: dynamodb.AttributeType.STRING },
          sortKey: { name: k.sortKey, type: dynamodb.AttributeType.STRING },
          billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
          pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
          deletionProtection: config.deletionProtection,
          encryption: dynamodb.TableEncryption.AWS_MANAGED,
          // Tokens and idempotency records carry an epoch-seconds expiry; readers also check it (DynamoDB deletes lazily).
          timeToLiveAttribute: k.ttlAttribute,
          removalPolicy: RemovalPolicy.RETAIN,
        });
        for (const index of k.indexes) {
          table.addGlobalSecondaryIndex({
            indexName: index.name,
            partitionKey: { name: index.partitionKey, type: dynamodb.AttributeType.STRING },
            sortKey: { name: index.sortKey, type: attributeType(index.sortKeyType) },
            projectionType: dynamodb.ProjectionType.ALL,
          });
        }
        return [name, table];
      }),
    ) as Partial<Record<TableName, dynamodb.Table>>;

    if (used.buckets.size === 0) {
      this.buckets = {};
      return;
    }
    const accessLogs = new s3.Bucket(this, 'AccessLogsBucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(config.logRetentionDays) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.accessLogs = accessLogs;

    const lifecycle: Record<BucketName, s3.LifecycleRule[]> = {
      // Packages are content-addressed: a new version only appears on re-upload of the same bytes.
      packages: [{ id: 'expire-old-package-versions', noncurrentVersionExpiration: Duration.days(30) }],
      backups: [
        {
          id: 'expire-old-backup-versions',
          noncurrentVersionTransitions: [{ storageClass: s3.StorageClass.INFREQUENT_ACCESS, transitionAfter: Duration.days(30) }],
          noncurrentVersionExpiration: Duration.days(Math.max(config.backupVersionRetentionDays, 31)),
        },
      ],
      exports: [
        { id: 'expire-exports', expiration: Duration.days(config.exportRetentionDays), noncurrentVersionExpiration: Duration.days(1) },
      ],
    };
    this.buckets = Object.fromEntries(
      BUCKETS.filter((name) => used.buckets.has(name)).map((name) => [
        name,
        new s3.Bucket(this, `${pascal(name)}Bucket`, {
          versioned: true,
          encryption: s3.BucketEncryption.S3_MANAGED,
          blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
          enforceSSL: true,
          minimumTLSVersion: 1.2,
          objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
          serverAccessLogsBucket: accessLogs,
          serverAccessLogsPrefix: `${name}/`,
          lifecycleRules: [
            { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(7) },
            ...lifecycle[name],
          ],
          removalPolicy: RemovalPolicy.RETAIN,
        }),
      ]),
    ) as Partial<Record<BucketName, s3.Bucket>>;
  }
}
