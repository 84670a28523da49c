/**
 * Software packages and their prerequisites, as the appliance's `/appliance > Support > Updates` page
 * shows them. Pure: no I/O, no crypto (signatures are checked in functions/emulator/app/package-signing.ts).
 */
import * as z from 'zod/mini';
import type { Appliance } from './appliance.js';
import { validationError } from './errors.js';
import { integer } from './validation.js';
import { compareVersions, isVersionString } from './versions.js';

/** `product` upgrades the site (Bomgar-x.y.z); `base` upgrades the appliance OS (Base Software-x.y.z). */
export type PackageKind = 'product' | 'base';

const version = z.string().check(z.refine(isVersionString, { message: 'must be a version such as 10.6.0' }));

/** What a package requires of the appliance it is installed on. */
export const requirementsSchema = z.strictObject({
  minBaseVersion: z.optional(version),
  minProductVersion: z.optional(version),
  /** Highest product version the package can upgrade from (major jumps must go step by step). */
  maxProductVersion: z.optional(version),
  license: z.optional(
    z.strictObject({
      /** The license must not be expired on the install date. */
      notExpired: z.optional(z.boolean()),
      minCount: z.optional(integer(z.positive())),
    }),
  ),
});
export type Requirements = z.infer<typeof requirementsSchema>;

/** The signed part of a package file: what it is, what it needs and the digest of its payload. */
export const manifestSchema = z.strictObject({
  format: z.literal(1),
  packageId: z.string().check(z.regex(/^[a-z0-9][a-z0-9.-]{0,63}$/, 'packageId must be lowercase letters, digits, "." or "-"')),
  kind: z.enum(['product', 'base']),
  version,
  requires: z._default(requirementsSchema, {}),
  payload: z.strictObject({
    size: integer(z.nonnegative(), z.lte(16 * 1024 ** 3)),
    sha256: z.string().check(z.regex(/^[0-9a-f]{64}$/, 'sha256 must be 64 lowercase hex characters')),
  }),
  releasedAt: z.optional(z.string().check(z.iso.datetime())),
  notes: z.optional(z.string().check(z.maxLength(2000))),
});
export type PackageManifest = z.infer<typeof manifestSchema>;

/** The name the appliance shows: `Bomgar-11.1.1` or `Base Software-3.2.6`. */
export const packageName = (p: Pick<PackageManifest, 'kind' | 'version'>) =>
  `${p.kind === 'base' ? 'Base Software' : 'Bomgar'}-${p.version}`;

/** The conventional id of a package: `bomgar-11.1.1`, `base-3.2.6`. */
export const packageIdFor = (kind: PackageKind, v: string) => `${kind === 'base' ? 'base' : 'bomgar'}-${v}`;

export interface PrerequisiteFailure {
  code: 'BaseVersionTooOld' | 'ProductVersionTooOld' | 'ProductVersionTooNew' | 'LicenseExpired' | 'LicenseCountTooLow';
  /** In the appliance's wording, e.g. `Bomgar-11.1.1: 3.2.4 does not satisfy 11.1.1's requirements`. */
  message: string;
}

export type PackageStatus = 'installable' | 'not-installable' | 'installed' | 'older';

export interface PackageEvaluation {
  packageId: string;
  name: string;
  kind: PackageKind;
  version: string;
  status: PackageStatus;
  /** Empty when installable. */
  reasons: PrerequisiteFailure[];
}

/** The version of `a` that a package of `kind` replaces. */
export const installedVersion = (a: Pick<Appliance, 'productVersion' | 'baseVersion'>, kind: PackageKind) =>
  kind === 'base' ? a.baseVersion : a.productVersion;

/** Unmet prerequisites of `manifest` on `appliance` at `now` (empty when all are met). */
export function unmetPrerequisites(
  manifest: Pick<PackageManifest, 'kind' | 'version' | 'requires'>,
  appliance: Pick<Appliance, 'productVersion' | 'baseVersion' | 'license'>,
  now: Date,
): PrerequisiteFailure[] {
  const r = manifest.requires ?? {};
  const name = packageName(manifest);
  // The appliance's own wording: "<package>: <installed> does not satisfy <target>'s requirements".
  const unsatisfied = (installed: string) => `${name}: ${installed} does not satisfy ${manifest.version}'s requirements`;
  const failures: PrerequisiteFailure[] = [];
  if (r.minBaseVersion && compareVersions(appliance.baseVersion, r.minBaseVersion) < 0) {
    failures.push({ code: 'BaseVersionTooOld', message: unsatisfied(appliance.baseVersion) });
  }
  if (r.minProductVersion && compareVersions(appliance.productVersion, r.minProductVersion) < 0) {
    failures.push({ code: 'ProductVersionTooOld', message: unsatisfied(appliance.productVersion) });
  }
  if (r.maxProductVersion && compareVersions(appliance.productVersion, r.maxProductVersion) > 0) {
    failures.push({ code: 'ProductVersionTooNew', message: unsatisfied(appliance.productVersion) });
  }
  if (r.license?.notExpired && appliance.license.expires !== null && Date.parse(appliance.license.expires) < now.getTime()) {
    failures.push({ code: 'LicenseExpired', message: `${name}: the license expired on ${appliance.license.expires}` });
  }
  if (r.license?.minCount !== undefined && appliance.license.licenseCount < r.license.minCount) {
    failures.push({
      code: 'LicenseCountTooLow',
      message: `${name}: ${appliance.license.licenseCount} licenses do not satisfy ${manifest.version}'s requirements (at least ${r.license.minCount})`,
    });
  }
  return failures;
}

