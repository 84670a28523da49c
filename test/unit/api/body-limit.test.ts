/**
 * The body limit on the web-standard path (Lambda, `app.request`): no Node IncomingMessage, the request's own
 * stream is counted. Buffered readers and streaming handlers both stop at the limit.
 */
import { describe, expect, it } from 'vitest';
import { createApp } from '../../../functions/platform/api/app.js';
import { requestBodyStream } from '../../../functions/platform/api/body-limit.js';
import type { Route } from '../../../functions/platform/api/http.js';
import type { Services } from '../../../functions/platform/adapters/services.js';

let streamedBytes = 0;
const routes: Route[] = [
  { method: 'POST', path: '/buffered', handler: async (c) => c.json({ length: (await c.req.text()).length }), group: 't', auth: 'public', summary: 'reads the body whole', bodyLimit: 1000 },
  {
    method: 'POST',
    path: '/streamed',
    group: 't',
    auth: 'public',
    summary: 'reads the body as a stream',
    bodyLimit: 1000,
    handler: async (c) => {
      streamedBytes = 0;
      for await (const chunk of requestBodyStream(c) ?? []) streamedBytes += chunk.byteLength;
      return c.json({ length: streamedBytes });
    },
  },
];
const app = createApp({} as Services, routes);

/** A body without Content-Length, growing chunk by chunk, as a chunked upload arrives. */
const chunked = (total: number, chunk = 100) => {
  let sent = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= total) return controller.close();
      const n = Math.min(chunk, total - sent);
      sent += n;
      controller.enqueue(new Uint8Array(n).fill(120));
    },
  });
};
const post = (path: string, body: BodyInit, headers: Record<string, string> = {}) => app.request(path, { method: 'POST', body, headers, duplex: 'half' } as RequestInit);

describe('body limit without a Node request (Lambda)', () => {
  it.each(['/buffered', '/streamed'])('%s: within the limit the handler gets every byte', async (path) => {
    const res = await post(path, chunked(1000));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ length: 1000 });
  });

  it.each(['/buffered', '/streamed'])('%s: one byte past the limit → 413 RequestTooLarge', async (path) => {
    const res = await post(path, chunked(5000));
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ code: 'RequestTooLarge', limitBytes: 1000 });
  });

  it('a streaming handler never sees more than the limit', async () => {
    await post('/streamed', chunked(50_000));
    expect(streamedBytes).toBeLessThanOrEqual(1000);
  });

  it('a declared Content-Length over the limit is refused before the handler runs', async () => {
    const res = await post('/buffered', 'x'.repeat(1001), { 'content-length': '1001' });
    expect(res.status).toBe(413);
  });
});
