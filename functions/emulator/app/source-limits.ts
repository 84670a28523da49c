/**
 * Per-source limits for authentication (issue 17 items 2, 3): failures are counted per client address,
 * never per account, so a stranger who knows a client id or username cannot lock its owner out, and a
 * source that keeps failing is slowed down. Kept in process memory: a check costs a map lookup, never a
 * store round trip, so a flood of bad requests stays cheap. On AWS each function instance counts its own
 * sources (docs/sessions.md: the HTTP API's throttling is the fleet-wide bound).
 */
import { AUTH_FAILURES_PER_MINUTE, RATE_WINDOW_MS, slidingWindow, TOKEN_REQUESTS_PER_SOURCE_PER_MINUTE } from '../core/api-access.js';
import { DomainError } from '../../platform/core/errors.js';
import type { AppContext } from '../../platform/app/context.js';

/** Sliding-window counters by key, bounded in size (the least recently touched key goes first). */
export class WindowCounter {
  private readonly hits = new Map<string, number[]>();
  constructor(
    readonly limit: number,
    readonly windowMs = RATE_WINDOW_MS,
    private readonly maxKeys = 10_000,
  ) {}

  /** Seconds to wait when the key is at its limit, else undefined. */
  blocked(key: string, nowMs: number): number | undefined {
    const recent = this.hits.get(key);
    if (!recent) return undefined;
    const decision = slidingWindow(recent, nowMs, this.limit, this.windowMs);
    if (decision.allowed) return undefined;
    return decision.retryAfterSeconds;
  }

  record(key: string, nowMs: number): void {
    const live = (this.hits.get(key) ?? []).filter((t) => t > nowMs - this.windowMs);
    live.push(nowMs);
    this.hits.delete(key);
    this.hits.set(key, live.slice(-this.limit));
    if (this.hits.size > this.maxKeys) this.hits.delete(this.hits.keys().next().value!);
  }

  clear(): void {
    this.hits.clear();
  }
}

export interface SourceLimits {
  /** Failed username/password or client id/secret checks, by source address. */
  authFailures: WindowCounter;
  /** Every token request, by source address (successes too): bounds what one source can make us write. */
  tokenRequests: WindowCounter;
}

// One set per services object: two runtimes in one process (tests) never share counters.
const bySite = new WeakMap<object, SourceLimits>();

export function sourceLimits(ctx: AppContext): SourceLimits {
  let limits = bySite.get(ctx.records);
  if (!limits) {
    limits = { authFailures: new WindowCounter(AUTH_FAILURES_PER_MINUTE), tokenRequests: new WindowCounter(TOKEN_REQUESTS_PER_SOURCE_PER_MINUTE) };
    bySite.set(ctx.records, limits);
  }
  return limits;
}

/**
 * A source over its limit waits this long for its 429: a client that ignores Retry-After and retries in a
 * tight loop then sends one request a second per connection instead of thousands, so a flood costs
 * timers, not CPU (issue 17 item 2: /health stays fast while loops hammer the token endpoint).
 */
export const OVER_LIMIT_DELAY_MS = 1000;
export const overLimitDelay = () => new Promise((resolve) => setTimeout(resolve, OVER_LIMIT_DELAY_MS));

export const tooManyFailures = (retryAfterSeconds: number, code = 'TooManyFailures') =>
  new DomainError('rate-limited', code, 'Too many failed login attempts from this address; retry later', { retryAfterSeconds });