/** Installable or not, with reasons: one row of the Updates page. */
export function evaluatePackage(
  manifest: Pick<PackageManifest, 'packageId' | 'kind' | 'version' | 'requires'>,
  appliance: Pick<Appliance, 'productVersion' | 'baseVersion' | 'license'>,
  now: Date,
): PackageEvaluation {
  const cmp = compareVersions(manifest.version, installedVersion(appliance, manifest.kind));
  const base = { packageId: manifest.packageId, name: packageName(manifest), kind: manifest.kind, version: manifest.version };
  if (cmp === 0) return { ...base, status: 'installed', reasons: [] };
  if (cmp < 0) return { ...base, status: 'older', reasons: [] };
  const reasons = unmetPrerequisites(manifest, appliance, now);
  return { ...base, status: reasons.length ? 'not-installable' : 'installable', reasons };
}

/** The Updates page hint shown under a disabled package (verbatim from the appliance). */
export const INSTALL_OTHER_HINT = 'Please install any other available package by clicking "Install this Update".';

/** Parses an untrusted manifest object; throws a validation DomainError naming the first bad field. */
export function parseManifest(value: unknown): PackageManifest {
  const parsed = manifestSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw validationError('PackageCorrupt', `package manifest is invalid: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`);
  }
  return parsed.data;
}

/**
 * Package file layout (format 1), designed for this emulator:
 *
 *   bytes 0..15   ASCII magic `BOMGAR-PACKAGE/1`
 *   bytes 16..19  uint32 big-endian length N of the envelope
 *   next N bytes  envelope JSON: { manifest, keyId, signature } (signature = Ed25519 over canonicalJson(manifest), base64)
 *   rest          payload: exactly manifest.payload.size bytes whose SHA-256 is manifest.payload.sha256
 *
 * The envelope comes first so a reader can refuse an unsigned or mis-signed file before streaming the payload.
 */
export const PACKAGE_MAGIC = 'BOMGAR-PACKAGE/1';
export const PACKAGE_HEADER_BYTES = PACKAGE_MAGIC.length + 4;
export const MAX_ENVELOPE_BYTES = 64 * 1024;

export interface PackageEnvelope {
  manifest: PackageManifest;
  keyId?: string;
  signature?: string;
}

/** JSON with object keys sorted at every level: the exact bytes a signature covers. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Reads the envelope length from the first PACKAGE_HEADER_BYTES; refuses a bad magic or size. */
export function parsePackageHeader(header: Uint8Array): number {
  const magic = new TextDecoder().decode(header.subarray(0, PACKAGE_MAGIC.length));
  if (header.length < PACKAGE_HEADER_BYTES || magic !== PACKAGE_MAGIC) {
    throw validationError('PackageCorrupt', `not a package file: it must start with "${PACKAGE_MAGIC}"`);
  }
  const length = new DataView(header.buffer, header.byteOffset, header.byteLength).getUint32(PACKAGE_MAGIC.length);
  if (length === 0 || length > MAX_ENVELOPE_BYTES) {
    throw validationError('PackageCorrupt', `package envelope length ${length} is outside 1..${MAX_ENVELOPE_BYTES}`);
  }
  return length;
}

/** Parses the envelope JSON (signature presence and validity are checked by the caller). */
export function parseEnvelope(bytes: Uint8Array): PackageEnvelope {
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw validationError('PackageCorrupt', 'package envelope is not valid UTF-8 JSON');
  }
  if (!raw || typeof raw !== 'object') throw validationError('PackageCorrupt', 'package envelope must be a JSON object');
  const { manifest, keyId, signature } = raw as Record<string, unknown>;
  return {
    manifest: parseManifest(manifest),
    keyId: typeof keyId === 'string' ? keyId : undefined,
    signature: typeof signature === 'string' && signature.length > 0 ? signature : undefined,
  };
}

/** The fixed header for an envelope of `envelopeLength` bytes. */
export function packageHeader(envelopeLength: number): Uint8Array {
  const header = new Uint8Array(PACKAGE_HEADER_BYTES);
  header.set(new TextEncoder().encode(PACKAGE_MAGIC));
  new DataView(header.buffer).setUint32(PACKAGE_MAGIC.length, envelopeLength);
  return header;
}
