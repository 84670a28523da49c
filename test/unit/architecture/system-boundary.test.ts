/**
 * The dependency rule of issue 19: no control-plane module imports an emulator module (static or
 * dynamic relative imports, resolved), except the imports listed in tools/system-map.ts PENDING, which
 * may only shrink. Every file under functions/ must sit in the folder of one system (functions/<system>/:
 * control-plane, emulator, platform, local, traffic), so a new file is placed on purpose.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CROSSINGS, PENDING, SYSTEM_MAP, SYSTEMS } from '../../../tools/system-map.js';

const root = resolve(import.meta.dirname, '../../..');
const files: string[] = [];
const walk = (dir: string) => {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (path.endsWith('.ts') && !path.endsWith('.d.ts')) files.push(relative(root, path));
  }
};
walk(join(root, 'functions'));

/** Relative imports of a module, resolved to repository paths (.js specifiers name .ts sources). */
export function importsOf(file: string, text = readFileSync(join(root, file), 'utf8')): string[] {
  return [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)'(\.{1,2}\/[^']+)'/g)].map((m) => relative(root, resolve(root, dirname(file), m[1]!)).replace(/\.js$/, '.ts'));
}

function violations(): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const file of files) {
    if (SYSTEM_MAP.get(file) !== 'control-plane') continue;
    for (const target of importsOf(file)) if (SYSTEM_MAP.get(target) === 'emulator') (out[file] ??= []).push(target);
  }
  return out;
}

describe('system boundary (control plane ↛ emulator)', () => {
  it('places every module under functions/ in one system', () => {
    expect(files.filter((f) => !SYSTEM_MAP.has(f))).toEqual([]);
    expect([...SYSTEM_MAP.keys()].filter((f) => !files.includes(f))).toEqual([]);
  });

  it("keeps every module in its system's folder (functions/<system>/...)", () => {
    expect(readdirSync(join(root, 'functions')).filter((name) => !(SYSTEMS as readonly string[]).includes(name)), 'only the systems\' folders under functions/').toEqual([]);
    expect(files.filter((f) => f.split('/')[1] !== SYSTEM_MAP.get(f))).toEqual([]);
  });

  it('finds no control-plane import of an emulator module beyond the pending list, and no stale pending entry', () => {
    const found = violations();
    const unexpected = Object.entries(found).flatMap(([file, targets]) => targets.filter((t) => !PENDING[file]?.includes(t)).map((t) => `${file} → ${t}`));
    const stale = Object.entries(PENDING).flatMap(([file, targets]) => targets.filter((t) => !found[file]?.includes(t)).map((t) => `${file} → ${t}`));
    expect(unexpected, 'control-plane modules must reach appliances through the ApplianceDriver port').toEqual([]);
    expect(stale, 'remove moved imports from PENDING in tools/system-map.ts').toEqual([]);
  });

  it('the workflow steps, run holds, interim checks and failure handler import nothing of the emulator', () => {
    for (const file of ['functions/control-plane/app/upgrade-steps.ts', 'functions/control-plane/app/run-holds.ts', 'functions/control-plane/app/window-outcome.ts', 'functions/control-plane/app/guided-driver.ts', 'functions/control-plane/adapters/site-driver.ts']) {
      const emulator = importsOf(file).filter((t) => SYSTEM_MAP.get(t) === 'emulator');
      expect(emulator, file).toEqual([]);
    }
  });

  it('the rule can fail: an emulator import in a control-plane module is seen', () => {
    const seen = importsOf('functions/control-plane/app/runs.ts', "import { startInstall } from '../../emulator/app/install.js';\nconst x = await import('../../emulator/app/failover-pairs.js');");
    expect(seen.filter((t) => SYSTEM_MAP.get(t) === 'emulator')).toEqual(['functions/emulator/app/install.ts', 'functions/emulator/app/failover-pairs.ts']);
  });
});

describe('system boundary (the other systems import only their own and the platform)', () => {
  it('finds no crossing beyond CROSSINGS, and no stale entry there', () => {
    const found: Record<string, string[]> = {};
    for (const file of files) {
      const system = SYSTEM_MAP.get(file);
      if (!system || system === 'local') continue;
      for (const target of importsOf(file)) {
        const to = SYSTEM_MAP.get(target);
        // The control plane's imports of the emulator are the first rule's (PENDING).
        if (system === 'control-plane' && to === 'emulator') continue;
        if (to && to !== system && to !== 'platform') (found[file] ??= []).push(target);
      }
    }
    const unexpected = Object.entries(found).flatMap(([file, targets]) => targets.filter((t) => !CROSSINGS[file]?.includes(t)).map((t) => `${file} → ${t}`));
    const stale = Object.entries(CROSSINGS).flatMap(([file, targets]) => targets.filter((t) => !found[file]?.includes(t)).map((t) => `${file} → ${t}`));
    expect(unexpected, 'import the platform, or compose in functions/local').toEqual([]);
    expect(stale, 'remove cut crossings from CROSSINGS in tools/system-map.ts').toEqual([]);
  });
});

describe('system boundary (each Lambda entry composes only its own system)', () => {
  /** Every module a file reaches through relative imports (static and dynamic), itself included. */
  const reached = (entry: string): Set<string> => {
    const seen = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file) || !SYSTEM_MAP.has(file)) return;
      seen.add(file);
      for (const target of importsOf(file)) visit(target);
    };
    visit(entry);
    return seen;
  };
  const entries = files.filter((f) => /^functions\/[^/]+\/api\/entries\/[^/]+\.ts$/.test(f) || /^functions\/control-plane\/(tasks|scheduler)\/lambda-handler\.ts$/.test(f));

  it.each(entries)('%s bundles nothing of the other system', (entry) => {
    const own = SYSTEM_MAP.get(entry);
    const foreign = [...reached(entry)].filter((f) => SYSTEM_MAP.get(f) !== own && SYSTEM_MAP.get(f) !== 'platform');
    expect(foreign, 'a function gets its own system\'s adapters (SystemAdapters), never the other\'s').toEqual([]);
  });

  it('finds the entries', () => {
    expect(entries.length).toBeGreaterThanOrEqual(8);
  });
});
