import type { Context } from 'hono';
import { apiFlavor } from '../../core/api-flavor.js';
import { errorInRootXml, rootErrorXml } from '../../core/command-xml.js';
import { errorXml, reportErrorXml } from '../../core/report-xml.js';
import { API_NAMESPACE } from '../../../platform/core/versions.js';
import { STATUS_BY_KIND, type AppEnv, type ErrorFormatter } from '../../../platform/api/http.js';

export const XML_CONTENT_TYPE = 'text/xml; charset=UTF-8';

// The error formatter is synchronous and sees only the error; handlers note the namespace the appliance
// speaks once they have loaded it, keyed by the request (no shared state between requests).
const namespaceByRequest = new WeakMap<Request, string | undefined>();

export const noteApplianceVersion = (c: Context<AppEnv>, productVersion: string) => namespaceByRequest.set(c.req.raw, apiFlavor(productVersion).namespace);

// Requests whose every refusal answers in the vendor's shape (the command API), with the root to write it in.
const vendorErrorsByRequest = new WeakMap<Request, { root?: string }>();

/** From here on, this request's errors are the appliance's own: `<error>text</error>` in `root` (or as the root), no code attribute. */
export const noteVendorErrors = (c: Context<AppEnv>, root: string | undefined) => vendorErrorsByRequest.set(c.req.raw, { root });

/**
 * Status of a vendor-shaped refusal: API-level errors (login failed, permission, unknown action, parameters,
 * no such session) come with HTTP 200 and the XML body, as the appliance answers them (docs/vendor-api.md §3.3);
 * what happens around the API keeps its status: no credential at all or a bad bearer token 401, an oversized
 * or multipart request 413/415, a source over its limit 429, the site down 503.
 */
function vendorStatus(error: Parameters<ErrorFormatter>[0]): number {
  if (error.kind === 'unauthorized') return error.code === 'LoginFailed' ? 200 : 401;
  if (error.kind === 'too-large' || error.kind === 'unsupported-media' || error.kind === 'rate-limited' || error.kind === 'unavailable') return STATUS_BY_KIND[error.kind];
  return 200;
}

/** Headers every refusal carries: the stable code, and what the client needs to retry or authenticate. */
export function errorHeaders(error: Parameters<ErrorFormatter>[0]): Record<string, string> {
  const headers: Record<string, string> = { 'x-error-code': error.code };
  const retry = error.details?.retryAfterSeconds;
  if (typeof retry === 'number') headers['retry-after'] = String(retry);
  if (error.kind === 'unauthorized') headers['www-authenticate'] = 'Bearer realm="api"';
  return headers;
}

/**
 * The appliance's XML `<error>` (namespaced like the rest of its API; the newest flavor when the appliance is
 * unknown). Vendor-shaped refusals (the command API, authentication on every XML API) carry no attribute, so
 * `<error>Login failed</error>` is byte-exact inside a root; others keep our `code` attribute. The stable code
 * is always in `X-Error-Code`.
 */
export const xmlError: ErrorFormatter = (error, status, c) => {
  const namespace = namespaceByRequest.has(c.req.raw) ? namespaceByRequest.get(c.req.raw) : API_NAMESPACE;
  const vendor = vendorErrorsByRequest.get(c.req.raw) ?? (error.details?.vendorError === true ? { root: error.details.errorRoot as string | undefined } : undefined);
  if (vendor) {
    const body = vendor.root ? errorInRootXml({ namespace }, vendor.root, error.message) : rootErrorXml({ namespace }, error.message);
    const code = vendorStatus(error);
    const headers = errorHeaders(error);
    if (code !== 401) delete headers['www-authenticate'];
    return c.body(body, code as typeof status, { 'content-type': XML_CONTENT_TYPE, 'cache-control': 'no-store', ...headers });
  }
  // The reporting API's own refusals (report type and parameters) are answers, as on the appliance: HTTP 200.
  if (error.details?.reportAnswer === true) {
    const root = typeof error.details.reportRoot === 'string' ? error.details.reportRoot : undefined;
    return c.body(reportErrorXml(error.message, namespace, root), 200, { 'content-type': XML_CONTENT_TYPE, 'cache-control': 'no-store', ...errorHeaders(error) });
  }
  return c.body(errorXml(error.message, error.code, namespace), status, { 'content-type': XML_CONTENT_TYPE, ...errorHeaders(error) });
};

/** OAuth2 token endpoint errors (RFC 6749 §5.2 JSON). */
export const oauthError: ErrorFormatter = (error, status, c) => {
  const oauthCode = ['invalid_client', 'invalid_request', 'unsupported_grant_type', 'slow_down'].includes(error.code)
    ? error.code
    : ['validation', 'unsupported-media', 'too-large', 'method-not-allowed', 'uri-too-long', 'headers-too-large'].includes(error.kind)
      ? 'invalid_request'
      : error.kind === 'not-found'
        ? 'invalid_client'
        : 'server_error';
  return c.body(JSON.stringify({ error: oauthCode, error_description: error.message, code: error.code }), status, {
    'content-type': 'application/json',
    'cache-control': 'no-store',
    ...errorHeaders(error),
    ...(error.kind === 'unauthorized' ? { 'www-authenticate': 'Basic realm="oauth2"' } : {}),
  });
};

/** Turns text chunks into a byte stream that is pulled only as fast as the client reads. */
export function streamOf(chunks: AsyncGenerator<string>): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const next = await chunks.next();
        if (next.done) controller.close();
        else controller.enqueue(encoder.encode(next.value));
      },
      async cancel() {
        await chunks.return(undefined);
      },
    },
    { highWaterMark: 1 },
  );
}
