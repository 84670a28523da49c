import type { DynamoDBDocumentClient, QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import {
  ConditionFailedError,
  type ItemKey,
  type Page,
  type PutCondition,
  type QueryRequest,
  type RecordStore,
  type StoredItem,
} from '../core/ports.js';
import { ephemeralCursorCodec, InvalidCursorError, type CursorCodec } from './cursor.js';
import { once } from './lazy.js';

/** Command classes, imported on first use (see clients.ts). */
const lib = once(() => import('@aws-sdk/lib-dynamodb'));

const INDEX_KEYS = {
  table: ['pk', 'sk'],
  gsi1: ['gsi1pk', 'gsi1sk'],
  gsi2: ['gsi2pk', 'gsi2sk'],
} as const;

/** RecordStore on one DynamoDB table. Single-item conditional writes only (no transactions: see DESIGN.md). */
export class DynamoRecordStore implements RecordStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    readonly tableName: string,
    /** Seals cursors (functions/platform/adapters/cursor.ts); the default key lives only as long as this process. */
    private readonly cursors: CursorCodec = ephemeralCursorCodec(),
  ) {}

  async get<T extends StoredItem>(key: ItemKey): Promise<T | undefined> {
    const { GetCommand } = await lib();
    const out = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: key.pk, sk: key.sk }, ConsistentRead: true }),
    );
    return out.Item as T | undefined;
  }

  async put(item: StoredItem, condition?: PutCondition): Promise<void> {
    const { PutCommand } = await lib();
    const input = { TableName: this.tableName, Item: item, ...conditionExpression(condition) };
    await this.translate(() => this.client.send(new PutCommand(input)));
  }

  async delete(key: ItemKey, condition?: { expectVersion?: number; ifExists?: true }): Promise<void> {
    const { DeleteCommand } = await lib();
    const cond =
      condition?.expectVersion !== undefined
        ? conditionExpression({ expectVersion: condition.expectVersion })
        : condition?.ifExists
          ? conditionExpression({ ifExists: true })
          : {};
    await this.translate(() =>
      this.client.send(new DeleteCommand({ TableName: this.tableName, Key: { pk: key.pk, sk: key.sk }, ...cond })),
    );
  }

  async query<T extends StoredItem>(request: QueryRequest): Promise<Page<T>> {
    const [pkName, skName] = INDEX_KEYS[request.index ?? 'table'];
    const names: Record<string, string> = { '#pk': pkName };
    const values: Record<string, unknown> = { ':pk': request.pk };
    let expression = '#pk = :pk';
    const sk = request.sk;
    if (sk) {
      names['#sk'] = skName;
      if ('beginsWith' in sk) {
        expression += ' AND begins_with(#sk, :sk)';
        values[':sk'] = sk.beginsWith;
      } else if ('between' in sk) {
        expression += ' AND #sk BETWEEN :lo AND :hi';
        values[':lo'] = sk.between[0];
        values[':hi'] = sk.between[1];
      } else {
        const [op, value] = Object.entries(sk)[0] as [keyof typeof OPERATORS, string | number];
        expression += ` AND #sk ${OPERATORS[op]} :sk`;
        values[':sk'] = value;
      }
    }
    const scope = { table: this.tableName, index: request.index, pk: request.pk };
    // Placeholders for every projected name: reserved words (status, name...) are common attribute names.
    request.attributes?.forEach((attribute, i) => (names[`#p${i}`] = attribute));
    const input: QueryCommandInput = {
      TableName: this.tableName,
      IndexName: request.index,
      KeyConditionExpression: expression,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      Limit: request.limit,
      ExclusiveStartKey: await this.cursors.decode(request.cursor, scope),
      ScanIndexForward: !request.descending,
      ConsistentRead: request.index ? undefined : true,
      ProjectionExpression: request.attributes?.map((_, i) => `#p${i}`).join(', '),
    };
    const { QueryCommand } = await lib();
    const out = await this.client.send(new QueryCommand(input)).catch((e: unknown) => {
      // A sealed cursor of this query whose key DynamoDB still refuses (the sort condition changed) is the caller's mistake.
      if (request.cursor && (e as Error).name === 'ValidationException') throw new InvalidCursorError();
      throw e;
    });
    return { items: (out.Items ?? []) as T[], cursor: await this.cursors.encode(out.LastEvaluatedKey, scope) };
  }

  async batchPut(items: StoredItem[]): Promise<void> {
    await this.batchWrite(items.map((Item) => ({ PutRequest: { Item } })));
  }

  async batchDelete(keys: ItemKey[]): Promise<void> {
    await this.batchWrite(keys.map((k) => ({ DeleteRequest: { Key: { pk: k.pk, sk: k.sk } } })));
  }

  private async batchWrite(requests: Record<string, unknown>[]): Promise<void> {
    const { BatchWriteCommand } = await lib();
    for (let i = 0; i < requests.length; i += 25) {
      let pending: Record<string, unknown>[] | undefined = requests.slice(i, i + 25);
      // Unprocessed items are retried with a short backoff until the batch drains.
      for (let attempt = 0; pending && pending.length > 0; attempt++) {
        if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 20 * 2 ** attempt)));
        const out = await this.client.send(
          new BatchWriteCommand({ RequestItems: { [this.tableName]: pending as never } }),
        );
        pending = out.UnprocessedItems?.[this.tableName] as Record<string, unknown>[] | undefined;
        if (attempt > 10 && pending?.length) throw new Error(`batch write: ${pending.length} items unprocessed`);
      }
    }
  }

  private async translate<T>(op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (e) {
      if ((e as Error).name === 'ConditionalCheckFailedException') {
        throw new ConditionFailedError(`conditional write to ${this.tableName} failed`);
      }
      throw e;
    }
  }
}

const OPERATORS = { gt: '>', gte: '>=', lt: '<', lte: '<=', eq: '=' } as const;

function conditionExpression(condition?: PutCondition) {
  if (!condition) return {};
  if ('ifNotExists' in condition) return { ConditionExpression: 'attribute_not_exists(pk)' };
  if ('ifExists' in condition) return { ConditionExpression: 'attribute_exists(pk)' };
  if (condition.expectVersion === 0) return { ConditionExpression: 'attribute_not_exists(pk)' };
  return {
    ConditionExpression: '#v = :v',
    ExpressionAttributeNames: { '#v': 'version' },
    ExpressionAttributeValues: { ':v': condition.expectVersion },
  };
}
