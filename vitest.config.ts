import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// Vitest's default in `run` mode is one worker fewer than the CPUs: a single fork on a 2-core machine, where most
// of the suite's wall time is files waiting on emulator I/O and modelled-time timers rather than on the CPU.
// VITEST_MAX_WORKERS overrides (1 to run the files one after another).
const maxWorkers = Number(process.env.VITEST_MAX_WORKERS) || Math.max(2, availableParallelism());

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['functions/local/polyfill.ts', 'test/setup/log-scan.ts'],
    // Deadlines are bounds for a hung test, not performance claims: generous enough for a loaded shared machine
    // (load average 8-10 on 2 cores); every wait inside a test polls for its condition and returns when it holds.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // expect.poll's own default is 1 s, which a loaded browser or runtime misses; the condition polled is unchanged.
    expect: { poll: { timeout: 15_000 } },
    pool: 'forks',
    maxWorkers,
    reporters: process.env.VITEST_JSON_REPORT ? ['default', ['json', { outputFile: process.env.VITEST_JSON_REPORT }]] : ['default'],
  },
});
