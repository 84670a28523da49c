import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../functions/platform/adapters/config.js';
import { cursorCodecFor } from '../../../functions/platform/adapters/cursor-key.js';
import { cursorCodec, cursorKeysFrom, InvalidCursorError, newCursorSecret } from '../../../functions/platform/adapters/cursor.js';

const scope = { table: 'runs', index: 'gsi1', pk: 'RUNS' };
const key = { pk: 'RUN#1', sk: 'RUN', gsi1pk: 'RUNS', gsi1sk: '2026#1' };

describe('cursor keys from configuration', () => {
  it('CURSOR_KEY: too short is a configuration error at start-up', () => {
    expect(() => loadConfig({ CURSOR_KEY: 'short' })).toThrow(/CURSOR_KEY.*at least 32/);
    expect(loadConfig({ CURSOR_KEY: newCursorSecret() }).cursorKey).toBeDefined();
  });

  it('deployed without any key, the first cursor fails clearly (no silent per-process key on AWS)', async () => {
    const codec = cursorCodecFor({ local: false, region: 'us-east-1' });
    await expect(codec.encode(key, scope)).rejects.toThrow(/no pagination cursor key configured: set CURSOR_KEY or CURSOR_KEY_SECRET_ARN/);
  });

  it('the same key opens the cursor in another process; another key does not', async () => {
    const secret = newCursorSecret();
    const cursor = await cursorCodecFor({ cursorKey: secret, local: true, region: 'x' }).encode(key, scope);
    expect(await cursorCodecFor({ cursorKey: secret, local: true, region: 'x' }).decode(cursor, scope)).toEqual(key);
    await expect(cursorCodecFor({ cursorKey: newCursorSecret(), local: true, region: 'x' }).decode(cursor, scope)).rejects.toBeInstanceOf(InvalidCursorError);
  });

  it('rotation: with "new,old" new cursors use the new key and old cursors still open', async () => {
    const [oldSecret, newSecret] = [newCursorSecret(), newCursorSecret()];
    const old = await cursorCodec(cursorKeysFrom(oldSecret)).encode(key, scope);
    const rotated = cursorCodec(cursorKeysFrom(`${newSecret},${oldSecret}`));
    expect(await rotated.decode(old, scope)).toEqual(key);
    const fresh = await rotated.encode(key, scope);
    await expect(cursorCodec(cursorKeysFrom(oldSecret)).decode(fresh, scope)).rejects.toBeInstanceOf(InvalidCursorError);
  });

  it('a key fetched on first use (the AWS secret) is fetched once; a failed fetch is retried, not cached', async () => {
    let calls = 0;
    const codec = cursorCodec(async () => {
      calls++;
      if (calls === 1) throw new Error('throttled');
      return cursorKeysFrom(newCursorSecret());
    });
    await expect(codec.encode(key, scope)).rejects.toThrow('throttled');
    const cursor = await codec.encode(key, scope);
    expect(await codec.decode(cursor, scope)).toEqual(key);
    expect(calls).toBe(2);
  });

  it('each cursor is different (random nonce), all open to the same key', async () => {
    const codec = cursorCodec(cursorKeysFrom(newCursorSecret()));
    const [a, b] = [await codec.encode(key, scope), await codec.encode(key, scope)];
    expect(a).not.toBe(b);
    expect(await codec.decode(a, scope)).toEqual(await codec.decode(b, scope));
  });
});
