import { describe, expect, it } from 'vitest';
import type { BlobStore } from '../../functions/platform/core/ports.js';

async function readAll(body: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

/** One contract for every BlobStore implementation. */
export function blobStoreContract(name: string, makeStore: () => BlobStore) {
  describe(`BlobStore contract: ${name}`, () => {
    const id = () => Math.random().toString(36).slice(2);

    it('round-trips bytes and metadata', async () => {
      const store = makeStore();
      const key = `t/${id()}.bin`;
      const bytes = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 256));
      const info = await store.put(key, bytes, { contentType: 'application/octet-stream', metadata: { sha256: 'abc' } });
      expect(info.size).toBe(1000);
      const got = await store.get(key);
      expect(got?.info.metadata.sha256).toBe('abc');
      expect((await readAll(got!.body)).equals(bytes)).toBe(true);
      expect((await store.head(key))?.size).toBe(1000);
    });

    it('streams an async iterable body larger than one part', async () => {
      const store = makeStore();
      const key = `t/${id()}.stream`;
      const chunk = Buffer.alloc(1024 * 1024, 7);
      async function* body() {
        for (let i = 0; i < 9; i++) yield chunk;
      }
      const info = await store.put(key, body());
      expect(info.size).toBe(9 * 1024 * 1024);
      const got = await readAll((await store.get(key))!.body);
      expect(got.length).toBe(9 * 1024 * 1024);
      expect(got.every((b) => b === 7)).toBe(true);
    });

    it('answers undefined for missing objects and lists by prefix', async () => {
      const store = makeStore();
      const prefix = `list-${id()}/`;
      expect(await store.get(`${prefix}missing`)).toBeUndefined();
      expect(await store.head(`${prefix}missing`)).toBeUndefined();
      await store.put(`${prefix}b`, 'b');
      await store.put(`${prefix}a`, 'a');
      expect((await store.list(prefix)).map((o) => o.key)).toEqual([`${prefix}a`, `${prefix}b`]);
      await store.delete(`${prefix}a`);
      expect((await store.list(prefix)).map((o) => o.key)).toEqual([`${prefix}b`]);
    });
  });
}
