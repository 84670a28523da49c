import { afterAll, beforeAll } from 'vitest';
import { startTestRuntime, type TestRuntime } from '../helpers/runtime.js';
import { blobStoreContract } from '../helpers/blob-store-contract.js';

let runtime: TestRuntime;
beforeAll(async () => {
  runtime = await startTestRuntime();
});
afterAll(() => runtime?.dispose());

blobStoreContract('S3 on s3rver', () => runtime.services.blobs.exports);
