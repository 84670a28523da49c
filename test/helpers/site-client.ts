/**
 * An outside client of a site, over the wire: node:http / node:https, because fetch cannot set `Host`.
 * Sends no credential unless the test gives one.
 */
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';

export interface SiteResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface SiteRequest {
  method?: string;
  /** The Host header (default: the URL's authority). */
  host?: string;
  headers?: Record<string, string>;
  body?: string;
  /** For https: the only CA the client trusts (nothing else: not the system store). */
  ca?: string;
  /** For https: the TLS server name to verify (default: the URL's hostname, never the Host header). */
  servername?: string;
  /** Name resolution (e.g. a stand-in for a hosts entry). */
  lookup?: LookupFunction;
}

export function siteRequest(url: string, options: SiteRequest = {}): Promise<SiteResponse> {
  const target = new URL(url);
  const secure = target.protocol === 'https:';
  const headers: Record<string, string> = { ...(options.host ? { host: options.host } : {}), ...options.headers };
  if (options.body !== undefined) headers['content-length'] = String(Buffer.byteLength(options.body));
  return new Promise((resolve, reject) => {
    const request = (secure ? https : http).request(
      {
        hostname: target.hostname,
        port: target.port,
        path: `${target.pathname}${target.search}`,
        method: options.method ?? 'GET',
        headers,
        agent: false,
        lookup: options.lookup,
        // '' = no SNI, identity checked against the address (an IP SAN); Node would otherwise take the Host header.
        ...(secure ? { ca: options.ca, servername: options.servername ?? (isIP(target.hostname) ? '' : target.hostname), rejectUnauthorized: true } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(options.body);
  });
}

/** Form-encoded POST body. */
export const form = (params: Record<string, string>) => new URLSearchParams(params).toString();
