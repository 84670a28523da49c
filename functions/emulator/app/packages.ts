/**
 * Package registry: vendor-signed package files streamed into the packages bucket, content-addressed
 * by the SHA-256 of their payload (`sha256/<hex>`), with the signed manifest in DynamoDB. A package is
 * installable only once its record exists, and the record is written only after the payload verified.
 */
import { createHash } from 'node:crypto';
import { conflict, DomainError, notFound, validationError } from '../../platform/core/errors.js';
import { MAX_ENVELOPE_BYTES, PACKAGE_HEADER_BYTES, packageName, parseEnvelope, parsePackageHeader, type PackageEnvelope, type PackageKind, type PackageManifest } from '../../platform/core/packages.js';
import type { StoredItem } from '../../platform/core/ports.js';
import { ConditionFailedError, queryAll } from '../../platform/core/ports.js';
import { compareVersions } from '../../platform/core/versions.js';
import type { AppContext } from '../../platform/app/context.js';
import { packageKey, PACKAGES_INDEX_PK } from '../../platform/app/keys.js';
import { verifyEnvelope } from './package-signing.js';

export type PackageSource = 'catalog' | 'upload';

export interface PackageRecord {
  packageId: string;
  name: string;
  kind: PackageKind;
  version: string;
  manifest: PackageManifest;
  keyId: string;
  signature: string;
  sha256: string;
  size: number;
  objectKey: string;
  /** `catalog` packages are offered by Check for Updates; `upload` ones came through manual upload. */
  source: PackageSource;
  storedAt: string;
}

export const payloadKey = (sha256: string) => `sha256/${sha256}`;

/**
 * Reads a package file from `body`, refuses it before storing anything when the envelope is corrupt or
 * unsigned, then streams the payload to S3 while hashing it. The hashing stream throws at the end when the
 * size or digest is wrong, so the multipart upload is aborted and never completed: no object appears at
 * the content address and no record is written.
 */
export async function storePackage(
  ctx: AppContext,
  body: AsyncIterable<Uint8Array>,
  options: {
    source: PackageSource;
    contentLength?: number;
    /** Runs after the signature verified and before any payload byte is stored: refuse early (e.g. install rules). */
    precheck?: (manifest: PackageManifest) => Promise<void>;
  },
): Promise<{ record: PackageRecord; created: boolean }> {
  const reader = new ChunkReader(body);
  const header = await reader.readExactly(PACKAGE_HEADER_BYTES, 'package header');
  const envelopeBytes = await reader.readExactly(parsePackageHeader(header), 'package manifest');
  const envelope = parseEnvelope(envelopeBytes);
  verifyEnvelope(envelope);
  const { manifest } = envelope;
  const expectedLength = PACKAGE_HEADER_BYTES + envelopeBytes.length + manifest.payload.size;
  if (options.contentLength !== undefined && options.contentLength !== expectedLength) {
    throw validationError(
      options.contentLength < expectedLength ? 'PackageTruncated' : 'PackageTrailingData',
      `the upload is ${options.contentLength} bytes but package ${manifest.packageId} is ${expectedLength} bytes`,
      { expectedBytes: expectedLength, receivedBytes: options.contentLength },
    );
  }
  await options.precheck?.(manifest);
  const existing = await getPackage(ctx, manifest.packageId);
  if (existing && existing.sha256 !== manifest.payload.sha256) {
    throw conflict('PackageConflict', `package ${manifest.packageId} already exists with a different payload (sha256 ${existing.sha256})`);
  }
  const objectKey = payloadKey(manifest.payload.sha256);
  const payload = new VerifyingPayload(reader.rest(), manifest);
  const stored = await ctx.blobs.packages.head(objectKey);
  if (stored && stored.size === manifest.payload.size) {
    // Same bytes already at the content address: verify the upload but do not rewrite the object.
    for await (const _ of payload.chunks()) void _;
  } else {
    try {
      await ctx.blobs.packages.put(objectKey, payload.chunks(), {
        contentType: 'application/octet-stream',
        metadata: { sha256: manifest.payload.sha256, 'package-id': manifest.packageId },
      });
    } catch (e) {
      throw payload.error ?? e;
    }
  }
  if (payload.error) throw payload.error;
  if (existing) return { record: existing, created: false };
  const record = toRecord(envelope, objectKey, options.source, ctx.clock.now().toISOString());
  try {
    await ctx.records.appliances.put(toItem(record), { ifNotExists: true });
  } catch (e) {
    if (!(e instanceof ConditionFailedError)) throw e;
    // A concurrent upload of the same package id finished first: same bytes is a replay, other bytes a conflict.
    const winner = await getPackage(ctx, manifest.packageId);
    if (winner?.sha256 === manifest.payload.sha256) return { record: winner, created: false };
    throw conflict('PackageConflict', `package ${manifest.packageId} already exists with a different payload (sha256 ${winner?.sha256})`);
  }
  return { record, created: true };
}

export async function getPackage(ctx: AppContext, packageId: string): Promise<PackageRecord | undefined> {
  const item = await ctx.records.appliances.get(packageKey(packageId));
  return item ? fromItem(item) : undefined;
}

