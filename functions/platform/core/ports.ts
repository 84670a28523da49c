/**
 * Ports: the storage and workflow interfaces the application needs. Pure types only;
 * implementations live in `functions/<system>/adapters` (DynamoDB, S3, Step Functions, in-memory).
 */

/** A record in a table. `pk`/`sk` are the primary key; `gsi1*` (string sort) and `gsi2*` (numeric sort) feed the two secondary indexes. */
export interface StoredItem {
  pk: string;
  sk: string;
  gsi1pk?: string;
  gsi1sk?: string;
  gsi2pk?: string;
  gsi2sk?: number;
  /** Optimistic-concurrency counter, maintained by callers that use `expectVersion`. */
  version?: number;
  [attribute: string]: unknown;
}

export interface ItemKey {
  pk: string;
  sk: string;
}

export type PutCondition =
  | { ifNotExists: true }
  | { expectVersion: number } // 0 means "must not exist yet"
  | { ifExists: true };

export type SortCondition<V> =
  | { beginsWith: string }
  | { between: [V, V] }
  | { gt: V }
  | { gte: V }
  | { lt: V }
  | { lte: V }
  | { eq: V };

export interface QueryRequest {
  /** Partition value: `pk`, or `gsi1pk`/`gsi2pk` when `index` is set. */
  pk: string;
  index?: 'gsi1' | 'gsi2';
  sk?: SortCondition<string | number>;
  limit?: number;
  /** Opaque cursor from a previous page. */
  cursor?: string;
  descending?: boolean;
  /**
   * Return only these top-level attributes (a projection; missing ones are left out). Pagination still works:
   * the cursor never depends on what is projected.
   */
  attributes?: readonly string[];
}

export interface Page<T> {
  items: T[];
  cursor?: string;
}

/** Thrown by stores when a conditional write's condition does not hold. */
export class ConditionFailedError extends Error {
  constructor(message = 'condition failed') {
    super(message);
    this.name = 'ConditionFailedError';
  }
}

export interface RecordStore {
  readonly tableName: string;
  get<T extends StoredItem = StoredItem>(key: ItemKey): Promise<T | undefined>;
  put(item: StoredItem, condition?: PutCondition): Promise<void>;
  delete(key: ItemKey, condition?: { expectVersion?: number; ifExists?: true }): Promise<void>;
  query<T extends StoredItem = StoredItem>(request: QueryRequest): Promise<Page<T>>;
  /** Unconditional bulk write (split into batches of 25 by the adapter). */
  batchPut(items: StoredItem[]): Promise<void>;
  /** Unconditional bulk delete (batches of 25); deleting a missing item is not an error. */
  batchDelete(keys: ItemKey[]): Promise<void>;
}

export interface BlobInfo {
  key: string;
  size: number;
  etag?: string;
  versionId?: string;
  contentType?: string;
  metadata: Record<string, string>;
  lastModified?: Date;
}

export type BlobBody = Uint8Array | string | AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>;

export interface BlobStore {
  readonly bucket: string;
  put(key: string, body: BlobBody, options?: { contentType?: string; metadata?: Record<string, string> }): Promise<BlobInfo>;
  /** Streams the object; undefined when it does not exist. */
  get(key: string, options?: { versionId?: string }): Promise<{ info: BlobInfo; body: AsyncIterable<Uint8Array> } | undefined>;
  head(key: string): Promise<BlobInfo | undefined>;
  list(prefix: string): Promise<BlobInfo[]>;
  delete(key: string): Promise<void>;
}

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface ExecutionSummary {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  startDate: Date;
  stopDate?: Date;
}

export interface ExecutionDetail extends ExecutionSummary {
  input?: unknown;
  output?: unknown;
  error?: string;
  cause?: string;
}

/** Starts and observes workflow executions (Step Functions in both runtimes). */
export interface WorkflowEngine {
  stateMachineArn(workflow: string): string;
  start(workflow: string, input: unknown, name?: string): Promise<{ executionArn: string; startDate: Date }>;
  describe(executionArn: string): Promise<ExecutionDetail>;
  list(workflow: string, status?: ExecutionStatus): Promise<ExecutionSummary[]>;
  stop(executionArn: string, cause?: string): Promise<void>;
}

export interface Clock {
  now(): Date;
}

/** Every page of `request`, one query at a time, so memory stays bounded by the page size. */
export async function* queryPages<T extends StoredItem = StoredItem>(store: RecordStore, request: Omit<QueryRequest, 'cursor'>): AsyncGenerator<T[]> {
  let cursor: string | undefined;
  do {
    const page = await store.query<T>({ ...request, cursor });
    yield page.items;
    cursor = page.cursor;
  } while (cursor);
}

/** Every item of `request`, for small collections (an appliance's consoles, the fleet's pairs...). */
export async function queryAll<T extends StoredItem = StoredItem>(store: RecordStore, request: Omit<QueryRequest, 'cursor'>): Promise<T[]> {
  const items: T[] = [];
  for await (const page of queryPages<T>(store, request)) items.push(...page);
  return items;
}
