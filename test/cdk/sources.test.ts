import { describe, expect, it } from 'vitest';
import type { Route } from '../../functions/platform/api/http.js';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { routes } from '../../functions/local/routes.js';
import { apiEntry, definitionSubstitutions, pascal, routesByGroup, streamingGroups, toApiGatewayPaths } from '../../cdk/sources.js';

describe('toApiGatewayPaths', () => {
  it.each([
    ['/health', ['/health']],
    ['/appliances/:applianceId/api/reporting', ['/appliances/{applianceId}/api/reporting']],
    ['/v1/runs/:runId/windows/:window', ['/v1/runs/{runId}/windows/{window}']],
    ['/v1/packages/:sha256{[0-9a-f]{64}}', ['/v1/packages/{sha256}']],
    ['/v1/appliances/:id?', ['/v1/appliances', '/v1/appliances/{id}']],
    ['/static/*', ['/static/{proxy+}']],
    ['/', ['/']],
  ])('%s → %j', (hono, expected) => {
    expect(toApiGatewayPaths(hono)).toEqual(expected);
  });

  it.each([
    ['/a/*/b', /last segment/],
    ['/a/:id?/b', /optional parameters/],
    ['/files/name.:ext', /no API Gateway equivalent/],
  ])('refuses %s with a clear error', (hono, message) => {
    expect(() => toApiGatewayPaths(hono)).toThrow(message);
  });
});

describe('definitionSubstitutions', () => {
  it('maps each placeholder of the ASL text to the ARN of its task, once', () => {
    const asl = JSON.stringify({
      States: { A: { Resource: '${CreateBackupFunctionArn}' }, B: { Resource: '${InstallPackageFunctionArn}' }, C: { Resource: '${CreateBackupFunctionArn}' } },
    });
    expect(definitionSubstitutions(asl, (t) => `arn:${t}`)).toEqual({
      CreateBackupFunctionArn: 'arn:createBackup',
      InstallPackageFunctionArn: 'arn:installPackage',
    });
  });

  it('is empty for a definition without tasks', () => {
    expect(definitionSubstitutions('{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}', () => 'x')).toEqual({});
  });
});

describe('routesByGroup and pascal', () => {
  const route = (group: string, path: string): Route => ({
    method: 'GET',
    path,
    group,
    auth: 'public',
    summary: path,
    handler: (c) => c.text('ok'),
  });

  it('groups routes in order of first appearance', () => {
    const groups = routesByGroup([route('system', '/health'), route('control', '/v1/a'), route('system', '/x')]);
    expect([...groups.keys()]).toEqual(['system', 'control']);
    expect(groups.get('system')!.map((r) => r.path)).toEqual(['/health', '/x']);
  });

  it('turns names into construct ids', () => {
    expect(pascal('failover-pair')).toBe('FailoverPair');
    expect(pascal('take-backup')).toBe('TakeBackup');
    expect(pascal('createBackup')).toBe('CreateBackup');
  });
});

describe('per-group Lambda entries (functions/<system>/api/entries)', () => {
  it.each([...routesByGroup(routes).keys()])('group %s: its entry serves exactly the group\'s routes of the one table', async (group) => {
    const source = readFileSync(apiEntry(group), 'utf8');
    const imports = [...source.matchAll(/from '((?:\.\.?\/)+(?:[\w-]+\/)*routes\/([a-z-]+)-routes)\.js'/g)];
    expect(imports.map((m) => m[2])).toContain(group);
    // Every route module the entry bundles holds only this group's routes (no other group's handlers),
    // and together they are the group's routes of the one table, in its order.
    const served: Route[] = [];
    for (const [, specifier = '', name = ''] of imports) {
      const exported = (await import(/* @vite-ignore */ new URL(`${specifier}.ts`, pathToFileURL(apiEntry(group))).href)) as Record<string, Route[]>;
      const list = exported[`${name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())}Routes`]!; // site-root → siteRootRoutes
      served.push(...list.filter((r) => r.group === group || expect.fail(`${name}-routes holds ${r.group} routes`)));
    }
    expect(served).toEqual(routes.filter((r) => r.group === group));
  });

  it('streaming groups have a stream entry; a group without an entry fails synth with the file to add', () => {
    for (const group of streamingGroups(routes)) expect(readFileSync(apiEntry(group, 'stream'), 'utf8')).toContain('streamingHandler(');
    expect(() => apiEntry('reports')).toThrow(/route group "reports" has no Lambda entry functions\/<system>\/api\/entries\/reports\.ts/);
  });
});
