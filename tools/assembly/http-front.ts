import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AccessLedger } from './access-ledger.js';
import type { Deployment, FunctionSpec, FunctionUrlSpec, HttpApiSpec, RouteSpec } from './deployment.js';
import type { LambdaService } from './lambda-service.js';

/** HTTP APIs accept request payloads up to 10 MB. */
const HTTP_API_PAYLOAD_LIMIT = 10 * 1024 * 1024;

/** A request the fronts served, for reports and failure diagnosis. */
export interface AccessLogEntry {
  front: string;
  method: string;
  path: string;
  routeKey?: string;
  functionName?: string;
  status: number;
  error?: string;
}

/** Request bodies API Gateway and Function URLs pass as text; anything else arrives base64-encoded. */
const TEXT_TYPE = /^(text\/|application\/(json|xml|x-www-form-urlencoded|javascript|problem\+json|[\w.+-]+\+(json|xml)))/i;

const close = (server: Server) =>
  new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

const clfTime = (d: Date) => {
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${months[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
};

/** The payload-format-2.0 request fields API Gateway and Function URLs share. */
function eventBase(req: IncomingMessage, body: Buffer, domain: { name: string; apiId: string; account: string }, routeKey: string) {
  const url = new URL(req.url ?? '/', 'http://front.local');
  const headers: Record<string, string> = {};
  let cookies: string[] | undefined;
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!.toLowerCase();
    const value = req.rawHeaders[i + 1]!;
    if (name === 'cookie') {
      cookies = [...(cookies ?? []), ...value.split(/;\s*/).filter(Boolean)];
      continue;
    }
    headers[name] = headers[name] !== undefined ? `${headers[name]},${value}` : value;
  }
  headers.host = domain.name;
  headers['x-forwarded-proto'] = 'https';
  headers['x-forwarded-for'] = '198.51.100.10';
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = query[k] !== undefined ? `${query[k]},${v}` : v;
  const text = !headers['content-type'] || TEXT_TYPE.test(headers['content-type']);
  const now = new Date();
  return {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    ...(cookies ? { cookies } : {}),
    headers,
    ...(Object.keys(query).length ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: domain.account,
      apiId: domain.apiId,
      domainName: domain.name,
      domainPrefix: domain.name.split('.')[0],
      http: { method: req.method ?? 'GET', path: url.pathname, protocol: 'HTTP/1.1', sourceIp: '198.51.100.10', userAgent: headers['user-agent'] ?? '' },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: clfTime(now),
      timeEpoch: now.getTime(),
    },
    ...(body.length ? { body: text ? body.toString('utf8') : body.toString('base64') } : {}),
    isBase64Encoded: body.length > 0 && !text,
  };
}

function sendJson(res: ServerResponse, status: number, message: string) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ message }));
}

const segments = (path: string) => path.split('/').filter(Boolean);

/** Matches a request path against a route path (`{id}`, greedy `{proxy+}`); returns the path parameters. */
export function matchRoutePath(routePath: string, requestPath: string): Record<string, string> | undefined {
  const want = segments(routePath);
  const got = segments(requestPath);
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const greedy = /^\{(\w+)\+\}$/.exec(w);
    if (greedy) {
      if (i !== want.length - 1 || got.length <= i) return undefined;
      params[greedy[1]!] = got.slice(i).map(decodeURIComponent).join('/');
      return params;
    }
    const g = got[i];
    if (g === undefined) return undefined;
    const variable = /^\{(\w+)\}$/.exec(w);
    if (variable) params[variable[1]!] = decodeURIComponent(g);
    else if (w !== g) return undefined;
  }
  return got.length === want.length ? params : undefined;
}

/** API Gateway's choice among matching routes: literal segments before variables before greedy; a method before ANY. */
export function selectRoute(routes: readonly RouteSpec[], method: string, path: string): { route: RouteSpec; params: Record<string, string> } | undefined {
  const rank = (r: RouteSpec) => segments(r.path!).map((s) => (/^\{\w+\+\}$/.test(s) ? 2 : /^\{\w+\}$/.test(s) ? 1 : 0));
  const candidates = routes
    .filter((r) => r.path && (r.method === method || r.method === 'ANY'))
    .map((route) => ({ route, params: matchRoutePath(route.path!, path) }))
    .filter((c): c is { route: RouteSpec; params: Record<string, string> } => c.params !== undefined)
    .sort((a, b) => {
      const ra = rank(a.route);
      const rb = rank(b.route);
      for (let i = 0; i < Math.max(ra.length, rb.length); i++) if ((ra[i] ?? -1) !== (rb[i] ?? -1)) return (ra[i] ?? -1) - (rb[i] ?? -1);
      return (a.route.method === 'ANY' ? 1 : 0) - (b.route.method === 'ANY' ? 1 : 0);
    });
  if (candidates[0]) return candidates[0];
  const fallback = routes.find((r) => r.routeKey === '$default');
  return fallback ? { route: fallback, params: {} } : undefined;
}

