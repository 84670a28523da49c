import { request } from 'node:http';

export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** Body bytes the client managed to hand to the socket before the answer came (or the server closed). */
  bytesSent: number;
}

export interface RawBodyOptions {
  method?: string;
  headers?: Record<string, string>;
  /** Total body size the client offers. */
  totalBytes: number;
  /** `content-length`: declare the size up front; `chunked`: no length, the body just grows. */
  framing: 'content-length' | 'chunked';
  chunkBytes?: number;
  /** What the body is made of (repeated); JSON-ish by default. */
  fill?: string;
}

/**
 * Sends a (possibly huge) body as fast as the server takes it and stops at the first answer: what an
 * attacker's client does. Resolves with the answer and how many body bytes were written.
 */
export function sendBody(url: string, options: RawBodyOptions): Promise<RawAnswer> {
  const chunkBytes = options.chunkBytes ?? 64 * 1024;
  const chunk = Buffer.alloc(chunkBytes, options.fill ?? '[1,');
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const headers: Record<string, string> = { ...options.headers };
    if (options.framing === 'content-length') headers['content-length'] = String(options.totalBytes);
    const req = request(url, { method: options.method ?? 'POST', headers }, (res) => {
      answered = true;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, bytesSent: sent });
        req.destroy();
      });
      res.on('error', reject);
    });
    req.on('error', (e) => {
      if (!answered) reject(new Error(`no answer after ${sent} body bytes: ${(e as Error).message}`));
    });
    req.flushHeaders();
    const pump = () => {
      while (!answered && sent < options.totalBytes) {
        const n = Math.min(chunkBytes, options.totalBytes - sent);
        sent += n;
        if (!req.write(n === chunkBytes ? chunk : chunk.subarray(0, n))) {
          req.once('drain', pump);
          return;
        }
      }
      if (!answered && sent >= options.totalBytes) req.end();
    };
    pump();
  });
}

/** A request whose head is exactly as given (no body), for URL and header limits. */
export function sendHead(url: string, options: { method?: string; headers?: Record<string, string>; path?: string } = {}): Promise<Omit<RawAnswer, 'bytesSent'>> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const req = request({ host: target.hostname, port: target.port, method: options.method ?? 'GET', path: options.path ?? `${target.pathname}${target.search}`, headers: options.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
