import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describeDenial, type AccessLedger, type Observation } from './access-ledger.js';
import { describeCall, signatureOf, type SignedRequest } from './aws-calls.js';
import type { Route53StandIn, SchedulerStandIn, SecretsManagerStandIn } from './service-stand-ins.js';

/** Who signs with an access key: each function gets its own, so the key in the SigV4 scope names the caller. */
export interface Caller {
  functionName: string;
  roleArn: string;
}

export interface AwsEndpointOptions {
  ledger: AccessLedger;
  callers: ReadonlyMap<string, Caller>;
  /** Where allowed calls go: the embedded emulators and stand-ins. */
  dynamodb: string;
  s3: string;
  stepFunctions: string;
  scheduler: SchedulerStandIn;
  route53: Route53StandIn;
  secretsManager: SecretsManagerStandIn;
  account: string;
}

/** Calls the runner could not attribute or serve (unsigned, unknown key, a service without emulator). */
export interface EndpointProblem {
  problem: string;
  request: string;
}

/**
 * The one AWS endpoint every function's SDK is pointed at (`AWS_ENDPOINT_URL`): it reads the SigV4
 * credential scope (which function, which service), maps the request to IAM actions and resources,
 * evaluates them against that function's role, answers AccessDenied in the service's own format when the
 * policy would deny, and otherwise forwards to the emulator (or stand-in) for that service.
 */
export class AwsEndpoint {
  readonly problems: EndpointProblem[] = [];
  /** Calls served per service and operation, with the time the emulator took (ms). */
  readonly stats = new Map<string, { calls: number; ms: number }>();
  private server?: Server;
  url = '';

  constructor(private readonly options: AwsEndpointOptions) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    await new Promise<void>((resolve) => {
      this.server!.close(() => resolve());
      this.server!.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse) {
    try {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const signed: SignedRequest = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks) };
      const sig = signatureOf(signed);
      const label = `${signed.method} ${signed.url.slice(0, 200)}`;
      if (!sig) return this.refuse(res, 403, `unsigned request ${label}`, label);
      const caller = this.options.callers.get(sig.accessKeyId);
      if (!caller) return this.refuse(res, 403, `request signed with access key ${sig.accessKeyId}, which belongs to no function of the template (hard-coded credentials?)`, label);
      const call = describeCall(signed, sig, this.options.account);
      if (!call.permissions.length) return this.refuse(res, 501, `${caller.functionName} called ${sig.service} (${label}), which the assembly runner does not emulate`, label);
      const observed = call.permissions.map((p) => this.options.ledger.checkRoleCall(caller.roleArn, caller.functionName, 'sdk', call.operation, p));
      const denied = observed.find((o) => o.decision !== 'allow');
      if (denied) return accessDenied(res, sig.service, denied, signed.method);
      const begun = performance.now();
      await this.forward(sig.service, signed, res);
      const key = `${sig.service}:${call.operation}`;
      const st = this.stats.get(key) ?? { calls: 0, ms: 0 };
      st.calls++;
      st.ms += performance.now() - begun;
      this.stats.set(key, st);
    } catch (e) {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ __type: 'InternalFailure', message: `assembly runner endpoint: ${String(e)}` }));
    }
  }

  private refuse(res: ServerResponse, status: number, problem: string, request: string) {
    this.problems.push({ problem, request });
    res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': 'UnrecognizedClientException' });
    res.end(JSON.stringify({ __type: 'UnrecognizedClientException', message: problem }));
  }

  private async forward(service: string, req: SignedRequest, res: ServerResponse) {
    const { options } = this;
    if (service === 'scheduler' || service === 'route53') {
      const answer = (service === 'scheduler' ? options.scheduler : options.route53).handle(req.method, req.url, req.body);
      res.writeHead(answer.status, { ...answer.headers, 'content-length': String(Buffer.byteLength(answer.body)) });
      res.end(answer.body);
      return;
    }
    if (service === 'secretsmanager') {
      const answer = options.secretsManager.handle(String(req.headers['x-amz-target'] ?? '').split('.').pop() ?? '', req.body);
      res.writeHead(answer.status, { ...answer.headers, 'content-length': String(Buffer.byteLength(answer.body)) });
      res.end(answer.body);
      return;
    }
    const base = service === 'dynamodb' ? options.dynamodb : service === 's3' ? options.s3 : options.stepFunctions;
    const headers = { ...req.headers };
    let body = req.body;
    if (service === 's3') {
      // s3rver checks signatures with its own fixed key; the policy check is done, so the request goes on unsigned.
      for (const h of ['authorization', 'x-amz-security-token']) delete headers[h];
      if (String(headers['content-encoding'] ?? '').includes('aws-chunked') || String(headers['x-amz-content-sha256'] ?? '').startsWith('STREAMING-')) {
        body = decodeAwsChunked(body);
        for (const h of ['x-amz-decoded-content-length', 'x-amz-trailer']) delete headers[h];
        headers['content-encoding'] = String(headers['content-encoding'] ?? '').replace(/aws-chunked,?/, '') || undefined;
        headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
      }
      headers['content-length'] = String(body.length);
    }
    const target = new URL(base);
    await new Promise<void>((resolve, reject) => {
      const out = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...headers, host: target.host } }, (upstream) => {
        res.writeHead(upstream.statusCode ?? 502, upstream.headers);
        upstream.pipe(res);
        upstream.once('end', resolve);
        upstream.once('error', reject);
      });
      out.once('error', reject);
      out.end(body);
    });
  }
}

/** AccessDenied as each protocol renders it (AWS JSON for DynamoDB/Step Functions, REST XML for S3/Route 53, REST JSON for Scheduler). */
function accessDenied(res: ServerResponse, service: string, o: Observation, method: string) {
  const message = `User: ${o.caller} is not authorized to perform: ${o.action} on resource: ${o.resource} (assembly runner: ${describeDenial(o)})`;
  if (service === 's3') {
    res.writeHead(403, { 'content-type': 'application/xml' });
    res.end(method === 'HEAD' ? undefined : `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>${escapeXml(message)}</Message></Error>`);
  } else if (service === 'route53') {
    res.writeHead(403, { 'content-type': 'text/xml' });
    res.end(`<?xml version="1.0"?>\n<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>${escapeXml(message)}</Message></Error></ErrorResponse>`);
  } else if (service === 'scheduler') {
    res.writeHead(403, { 'content-type': 'application/json', 'x-amzn-errortype': 'AccessDeniedException' });
    res.end(JSON.stringify({ Message: message }));
  } else {
    res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-errortype': 'AccessDeniedException' });
    res.end(JSON.stringify({ __type: 'com.amazon.coral.service#AccessDeniedException', Message: message, message }));
  }
}

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Decodes an `aws-chunked` body (SigV4 streaming, optional trailing checksums) into the plain payload. */
export function decodeAwsChunked(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = body.indexOf('\r\n', at);
    if (lineEnd < 0) break;
    const size = parseInt(body.subarray(at, lineEnd).toString('latin1').split(';')[0]!, 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}
