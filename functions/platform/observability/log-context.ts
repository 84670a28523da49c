import { AsyncLocalStorage } from 'node:async_hooks';

/** Fields every log line written while handling one request or one workflow step carries. */
export interface LogContext {
  requestId?: string;
  route?: string;
  actor?: string;
  runId?: string;
  window?: number;
  attempt?: number;
  step?: string;
  applianceId?: string;
  [key: string]: string | number | boolean | undefined;
}

/** Per request / per task: concurrent requests in one local process never see each other's fields. */
const store = new AsyncLocalStorage<LogContext>();

export function withLogContext<T>(fields: LogContext, fn: () => T): T {
  return store.run({ ...store.getStore(), ...fields }, fn);
}

/** Adds fields to the current context (e.g. the actor once the credential is verified). */
export function appendLogContext(fields: LogContext): void {
  const current = store.getStore();
  if (current) Object.assign(current, fields);
}

export const currentLogContext = (): LogContext | undefined => store.getStore();
export const currentRequestId = (): string | undefined => store.getStore()?.requestId;
