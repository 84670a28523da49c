import { describe, expect, it } from 'vitest';
import { apiVersionFor, compareVersions, isAtLeast, parseVersion, usesGuidLsid, usesXmlNamespace } from '../../functions/platform/core/versions.js';

describe('versions', () => {
  it('parses and orders product and base software versions numerically', () => {
    expect(parseVersion('11.1.1')).toEqual([11, 1, 1]);
    expect(compareVersions('3.2.4', '3.2.6')).toBeLessThan(0);
    expect(compareVersions('10.10.0', '10.9.9')).toBeGreaterThan(0);
    expect(compareVersions('10.6', '10.6.0')).toBe(0);
    expect(isAtLeast('11.1.1', '10.6')).toBe(true);
  });

  it('refuses strings that are not versions', () => {
    for (const bad of ['', '11', '1.x', '1..2', 'v1.2', '1.2.3.4.5']) {
      expect(() => parseVersion(bad)).toThrow(/is not a version/);
    }
  });

  it('switches to GUID lsid, lseq and the XML namespace at 10.6 (API 1.5.0)', () => {
    expect(usesGuidLsid('10.5.9')).toBe(false);
    expect(usesGuidLsid('10.6.0')).toBe(true);
    expect(apiVersionFor('10.5.2')).toBe('1.4.0');
    expect(apiVersionFor('10.6.1')).toBe('1.5.0');
    expect(apiVersionFor('11.1.1')).toBe('1.6.0');
    expect(apiVersionFor('24.3.1')).toBe('1.24.1');
    expect(usesXmlNamespace('10.5.2')).toBe(false);
    expect(usesXmlNamespace('10.6.0')).toBe(true);
  });
});
