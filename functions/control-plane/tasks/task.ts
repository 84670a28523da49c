import type { Services } from '../../platform/adapters/services.js';

/** A Step Functions task: JSON in, JSON out. Errors are thrown with `name` = the error code ASL matches on. */
export type TaskHandler = (input: Record<string, unknown>, services: Services) => Promise<unknown>;

const PLACEHOLDER = /\$\{(\w+)FunctionArn\}/g;

/** ASL files reference a task as `${<PascalName>FunctionArn}`; CDK's DefinitionSubstitutions key for it. */
export const taskPlaceholder = (taskName: string) => `${taskName[0]!.toUpperCase()}${taskName.slice(1)}FunctionArn`;

/** Task names referenced by an ASL text, in order of first use. */
export function tasksReferenced(aslText: string): string[] {
  return [...new Set([...aslText.matchAll(PLACEHOLDER)].map((m) => lowerFirst(m[1]!)))];
}

/** Replaces every task placeholder with the ARN `arnFor` gives (local Lambda-style ARNs, or real ones). */
export function renderAsl(aslText: string, arnFor: (taskName: string) => string): string {
  return aslText.replace(PLACEHOLDER, (_, pascal: string) => arnFor(lowerFirst(pascal)));
}

const lowerFirst = (s: string) => s[0]!.toLowerCase() + s.slice(1);
