import { spawn } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { loadConfig } from '../functions/adapters/config.js';
import { buildServices } from '../functions/adapters/services.js';
import { selectSessions } from '../functions/app/reporting.js';
import { iterateSessions } from '../functions/app/session-store.js';
import { apiFlavor } from '../functions/core/api-flavor.js';
import { parseReportQuery } from '../functions/core/report-query.js';
import { reportHead, reportTail, sessionSummaryXml, SUMMARY_FIELDS } from '../functions/core/report-xml.js';
import type { SupportSession } from '../functions/core/session.js';
import { ROOT, startRuntimeProcess } from '../test/helpers/process.js';
import { tempDir } from '../test/helpers/runtime.js';
import { median, round, type Benchmark } from './bench.js';
import { bundleApiProcess, startApiProcess } from './support/api-process-runner.js';

const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 100_000);
const RUNS = 3;
const MB = 1024 * 1024;
const APPLIANCE = 'bench-reporting';

/** kB figures from /proc/<pid>/status (Linux): VmRSS now, VmHWM = peak since the process started. */
async function memoryOf(pid: number): Promise<{ rss: number; peak: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? Number.NaN) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

function run(args: string[], env: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${args.join(' ')} exited with ${code}`))));
  });
}

/**
 * SupportSessionListing of 100,000 sessions end to end: `npm run seed` fills a data dir, the runtime
 * (`npm start` entry) hosts the emulators, and the HTTP API runs alone in a third process (esbuild-bundled,
 * as deployed to Lambda) whose memory is what the report path costs; this process is the HTTP client.
 * Baseline: the same records rendered to XML in memory, no I/O.
 */
const bench: Benchmark = async () => {
  const dataDir = await tempDir('bench-reporting-');
  try {
    await run(['--import', 'tsx', 'functions/cli/seed.ts', '--sessions', String(SESSIONS), '--appliance', APPLIANCE, '--version', '10.6.0'], { DATA_DIR: dataDir });
    // The demo seed brings the local operator tokens (and a 3-appliance demo fleet, small beside 100,000 sessions).
    const server = await startRuntimeProcess({ DATA_DIR: dataDir, PORT: '0' }, 60_000);
    try {
      const json = async (path: string, init: RequestInit) => (await (await fetch(`${server.url}${path}`, init)).json()) as Record<string, string>;
      const account = await json(`/v1/appliances/${APPLIANCE}/api-accounts`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer demo-lead-token-1' }, body: '{"permissions":{"reporting":true}}' });
      const token = await json(`/appliances/${APPLIANCE}/oauth2/token`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`${account.clientId}:${account.clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials',
      });
      const endpoint = (name: string) => new RegExp(`${name} (http://\\S+)`).exec(server.output())![1]!;
      // Heap capped as on a 128 MB Lambda: the report must complete within it (memory bounded by the page size).
      const api = await startApiProcess(await bundleApiProcess(dataDir), { DYNAMODB_ENDPOINT: endpoint('dynamodb'), S3_ENDPOINT: endpoint('s3'), SFN_ENDPOINT: endpoint('stepfunctions'), NODE_OPTIONS: '--max-old-space-size=96 --max-semi-space-size=4' });
      const reportUrl = `${api.url}/appliances/${APPLIANCE}/api/reporting?generate_report=SupportSessionListing&start_date=2000-01-01&duration=0`;
      const idle = await memoryOf(api.child.pid!);
      const runtimeIdle = await memoryOf(server.child.pid!);

      const http: number[] = [];
      let bytes = 0;
      for (let i = 0; i < RUNS; i++) {
        const started = performance.now();
        const res = await fetch(reportUrl, { headers: { authorization: `Bearer ${token.access_token}` } });
        const decoder = new TextDecoder();
        let count = 0;
        let size = 0;
        let carry = '';
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          size += chunk.length;
          // a tag split across two chunks is counted once: keep the unfinished tail
          const text = carry + decoder.decode(chunk, { stream: true });
          const last = text.lastIndexOf('<');
          count += (text.slice(0, last).match(/<session_summary /g) ?? []).length;
          carry = text.slice(last);
        }
        count += (carry.match(/<session_summary /g) ?? []).length;
        http.push(performance.now() - started);
        if (count !== SESSIONS) throw new Error(`report listed ${count} sessions, expected ${SESSIONS}`);
        bytes = size;
      }
      const after = await memoryOf(api.child.pid!);
      const runtimeAfter = await memoryOf(server.child.pid!);
      api.child.kill('SIGTERM');

      // Baseline: the same records, already in memory, rendered to one XML string.
      const services = buildServices(loadConfig({ DYNAMODB_ENDPOINT: server.dynamodbEndpoint, S3_ENDPOINT: 'http://127.0.0.1:1', SFN_ENDPOINT: 'http://127.0.0.1:1' }));
      const records: SupportSession[] = [];
      for await (const s of iterateSessions(services, APPLIANCE, 2000)) records.push(s);
      // The floor the store sets: the report's own reads (same query, projection and pages), nothing rendered or sent.
      const query = parseReportQuery({ generate_report: 'SupportSessionListing', start_date: '2000-01-01', duration: '0' }, apiFlavor('10.6.0'));
      const reads: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const started = performance.now();
        let read = 0;
        for await (const page of selectSessions(services, APPLIANCE, query, { pageSize: 1000, fields: SUMMARY_FIELDS })) read += page.length;
        reads.push(performance.now() - started);
        if (read !== SESSIONS) throw new Error(`store read ${read} sessions, expected ${SESSIONS}`);
      }
      services.destroy();
      const flavor = apiFlavor('10.6.0');
      const inMemory: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const started = performance.now();
        let xml = reportHead('SupportSessionListing', flavor);
        for (const s of records) xml += sessionSummaryXml(s, flavor);
        xml += reportTail('SupportSessionListing');
        inMemory.push(performance.now() - started);
        if (Buffer.byteLength(xml) !== bytes) throw new Error(`baseline rendered ${Buffer.byteLength(xml)} bytes, HTTP sent ${bytes}`);
      }
      const storeFloor = round(median(reads), 0);
      const e2e = round(median(http), 0);
      const base = round(median(inMemory), 0);
      const ratio = round(e2e / base, 1);
      const peakMb = round(after.peak / MB, 0);
      return [
        {
          name: `SupportSessionListing of ${SESSIONS} sessions over HTTP, streamed from paginated DynamoDB (dynalite) queries (median of ${RUNS}, ${round(bytes / MB, 1)} MB of XML)`,
          value: e2e,
          unit: 'ms',
          baseline: { name: 'rendering the same records to XML in memory, no I/O', value: base },
          ratio,
          target: 'ratio ≤ 2.0',
          pass: ratio <= 2.0,
          notes: `the store alone sets the floor: the next line reads the same pages in ${round(storeFloor / base, 1)}× the render time`,
        },
        {
          name: `the report's reads alone: the same query, projection (${SUMMARY_FIELDS.length} attributes) and 1,000-item pages from dynalite, nothing rendered or sent (median of ${RUNS})`,
          value: storeFloor,
          unit: 'ms',
          baseline: { name: 'the whole report over HTTP (above)', value: e2e },
          ratio: round(storeFloor / e2e, 2),
          target: 'informational',
          pass: true,
          notes: `${round((storeFloor * 1000) / SESSIONS, 1)} µs per session in dynalite + SDK, against ${round((base * 1000) / SESSIONS, 1)} µs to render one`,
        },
        {
          name: `peak RSS of the API process serving the reports (bundled as on Lambda, heap capped at 96 MB), ${RUNS} reports; idle before: ${round(idle.rss / MB, 0)} MB, after: ${round(after.rss / MB, 0)} MB`,
          value: peakMb,
          unit: 'MB',
          target: '< 150 MB',
          pass: peakMb < 150,
          notes: `the emulator host (dynalite + s3rver + runtime) beside it: ${round(runtimeIdle.rss / MB, 0)} MB idle, peak ${round(runtimeAfter.peak / MB, 0)} MB`,
        },
      ];
    } finally {
      await server.stop();
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
};
export default bench;
