import {
  ConditionFailedError,
  type ItemKey,
  type Page,
  type PutCondition,
  type QueryRequest,
  type RecordStore,
  type StoredItem,
} from '../core/ports.js';
import { ephemeralCursorCodec, type CursorCodec } from './cursor.js';

const keyOf = (k: ItemKey) => `${k.pk}\u0000${k.sk}`;
const clone = <T>(v: T): T => structuredClone(v);

/** In-memory RecordStore with DynamoDB's semantics; used by unit tests of the application layer. */
export class MemoryRecordStore implements RecordStore {
  private readonly items = new Map<string, StoredItem>();
  constructor(
    readonly tableName = 'memory',
    private readonly cursors: CursorCodec = ephemeralCursorCodec(),
  ) {}

  async get<T extends StoredItem>(key: ItemKey): Promise<T | undefined> {
    const item = this.items.get(keyOf(key));
    return item ? (clone(item) as T) : undefined;
  }

  async put(item: StoredItem, condition?: PutCondition): Promise<void> {
    const existing = this.items.get(keyOf(item));
    check(existing, condition);
    this.items.set(keyOf(item), clone(stripUndefined(item)));
  }

  async delete(key: ItemKey, condition?: { expectVersion?: number; ifExists?: true }): Promise<void> {
    const existing = this.items.get(keyOf(key));
    if (condition?.expectVersion !== undefined) check(existing, { expectVersion: condition.expectVersion });
    if (condition?.ifExists) check(existing, { ifExists: true });
    this.items.delete(keyOf(key));
  }

  async query<T extends StoredItem>(request: QueryRequest): Promise<Page<T>> {
    const [pkName, skName] =
      request.index === 'gsi1' ? ['gsi1pk', 'gsi1sk'] : request.index === 'gsi2' ? ['gsi2pk', 'gsi2sk'] : ['pk', 'sk'];
    const matches = [...this.items.values()]
      .filter((i) => i[pkName] === request.pk && i[skName] !== undefined && matchesSort(i[skName], request.sk))
      .sort((a, b) => compare(a[skName], b[skName]) || compare(a.pk, b.pk) || compare(a.sk, b.sk));
    if (request.descending) matches.reverse();
    const scope = { table: this.tableName, index: request.index, pk: request.pk };
    const start = await this.cursors.decode(request.cursor, scope);
    // Like DynamoDB's ExclusiveStartKey: continue after the key's position, even if that item is gone since.
    const order = (i: StoredItem) => (request.descending ? -1 : 1) * (compare(i[skName], start![skName]) || compare(i.pk, start!.pk) || compare(i.sk, start!.sk));
    const next = start ? matches.findIndex((i) => order(i) > 0) : 0;
    const from = next < 0 ? matches.length : next;
    const limit = request.limit ?? Number.POSITIVE_INFINITY;
    const items = matches.slice(from, from + limit);
    const more = from + items.length < matches.length;
    const last = items[items.length - 1];
    return {
      items: items.map((i) => clone(request.attributes ? project(i, request.attributes) : i) as T),
      cursor: more && last ? await this.cursors.encode({ pk: last.pk, sk: last.sk, ...(request.index ? { [pkName]: last[pkName], [skName]: last[skName] } : {}) }, scope) : undefined,
    };
  }

  async batchDelete(keys: ItemKey[]): Promise<void> {
    for (const key of keys) this.items.delete(keyOf(key));
  }

  async batchPut(items: StoredItem[]): Promise<void> {
    for (const item of items) this.items.set(keyOf(item), clone(stripUndefined(item)));
  }
}

function project(item: StoredItem, attributes: readonly string[]): StoredItem {
  return Object.fromEntries(attributes.filter((a) => item[a] !== undefined).map((a) => [a, item[a]])) as StoredItem;
}

function check(existing: StoredItem | undefined, condition?: PutCondition) {
  if (!condition) return;
  const ok =
    'ifNotExists' in condition
      ? !existing
      : 'ifExists' in condition
        ? !!existing
        : condition.expectVersion === 0
          ? !existing
          : existing?.version === condition.expectVersion;
  if (!ok) throw new ConditionFailedError();
}

function compare(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const sa = String(a);
  const sb = String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

function matchesSort(value: unknown, sk: QueryRequest['sk']): boolean {
  if (!sk) return true;
  if ('beginsWith' in sk) return typeof value === 'string' && value.startsWith(sk.beginsWith);
  if ('between' in sk) return compare(value, sk.between[0]) >= 0 && compare(value, sk.between[1]) <= 0;
  if ('gt' in sk) return compare(value, sk.gt) > 0;
  if ('gte' in sk) return compare(value, sk.gte) >= 0;
  if ('lt' in sk) return compare(value, sk.lt) < 0;
  if ('lte' in sk) return compare(value, sk.lte) <= 0;
  return compare(value, sk.eq) === 0;
}

function stripUndefined(item: StoredItem): StoredItem {
  return Object.fromEntries(Object.entries(item).filter(([, v]) => v !== undefined)) as StoredItem;
}
