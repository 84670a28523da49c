/**
 * A small in-process memo: bounded, entries expire after `ttlMs`, and can be dropped by a group key (all the
 * entries of one user or one API account). What the XML APIs remember between calls of one client lives here,
 * so a client calling in a loop does not pay a store read and a hash per call. Process-local by design: another
 * process (another Lambda instance) sees a change at the latest when its entry expires.
 */
export class Memo<V> {
  private readonly entries = new Map<string, { value: V; until: number; group: string }>();
  private readonly groups = new Map<string, Set<string>>();
  constructor(
    readonly ttlMs: number,
    private readonly maxEntries = 10_000,
  ) {}

  get(key: string, nowMs: number): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.until <= nowMs) {
      this.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key: string, group: string, value: V, nowMs: number): void {
    this.delete(key);
    this.entries.set(key, { value, until: nowMs + this.ttlMs, group });
    let keys = this.groups.get(group);
    if (!keys) this.groups.set(group, (keys = new Set()));
    keys.add(key);
    if (this.entries.size > this.maxEntries) this.delete(this.entries.keys().next().value!);
  }

  delete(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    const keys = this.groups.get(entry.group);
    keys?.delete(key);
    if (keys?.size === 0) this.groups.delete(entry.group);
  }

  /** Drops every entry of a group (a password change, a disabled user, a regenerated secret). */
  forget(group: string): void {
    for (const key of [...(this.groups.get(group) ?? [])]) this.delete(key);
  }

  clear(): void {
    this.entries.clear();
    this.groups.clear();
  }
}

/** One memo per store object (per runtime), so two runtimes in one process never share entries. */
export function memoPerStore<V>(ttlMs: number): (store: object) => Memo<V> {
  const byStore = new WeakMap<object, Memo<V>>();
  return (store) => {
    let memo = byStore.get(store);
    if (!memo) byStore.set(store, (memo = new Memo<V>(ttlMs)));
    return memo;
  };
}
