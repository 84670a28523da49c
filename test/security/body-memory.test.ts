/**
 * Memory stays bounded under oversized bodies (issue 17 item 1): three concurrent 200 MB JSON bodies sent
 * with a viewer token used to take the one process (API + both emulators) to 1.7 GB. Measured on the
 * `npm start` process itself: its peak resident set (VmHWM, Linux) before and after, which is exact where
 * a sampled RSS would be noisy.
 */
import { readFile, rm } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { startRuntimeProcess, type StartedProcess } from '../helpers/process.js';
import { sendBody } from '../helpers/raw-http.js';
import { tempDir } from '../helpers/runtime.js';

const MB = 1024 * 1024;
const peakRssBytes = async (pid: number) => Number(/VmHWM:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;

let runtime: StartedProcess | undefined;
let dataDir: string | undefined;
afterAll(async () => {
  await runtime?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe.runIf(process.platform === 'linux')('oversized bodies do not grow the process', () => {
  it('three concurrent 200 MB JSON bodies (chunked and declared) leave the peak RSS within 64 MB', async () => {
    dataDir = await tempDir('body-memory-');
    runtime = await startRuntimeProcess({ PORT: '0', DATA_DIR: dataDir }, 30_000);
    const pid = runtime.child.pid!;
    const headers = { authorization: 'Bearer demo-viewer-token', 'content-type': 'application/json' };
    // Warm the route once so lazily loaded modules are not counted as growth.
    await sendBody(`${runtime.url}/v1/plans`, { framing: 'content-length', totalBytes: 16, headers });
    const before = await peakRssBytes(pid);
    const answers = await Promise.all(
      (['chunked', 'chunked', 'chunked', 'content-length', 'content-length', 'content-length'] as const).map((framing) =>
        sendBody(`${runtime!.url}/v1/plans`, { framing, totalBytes: 200 * MB, chunkBytes: 256 * 1024, headers }),
      ),
    );
    const after = await peakRssBytes(pid);
    expect(answers.map((a) => a.status)).toEqual([413, 413, 413, 413, 413, 413]);
    // Without limits each body was buffered whole (and parsed): ~600 MB of strings at least.
    expect(after - before).toBeLessThan(64 * MB);
    expect(answers.reduce((sum, a) => sum + a.bytesSent, 0)).toBeLessThan(6 * 40 * MB);
  }, 120_000);
});
