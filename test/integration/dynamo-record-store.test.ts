import { afterAll, beforeAll } from 'vitest';
import { startTestRuntime, type TestRuntime } from '../helpers/runtime.js';
import { recordStoreContract } from '../helpers/record-store-contract.js';

let runtime: TestRuntime;
beforeAll(async () => {
  runtime = await startTestRuntime();
});
afterAll(() => runtime?.dispose());

recordStoreContract('DynamoDB on dynalite', () => runtime.services.records.runs);
