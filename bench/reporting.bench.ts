import { spawn } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { loadConfig } from '../functions/platform/adapters/config.js';
import { buildServices } from '../functions/platform/adapters/services.js';
import { selectListing, selectSessions } from '../functions/emulator/app/reporting.js';
import { generateSession, prng } from '../functions/emulator/app/session-generator.js';
import { listingItem, sessionToItem } from '../functions/emulator/app/session-store.js';
import { apiFlavor } from '../functions/emulator/core/api-flavor.js';
import { parseReportQuery } from '../functions/emulator/core/report-query.js';
import { reportHead, reportTail, sessionSummaryXml, type ListingEntry } from '../functions/emulator/core/report-xml.js';
import type { SupportSession } from '../functions/emulator/core/session.js';
import { ROOT, startRuntimeProcess } from '../test/helpers/process.js';
import { tempDir } from '../test/helpers/runtime.js';
import { median, round, type Benchmark } from './bench.js';
import { bundleApiProcess, startApiProcess } from './support/api-process-runner.js';

const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 100_000);
const RUNS = 3;
const MB = 1024 * 1024;
const APPLIANCE = 'bench-reporting';
const WRITE_SAMPLE = 3000;

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

/** Streams a report, counting the lines that start `<element ` (as `grep -c` would) and the bytes. */
async function fetchCounting(url: string, token: string, element: string): Promise<{ ms: number; count: number; bytes: number }> {
  const started = performance.now();
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  const decoder = new TextDecoder();
  let count = 0;
  let bytes = 0;
  let carry = '';
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    bytes += chunk.length;
    // a line split across two chunks is counted once: keep the unfinished tail
    const text = carry + decoder.decode(chunk, { stream: true });
    const last = text.lastIndexOf('\n');
    for (const line of text.slice(0, last + 1).split('\n')) if (line.startsWith(`<${element} `)) count++;
    carry = text.slice(last + 1);
  }
  if (carry.startsWith(`<${element} `)) count++;
  return { ms: performance.now() - started, count, bytes };
}

const timed = async (fn: () => Promise<unknown>) => {
  const started = performance.now();
  await fn();
  return performance.now() - started;
};

/**
 * SupportSessionListing of 100,000 sessions end to end: `npm run seed` fills a data dir (rich sessions), the
 * runtime (`npm start` entry) hosts the emulators, the HTTP API runs alone in a third process (esbuild-bundled,
 * as deployed to Lambda) whose memory is what the report path costs; this process is the HTTP client.
 * Target: the whole report ≤ 1.25 × the store's own read floor for the same query, measured in the same run.
 */
