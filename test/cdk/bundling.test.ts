import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../cdk/app.js';
import { REPO_ROOT } from '../../cdk/sources.js';

// Real esbuild bundling (no Docker), once for the file: one asset per function.
const outdir = mkdtempSync(join(tmpdir(), 'cdk-bundling-'));
const { app, stack } = buildApp({ stage: 'bundling' }, { outdir });
const assembly = app.synth();
const template = assembly.getStackArtifact(stack.artifactId).template as { Resources: Record<string, { Type: string; Properties: any }> };
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

const functionAssets = Object.values(template.Resources)
  .filter((r) => r.Type === 'AWS::Lambda::Function')
  .map((r) => join(outdir, `asset.${String(r.Properties.Code.S3Key).replace(/\.zip$/, '')}`));

describe('NodejsFunction bundling (local esbuild)', () => {
  it('bundles one asset per function', () => {
    expect(functionAssets.length).toBe(stack.functions.length);
  });

  it.each(functionAssets.map((dir) => [relative(outdir, dir), dir]))('%s is a minified ESM bundle with a source map', (_, dir) => {
    const files = readdirSync(dir).sort();
    // API functions also carry the console's static files (read at run time beside the bundle).
    expect(files.filter((f) => f !== 'assets')).toEqual(['index.mjs', 'index.mjs.map']);
    if (files.includes('assets')) expect(readdirSync(join(dir, 'assets')).sort()).toEqual(['clock.d.ts', 'clock.js', 'console.css', 'console.js', 'index.html', 'openapi.json', 'sign-in.js']);
    const code = readFileSync(join(dir, 'index.mjs'), 'utf8');
    expect(code).toMatch(/export\s*\{[^}]*\bas handler\b[^}]*\}|export\s*\{\s*handler\s*\}/);
    expect(code).toMatch(/sourceMappingURL=index\.mjs\.map/);
    // Minified: no indentation-heavy lines, few lines for its size.
    expect(code.split('\n').length).toBeLessThan(code.length / 500);
    // The Lambda runtime provides SDK v3: it is imported on first use (dynamic import), never bundled
    // and never imported at cold start.
    expect(code).toMatch(/import\("@aws-sdk\/client-dynamodb"\)/);
    expect(code).not.toMatch(/from\s*"@aws-sdk\//);
    expect(code).not.toMatch(/DynamoDBDocumentClient=class/);
    expect(existsSync(join(dir, 'node_modules'))).toBe(false);
    // The local runtime's Prometheus registry stays out of Lambda bundles (on AWS the metrics are EMF).
    expect(code).not.toMatch(/prom-client|new Registry\(\)/);
  });
});

describe('bundle-size guard', () => {
  const files = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));

  it("imports zod as a namespace in Lambda code (`import { z }` drags ~440 KB of locales into every bundle)", () => {
    const offenders = files(join(REPO_ROOT, 'functions')).filter((f) => /import\s*\{[^}]*\bz\b[^}]*\}\s*from\s*['"]zod(?:\/mini)?['"]/.test(readFileSync(f, 'utf8')));
    expect(offenders.map((f) => relative(REPO_ROOT, f)), "use `import * as z from 'zod/mini'`").toEqual([]);
  });
});
