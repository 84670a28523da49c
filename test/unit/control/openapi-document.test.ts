import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { openApiText } from '../../../functions/control-plane/api/control/openapi.js';

describe('the served OpenAPI document', () => {
  it('is the one the schemas generate now (run `npm run openapi` after changing a control route or schema)', async () => {
    const served = await readFile(new URL('../../../functions/control-plane/api/console/assets/openapi.json', import.meta.url), 'utf8');
    const generated = await openApiText();
    expect(JSON.parse(served), 'functions/control-plane/api/console/assets/openapi.json is stale: run `npm run openapi`').toEqual(JSON.parse(generated));
    expect(served).toBe(generated);
  });
});
