/**
 * Vitest setup file (every test file): logs go to the in-memory capture (test/helpers/log-capture.ts), and when
 * the file ends every captured line (plus the output of child runtimes, fed in by test/helpers/process.ts) is
 * scanned for secrets. A secret in any log line fails the file, so the whole suite doubles as the "nothing
 * secret is ever logged" check.
 */
import { afterAll } from 'vitest';
import { setLogSink } from '../../functions/platform/observability/logger.js';
import { captureRecord, capturedLines, findSecrets } from '../helpers/log-capture.js';

setLogSink(captureRecord);

afterAll(() => {
  const found = findSecrets(capturedLines());
  if (found.length > 0) {
    throw new Error(`secrets in the logs of this test file (${found.length}):\n${found.slice(0, 5).map((f) => `  ${f.pattern}: ${f.match}\n    in ${f.line}`).join('\n')}`);
  }
});
