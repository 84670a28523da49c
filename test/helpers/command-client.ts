/**
 * An outside client of one appliance site: everything goes over HTTP to a base URL, so the same helpers drive
 * `/appliances/:id` today and the site root (`https://a.support.example.com`) once sites are mounted there.
 */
import { request as httpRequest } from 'node:http';
import { rawFetch } from './runtime.js';
import { siteRequest } from './site-client.js';

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
}

/** How a call authenticates: a site user (query string or form body, as legacy clients do), a bearer token, or nothing. */
export type Auth = { user: string; password: string; via?: 'query' | 'form' } | { bearer: string } | undefined;

export interface SiteClient {
  base: string;
  /** `/api/command` with `params`; GET unless the credential goes in a form (then POST url-encoded). */
  command(params: Record<string, string>, auth?: Auth, path?: string): Promise<Reply>;
  reporting(params: Record<string, string>, auth?: Auth): Promise<Reply>;
  get(path: string, init?: RequestInit): Promise<Reply>;
  /** POST /oauth2/token with the given headers and body. */
  token(headers: Record<string, string>, body: string): Promise<Reply & { json: Record<string, unknown> }>;
}

type Send = (url: string, init: { method?: string; headers?: Record<string, string>; body?: string }) => Promise<Reply>;

const byFetch: Send = async (url, init) => {
  const res = await rawFetch(url, init);
  return { status: res.status, headers: res.headers, text: await res.text() };
};
/** Addressed by Host header (fetch cannot set it): the site root on the main port. */
const byHost =
  (host: string): Send =>
  async (url, init) => {
    const res = await siteRequest(url, { ...init, host });
    const headers = new Headers();
    for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(', ') : v);
    return { status: res.status, headers, text: res.body };
  };

async function call(send: Send, base: string, path: string, params: Record<string, string>, auth: Auth): Promise<Reply> {
  const all = new URLSearchParams(params);
  const headers: Record<string, string> = {};
  if (auth && 'bearer' in auth) headers.authorization = `Bearer ${auth.bearer}`;
  if (auth && 'user' in auth) {
    if (auth.via === 'form') {
      const body = new URLSearchParams({ username: auth.user, password: auth.password, ...params }).toString();
      return send(`${base}${path}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' }, body });
    }
    all.set('username', auth.user);
    all.set('password', auth.password);
  }
  return send(`${base}${path}?${all}`, { headers });
}

/** A client of the site at `base` (`…/appliances/:id`, or a site root; with `host`, the site root addressed by Host header). */
export function siteClient(base: string, host?: string): SiteClient {
  const send = host ? byHost(host) : byFetch;
  return {
    base,
    command: (params, auth, path = '/api/command') => call(send, base, path, params, auth),
    reporting: (params, auth) => call(send, base, '/api/reporting', params, auth),
    get: (path, init) => send(`${base}${path}`, { method: init?.method, headers: init?.headers as Record<string, string> | undefined, body: init?.body as string | undefined }),
    async token(headers, body) {
      const res = await send(`${base}/oauth2/token`, { method: 'POST', headers, body });
      const text = res.text;
      let json: Record<string, unknown> = {};
      try {
        json = JSON.parse(text) as Record<string, unknown>;
      } catch {
        // not JSON: the test looks at the text
      }
      return { status: res.status, headers: res.headers, text, json };
    },
  };
}

/** A request from another client address on the loopback network (127.0.0.x), for per-source limits. */
export function fromSource(url: string, localAddress: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = httpRequest({ host: u.hostname, port: u.port, path: `${u.pathname}${u.search}`, method: init.method ?? 'GET', headers: init.headers, localAddress }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

export const basicAuth = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
