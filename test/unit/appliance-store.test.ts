import { describe, expect, it } from 'vitest';
import { createAppliance, listAppliances, requireAppliance, updateAppliance } from '../../functions/app/appliance-store.js';
import { DomainError, preconditionFailed } from '../../functions/core/errors.js';
import { sampleAppliance } from '../helpers/fixtures.js';
import { memoryContext } from '../helpers/memory-context.js';

describe('appliance store', () => {
  it('creates once, lists and updates with a version counter', async () => {
    const ctx = memoryContext();
    await createAppliance(ctx, sampleAppliance('a1'));
    await expect(createAppliance(ctx, sampleAppliance('a1'))).rejects.toMatchObject({ code: 'ApplianceExists' });
    const updated = await updateAppliance(ctx, 'a1', (a) => ({ ...a, productVersion: '10.6.0' }));
    expect(updated.version).toBe(2);
    expect((await listAppliances(ctx)).map((a) => a.productVersion)).toEqual(['10.6.0']);
  });

  it('leaves the record untouched when the change refuses', async () => {
    const ctx = memoryContext();
    await createAppliance(ctx, sampleAppliance('a2'));
    await expect(
      updateAppliance(ctx, 'a2', () => {
        throw preconditionFailed('Nope', 'refused');
      }),
    ).rejects.toBeInstanceOf(DomainError);
    expect(await requireAppliance(ctx, 'a2')).toMatchObject({ version: 1, productVersion: '10.5.2' });
  });

  it('serializes concurrent updates without losing one', async () => {
    const ctx = memoryContext();
    await createAppliance(ctx, sampleAppliance('a3', { storedDataGb: 0 }));
    await Promise.all(Array.from({ length: 5 }, () => updateAppliance(ctx, 'a3', (a) => ({ ...a, storedDataGb: a.storedDataGb + 1 }))));
    expect((await requireAppliance(ctx, 'a3')).storedDataGb).toBe(5);
  });
});
