/**
 * A port whose implementation module is imported on first use. Lambda handlers import the wiring at
 * cold start; deferring the AWS SDK until a call needs it keeps that import cheap.
 */
export function lazyPort<T extends object>(load: () => Promise<T>, eager: Partial<T>): T {
  let loading: Promise<T> | undefined;
  const target = () => (loading ??= load());
  return new Proxy(eager as T, {
    get(obj, prop, receiver) {
      if (prop in obj) return Reflect.get(obj, prop, receiver);
      if (prop === 'then') return undefined; // not a thenable
      return async (...args: unknown[]) => {
        const impl = await target();
        const member = Reflect.get(impl, prop) as unknown;
        if (typeof member !== 'function') throw new TypeError(`${String(prop)} is not a method of the port`);
        return (member as (...a: unknown[]) => unknown).apply(impl, args);
      };
    },
  });
}

/** Memoized async factory. */
export const once = <T>(load: () => Promise<T>): (() => Promise<T>) => {
  let loading: Promise<T> | undefined;
  return () => (loading ??= load());
};
