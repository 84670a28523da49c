import { describe, expect, it } from 'vitest';
import { readAhead } from '../../functions/emulator/core/read-ahead.js';

/** A source that logs when each value is produced and when it is closed. */
function source(values: number[], log: string[], failAt?: number) {
  return (async function* () {
    try {
      for (const v of values) {
        await new Promise((r) => setTimeout(r, 1));
        if (v === failAt) throw new Error(`source failed at ${v}`);
        log.push(`produced ${v}`);
        yield v;
      }
    } finally {
      log.push('source closed');
    }
  })();
}

describe('readAhead', () => {
  it('yields every value in order and reads the next one while the current is consumed', async () => {
    const log: string[] = [];
    for await (const v of readAhead(source([1, 2, 3], log))) {
      await new Promise((r) => setTimeout(r, 10)); // consuming (rendering, sending) takes longer than producing
      log.push(`consumed ${v}`);
    }
    expect(log).toEqual(['produced 1', 'produced 2', 'consumed 1', 'produced 3', 'consumed 2', 'source closed', 'consumed 3']);
  });

  it('a plain for-await would not overlap: the baseline the helper improves on', async () => {
    const log: string[] = [];
    for await (const v of source([1, 2], log)) {
      await new Promise((r) => setTimeout(r, 10));
      log.push(`consumed ${v}`);
    }
    expect(log).toEqual(['produced 1', 'consumed 1', 'produced 2', 'consumed 2', 'source closed']);
  });

  it('closes the source when the consumer stops early, and drops a failing value read ahead', async () => {
    const log: string[] = [];
    const seen: number[] = [];
    for await (const v of readAhead(source([1, 2, 3], log, 2))) {
      seen.push(v);
      await new Promise((r) => setTimeout(r, 10)); // the read-ahead of 2 fails meanwhile
      break;
    }
    expect(seen).toEqual([1]);
    expect(log).toEqual(['produced 1', 'source closed']);
  });

  it('raises a source failure at the position it happened', async () => {
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const v of readAhead(source([1, 2, 3], [], 3))) seen.push(v);
      })(),
    ).rejects.toThrow('source failed at 3');
    expect(seen).toEqual([1, 2]);
  });
});
