/**
 * Which system each module under functions/ belongs to (issue 19): the emulator (appliance domain, its
 * APIs, tables and buckets), the control plane (plans, runs, steps, scheduler, campaigns, /v1, console,
 * CLI), the thin shared platform (ports, adapters, errors, config, http plumbing, observability), the
 * local composition root (knows both) and the traffic generator (a client of the sites). The folder move
 * made the system the first folder under functions/ (functions/control-plane, emulator, platform, local,
 * traffic): a module is placed by where it is put, and SYSTEM_MAP is read off the tree;
 * test/unit/architecture/system-boundary.test.ts enforces "the control plane imports nothing from the
 * emulator" over it.
 */
import { readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export type System = 'emulator' | 'control-plane' | 'platform' | 'local' | 'traffic';

/** The systems, each the folder functions/<system>/. */
export const SYSTEMS: readonly System[] = ['control-plane', 'emulator', 'platform', 'local', 'traffic'];

/** The system of a repository path: its first folder under functions/; undefined for anything else. */
export function systemOf(path: string): System | undefined {
  const folder = /^functions\/([^/]+)\/./.exec(path.split(sep).join('/'))?.[1];
  return (SYSTEMS as readonly string[]).includes(folder ?? '') ? (folder as System) : undefined;
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const modules = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? modules(join(dir, e.name)) : e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [relative(ROOT, join(dir, e.name)).split(sep).join('/')] : [],
  );

/** Every module under functions/ in a system's folder, with its system (a module elsewhere is in none). */
export const SYSTEM_MAP: ReadonlyMap<string, System> = new Map(
  modules(join(ROOT, 'functions')).flatMap((file) => {
    const system = systemOf(file);
    return system ? [[file, system] as const] : [];
  }),
);

/**
 * Control-plane imports of emulator modules not yet moved onto the driver port (file → emulator module).
 * Empty since every read went onto the port's FleetInventory; the test fails on any import not listed
 * here and on any entry that is gone, so it can only stay empty.
 */
export const PENDING: Readonly<Record<string, readonly string[]>> = {};

/**
 * The other direction of the rule: imports from the platform, the emulator or the traffic generator into
 * another system (only functions/local, the composition root, may know every system). Empty since the
 * platform's composition moved out (issue 19): operator identity is the platform's; site-host dispatch
 * comes with the emulator's site routes (`Route.siteHosting`); each system wires its own adapters into
 * Services (`SystemAdapters`, passed by its Lambda entries); the one route table joins the systems' tables
 * in functions/local/routes.ts. A ratchet like PENDING: the test fails on any crossing not listed here and
 * on any entry that is gone, so it can only stay empty.
 */
export const CROSSINGS: Readonly<Record<string, readonly string[]>> = {};
