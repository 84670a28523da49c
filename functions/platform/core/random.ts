/** Small deterministic PRNG (mulberry32): the same seed gives the same sequence, in tests and in the demo. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An exponential variate with the given mean (inter-arrival times of a Poisson process). */
export const exponential = (random: () => number, mean: number) => -Math.log(1 - random()) * mean;

/** A log-normal variate: `median` is e^mu, `sigma` the spread of the underlying normal (Box–Muller). */
export function logNormal(random: () => number, median: number, sigma: number): number {
  const u = 1 - random();
  const v = random();
  const normal = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  return median * Math.exp(sigma * normal);
}
