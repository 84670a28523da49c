import { createAdaptorServer, getRequestListener } from '@hono/node-server';
import type { Hono } from 'hono';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { headerOverflowRequest, SERVER_MAX_HEADER_BYTES } from '../platform/api/request-limits.js';
import type { AppEnv } from '../platform/api/http.js';
import { nodeResponseHeaders, staticSecurityHeaders } from '../platform/api/response-headers.js';

/**
 * The Node HTTP server for the app (the control API locally; site listeners should use it too). Its header
 * limit lets the longest site API request target through to the app, which enforces each route's limits
 * in the route's own error format; a head larger still is answered here with a problem+json 431 instead
 * of Node's empty one. (Node reports the overflow on the packet that crossed the limit, which no longer
 * holds the request line, so the route, and with it the route's own format, is unknown at that point.)
 */
export function createApiServer(app: Hono<AppEnv>): Server {
  const server = createAdaptorServer({ fetch: nodeFetch(app), serverOptions: HTTP_SERVER_OPTIONS }) as Server;
  answerClientErrors(server, app);
  return server;
}

type FetchCallback = Parameters<typeof getRequestListener>[0];

/**
 * The app behind a Node server that sets the security headers and request id itself (an app created with
 * `headersAtServer`), with `bindings` added to the app's env (a site listener's hostname).
 */
export function nodeFetch(app: Hono<AppEnv>, bindings: object = {}): FetchCallback {
  const headers = nodeResponseHeaders();
  // Only HTTP/1.1 servers here (node:http, node:https): the env is theirs.
  return async (request, env) => {
    const { incoming, outgoing } = env as { incoming: IncomingMessage; outgoing: ServerResponse };
    return app.fetch(request, { ...(await headers(incoming, outgoing)), ...bindings });
  };
}

/** Options for every Node server in front of the app (the API port and the per-site listeners). */
export const HTTP_SERVER_OPTIONS = { maxHeaderSize: SERVER_MAX_HEADER_BYTES } as const;

/**
 * Answers requests Node cannot parse (`clientError`) itself: 431 with a body, others as Node would. The 431
 * is rendered by the app for `path`: on the API port a path no route has (problem+json), on a site port `/`
 * (the site's HTML).
 */
export function answerClientErrors(server: Server, app: Hono<AppEnv>, path = '/v1/'): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    void answerClientError(app, error, socket, path);
  });
}

const REASONS: Record<number, string> = { 400: 'Bad Request', 408: 'Request Timeout', 413: 'Payload Too Large', 414: 'URI Too Long', 431: 'Request Header Fields Too Large' };

/** Node's own answers for unparsable requests (`clientError` replaces its default handler), except 431. */
async function answerClientError(app: Hono<AppEnv>, error: NodeJS.ErrnoException, socket: Duplex, path: string): Promise<void> {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  if (error.code !== 'HPE_HEADER_OVERFLOW') {
    const status = error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : error.code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW' ? 413 : 400;
    socket.end(`HTTP/1.1 ${status} ${REASONS[status]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    return;
  }
  try {
    const res = await app.fetch(headerOverflowRequest('GET', path));
    const body = Buffer.from(await res.arrayBuffer());
    const own = [...res.headers].filter(([name]) => name !== 'content-length' && name !== 'connection' && name !== 'transfer-encoding');
    // The app behind a Node server leaves the security headers to the server (nodeFetch).
    const headers = [...(await staticSecurityHeaders()).filter(([name]) => !res.headers.has(name)), ...own];
    const head = [`HTTP/1.1 ${res.status} ${REASONS[res.status] ?? 'Error'}`, ...headers.map(([k, v]) => `${k}: ${v}`), `Content-Length: ${body.length}`, 'Connection: close'];
    socket.end(Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`), body]));
  } catch {
    socket.end('HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  }
}
