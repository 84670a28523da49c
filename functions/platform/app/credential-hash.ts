/**
 * How the emulator stores credentials. Passwords (chosen by people, guessable) get a slow memory-hard KDF
 * (scrypt). OAuth client secrets are 256-bit random values nobody can guess, so a fast keyed hash is enough:
 * HMAC-SHA-256 keyed with a per-record salt, a few microseconds, so a token request costs next to nothing
 * and an unknown client id costs exactly what a known one does (issue 17 item 2).
 */
import { createHmac, randomBytes, scrypt as scryptCb, timingSafeEqual, type BinaryLike } from 'node:crypto';

const SCRYPT = { N: 16384, r: 8, p: 1 } as const;

/** The KDF behind every scrypt call; tests count calls through it (an object, so it can be spied on). */
export const kdf = {
  scrypt(secret: BinaryLike, salt: BinaryLike, params: { N: number; r: number; p: number } = SCRYPT): Promise<Buffer> {
    return new Promise((resolve, reject) => scryptCb(secret, salt, 32, { ...params, maxmem: 64 * 1024 * 1024 }, (e, key) => (e ? reject(e) : resolve(key))));
  },
};

/** `scrypt$N$r$p$salt$hash` (base64). */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await kdf.scrypt(password, salt);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/**
 * Checks a password or an old-format secret against a scrypt record. Accepts this module's form and the
 * older `scrypt$salt$hash` (N=16384, r=8, p=1) that API accounts were stored with before.
 */
export async function verifyScrypt(secret: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  const [N, r, p, salt, hash] = parts.length === 6 ? [Number(parts[1]), Number(parts[2]), Number(parts[3]), parts[4]!, parts[5]!] : [SCRYPT.N, SCRYPT.r, SCRYPT.p, parts[1] ?? '', parts[2] ?? ''];
  if (parts[0] !== 'scrypt' || ![N, r, p].every(Number.isSafeInteger) || N > 1 << 20 || r > 32 || p > 16) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = await kdf.scrypt(secret, Buffer.from(salt, 'base64'), { N, r, p });
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

export const isScryptHash = (stored: string | undefined) => typeof stored === 'string' && stored.startsWith('scrypt$');

/** `hmac-sha256$salt$digest` (base64) of a high-entropy secret. */
export function hashSecret(secret: string): string {
  const salt = randomBytes(16);
  return `hmac-sha256$${salt.toString('base64')}$${createHmac('sha256', salt).update(secret).digest('base64')}`;
}

// Compared against when the client id is unknown, so both paths do the same work.
const DUMMY_SECRET_HASH = hashSecret(randomBytes(32).toString('base64'));

/** Constant-time check of a secret against an `hmac-sha256$…` record (or a dummy when there is none). */
export function verifySecretHash(secret: string, stored: string | undefined): boolean {
  const known = typeof stored === 'string' && stored.startsWith('hmac-sha256$');
  const [, salt, digest] = (known ? stored : DUMMY_SECRET_HASH).split('$');
  const expected = Buffer.from(digest ?? '', 'base64');
  const actual = createHmac('sha256', Buffer.from(salt ?? '', 'base64')).update(secret).digest();
  return known && expected.length === actual.length && timingSafeEqual(expected, actual);
}
