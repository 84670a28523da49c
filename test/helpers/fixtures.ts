import { newAppliance, type Appliance } from '../../functions/platform/core/appliance.js';

/** A valid appliance record with overridable fields (fixed timestamps for deterministic tests). */
export const sampleAppliance = (id: string, overrides: Partial<Appliance> = {}): Omit<Appliance, 'version'> =>
  newAppliance(id, '2026-11-01T00:00:00.000Z', { ipAddress: '10.0.0.1', ...overrides });
