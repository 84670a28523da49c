import { describe, expect, it } from 'vitest';
import { prng } from '../../../functions/platform/core/random.js';
import { MAX_SESSION_MINUTES, nextArrivalMinutes, planSession, retryDelayMinutes } from '../../../functions/traffic/traffic-model.js';

describe('traffic model', () => {
  it('arrivals form a Poisson process of the configured rate', () => {
    const random = prng(7);
    let minutes = 0;
    let n = 0;
    while (minutes < 60 * 1000) {
      minutes += nextArrivalMinutes(random, { sessionsPerHour: 30 });
      n++;
    }
    // 1,000 modelled hours at 30/h: 30,000 ± a few standard deviations (sqrt(30000) ≈ 173).
    expect(Math.abs(n - 30_000)).toBeLessThan(700);
    expect(nextArrivalMinutes(random, { sessionsPerHour: 0 })).toBe(Infinity);
  });

  it('session lengths are log-normal around the median, bounded, deterministic by seed', () => {
    const plans = Array.from({ length: 5000 }, ((random) => () => planSession(random, { medianSessionMinutes: 12, sessionLengthSigma: 0.6 }))(prng(3)));
    const sorted = plans.map((p) => p.minutes).sort((a, b) => a - b);
    expect(sorted[2500]!).toBeGreaterThan(11);
    expect(sorted[2500]!).toBeLessThan(13);
    expect(sorted.at(-1)!).toBeLessThanOrEqual(MAX_SESSION_MINUTES);
    expect(sorted[0]!).toBeGreaterThanOrEqual(1);
    expect(planSession(prng(9), { medianSessionMinutes: 12, sessionLengthSigma: 0.6 })).toEqual(planSession(prng(9), { medianSessionMinutes: 12, sessionLengthSigma: 0.6 }));
  });

  it('retries back off from about a minute to at most five', () => {
    const random = prng(1);
    expect(retryDelayMinutes(random, 1)).toBeLessThanOrEqual(1);
    for (let attempt = 1; attempt < 20; attempt++) expect(retryDelayMinutes(random, attempt)).toBeLessThanOrEqual(5);
    expect(retryDelayMinutes(() => 0.999, 10)).toBeGreaterThan(4.9);
  });
});
