/** The in-process pieces behind authentication: per-source counters, remembered checks, credential hashes. */
import { describe, expect, it, vi } from 'vitest';
import { hashPassword, hashSecret, kdf, verifyScrypt, verifySecretHash } from '../../functions/platform/app/credential-hash.js';
import { Memo } from '../../functions/platform/app/memo.js';
import { WindowCounter } from '../../functions/emulator/app/source-limits.js';

describe('WindowCounter (per-source limits)', () => {
  it('blocks a key at its limit until the oldest hit leaves the window; other keys are unaffected', () => {
    const c = new WindowCounter(3, 60_000);
    for (const t of [0, 10, 20]) c.record('a', t);
    expect(c.blocked('a', 30)).toBe(60);
    expect(c.blocked('b', 30)).toBeUndefined();
    expect(c.blocked('a', 60_001)).toBeUndefined();
  });

  it('stays bounded in keys (the least recently touched goes first)', () => {
    const c = new WindowCounter(1, 60_000, 2);
    c.record('a', 0);
    c.record('b', 0);
    c.record('c', 0);
    expect(c.blocked('a', 1)).toBeUndefined();
    expect(c.blocked('c', 1)).toBeGreaterThan(0);
  });
});

describe('Memo (remembered checks)', () => {
  it('expires entries and forgets a whole group at once', () => {
    const m = new Memo<string>(1000, 10);
    m.set('k1', 'alice', 'v1', 0);
    m.set('k2', 'alice', 'v2', 0);
    m.set('k3', 'bob', 'v3', 0);
    expect(m.get('k1', 999)).toBe('v1');
    expect(m.get('k1', 1000)).toBeUndefined();
    m.forget('alice');
    expect(m.get('k2', 1)).toBeUndefined();
    expect(m.get('k3', 1)).toBe('v3');
  });
});

describe('credential hashes', () => {
  it('passwords: scrypt, salted, verified; the old API account format still verifies', async () => {
    const a = await hashPassword('correct horse');
    const b = await hashPassword('correct horse');
    expect(a).not.toBe(b);
    expect(await verifyScrypt('correct horse', a)).toBe(true);
    expect(await verifyScrypt('wrong horse', a)).toBe(false);
    const salt = Buffer.from('salt-salt-salt-1');
    const old = `scrypt$${salt.toString('base64')}$${(await kdf.scrypt('s3cret', salt)).toString('base64')}`;
    expect(await verifyScrypt('s3cret', old)).toBe(true);
    expect(await verifyScrypt('s3cret', 'scrypt$99999999$8$1$x$y')).toBe(false);
  });

  it('client secrets: a keyed hash, no KDF; an unknown record never matches', () => {
    const spy = vi.spyOn(kdf, 'scrypt');
    const stored = hashSecret('a-random-secret');
    expect(verifySecretHash('a-random-secret', stored)).toBe(true);
    expect(verifySecretHash('another', stored)).toBe(false);
    expect(verifySecretHash('a-random-secret', undefined)).toBe(false);
    expect(verifySecretHash('a-random-secret', 'scrypt$x$y')).toBe(false);
    expect(spy).not.toHaveBeenCalled();
    spy.mockRestore();
  });
});
