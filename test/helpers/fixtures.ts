import type { Appliance } from '../../functions/core/appliance.js';

/** A valid appliance record with overridable fields. */
export const sampleAppliance = (id: string, overrides: Partial<Appliance> = {}): Omit<Appliance, 'version'> => ({
  applianceId: id,
  hostname: `${id}.example.com`,
  ipAddress: '10.0.0.1',
  productVersion: '10.5.2',
  baseVersion: '3.2.4',
  license: { primaryHostname: 'support.example.com', licenseCount: 15, expires: null },
  storedDataGb: 10,
  staging: false,
  state: 'online',
  stateChangedAt: '2026-11-01T00:00:00.000Z',
  failover: { role: 'none' },
  createdAt: '2026-11-01T00:00:00.000Z',
  updatedAt: '2026-11-01T00:00:00.000Z',
  ...overrides,
});
