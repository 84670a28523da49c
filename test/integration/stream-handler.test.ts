/**
 * The response-streaming Lambda entry (functions/emulator/api/entries/sessions-stream.ts) as a Function URL invokes it:
 * the real handler module against the emulators, with the Lambda runtime's `awslambda` global stood in
 * by a recorder (Node has no such global outside Lambda).
 */
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppliance } from '../../functions/emulator/app/appliance-store.js';
import { generateSessions } from '../../functions/emulator/app/session-generator.js';
import { sampleAppliance } from '../helpers/fixtures.js';
import { rawFetch, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';
import { attrsOf, expectValid } from '../helpers/xml.js';

const APPLIANCE = 'site-stream';
const SESSIONS = 2500; // three 1,000-session pages
let rt: TestRuntime;
let token: string;
type Invoke = (event: object, stream: Writable, context: object) => Promise<void>;
let handler: Invoke;

/** What the Lambda runtime would send: the metadata prelude, then every chunk as it was written. */
class RecordingStream extends Writable {
  readonly chunks: Buffer[] = [];
  constructor() {
    super({ highWaterMark: 16 * 1024 }); // small buffer: the handler must honour backpressure
  }
  override _write(chunk: Buffer, _: BufferEncoding, done: () => void) {
    this.chunks.push(chunk);
    setImmediate(done);
  }
}
let savedEnv: NodeJS.ProcessEnv;
let metadata: { statusCode: number; headers: Record<string, string> } | undefined;

/** A Function URL event (payload format 2.0). */
const functionUrlEvent = (path: string, query: string, headers: Record<string, string>) => ({
  version: '2.0',
  rawPath: path,
  rawQueryString: query,
  headers: { host: 'abc.lambda-url.eu-west-1.on.aws', ...headers },
  requestContext: { domainName: 'abc.lambda-url.eu-west-1.on.aws', http: { method: 'GET', path, sourceIp: '198.51.100.7' } },
  isBase64Encoded: false,
});

async function invoke(path: string, query: string, headers: Record<string, string> = {}) {
  metadata = undefined;
  const stream = new RecordingStream();
  await handler(functionUrlEvent(path, query, headers), stream, {});
  await finished(stream);
  return { metadata: metadata!, chunks: stream.chunks, text: Buffer.concat(stream.chunks).toString('utf8') };
}

beforeAll(async () => {
  rt = await startTestRuntime();
  const appliance = await createAppliance(rt.services, sampleAppliance(APPLIANCE, { productVersion: '10.6.0' }));
  await generateSessions(rt.services, { ...appliance, version: 1 }, { count: SESSIONS, days: 30, seed: 7 });
  const account = (await (await fetch(`${rt.url}/v1/appliances/${APPLIANCE}/api-accounts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"permissions":{"reporting":true}}' })).json()) as { clientId: string; clientSecret: string };
  const issued = await rawFetch(`${rt.url}/appliances/${APPLIANCE}/oauth2/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${account.clientId}:${account.clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });
  token = ((await issued.json()) as { access_token: string }).access_token;

  savedEnv = { ...process.env };
  Object.assign(process.env, { DYNAMODB_ENDPOINT: rt.endpoints.dynamodb, S3_ENDPOINT: rt.endpoints.s3, SFN_ENDPOINT: rt.endpoints.sfn });
  (globalThis as Record<string, unknown>).awslambda = {
    streamifyResponse: (fn: Invoke) => fn,
    HttpResponseStream: { from: (stream: Writable, meta: typeof metadata) => ((metadata = meta), stream) },
  };
  handler = ((await import('../../functions/emulator/api/entries/sessions-stream.js')) as unknown as { handler: Invoke }).handler;
}, 60_000);
afterAll(async () => {
  delete (globalThis as Record<string, unknown>).awslambda;
  process.env = savedEnv;
  await rt?.dispose();
});

describe('stream handler (Function URL, response streaming)', () => {
  const query = 'generate_report=SupportSessionListing&start_date=2000-01-01&duration=0';
  const path = `/appliances/${APPLIANCE}/api/reporting`;

  it('streams the report page by page, byte for byte what the HTTP API answers', async () => {
    const streamed = await invoke(path, query, { authorization: `Bearer ${token}` });
    expect(streamed.metadata.statusCode).toBe(200);
    expect(streamed.metadata.headers['content-type']).toMatch(/^text\/xml/);
    expect(attrsOf(streamed.text, 'session_summary', 'lsid')).toHaveLength(SESSIONS);
    // head, one chunk per 1,000-session page, tail: never one buffered body
    expect(streamed.chunks.length).toBeGreaterThanOrEqual(5);
    const viaHttp = await rawFetch(`${rt.url}${path}?${query}`, { headers: { authorization: `Bearer ${token}` } });
    expect(streamed.text).toBe(await viaHttp.text());
    const xsd = await (await rawFetch(`${rt.url}/appliances/${APPLIANCE}/api/reporting.xsd`)).text();
    await expectValid(streamed.text, xsd);
  });

  it('authenticates like the API: no token → 401 in the vendor XML', async () => {
    const refused = await invoke(path, query);
    expect(refused.metadata.statusCode).toBe(401);
    expect(refused.text).toMatch(/<error[^>]*>/);
  });

  it('serves only the routes marked streaming', async () => {
    const other = await invoke(`/appliances/${APPLIANCE}/api/command`, 'action=get_api_info', { authorization: `Bearer ${token}` });
    expect(other.metadata.statusCode).toBe(404);
    expect(JSON.parse(other.text)).toMatchObject({ code: 'RouteNotFound' });
  });
});
