/**
 * Security headers and the request id on every response. On Lambda they are set by Hono middleware. The local
 * Node servers set them on the Node response before the app runs instead (Node merges them under the app's own
 * headers, so a handler's header still wins, as with `overwrite: false`): changing a finished Response's
 * headers makes @hono/node-server build a full WHATWG Headers object for it, which was about half the cost of
 * a small site API answer.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Hono, type MiddlewareHandler } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import { REQUEST_ID_HEADER, requestIdFrom } from './observe.js';
import type { AppEnv } from './http.js';

// Handlers that set their own (the console's CSP) keep them.
export const securityHeaders = (): MiddlewareHandler<AppEnv> => secureHeaders({ referrerPolicy: 'no-referrer', overwrite: false });

let computed: Promise<[string, string][]> | undefined;

/** What `securityHeaders` adds to a response that sets none itself (static with these options; worked out once). */
export function staticSecurityHeaders(): Promise<[string, string][]> {
  computed ??= Promise.resolve(new Hono().use(securityHeaders()).get('/', (c) => c.body(null, 204)).request('/')).then((res) => [...res.headers]);
  return computed;
}

/** What a Node server passes the app when it has set these headers already (see `observeRequests`). */
export interface NodeHeaderBindings {
  incoming: IncomingMessage;
  outgoing: ServerResponse;
  requestId: string;
}

/** Sets the security headers and the request id on the Node response; returns the bindings for the app. */
export function nodeResponseHeaders(): (incoming: IncomingMessage, outgoing: ServerResponse) => Promise<NodeHeaderBindings> {
  const headers = staticSecurityHeaders();
  return async (incoming, outgoing) => {
    for (const [name, value] of await headers) outgoing.setHeader(name, value);
    const header = incoming.headers[REQUEST_ID_HEADER];
    const requestId = requestIdFrom(typeof header === 'string' ? header : undefined);
    outgoing.setHeader(REQUEST_ID_HEADER, requestId);
    return { incoming, outgoing, requestId };
  };
}
