/**
 * Package upload: a 1 GiB signed package streamed through POST /packages (HTTP → signature check →
 * SHA-256 while streaming → multipart upload to the S3 emulator) against a raw S3BlobStore.put of the
 * same bytes to the same emulator, measured in the same run.
 *
 * The HTTP API runs in its own process (bench/support/api-process.ts) so its peak RSS during the upload
 * is the memory of the upload path alone; the emulators and the byte generator stay in this process.
 */
import { createHash, randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { packageHead, signManifest } from '../functions/emulator/app/package-signing.js';
import type { PackageManifest } from '../functions/platform/core/packages.js';
import { issueOperatorToken } from '../functions/control-plane/app/operator-tokens.js';
import { startLocalRuntime } from '../functions/local/runtime.js';
import { tempDir } from '../test/helpers/runtime.js';
import { bundleApiProcess, rssOf, startApiProcess } from './support/api-process-runner.js';
import { round, type Benchmark } from './bench.js';

const CHUNK = 1024 * 1024;
const SIZE = Number(process.env.BENCH_PACKAGE_BYTES ?? 1024 ** 3);
const ROUNDS = 2;

/** The same pseudo-random bytes on every call, generated on the fly (1 MiB block, each chunk stamped with its index). */
function payloadChunks(block: Buffer): () => AsyncGenerator<Uint8Array> {
  return async function* () {
    for (let off = 0, i = 0; off < SIZE; off += CHUNK, i++) {
      const chunk = Buffer.from(block.subarray(0, Math.min(CHUNK, SIZE - off)));
      chunk.writeUInt32BE(i, 0);
      yield chunk;
    }
  };
}


/** Resident set size of another process, from /proc (Linux). */
const toStream = (gen: AsyncGenerator<Uint8Array>) =>
  new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await gen.next();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
  });

const bench: Benchmark = async () => {
  const dataDir = await tempDir('bench-appliance-');
  const runtime = await startLocalRuntime({ port: 0, dataDir, env: { TIME_SCALE_MS_PER_MINUTE: '1' } });
  const api = await startApiProcess(await bundleApiProcess(dataDir), { DYNAMODB_ENDPOINT: runtime.endpoints.dynamodb, S3_ENDPOINT: runtime.endpoints.s3, SFN_ENDPOINT: runtime.endpoints.sfn, TIME_SCALE_MS_PER_MINUTE: '1' });
  try {
    const chunks = payloadChunks(randomBytes(CHUNK));
    const hash = createHash('sha256');
    for await (const c of chunks()) hash.update(c);
    const sha256 = hash.digest('hex');
    const manifest: PackageManifest = { format: 1, packageId: 'bomgar-99.1.0', kind: 'product', version: '99.1.0', requires: {}, payload: { size: SIZE, sha256 } };
    const head = packageHead(signManifest(manifest));
    const store = runtime.services.blobs.packages;
    const { token } = await issueOperatorToken(runtime.services, { operatorId: 'bench-admin', displayName: 'Bench admin', roles: ['operator'] });

    const resetPackage = async () => {
      await store.delete(`sha256/${sha256}`);
      await runtime.services.records.appliances.delete({ pk: 'PACKAGE#bomgar-99.1.0', sk: 'MANIFEST' });
    };
    const upload = async (url: string) => {
      const body = toStream((async function* () { yield head; yield* chunks(); })());
      const res = await fetch(`${url}/packages`, { method: 'POST', headers: { 'content-type': 'application/octet-stream', authorization: `Bearer ${token}` }, body, duplex: 'half' } as RequestInit);
      const answer = await res.text();
      if (res.status !== 201) throw new Error(`upload failed: ${res.status} ${answer}`);
    };

    // Throughput: the runtime's own HTTP API (as under `npm start`) against a raw put, both in this process.
    const raw: number[] = [];
    const ours: number[] = [];
    for (let round_ = 0; round_ < ROUNDS; round_++) {
      let t = performance.now();
      await store.put(`bench/raw-${round_}`, chunks());
      raw.push(performance.now() - t);
      await store.delete(`bench/raw-${round_}`);
      await resetPackage();
      t = performance.now();
      await upload(runtime.url);
      ours.push(performance.now() - t);
    }

    // Memory: the same upload through the API running alone in its own (bundled) process.
    await resetPackage();
    let peakRss = 0;
    const pid = api.child.pid!;
    const sampler = setInterval(() => void rssOf(pid, 'VmRSS').then((rss) => (peakRss = Math.max(peakRss, rss)), () => undefined), 25);
    const t = performance.now();
    await upload(api.url);
    const separateMs = performance.now() - t;
    clearInterval(sampler);
    await resetPackage();
    const mib = SIZE / 1024 / 1024;
    const best = (xs: number[]) => Math.min(...xs);
    const oursMiBs = round(mib / (best(ours) / 1000), 1);
    const rawMiBs = round(mib / (best(raw) / 1000), 1);
    const ratio = round(oursMiBs / rawMiBs, 2);
    const rssMb = round(peakRss / 1024 / 1024, 0);
    const hwmMb = round((await rssOf(api.child.pid!, 'VmHWM')) / 1024 / 1024, 0);
    return [
      {
        name: `package upload throughput, ${round(mib / 1024, 2)} GiB through POST /packages (best of ${ROUNDS}, API and emulator in one process)`,
        value: oursMiBs,
        unit: 'MiB/s',
        baseline: { name: 'raw S3BlobStore.put of the same bytes to the S3 emulator', value: rawMiBs },
        ratio,
        target: 'ratio ≥ 0.8',
        pass: ratio >= 0.8,
        notes: `times ms: ours ${ours.map((x) => round(x, 0)).join(', ')}; raw ${raw.map((x) => round(x, 0)).join(', ')}; through the API in its own process: ${round(mib / (separateMs / 1000), 1)} MiB/s`,
      },
      {
        name: 'peak RSS of the HTTP API process during the upload (sampled every 25 ms)',
        value: rssMb,
        unit: 'MB',
        target: '< 200 MB',
        pass: rssMb < 200 && hwmMb < 200,
        notes: `kernel high-water mark (VmHWM) of that process over its whole life: ${hwmMb} MB`,
      },
    ];
  } finally {
    api.child.kill('SIGTERM');
    await new Promise((r) => (api.child.exitCode !== null ? r(null) : api.child.once('exit', r)));
    await runtime.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
};
export default bench;