const bench: Benchmark = async () => {
  const dataDir = await tempDir('bench-reporting-');
  try {
    const seedStarted = performance.now();
    await run(['--import', 'tsx', 'functions/local/cli/seed.ts', '--sessions', String(SESSIONS), '--appliance', APPLIANCE, '--version', '10.6.0'], { DATA_DIR: dataDir });
    const seedMs = performance.now() - seedStarted;
    // The demo seed brings the local operator tokens (and a 3-appliance demo fleet, small beside 100,000 sessions).
    const server = await startRuntimeProcess({ DATA_DIR: dataDir, PORT: '0' }, 120_000);
    try {
      const json = async (path: string, init: RequestInit) => (await (await fetch(`${server.url}${path}`, init)).json()) as Record<string, string>;
      const account = await json(`/v1/appliances/${APPLIANCE}/api-accounts`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer demo-lead-token-1' }, body: '{"permissions":{"reporting":true}}' });
      const token = await json(`/appliances/${APPLIANCE}/oauth2/token`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`${account.clientId}:${account.clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials',
      });
      const endpoint = (name: string) => new RegExp(`${name} (http://\\S+)`).exec(server.output())![1]!;
      // Heap capped as on a 128 MB Lambda: the reports must complete within it (memory bounded by the page size).
      const api = await startApiProcess(await bundleApiProcess(dataDir), { DYNAMODB_ENDPOINT: endpoint('dynamodb'), S3_ENDPOINT: endpoint('s3'), SFN_ENDPOINT: endpoint('stepfunctions'), NODE_OPTIONS: '--max-old-space-size=96 --max-semi-space-size=4' });
      const base = `${api.url}/appliances/${APPLIANCE}/api/reporting?`;
      const listingUrl = `${base}generate_report=SupportSessionListing&start_date=2000-01-01&duration=0`;
      const idle = await memoryOf(api.child.pid!);
      const runtimeIdle = await memoryOf(server.child.pid!);

      const http: number[] = [];
      let bytes = 0;
      for (let i = 0; i < RUNS; i++) {
        const r = await fetchCounting(listingUrl, token.access_token!, 'session_summary');
        if (r.count !== SESSIONS) throw new Error(`report listed ${r.count} sessions, expected ${SESSIONS}`);
        http.push(r.ms);
        bytes = r.bytes;
      }
      // A large full report as well, for the memory figure: the newest tenth of the sessions, rich records.
      const days = 365 / 10;
      const from = new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 10);
      const big = await fetchCounting(`${base}generate_report=SupportSession&start_date=${from}&duration=0`, token.access_token!, 'session');
      const after = await memoryOf(api.child.pid!);
      const runtimeAfter = await memoryOf(server.child.pid!);
      api.child.kill('SIGTERM');

      const services = buildServices(loadConfig({ DYNAMODB_ENDPOINT: server.dynamodbEndpoint, S3_ENDPOINT: 'http://127.0.0.1:1', SFN_ENDPOINT: 'http://127.0.0.1:1' }));
      const query = parseReportQuery({ generate_report: 'SupportSessionListing', start_date: '2000-01-01', duration: '0' }, apiFlavor('10.6.0'));
      if (query.type !== 'SupportSessionListing' || query.selection.kind !== 'window') throw new Error('unexpected query');
      const selection = query.selection;
      // The floor the store sets: the report's own reads (same query, listing records, 1,000-item pages), nothing rendered or sent.
      const entries: ListingEntry[] = [];
      const reads: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        let read = 0;
        reads.push(await timed(async () => {
          for await (const page of selectListing(services, APPLIANCE, selection)) {
            read += page.length;
            if (i === 0) entries.push(...page);
          }
        }));
        if (read !== SESSIONS) throw new Error(`store read ${read} sessions, expected ${SESSIONS}`);
      }
      // The floor before listing records: the same selection from the sessions themselves (start index, projection of the 2 attributes).
      const oldReads: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        let read = 0;
        oldReads.push(await timed(async () => {
          for await (const page of selectSessions(services, APPLIANCE, selection, { pageSize: 1000, fields: ['lsid', 'externalKey'] })) read += page.length;
        }));
        if (read !== SESSIONS) throw new Error(`session reads found ${read} sessions, expected ${SESSIONS}`);
      }
      // What listing records cost on writes: the same rich sessions written with them (putSessions) and as session items alone.
      const random = prng(11);
      const sample = (prefix: string): SupportSession[] =>
        Array.from({ length: WRITE_SAMPLE }, (_, i) => generateSession(random, { applianceId: `${APPLIANCE}-${prefix}`, lsid: i.toString(16).padStart(32, '0'), lseq: i + 1, start: Date.parse('2026-01-01T00:00:00Z') + i * 60_000, end: Date.parse('2026-01-01T00:20:00Z') + i * 60_000 }));
      const withItems = sample('with');
      const withListing = await timed(() => services.records.sessions.batchPut([...withItems.map(sessionToItem), ...withItems.map(listingItem)]));
      const sessionsOnly = sample('without');
      const withoutListing = await timed(() => services.records.sessions.batchPut(sessionsOnly.map(sessionToItem)));
      const listingBytes = Buffer.byteLength(JSON.stringify(listingItem(sessionsOnly[0]!)));
      const sessionBytes = Math.round(sessionsOnly.reduce((n, s) => n + Buffer.byteLength(JSON.stringify(sessionToItem(s))), 0) / sessionsOnly.length);
      services.destroy();

      const flavor = apiFlavor('10.6.0');
      const inMemory: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        let xml = '';
        inMemory.push(await timed(async () => {
          xml = reportHead('SupportSessionListing', flavor);
          for (const e of entries) xml += sessionSummaryXml(e);
          xml += reportTail('SupportSessionListing');
        }));
        if (Buffer.byteLength(xml) !== bytes) throw new Error(`baseline rendered ${Buffer.byteLength(xml)} bytes, HTTP sent ${bytes}`);
      }
      const floor = round(median(reads), 0);
      const oldFloor = round(median(oldReads), 0);
      const e2e = round(median(http), 0);
      const render = round(median(inMemory), 0);
      const ratio = round(e2e / floor, 2);
      const peakMb = round(after.peak / MB, 0);
      return [
        {
          name: `SupportSessionListing of ${SESSIONS} sessions over HTTP, streamed from paginated queries of the listing records (median of ${RUNS}, ${round(bytes / MB, 1)} MB of XML)`,
          value: e2e,
          unit: 'ms',
          baseline: { name: "the store's read floor: the same query's reads alone (listing records, 1,000-item pages), nothing rendered or sent", value: floor },
          ratio,
          target: 'ratio ≤ 1.25',
          pass: ratio <= 1.25,
          notes: `${round((floor * 1000) / SESSIONS, 1)} µs per session read; rendering the same entries in memory, no I/O: ${render} ms (${round(e2e / render, 1)}×, informational)`,
        },
        {
          name: `the floor before listing records: the same selection read from the session items (start index, projection of lsid + external key; median of ${RUNS})`,
          value: oldFloor,
          unit: 'ms',
          baseline: { name: 'the floor with listing records (above)', value: floor },
          ratio: round(oldFloor / floor, 1),
          target: 'informational (how much the floor shrank)',
          pass: true,
          notes: `rich session items average ${sessionBytes} B as stored JSON, a listing record ${listingBytes} B`,
        },
        {
          name: `write cost of listing records: ${WRITE_SAMPLE} rich sessions written as putSessions writes them (session item + listing record each, batches of 25)`,
          value: round(withListing, 0),
          unit: 'ms',
          baseline: { name: 'the same sessions as session items alone (batchPut)', value: round(withoutListing, 0) },
          ratio: round(withListing / withoutListing, 2),
          target: 'informational (one more ~100-byte item per session write: +1 WCU on DynamoDB)',
          pass: true,
        },
        {
          name: `peak RSS of the API process serving the reports (bundled as on Lambda, heap capped at 96 MB): ${RUNS} listings and a SupportSession of ${big.count} rich sessions (${round(big.bytes / MB, 1)} MB in ${round(big.ms / 1000, 1)} s); idle before: ${round(idle.rss / MB, 0)} MB, after: ${round(after.rss / MB, 0)} MB`,
          value: peakMb,
          unit: 'MB',
          target: '< 150 MB',
          pass: peakMb < 150,
          notes: `the emulator host (dynalite + s3rver + runtime) beside it: ${round(runtimeIdle.rss / MB, 0)} MB idle, peak ${round(runtimeAfter.peak / MB, 0)} MB; seeding ${SESSIONS} rich sessions took ${round(seedMs / 1000, 0)} s`,
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