/** Writes a payload-format-2.0 Lambda result as API Gateway does. */
function writeLambdaResult(res: ServerResponse, payload: string) {
  let result: unknown;
  try {
    result = JSON.parse(payload);
  } catch {
    return sendJson(res, 500, 'Internal Server Error');
  }
  if (!result || typeof result !== 'object' || !('statusCode' in result)) {
    // Without a statusCode the whole result is the JSON body of a 200.
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(typeof result === 'string' ? result : payload);
    return;
  }
  const r = result as { statusCode: number; headers?: Record<string, string>; cookies?: string[]; body?: string; isBase64Encoded?: boolean };
  const headers: Record<string, string | string[]> = { ...(r.headers ?? {}) };
  if (r.cookies?.length) headers['set-cookie'] = r.cookies;
  const body = r.body === undefined ? Buffer.alloc(0) : r.isBase64Encoded ? Buffer.from(r.body, 'base64') : Buffer.from(r.body);
  res.writeHead(r.statusCode, { ...headers, 'content-length': String(body.length) });
  res.end(body);
}

/**
 * The template's HTTP API: routes from its `AWS::ApiGatewayV2::Route` resources, each integration's function
 * invoked with a payload-format-2.0 event after the function's resource policy allows API Gateway to invoke
 * it for this route's source ARN.
 */
export class HttpApiFront {
  constructor(
    private readonly server: Server,
    private readonly api: HttpApiSpec,
    private readonly deployment: Deployment,
    private readonly lambda: LambdaService,
    private readonly ledger: AccessLedger,
    private readonly accessLog: AccessLogEntry[],
  ) {
    server.on('request', (req, res) => void this.handle(req, res).catch((e) => sendJson(res, 500, `assembly runner: ${String(e)}`)));
  }

  close = () => close(this.server);

  private async handle(req: IncomingMessage, res: ServerResponse) {
    const method = req.method ?? 'GET';
    const path = new URL(req.url ?? '/', 'http://front.local').pathname;
    const log = (entry: Partial<AccessLogEntry> & { status: number }) => this.accessLog.push({ front: 'HTTP API', method, path, ...entry });
    const body = await readBody(req);
    if (body.length > HTTP_API_PAYLOAD_LIMIT) {
      log({ status: 413 });
      return sendJson(res, 413, 'Request Entity Too Large');
    }
    const selected = selectRoute(this.api.routes, method, path);
    if (!selected) {
      log({ status: 404 });
      return sendJson(res, 404, 'Not Found');
    }
    const { route, params } = selected;
    const fn = this.deployment.functions.find((f) => f.arn === route.functionArn)!;
    const { region, account, partition } = this.deployment.env;
    const sourceArn = `arn:${partition}:execute-api:${region}:${account}:${this.api.apiId}/$default/${route.method ?? '$default'}${route.path ?? ''}`;
    const allowed = this.ledger.checkInvoke(fn.arn, `API Gateway (route ${route.routeKey})`, { kind: 'Service', id: 'apigateway.amazonaws.com' }, 'lambda:InvokeFunction', { 'aws:SourceArn': sourceArn, 'aws:SourceAccount': account });
    if (allowed.decision !== 'allow') {
      log({ status: 500, routeKey: route.routeKey, functionName: fn.name, error: 'API Gateway may not invoke the function' });
      return sendJson(res, 500, 'Internal Server Error');
    }
    if (route.payloadFormatVersion !== '2.0') {
      log({ status: 500, routeKey: route.routeKey, error: `payload format ${route.payloadFormatVersion} not supported by the runner` });
      return sendJson(res, 500, 'Internal Server Error');
    }
    // A request for one of the API's custom domains arrives with that Host (how a site is addressed on AWS);
    // anything else reached the execute-api name.
    const asked = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
    const host = this.api.customDomains.includes(asked) ? asked : `${this.api.apiId}.execute-api.${region}.${this.deployment.env.urlSuffix}`;
    const domain = { name: host, apiId: this.api.apiId, account };
    const event = { ...eventBase(req, body, domain, route.routeKey), ...(Object.keys(params).length ? { pathParameters: params } : {}) };
    const outcome = await this.lambda.invoke(fn, event);
    if (!outcome.ok) {
      const status = outcome.errorType === 'RequestEntityTooLargeException' ? 413 : 500;
      log({ status, routeKey: route.routeKey, functionName: fn.name, error: `${outcome.errorType}: ${outcome.errorMessage}` });
      return sendJson(res, status, status === 413 ? 'Request Entity Too Large' : 'Internal Server Error');
    }
    writeLambdaResult(res, outcome.payload);
    log({ status: res.statusCode, routeKey: route.routeKey, functionName: fn.name });
  }
}

/** A Function URL: public (AuthType NONE) invocation with the function's resource policy checked, streamed or buffered. */
export class FunctionUrlFront {
  readonly urlId: string;

