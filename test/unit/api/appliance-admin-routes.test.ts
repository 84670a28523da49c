import { describe, expect, it } from 'vitest';
import { routes } from '../../../functions/local/routes.js';

describe("routes the appliance's administrator may call", () => {
  it('each brings its check (the shared auth code has none of its own)', () => {
    const admin = routes.filter((r) => r.auth === 'appliance-admin');
    expect(admin.length).toBeGreaterThan(30);
    expect(admin.filter((r) => typeof r.applianceAdmin !== 'function').map((r) => `${r.method} ${r.path}`)).toEqual([]);
  });
});
