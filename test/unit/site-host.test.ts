import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { describeSites, siteHostname } from '../../functions/emulator/core/site-host.js';
import type { Route } from '../../functions/platform/api/http.js';
import { routes } from '../../functions/local/routes.js';
import { mountRoutes } from '../../functions/platform/api/site-mounts.js';

describe('siteHostname', () => {
  it.each([
    ['support.example.com', 'support.example.com'],
    ['Support.Example.COM:8443', 'support.example.com'],
    ['a.support.example.com.', 'a.support.example.com'],
    ['a.support.example.com.:443', 'a.support.example.com'],
    ['appliance', 'appliance'],
  ])('%s names the site %s', (host, expected) => expect(siteHostname(host)).toBe(expected));

  it.each(['', '127.0.0.1:3000', '10.0.0.11', '[::1]:3000', 'localhost', 'LOCALHOST:3000', 'app.localhost', 'evil"&\'.example.net', 'under_score.example.com', '-lead.example.com', `${'a'.repeat(64)}.example.com`])(
    '%s names no site (no read needed)',
    (host) => expect(siteHostname(host)).toBeUndefined(),
  );

  it('returns either nothing or a lower-case DNS name without port, for any input', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (host) => {
        const name = siteHostname(host);
        if (name !== undefined) expect(name).toMatch(/^[a-z0-9.-]{1,253}$/);
      }),
      { numRuns: 500, seed: 13 },
    );
  });
});

describe('describeSites', () => {
  it('names the sites sorted, says where a primary hostname points, and caps the list', () => {
    const sites = Array.from({ length: 15 }, (_, i) => ({ hostname: `s${String(i).padStart(2, '0')}.example.com`, applianceId: `a${i}`, via: 'appliance-hostname' as const }));
    const text = describeSites([{ hostname: 'support.example.com', applianceId: 'a3', via: 'primary-hostname' }, ...sites.reverse()], 3);
    expect(text).toBe('sites: s00.example.com (a0), s01.example.com (a1), s02.example.com (a2), and 13 more');
    expect(describeSites([{ hostname: 'support.example.com', applianceId: 'appliance-b', via: 'primary-hostname' }])).toBe('sites: support.example.com (→ appliance-b)');
    expect(describeSites([])).toBe('no site exists yet');
  });
});

describe('mountRoutes', () => {
  const handler = () => new Response('x');
  const base = { handler, group: 'g', auth: 'public', summary: 's' } as const;

  it('mounts a site route under /appliances/:applianceId and at the site root, aliases included', () => {
    const mounted = mountRoutes([{ ...base, method: 'GET', path: '/api/command', site: true, aliases: ['/api/command.ns'] }, { ...base, method: 'GET', path: '/health' }]);
    expect(mounted.map((r) => [r.mount, r.path])).toEqual([
      ['appliance', '/appliances/:applianceId/api/command'],
      ['site-root', '/api/command'],
      ['appliance', '/appliances/:applianceId/api/command.ns'],
      ['site-root', '/api/command.ns'],
      [undefined, '/health'],
    ]);
  });

  it("mounts a 'root' site route only at the site root", () => {
    expect(mountRoutes([{ ...base, method: 'GET', path: '/', site: 'root' }]).map((r) => [r.mount, r.path])).toEqual([['site-root', '/']]);
  });

  it('refuses aliases on a route that is not a site route, and relative site paths', () => {
    expect(() => mountRoutes([{ ...base, method: 'GET', path: '/x', aliases: ['/y'] } as Route])).toThrow(/aliases need site/);
    expect(() => mountRoutes([{ ...base, method: 'GET', path: 'api', site: true }])).toThrow(/must start with \//);
  });

  it('gives every concrete path of the route table one owner, except where the public site shares `/` with the console', () => {
    const seen = new Map<string, string[]>();
    for (const r of mountRoutes(routes)) seen.set(`${r.method} ${r.path}`, [...(seen.get(`${r.method} ${r.path}`) ?? []), r.mount ?? 'control plane']);
    const shared = [...seen].filter(([, owners]) => owners.length > 1);
    expect(shared).toEqual([['GET /', ['site-root', 'control plane']]]);
    for (const path of ['/api/command', '/api/command.ns', '/api/reporting.ns', '/api/backup.ns', '/api/command.xsd', '/api/reporting.xsd', '/oauth2/token', '/login', '/check_health', '/appliance/updates']) {
      expect(seen.get(`GET ${path}`) ?? seen.get(`POST ${path}`)).toContain('site-root');
    }
  });
});
