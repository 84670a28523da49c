import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Route } from '../functions/platform/api/http.js';
import { taskPlaceholder, tasksReferenced } from '../functions/control-plane/tasks/task.js';

/** The single sources of truth the stack is generated from (never a second copy in cdk/). */
export const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));
export const STATEMACHINES_DIR = join(REPO_ROOT, 'statemachines');
/** The API Lambda entries (`<group>.ts`, `<group>-stream.ts`): one folder per system, functions/<system>/api/entries/. */
export const API_ENTRIES_DIRS = readdirSync(join(REPO_ROOT, 'functions'), { withFileTypes: true })
  .filter((e) => e.isDirectory() && existsSync(join(REPO_ROOT, 'functions', e.name, 'api/entries')))
  .map((e) => join(REPO_ROOT, 'functions', e.name, 'api/entries'))
  .sort();
export const TASK_ENTRY = join(REPO_ROOT, 'functions/control-plane/tasks/lambda-handler.ts');
export const SCHEDULER_ENTRY = join(REPO_ROOT, 'functions/control-plane/scheduler/lambda-handler.ts');

/** One workflow: its ASL file as written, and the tasks it references. */
export interface WorkflowSource {
  /** File base name; also the workflow name the control plane starts (`SfnWorkflowEngine`). */
  name: string;
  file: string;
  text: string;
  tasks: string[];
}

export function workflowSources(dir = STATEMACHINES_DIR): WorkflowSource[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.asl.json'))
    .sort()
    .map((f) => {
      const text = readFileSync(join(dir, f), 'utf8');
      return { name: f.replace(/\.asl\.json$/, ''), file: join(dir, f), text, tasks: tasksReferenced(text) };
    });
}

/** `DefinitionSubstitutions` for one ASL text: `<Pascal>FunctionArn` → the ARN of that task's function. */
export function definitionSubstitutions(aslText: string, arnOf: (task: string) => string): Record<string, string> {
  return Object.fromEntries(tasksReferenced(aslText).map((t) => [taskPlaceholder(t), arnOf(t)]));
}

/**
 * Hono path → API Gateway v2 route paths. `:id` and `:id{regex}` become `{id}` (the regex is re-checked
 * by Hono in the function); an optional `:id?` yields the path with and without it; a trailing `*` becomes
 * a greedy `{proxy+}`.
 */
export function toApiGatewayPaths(honoPath: string): string[] {
  const segments = honoPath.split('/').filter((s, i) => i > 0 || s !== '');
  let paths: string[][] = [[]];
  segments.forEach((segment, i) => {
    if (segment === '*') {
      if (i !== segments.length - 1) throw new Error(`route ${honoPath}: "*" is only supported as the last segment`);
      paths = paths.map((p) => [...p, '{proxy+}']);
      return;
    }
    const param = /^:(\w+)(\{.*\})?(\?)?$/.exec(segment);
    if (!param) {
      if (/[:*{}]/.test(segment)) throw new Error(`route ${honoPath}: segment "${segment}" has no API Gateway equivalent`);
      paths = paths.map((p) => [...p, segment]);
      return;
    }
    const converted = `{${param[1]}}`;
    if (param[3]) {
      if (i !== segments.length - 1) throw new Error(`route ${honoPath}: optional parameters are only supported last`);
      paths = paths.flatMap((p) => [p, [...p, converted]]);
    } else {
      paths = paths.map((p) => [...p, converted]);
    }
  });
  return paths.map((p) => `/${p.join('/')}`);
}

/** Route groups in order of first appearance, each with its routes. */
export function routesByGroup(routes: readonly Route[]): Map<string, Route[]> {
  const groups = new Map<string, Route[]>();
  for (const route of routes) groups.set(route.group, [...(groups.get(route.group) ?? []), route]);
  return groups;
}

/**
 * The Lambda entry of a route group (`<group>.ts`) or of its streaming routes (`<group>-stream.ts`): one
 * small file per group, so each function bundles only its group's handlers. Missing → synth fails here.
 */
export function apiEntry(group: string, kind: 'api' | 'stream' = 'api'): string {
  const name = `${group}${kind === 'stream' ? '-stream' : ''}.ts`;
  const found = API_ENTRIES_DIRS.map((dir) => join(dir, name)).filter((file) => existsSync(file));
  if (found.length === 0) {
    throw new Error(`route group "${group}" has no Lambda entry functions/<system>/api/entries/${name}: add it in the folder of its system (see the other files there)`);
  }
  if (found.length > 1) throw new Error(`route group "${group}" has more than one Lambda entry: ${found.map((f) => f.slice(REPO_ROOT.length)).join(', ')}`);
  return found[0]!;
}

/** Groups with routes whose responses must stream (see `Route.streaming`). */
export const streamingGroups = (routes: readonly Route[]) => [...routesByGroup(routes)].filter(([, rs]) => rs.some((r) => r.streaming)).map(([group]) => group);

/** `system` → `System`, `failover-pair` → `FailoverPair`: construct ids and resource names. */
export const pascal = (name: string) =>
  name
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');

/** `takeBackup` → `take-backup`: physical names of functions. */
export const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
