import { describe, expect, it } from 'vitest';
import { productionDowntimeMs } from '../../functions/control-plane/core/downtime.js';

describe('productionDowntimeMs', () => {
  const outages = { a: [{ from: 100, to: 200 }], b: [{ from: 10, to: 50 }] };
  it('counts the serving appliance outages only', () => {
    // Option 1: A serves throughout and is down 100..200.
    expect(productionDowntimeMs([{ applianceId: 'a', at: 0 }], outages, 0, 300)).toBe(100);
    // Option 2: B (upgraded 10..50 while A served) takes over at 60, A's install is then invisible.
    expect(productionDowntimeMs([{ applianceId: 'a', at: 0 }, { applianceId: 'b', at: 60 }], outages, 0, 300)).toBe(0);
  });
  it('clips outages to the serving interval and the window', () => {
    expect(productionDowntimeMs([{ applianceId: 'a', at: 0 }, { applianceId: 'b', at: 150 }], outages, 0, 300)).toBe(50);
    expect(productionDowntimeMs([{ applianceId: 'a', at: 0 }], outages, 0, 120)).toBe(20);
  });
});
