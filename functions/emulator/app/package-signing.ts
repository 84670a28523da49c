/**
 * Vendor signatures on package manifests: Ed25519 via node:crypto. The emulator trusts one committed
 * **development** key pair (documented in docs/appliance.md); it signs the seeded catalog and test
 * packages. A real deployment would load only public keys, from configuration.
 */
import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { preconditionFailed } from '../../platform/core/errors.js';
import { canonicalJson, packageHeader, type PackageEnvelope, type PackageManifest } from '../../platform/core/packages.js';

export const DEV_VENDOR_KEY_ID = 'bomgar-emulator-dev-1';

const DEV_PUBLIC_KEY_PEM = `-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEALVwulv5rMKgNwTa6P9ogOOyCoayFlVUpx1PVcx8ljus=
-----END PUBLIC KEY-----`;

/** Development-only private key: never trusted outside the emulator. */
export const DEV_VENDOR_PRIVATE_KEY_PEM = `-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEINnHKdAUD4bQ6Uw3izwZyo9u+Y3b0nzCMxN+J/H2ecfB
-----END PRIVATE KEY-----`;

const trustedKeys: ReadonlyMap<string, KeyObject> = new Map([[DEV_VENDOR_KEY_ID, createPublicKey(DEV_PUBLIC_KEY_PEM)]]);

/** Signs a manifest (canonical JSON bytes) with a vendor private key. */
export function signManifest(manifest: PackageManifest, privateKeyPem = DEV_VENDOR_PRIVATE_KEY_PEM, keyId = DEV_VENDOR_KEY_ID): PackageEnvelope {
  const signature = sign(null, Buffer.from(canonicalJson(manifest)), createPrivateKey(privateKeyPem)).toString('base64');
  return { manifest, keyId, signature };
}

/** Refuses an unsigned envelope, an unknown key or a signature that does not match the manifest. */
export function verifyEnvelope(envelope: PackageEnvelope): void {
  if (!envelope.signature || !envelope.keyId) {
    throw preconditionFailed('PackageUnsigned', `package ${envelope.manifest.packageId} is not signed; only vendor-signed packages can be installed`);
  }
  const key = trustedKeys.get(envelope.keyId);
  if (!key) throw preconditionFailed('PackageSignatureInvalid', `package is signed with unknown key "${envelope.keyId}"`);
  const ok = verify(null, Buffer.from(canonicalJson(envelope.manifest)), key, Buffer.from(envelope.signature, 'base64'));
  if (!ok) throw preconditionFailed('PackageSignatureInvalid', `the signature of package ${envelope.manifest.packageId} does not match its manifest`);
}

/** Header + envelope bytes of a package file; the payload follows them. */
export function packageHead(envelope: PackageEnvelope): Uint8Array {
  const json = Buffer.from(JSON.stringify(envelope));
  return Buffer.concat([packageHeader(json.length), json]);
}

/** A complete signed package file for `payload` (seeded catalog, tests). Large files are built as streams instead. */
export function buildPackageFile(
  fields: Omit<PackageManifest, 'format' | 'payload' | 'requires'> & { requires?: PackageManifest['requires'] },
  payload: Uint8Array,
  options: { sign?: boolean } = {},
): Uint8Array {
  const manifest: PackageManifest = {
    format: 1,
    ...fields,
    requires: fields.requires ?? {},
    payload: { size: payload.length, sha256: createHash('sha256').update(payload).digest('hex') },
  };
  const envelope = options.sign === false ? { manifest } : signManifest(manifest);
  return Buffer.concat([packageHead(envelope), payload]);
}
