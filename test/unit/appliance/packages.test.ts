import { describe, expect, it } from 'vitest';
import type { Appliance } from '../../../functions/platform/core/appliance.js';
import {
  canonicalJson,
  evaluatePackage,
  packageHeader,
  packageName,
  parseEnvelope,
  parseManifest,
  parsePackageHeader,
  type PackageManifest,
} from '../../../functions/platform/core/packages.js';
import { compareVersions } from '../../../functions/platform/core/versions.js';
import { sampleAppliance } from '../../helpers/fixtures.js';

const now = new Date('2026-11-01T00:00:00Z');
const appliance = (o: Partial<Appliance> = {}) => ({ ...sampleAppliance('x', o), version: 1 }) as Appliance;
const manifest = (o: Partial<PackageManifest>): PackageManifest =>
  parseManifest({ format: 1, packageId: 'bomgar-11.1.1', kind: 'product', version: '11.1.1', requires: {}, payload: { size: 1, sha256: 'a'.repeat(64) }, ...o });

describe('version rules from the upgrade guide', () => {
  it('orders the guide product and base versions', () => {
    expect(['11.1.1', '10.5.2', '10.6.0'].sort(compareVersions)).toEqual(['10.5.2', '10.6.0', '11.1.1']);
    expect(compareVersions('3.2.4', '3.2.6')).toBeLessThan(0);
  });

  it('names packages the way the Updates page does', () => {
    expect(packageName({ kind: 'base', version: '3.2.6' })).toBe('Base Software-3.2.6');
    expect(packageName({ kind: 'product', version: '11.1.1' })).toBe('Bomgar-11.1.1');
  });

  it("reproduces the guide's disabled package: Bomgar-11.1.1 needs base 3.2.6 on a 3.2.4 appliance", () => {
    const pkg = manifest({ requires: { minBaseVersion: '3.2.6' } });
    const e = evaluatePackage(pkg, appliance({ baseVersion: '3.2.4' }), now);
    expect(e.status).toBe('not-installable');
    expect(e.reasons).toEqual([{ code: 'BaseVersionTooOld', message: "Bomgar-11.1.1: 3.2.4 does not satisfy 11.1.1's requirements" }]);
    expect(evaluatePackage(pkg, appliance({ baseVersion: '3.2.6' }), now).status).toBe('installable');
  });

  it('checks minimum and maximum product version and license constraints', () => {
    const pkg = manifest({ requires: { minProductVersion: '10.6.0', license: { notExpired: true, minCount: 20 } } });
    const e = evaluatePackage(pkg, appliance({ license: { primaryHostname: 's', licenseCount: 15, expires: '2026-01-01' } }), now);
    expect(e.reasons.map((r) => r.code)).toEqual(['ProductVersionTooOld', 'LicenseExpired', 'LicenseCountTooLow']);
    expect(e.reasons[0]!.message).toBe("Bomgar-11.1.1: 10.5.2 does not satisfy 11.1.1's requirements");
    const tooNew = manifest({ version: '11.1.1', requires: { maxProductVersion: '10.9' } });
    expect(evaluatePackage(tooNew, appliance({ productVersion: '11.0.0' }), now).reasons[0]!.code).toBe('ProductVersionTooNew');
    // "Expires: Never" (null) never expires.
    expect(evaluatePackage(manifest({ requires: { license: { notExpired: true } } }), appliance(), now).status).toBe('installable');
  });

  it('reports installed and older packages separately from installable ones', () => {
    expect(evaluatePackage(manifest({ packageId: 'bomgar-10.5.2', version: '10.5.2' }), appliance(), now).status).toBe('installed');
    expect(evaluatePackage(manifest({ packageId: 'bomgar-10.4.0', version: '10.4.0' }), appliance(), now).status).toBe('older');
    expect(evaluatePackage(manifest({ packageId: 'base-3.2.6', kind: 'base', version: '3.2.6' }), appliance(), now).status).toBe('installable');
  });
});

describe('package manifest and file header', () => {
  it('refuses malformed manifests naming the field', () => {
    expect(() => manifest({ version: '11.x' as string })).toThrow(/version/);
    expect(() => manifest({ payload: { size: 1, sha256: 'xyz' } })).toThrow(/payload.sha256/);
    expect(() => parseManifest({ format: 2 })).toThrow(/PackageCorrupt|format/);
  });

  it('round-trips the header and refuses a wrong magic or length', () => {
    const header = packageHeader(123);
    expect(parsePackageHeader(header)).toBe(123);
    const bad = Uint8Array.from(header);
    bad[0] = 0x58;
    expect(() => parsePackageHeader(bad)).toThrow(/not a package file/);
    expect(() => parsePackageHeader(packageHeader(10 * 1024 * 1024))).toThrow(/outside/);
  });

  it('parses an envelope and treats an empty signature as missing', () => {
    const m = manifest({});
    const env = parseEnvelope(new TextEncoder().encode(JSON.stringify({ manifest: m, signature: '' })));
    expect(env.manifest).toEqual(m);
    expect(env.signature).toBeUndefined();
    expect(() => parseEnvelope(new TextEncoder().encode('{nope'))).toThrow(/not valid UTF-8 JSON/);
  });

  it('canonical JSON sorts keys at every level', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: 2 }], c: null } })).toBe('{"a":{"c":null,"d":[2,{"y":2,"z":1}]},"b":1}');
  });
});