  constructor(
    private readonly server: Server,
    private readonly spec: FunctionUrlSpec,
    private readonly fn: FunctionSpec,
    private readonly deployment: Deployment,
    private readonly lambda: LambdaService,
    private readonly ledger: AccessLedger,
    private readonly accessLog: AccessLogEntry[],
  ) {
    this.urlId = `${fn.name.replace(/[^a-z0-9]/g, '').slice(-20)}url`;
    server.on('request', (req, res) => void this.handle(req, res).catch((e) => sendJson(res, 500, `assembly runner: ${String(e)}`)));
  }

  close = () => close(this.server);

  private async handle(req: IncomingMessage, res: ServerResponse) {
    const method = req.method ?? 'GET';
    const path = new URL(req.url ?? '/', 'http://front.local').pathname;
    const log = (status: number, error?: string) => this.accessLog.push({ front: 'Function URL', method, path, functionName: this.fn.name, status, error });
    const body = await readBody(req);
    if (this.spec.authType !== 'NONE') {
      log(403, `AuthType ${this.spec.authType}: the runner has no IAM-signed clients`);
      return sendJson(res, 403, 'Forbidden');
    }
    // Public function URLs need both grants (CDK writes the pair: InvokeFunctionUrl and InvokeFunction via the URL).
    const anonymous = undefined;
    const url = this.ledger.checkInvoke(this.fn.arn, 'Function URL client', anonymous, 'lambda:InvokeFunctionUrl', { 'lambda:FunctionUrlAuthType': 'NONE' });
    const invoke = this.ledger.checkInvoke(this.fn.arn, 'Function URL client', anonymous, 'lambda:InvokeFunction', { 'lambda:InvokedViaFunctionUrl': 'true', 'lambda:FunctionUrlAuthType': 'NONE' });
    if (url.decision !== 'allow' || invoke.decision !== 'allow') {
      log(403, 'the function resource policy does not allow public invocation through its URL');
      return sendJson(res, 403, 'Forbidden');
    }
    const { region } = this.deployment.env;
    const event = eventBase(req, body, { name: `${this.urlId}.lambda-url.${region}.on.aws`, apiId: this.urlId, account: 'anonymous' }, '$default');
    if (this.spec.invokeMode !== 'RESPONSE_STREAM') {
      const outcome = await this.lambda.invoke(this.fn, event);
      if (!outcome.ok) {
        log(502, `${outcome.errorType}: ${outcome.errorMessage}`);
        return sendJson(res, 502, 'Internal Server Error');
      }
      writeLambdaResult(res, outcome.payload);
      return log(res.statusCode);
    }
    const relay = new StreamRelay(res);
    const outcome = await this.lambda.invoke(this.fn, event, relay);
    relay.end(outcome.ok ? undefined : `${outcome.errorType}: ${outcome.errorMessage}`);
    log(relay.status, outcome.ok ? undefined : `${outcome.errorType}: ${outcome.errorMessage}`);
  }
}

/**
 * Relays a response stream to the client as the Function URL service does: with the HTTP integration
 * content type, a JSON prelude (status, headers, cookies) ended by 8 NUL bytes precedes the body.
 */
class StreamRelay {
  private mode: 'unknown' | 'prelude' | 'body' = 'unknown';
  private pending = Buffer.alloc(0);
  status = 200;

  constructor(private readonly res: ServerResponse) {}

  start(contentType: string) {
    if (contentType === 'application/vnd.awslambda.http-integration-response') this.mode = 'prelude';
    else {
      this.mode = 'body';
      this.res.writeHead(200, { 'content-type': contentType, 'transfer-encoding': 'chunked' });
    }
  }

  chunk(data: Uint8Array) {
    if (this.mode === 'body') {
      this.res.write(data);
      return;
    }
    this.pending = Buffer.concat([this.pending, data]);
    const delimiter = this.pending.indexOf(Buffer.alloc(8));
    if (delimiter < 0) return;
    const prelude = JSON.parse(this.pending.subarray(0, delimiter).toString('utf8')) as { statusCode?: number; headers?: Record<string, string>; cookies?: string[] };
    this.status = prelude.statusCode ?? 200;
    this.res.writeHead(this.status, { ...(prelude.headers ?? {}), ...(prelude.cookies?.length ? { 'set-cookie': prelude.cookies } : {}), 'transfer-encoding': 'chunked' });
    const rest = this.pending.subarray(delimiter + 8);
    this.mode = 'body';
    this.pending = Buffer.alloc(0);
    if (rest.length) this.res.write(rest);
  }

  end(error?: string) {
    if (this.mode !== 'body' && !this.res.headersSent) {
      this.status = error ? 502 : 200;
      this.res.writeHead(this.status, { 'content-type': 'application/json' });
      this.res.end(error ? JSON.stringify({ message: 'Internal Server Error' }) : undefined);
      return;
    }
    // A failure after the body began cannot change the status: the stream just ends (as on AWS).
    this.res.end();
  }
}
