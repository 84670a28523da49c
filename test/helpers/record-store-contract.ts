import { describe, expect, it } from 'vitest';
import { ConditionFailedError, queryAll, type RecordStore } from '../../functions/platform/core/ports.js';

/** One contract every RecordStore implementation must pass (DynamoDB on the emulator, in-memory). */
export function recordStoreContract(name: string, makeStore: () => RecordStore) {
  describe(`RecordStore contract: ${name}`, () => {
    const id = () => Math.random().toString(36).slice(2);

    it('puts and gets an item, undefined when missing', async () => {
      const store = makeStore();
      const pk = `P#${id()}`;
      await store.put({ pk, sk: 'A', name: 'alpha', n: 3, nested: { list: [1, 2] } });
      expect(await store.get({ pk, sk: 'A' })).toEqual({ pk, sk: 'A', name: 'alpha', n: 3, nested: { list: [1, 2] } });
      expect(await store.get({ pk, sk: 'B' })).toBeUndefined();
    });

    it('ifNotExists refuses a second write and keeps the first', async () => {
      const store = makeStore();
      const pk = `P#${id()}`;
      await store.put({ pk, sk: 'A', v: 1 }, { ifNotExists: true });
      await expect(store.put({ pk, sk: 'A', v: 2 }, { ifNotExists: true })).rejects.toBeInstanceOf(ConditionFailedError);
      expect((await store.get({ pk, sk: 'A' }))?.v).toBe(1);
    });

    it('expectVersion implements optimistic concurrency', async () => {
      const store = makeStore();
      const pk = `P#${id()}`;
      await store.put({ pk, sk: 'A', version: 1 }, { expectVersion: 0 });
      await expect(store.put({ pk, sk: 'A', version: 1 }, { expectVersion: 0 })).rejects.toBeInstanceOf(ConditionFailedError);
      await store.put({ pk, sk: 'A', version: 2, x: 'new' }, { expectVersion: 1 });
      await expect(store.put({ pk, sk: 'A', version: 2 }, { expectVersion: 1 })).rejects.toBeInstanceOf(ConditionFailedError);
      expect(await store.get({ pk, sk: 'A' })).toMatchObject({ version: 2, x: 'new' });
      await expect(store.delete({ pk, sk: 'A' }, { expectVersion: 1 })).rejects.toBeInstanceOf(ConditionFailedError);
      await store.delete({ pk, sk: 'A' }, { expectVersion: 2 });
      expect(await store.get({ pk, sk: 'A' })).toBeUndefined();
    });

    it('queries by sort prefix, range and order, with pagination', async () => {
      const store = makeStore();
      const pk = `P#${id()}`;
      await store.batchPut(Array.from({ length: 30 }, (_, i) => ({ pk, sk: `S#${String(i).padStart(3, '0')}`, i })));
      await store.put({ pk, sk: 'OTHER' });
      const all: number[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.query({ pk, sk: { beginsWith: 'S#' }, limit: 7, cursor });
        all.push(...page.items.map((x) => x.i as number));
        cursor = page.cursor;
      } while (cursor);
      expect(all).toEqual(Array.from({ length: 30 }, (_, i) => i));
      const desc = await store.query({ pk, sk: { between: ['S#010', 'S#012'] }, descending: true });
      expect(desc.items.map((x) => x.i)).toEqual([12, 11, 10]);
      const gt = await store.query({ pk, sk: { gt: 'S#027' } });
      expect(gt.items.map((x) => x.sk)).toEqual(['S#028', 'S#029']);
    });

    it('queries gsi1 (string) and gsi2 (numeric) indexes', async () => {
      const store = makeStore();
      const g = `G#${id()}`;
      await store.batchPut([
        { pk: `a#${id()}`, sk: 'x', gsi1pk: g, gsi1sk: 'b', gsi2pk: g, gsi2sk: 10 },
        { pk: `a#${id()}`, sk: 'x', gsi1pk: g, gsi1sk: 'a', gsi2pk: g, gsi2sk: 9 },
        { pk: `a#${id()}`, sk: 'x', gsi1pk: g, gsi1sk: 'c', gsi2pk: g, gsi2sk: 100 },
      ]);
      expect((await store.query({ index: 'gsi1', pk: g })).items.map((i) => i.gsi1sk)).toEqual(['a', 'b', 'c']);
      // numeric order: 9 < 10 < 100 (a string sort would put 10 and 100 before 9)
      expect((await store.query({ index: 'gsi2', pk: g })).items.map((i) => i.gsi2sk)).toEqual([9, 10, 100]);
      expect((await store.query({ index: 'gsi2', pk: g, sk: { gte: 10 } })).items.map((i) => i.gsi2sk)).toEqual([10, 100]);
    });

    it('projects the requested attributes only, and still pages through every item', async () => {
      const store = makeStore();
      const pk = `P#${id()}`;
      await store.batchPut(['a', 'b', 'c'].map((sk, i) => ({ pk, sk, status: 'done', name: `n${i}`, big: 'x'.repeat(100), ...(i === 1 ? {} : { lseq: i }) })));
      const first = await store.query({ pk, limit: 2, attributes: ['status', 'lseq', 'sk'] });
      // `status` is a DynamoDB reserved word: projecting it must still work
      expect(first.items).toEqual([{ sk: 'a', status: 'done', lseq: 0 }, { sk: 'b', status: 'done' }]);
      const rest = await store.query({ pk, limit: 2, attributes: ['name'], cursor: first.cursor });
      expect(rest.items).toEqual([{ name: 'n2' }]);
      expect(rest.cursor).toBeUndefined();
    });

    it('deletes in bulk (more than one batch of 25), missing keys included', async () => {
      const store = makeStore();
      const pk = `P#${id()}`;
      await store.batchPut(Array.from({ length: 60 }, (_, i) => ({ pk, sk: `S#${String(i).padStart(3, '0')}` })));
      await store.batchDelete([...Array.from({ length: 55 }, (_, i) => ({ pk, sk: `S#${String(i).padStart(3, '0')}` })), { pk, sk: 'never-written' }]);
      expect((await queryAll(store, { pk })).map((i) => i.sk)).toEqual(['S#055', 'S#056', 'S#057', 'S#058', 'S#059']);
    });

    it('rejects a forged cursor', async () => {
      const store = makeStore();
      await expect(store.query({ pk: 'x', cursor: '!!not-base64-json' })).rejects.toThrow(/cursor/);
      // decodable, but not a key: `{}`, a key without sk, a key with an object value; and a well-formed raw key
      for (const key of [{}, { pk: 'x' }, { pk: 'x', sk: { S: 'y' } }, { pk: 'x', sk: 'y' }]) {
        await expect(store.query({ pk: 'x', cursor: Buffer.from(JSON.stringify(key)).toString('base64url') }), JSON.stringify(key)).rejects.toThrow(/cursor/);
      }
    });

    it('cursors are opaque and tamper-evident: no key in sight, any changed byte refused', async () => {
      const store = makeStore();
      const pk = `P#${id()}`;
      await store.batchPut(Array.from({ length: 3 }, (_, i) => ({ pk, sk: `S#secret-${i}` })));
      const first = await store.query({ pk, limit: 1 });
      const cursor = first.cursor!;
      expect(Buffer.from(cursor, 'base64url').toString('latin1')).not.toContain('secret');
      expect(Buffer.from(cursor, 'base64url').toString('latin1')).not.toContain(pk);
      const bytes = Buffer.from(cursor, 'base64url');
      for (const at of [0, 5, Math.floor(bytes.length / 2), bytes.length - 1]) {
        const forged = Buffer.from(bytes);
        forged[at] = forged[at]! ^ 0x01;
        await expect(store.query({ pk, limit: 1, cursor: forged.toString('base64url') }), `byte ${at}`).rejects.toMatchObject({ name: 'InvalidCursor' });
      }
      expect((await store.query({ pk, limit: 1, cursor })).items.map((i) => i.sk)).toEqual(['S#secret-1']);
    });

    it('a cursor only continues the query it came from (another partition or index is refused)', async () => {
      const store = makeStore();
      const pk = `P#${id()}`;
      await store.batchPut(Array.from({ length: 3 }, (_, i) => ({ pk, sk: `S#${i}`, gsi1pk: `G#${pk}`, gsi1sk: `${i}` })));
      const { cursor } = await store.query({ pk, limit: 1 });
      await expect(store.query({ pk: `${pk}-other`, cursor })).rejects.toMatchObject({ name: 'InvalidCursor' });
      await expect(store.query({ index: 'gsi1', pk: `G#${pk}`, cursor })).rejects.toMatchObject({ name: 'InvalidCursor' });
    });

    it('a page continues after the cursor even when that item was deleted meanwhile', async () => {
      const store = makeStore();
      const pk = `P#${id()}`;
      await store.batchPut(Array.from({ length: 4 }, (_, i) => ({ pk, sk: `S#${i}`, gsi1pk: `G#${pk}`, gsi1sk: `${9 - i}` })));
      const page = await store.query({ pk, limit: 2 });
      await store.delete({ pk, sk: 'S#1' });
      expect((await store.query({ pk, cursor: page.cursor })).items.map((i) => i.sk)).toEqual(['S#2', 'S#3']);
      const byIndex = await store.query({ index: 'gsi1', pk: `G#${pk}`, limit: 1, descending: true });
      await store.delete({ pk, sk: 'S#0' });
      expect((await store.query({ index: 'gsi1', pk: `G#${pk}`, descending: true, cursor: byIndex.cursor })).items.map((i) => i.sk)).toEqual(['S#2', 'S#3']);
    });
  });
}
