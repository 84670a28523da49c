/**
 * Idempotency-Key support for POSTs (the IETF httpapi draft's semantics): the first request with a key
 * runs and its response is stored; a retry with the same key and the same request gets the stored response;
 * the same key with a different request is refused; a duplicate arriving while the first still runs waits
 * for its answer (up to 10 s, then 409) so concurrent retries all get the same one. Records live in the runs table with an `expiresAt`
 * TTL attribute (epoch seconds; readers check it too, DynamoDB deletes lazily). Only successful responses
 * are stored: a refused request changed nothing, so retrying it must run it again.
 */
import { createHash } from 'node:crypto';
import { conflict, DomainError, validationError } from '../core/errors.js';
import { ConditionFailedError } from '../core/ports.js';
import type { AppContext } from './context.js';
import { idempotencyKey } from './keys.js';

export interface StoredResponse {
  status: number;
  body: unknown;
}

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;
/** An in-progress record older than this is from a crashed request and may be taken over. */
const LOCK_MS = 60_000;
/** A duplicate that arrives while the first request runs waits this long for its answer before a 409. */
const WAIT_FOR_FIRST_MS = 10_000;
const POLL_MS = 20;

export const requestFingerprint = (parts: unknown) => createHash('sha256').update(JSON.stringify(parts)).digest('hex');

export async function withIdempotency(
  ctx: AppContext,
  options: { scope: string; key: string; fingerprint: string; ttlSeconds: number; waitMs?: number },
  work: () => Promise<StoredResponse>,
): Promise<StoredResponse & { replayed: boolean }> {
  if (!KEY_PATTERN.test(options.key)) throw validationError('InvalidIdempotencyKey', 'Idempotency-Key must be 1-255 visible ASCII characters', { field: 'Idempotency-Key' });
  const key = idempotencyKey(options.scope, options.key);
  const now = ctx.clock.now().getTime();
  const record = { ...key, type: 'idempotency', fingerprint: options.fingerprint, status: 'in-progress', lockedUntil: now + LOCK_MS, expiresAt: Math.floor(now / 1000) + options.ttlSeconds, version: 1 };
  const waitUntil = Date.now() + (options.waitMs ?? WAIT_FOR_FIRST_MS);
  for (let attempt = 0; attempt < 3; ) {
    const existing = await ctx.records.runs.get(key);
    const live = existing && Number(existing.expiresAt) * 1000 > now;
    if (live) {
      if (existing.fingerprint !== options.fingerprint) {
        throw new DomainError('precondition', 'IdempotencyKeyReused', 'this Idempotency-Key was already used for a different request', { field: 'Idempotency-Key' });
      }
      if (existing.status === 'done') return { ...(existing.response as StoredResponse), replayed: true };
      if (Number(existing.lockedUntil) > now) {
        // The same request is being processed: wait for its answer and give the same one (no 409 storm).
        if (Date.now() < waitUntil) {
          await new Promise((r) => setTimeout(r, POLL_MS));
          continue;
        }
        throw conflict('IdempotentRequestInProgress', 'a request with this Idempotency-Key is still being processed; retry later');
      }
    }
    attempt++;
    try {
      await ctx.records.runs.put({ ...record, version: (existing?.version ?? 0) + 1 }, { expectVersion: existing?.version ?? 0 });
    } catch (e) {
      if (e instanceof ConditionFailedError) continue; // another request claimed it: re-read and decide again
      throw e;
    }
    let response: StoredResponse;
    try {
      response = await work();
    } catch (e) {
      await ctx.records.runs.delete(key).catch(() => undefined);
      throw e;
    }
    await ctx.records.runs.put({ ...record, version: (existing?.version ?? 0) + 2, status: 'done', response, lockedUntil: 0 });
    return { ...response, replayed: false };
  }
  throw conflict('IdempotentRequestInProgress', 'a request with this Idempotency-Key is still being processed; retry later');
}
