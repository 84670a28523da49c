/**
 * Fault injection for tests (off unless a FaultInjector is passed to the local runtime): make a task or
 * an adapter call fail, time out or slow down by rule, to prove every step leaves a safe state.
 */
export type FaultKind = 'fail' | 'timeout' | 'delay';

export interface FaultRule {
  /** `task:<taskName>` or `<table|bucket>.<method>` e.g. `appliances.put`, `packages.put`; `*` suffix matches a prefix. */
  target: string;
  kind: FaultKind;
  /** Only calls whose input carries this run id / step (tasks). */
  runId?: string;
  step?: string;
  /** Fire on the nth matching call only (1-based); default: every matching call. */
  nth?: number;
  /** Fire at most this many times. */
  times?: number;
  delayMs?: number;
  /** Error name (what ASL Retry/Catch match on); default `InjectedFault`, or `States.Timeout` for timeouts. */
  errorName?: string;
  message?: string;
}

export class InjectedFault extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

interface ActiveRule extends FaultRule {
  matched: number;
  fired: number;
}

export class FaultInjector {
  private rules: ActiveRule[] = [];
  /** Every fault that fired, for assertions. */
  readonly fired: { target: string; kind: FaultKind; runId?: string; step?: string }[] = [];

  add(rule: FaultRule): this {
    this.rules.push({ ...rule, matched: 0, fired: 0 });
    return this;
  }

  clear(): void {
    this.rules = [];
  }

  async apply(target: string, meta: { runId?: string; step?: string } = {}): Promise<void> {
    for (const rule of this.rules) {
      if (!matches(rule.target, target)) continue;
      if (rule.runId !== undefined && rule.runId !== meta.runId) continue;
      if (rule.step !== undefined && rule.step !== meta.step) continue;
      rule.matched++;
      if (rule.nth !== undefined && rule.matched !== rule.nth) continue;
      if (rule.times !== undefined && rule.fired >= rule.times) continue;
      rule.fired++;
      this.fired.push({ target, kind: rule.kind, ...meta });
      if (rule.kind === 'delay') {
        await new Promise((r) => setTimeout(r, rule.delayMs ?? 100));
        continue;
      }
      const name = rule.errorName ?? (rule.kind === 'timeout' ? 'States.Timeout' : 'InjectedFault');
      throw new InjectedFault(name, rule.message ?? `injected ${rule.kind} at ${target}`);
    }
  }

  /** Wraps every method of `target` so calls pass through `apply(<prefix>.<method>)` first. */
  wrap<T extends object>(target: T, prefix: string): T {
    return new Proxy(target, {
      get: (obj, prop, receiver) => {
        const value = Reflect.get(obj, prop, receiver) as unknown;
        if (typeof value !== 'function' || typeof prop !== 'string') return value;
        return async (...args: unknown[]) => {
          await this.apply(`${prefix}.${prop}`);
          return (value as (...a: unknown[]) => unknown).apply(obj, args);
        };
      },
    });
  }
}

const matches = (pattern: string, target: string) =>
  pattern.endsWith('*') ? target.startsWith(pattern.slice(0, -1)) : pattern === target;
