import { GetItemCommand, PutItemCommand, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { AwsClients } from '../platform/adapters/clients.js';
import { ensureBucket, ensureTable } from '../platform/adapters/bootstrap.js';
import { STORE_MARK_OBJECT, type StoreMark } from './data-dir.js';

const KEY = { pk: { S: 'DATA-DIR' }, sk: { S: 'MARKER' } };
const OBJECT = STORE_MARK_OBJECT;

const parseMark = (value: unknown): StoreMark | undefined => {
  const v = value as Partial<StoreMark> | undefined;
  return v && typeof v.id === 'string' && typeof v.generation === 'number' ? { id: v.id, generation: v.generation } : undefined;
};

/** The stores' copies of the data-dir marker: one item in `table`, one object in `bucket` (both local-only). */
export function storeMarks(clients: AwsClients, table: string, bucket: string) {
  return {
    async readDynamo(): Promise<StoreMark | undefined> {
      try {
        const out = await clients.dynamodb.send(new GetItemCommand({ TableName: table, Key: KEY, ConsistentRead: true }));
        return parseMark(out.Item && { id: out.Item.id?.S, generation: Number(out.Item.generation?.N) });
      } catch (e) {
        if (e instanceof ResourceNotFoundException) return undefined;
        throw e;
      }
    },
    async readS3(): Promise<StoreMark | undefined> {
      try {
        const out = await clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: OBJECT }));
        return parseMark(JSON.parse(await out.Body!.transformToString()));
      } catch (e) {
        if (['NoSuchBucket', 'NoSuchKey'].includes((e as Error).name)) return undefined;
        throw e;
      }
    },
    async write(mark: StoreMark): Promise<void> {
      await Promise.all([ensureTable(clients.dynamodb, table), ensureBucket(clients.s3, bucket)]);
      await clients.dynamodb.send(new PutItemCommand({ TableName: table, Item: { ...KEY, id: { S: mark.id }, generation: { N: String(mark.generation) } } }));
      await clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: OBJECT, Body: JSON.stringify(mark), ContentType: 'application/json' }));
    },
  };
}
