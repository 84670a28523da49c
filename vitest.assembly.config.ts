import { defineConfig } from 'vitest/config';

/** `npm run test:assembly`: the scenarios on the synthesized stack (minutes), apart from `npm test`. */
export default defineConfig({
  test: {
    include: ['test/assembly/**/*.assembly.ts'],
    setupFiles: ['functions/local/polyfill.ts'],
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: 'forks',
    reporters: process.env.VITEST_JSON_REPORT ? ['default', ['json', { outputFile: process.env.VITEST_JSON_REPORT }]] : ['default'],
  },
});
