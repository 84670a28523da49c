import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { manifestSchema } from '../../functions/platform/core/packages.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const FUNCTIONS = join(ROOT, 'functions');
const VALIDATION = join(FUNCTIONS, 'platform', 'core', 'validation.ts');

const sources = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : /\.(m?ts|m?js)$/.test(e.name) ? [join(dir, e.name)] : []));

/** Every module specifier a file imports or re-exports (static and dynamic). */
const specifiers = (text: string) => [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)['"]([^'"]+)['"]/g)].map((m) => m[1]!);

// Classic zod's schema classes carry every method, so nothing tree-shakes: ~97 KB in each Lambda bundle,
// which put three bundles over the 300 KB budget bench/cdk.bench.ts holds them to. zod/mini is the same
// package's functional, tree-shakable API. Allowed: zod/mini, and zod's locales (the English messages).
const ALLOWED = /^zod\/(?:mini|v4\/mini|v4-mini|locales|v4\/locales(?:\/.*)?)$/;

describe('zod in functions/ (bundle budget, see bench/cdk.bench.ts)', () => {
  const files = sources(FUNCTIONS);

  it('finds the sources it scans', () => {
    expect(files.length).toBeGreaterThan(50);
    expect(files.filter((f) => specifiers(readFileSync(f, 'utf8')).includes('zod/mini')).length).toBeGreaterThan(10);
  });

  it('never imports classic zod (import * as z from "zod/mini" instead)', () => {
    const offenders = files.flatMap((f) =>
      specifiers(readFileSync(f, 'utf8'))
        .filter((s) => (s === 'zod' || s.startsWith('zod/')) && !ALLOWED.test(s))
        .map((s) => `${relative(ROOT, f)} imports '${s}'`),
    );
    expect(offenders, "classic zod costs ~97 KB per Lambda bundle (300 KB budget, bench/cdk.bench.ts): use `import * as z from 'zod/mini'`").toEqual([]);
  });

  it("loads classic zod's English messages wherever zod/mini parses (zod/mini has no locale of its own)", () => {
    const missing = files.filter((f) => {
      if (f === VALIDATION) return false;
      const text = readFileSync(f, 'utf8');
      // A type-only import parses nothing.
      if (!/^import\s+(?!type\b)[^;]*from\s*['"]zod\/mini['"]/m.test(text)) return false;
      return !specifiers(text).some((s) => s.startsWith('.') && resolve(dirname(f), s).replace(/\.js$/, '.ts') === VALIDATION);
    });
    expect(missing.map((f) => relative(ROOT, f)), "import functions/platform/core/validation.ts (it calls z.config(en())) in every module that builds zod/mini schemas").toEqual([]);
  });

  it('gives the English messages classic zod gives', () => {
    const result = manifestSchema.safeParse({ format: 1, packageId: 'bomgar-11.1.1', kind: 'product', version: '11.1.1', payload: { size: 1.5, sha256: 'f'.repeat(64) }, extra: true });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.message)).toEqual(['Invalid input: expected int, received number', 'Unrecognized key: "extra"']);
    expect(z.string().safeParse(1).error?.issues[0]?.message).toBe('Invalid input: expected string, received number');
  });
});