export async function requirePackage(ctx: AppContext, packageId: string): Promise<PackageRecord> {
  const record = await getPackage(ctx, packageId);
  if (!record) throw notFound('PackageNotFound', `package ${packageId} does not exist`);
  return record;
}

/** Every package, newest version first within each kind (base software before product). */
export async function listPackages(ctx: AppContext, filter: { source?: PackageSource } = {}): Promise<PackageRecord[]> {
  const result = (await queryAll(ctx.records.appliances, { index: 'gsi1', pk: PACKAGES_INDEX_PK })).map(fromItem);
  return result
    .filter((p) => !filter.source || p.source === filter.source)
    .sort((a, b) => (a.kind === b.kind ? compareVersions(b.version, a.version) : a.kind === 'base' ? -1 : 1));
}

/** A package's public view (no signature bytes). */
export const packageView = (p: PackageRecord) => ({
  packageId: p.packageId,
  name: p.name,
  kind: p.kind,
  version: p.version,
  requires: p.manifest.requires,
  size: p.size,
  sha256: p.sha256,
  source: p.source,
  keyId: p.keyId,
  releasedAt: p.manifest.releasedAt,
  notes: p.manifest.notes,
  storedAt: p.storedAt,
});

function toRecord(envelope: PackageEnvelope, objectKey: string, source: PackageSource, storedAt: string): PackageRecord {
  const m = envelope.manifest;
  return {
    packageId: m.packageId,
    name: packageName(m),
    kind: m.kind,
    version: m.version,
    manifest: m,
    keyId: envelope.keyId!,
    signature: envelope.signature!,
    sha256: m.payload.sha256,
    size: m.payload.size,
    objectKey,
    source,
    storedAt,
  };
}

// `version` is the stores' optimistic counter, so the package version is stored as `packageVersion`.
function toItem({ version, ...r }: PackageRecord): StoredItem {
  return { ...packageKey(r.packageId), gsi1pk: PACKAGES_INDEX_PK, gsi1sk: r.packageId, type: 'package', ...r, packageVersion: version };
}
function fromItem(item: StoredItem): PackageRecord {
  const { pk: _p, sk: _s, gsi1pk: _g, gsi1sk: _gs, type: _t, packageVersion, ...rest } = item;
  return { ...rest, version: String(packageVersion) } as unknown as PackageRecord;
}

/** Pulls exact byte counts off an async byte stream, then hands over the rest unbuffered. */
class ChunkReader {
  private readonly it: AsyncIterator<Uint8Array>;
  private pending: Uint8Array = new Uint8Array(0);

  constructor(body: AsyncIterable<Uint8Array>) {
    this.it = body[Symbol.asyncIterator]();
  }

  async readExactly(n: number, what: string): Promise<Uint8Array> {
    if (n > MAX_ENVELOPE_BYTES + PACKAGE_HEADER_BYTES) throw validationError('PackageCorrupt', `${what} is too large`);
    const parts: Uint8Array[] = [this.pending];
    let have = this.pending.length;
    while (have < n) {
      const next = await readNext(this.it);
      if (next.done) throw validationError('PackageTruncated', `the upload ended inside the ${what} (${have} of ${n} bytes)`);
      parts.push(next.value);
      have += next.value.length;
    }
    const all = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    this.pending = all.subarray(n);
    return all.subarray(0, n);
  }

  async *rest(): AsyncGenerator<Uint8Array> {
    if (this.pending.length) yield this.pending;
    this.pending = new Uint8Array(0);
    for (;;) {
      const next = await readNext(this.it);
      if (next.done) return;
      yield next.value;
    }
  }
}

async function readNext(it: AsyncIterator<Uint8Array>): Promise<IteratorResult<Uint8Array>> {
  try {
    return await it.next();
  } catch (e) {
    throw new DomainError('validation', 'UploadInterrupted', 'the upload stream broke off before the package was complete', undefined, { cause: e });
  }
}

/** Passes the payload through, hashing and counting; fails (before end of stream) on a wrong size or digest. */
class VerifyingPayload {
  error?: DomainError;
  constructor(
    private readonly source: AsyncIterable<Uint8Array>,
    private readonly manifest: PackageManifest,
  ) {}

  async *chunks(): AsyncGenerator<Uint8Array> {
    const { size, sha256 } = this.manifest.payload;
    const hash = createHash('sha256');
    let received = 0;
    try {
      for await (const chunk of this.source) {
        received += chunk.length;
        if (received > size) throw validationError('PackageTrailingData', `package ${this.manifest.packageId} has data after its ${size}-byte payload`);
        hash.update(chunk);
        yield chunk;
      }
      if (received < size) {
        throw validationError('PackageTruncated', `package ${this.manifest.packageId} is truncated: ${received} of ${size} payload bytes`, { expectedBytes: size, receivedBytes: received });
      }
      const actual = hash.digest('hex');
      if (actual !== sha256) {
        throw validationError('PackageDigestMismatch', `package ${this.manifest.packageId} payload SHA-256 is ${actual}, the manifest declares ${sha256}`, { expected: sha256, actual });
      }
    } catch (e) {
      this.error = e instanceof DomainError ? e : new DomainError('validation', 'UploadInterrupted', 'the upload stream broke off', undefined, { cause: e });
      throw this.error;
    }
  }
}
