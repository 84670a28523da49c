import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceInUseException,
  ResourceNotFoundException,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { BucketAlreadyOwnedByYou, CreateBucketCommand, HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { TABLE_KEY_SCHEMA } from './config.js';

/** Creates a table with the shared key schema unless it exists (local emulators; CDK owns them on AWS). */
export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
    return;
  } catch (e) {
    if (!(e instanceof ResourceNotFoundException)) throw e;
  }
  const s = TABLE_KEY_SCHEMA;
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: s.partitionKey, AttributeType: 'S' },
          { AttributeName: s.sortKey, AttributeType: 'S' },
          ...s.indexes.flatMap((i) => [
            { AttributeName: i.partitionKey, AttributeType: 'S' as const },
            { AttributeName: i.sortKey, AttributeType: i.sortKeyType },
          ]),
        ],
        KeySchema: [
          { AttributeName: s.partitionKey, KeyType: 'HASH' },
          { AttributeName: s.sortKey, KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: s.indexes.map((i) => ({
          IndexName: i.name,
          KeySchema: [
            { AttributeName: i.partitionKey, KeyType: 'HASH' as const },
            { AttributeName: i.sortKey, KeyType: 'RANGE' as const },
          ],
          Projection: { ProjectionType: 'ALL' as const },
        })),
      }),
    );
  } catch (e) {
    if (!(e instanceof ResourceInUseException)) throw e;
  }
}

export async function ensureBucket(client: S3Client, bucket: string): Promise<void> {
  try {
    await client.send(new HeadBucketCommand({ Bucket: bucket }));
    return;
  } catch {
    // missing: create below
  }
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (e) {
    if (!(e instanceof BucketAlreadyOwnedByYou) && (e as Error).name !== 'BucketAlreadyOwnedByYou') throw e;
  }
}
