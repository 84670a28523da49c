/**
 * Shared pieces of the zod schemas. Schemas use `zod/mini` (functional API, tree-shakable: classic zod's
 * schema classes carry every method, ~97 KB in each Lambda bundle against the 300 KB budget, see
 * bench/cdk.bench.ts). Every schema module imports this one, so the English messages classic zod loads by
 * itself are configured before anything is parsed. Pure: no I/O.
 */
import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';

// zod/mini loads no locale: without this every issue would read "Invalid input". Classic sets the same default.
z.config(en());

/** Classic `z.string().trim()` followed by `checks` (e.g. `z.minLength(1), z.maxLength(128)`). */
export const trimmed = (...checks: z.core.$ZodCheck<string>[]) => z.string().check(z.trim(), ...checks);

/** Classic `z.number().int()` followed by `checks` (e.g. `z.gte(1), z.lte(1440)`). */
export const integer = (...checks: z.core.$ZodCheck<number>[]) => z.number().check(z.int(), ...checks);

