/**
 * Opaque, tamper-evident pagination cursors. A cursor is the store's last-evaluated key sealed with
 * AES-256-GCM: a client can neither read it nor change it, and it is bound to the query it came from
 * (table, index, partition) as additional data, so a cursor replayed on another query is refused too.
 * Format: base64url(version 1 byte | nonce 12 | ciphertext | tag 16).
 *
 * The key comes from configuration (`CURSOR_KEY`, or on AWS the secret named by `CURSOR_KEY_SECRET_ARN`,
 * fetched on first use); the local runtime generates one into the data dir (functions/local/data-dir.ts).
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const VERSION = 1;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/** Shortest accepted key material (characters of the configured secret). */
export const MIN_CURSOR_SECRET_LENGTH = 32;

export type CursorKey = Record<string, unknown>;

/** What a cursor is bound to: another table, index or partition makes it invalid. */
export interface CursorScope {
  table: string;
  index?: string;
  pk: string;
}

export interface CursorCodec {
  encode(key: CursorKey | undefined, scope: CursorScope): Promise<string | undefined>;
  decode(cursor: string | undefined, scope: CursorScope): Promise<CursorKey | undefined>;
}

export class InvalidCursorError extends Error {
  override name = 'InvalidCursor';
  constructor() {
    super('invalid pagination cursor');
  }
}

export class CursorKeyError extends Error {
  override name = 'CursorKeyError';
}

/**
 * Key material from configuration: one or more secrets separated by commas; the first seals new cursors,
 * every one opens them (so a new key can be rolled out while cursors under the old one finish).
 */
export function cursorKeysFrom(text: string): Buffer[] {
  const secrets = text.split(',').map((s) => s.trim());
  if (secrets.some((s) => s.length < MIN_CURSOR_SECRET_LENGTH)) {
    throw new CursorKeyError(`CURSOR_KEY: each key must be at least ${MIN_CURSOR_SECRET_LENGTH} characters (e.g. \`openssl rand -base64 32\`)`);
  }
  // Any printable secret works (Secrets Manager generates printable ones): the AES key is its SHA-256.
  return secrets.map((s) => createHash('sha256').update(s, 'utf8').digest());
}

/** A fresh random secret for `CURSOR_KEY` (what the local runtime writes into the data dir). */
export const newCursorSecret = (): string => randomBytes(32).toString('base64url');

const aad = (scope: CursorScope) => Buffer.from(JSON.stringify([scope.table, scope.index ?? '', scope.pk]), 'utf8');

/** A codec over keys that may arrive later (a secret fetched on first use); resolved once. */
export function cursorCodec(keys: Buffer[] | (() => Promise<Buffer[]>)): CursorCodec {
  let resolved: Promise<Buffer[]> | undefined = Array.isArray(keys) ? Promise.resolve(keys) : undefined;
  const load = () => {
    resolved ??= (keys as () => Promise<Buffer[]>)().catch((e: unknown) => {
      // A failed fetch (throttled, network) is retried on the next call rather than cached.
      resolved = undefined;
      throw e;
    });
    return resolved;
  };
  return {
    async encode(key, scope) {
      if (!key) return undefined;
      const [current] = await load();
      const nonce = randomBytes(NONCE_BYTES);
      const cipher = createCipheriv('aes-256-gcm', current!, nonce);
      cipher.setAAD(aad(scope));
      const sealed = Buffer.concat([cipher.update(JSON.stringify(key), 'utf8'), cipher.final()]);
      return Buffer.concat([Buffer.of(VERSION), nonce, sealed, cipher.getAuthTag()]).toString('base64url');
    },
    async decode(cursor, scope) {
      if (!cursor) return undefined;
      const bytes = /^[A-Za-z0-9_-]+$/.test(cursor) ? Buffer.from(cursor, 'base64url') : Buffer.alloc(0);
      if (bytes.length < 1 + NONCE_BYTES + TAG_BYTES + 2 || bytes[0] !== VERSION) throw new InvalidCursorError();
      const nonce = bytes.subarray(1, 1 + NONCE_BYTES);
      const tag = bytes.subarray(bytes.length - TAG_BYTES);
      const sealed = bytes.subarray(1 + NONCE_BYTES, bytes.length - TAG_BYTES);
      for (const key of await load()) {
        try {
          const decipher = createDecipheriv('aes-256-gcm', key, nonce);
          decipher.setAAD(aad(scope));
          decipher.setAuthTag(tag);
          const value: unknown = JSON.parse(Buffer.concat([decipher.update(sealed), decipher.final()]).toString('utf8'));
          if (isKey(value)) return value;
        } catch {
          // not sealed with this key (or altered): try the next one
        }
      }
      throw new InvalidCursorError();
    },
  };
}

/** A key of the table (pk, sk and index keys), string or number values only. */
const isKey = (value: unknown): value is CursorKey =>
  !!value &&
  typeof value === 'object' &&
  !Array.isArray(value) &&
  typeof (value as CursorKey).pk === 'string' &&
  typeof (value as CursorKey).sk === 'string' &&
  Object.values(value).every((v) => typeof v === 'string' || typeof v === 'number');

/**
 * A codec with a random key of this process only: cursors do not survive a restart or reach another process.
 * For in-memory stores and for local processes given no key (the local runtime always passes one).
 */
export const ephemeralCursorCodec = (): CursorCodec => cursorCodec([randomBytes(32)]);
