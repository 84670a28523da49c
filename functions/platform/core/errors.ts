/**
 * Domain errors. Every refusal the control plane makes is one of these: a stable machine-readable
 * `code`, a human `message`, and optional `details`. The HTTP layer maps `kind` to a status in one place.
 */
export type ErrorKind =
  | 'validation' // 400: the request itself is malformed
  | 'unauthorized' // 401
  | 'forbidden' // 403
  | 'not-found' // 404
  | 'method-not-allowed' // 405: the path exists, the method does not (the answer carries `Allow`)
  | 'conflict' // 409: state does not allow it now (busy, already exists, version race)
  | 'precondition' // 412/422: a domain rule refuses it (prerequisite unmet, pair not in sync)
  | 'too-large' // 413: the request body is over the route's limit
  | 'uri-too-long' // 414: the request target is over the route's limit
  | 'unsupported-media' // 415
  | 'rate-limited' // 429
  | 'headers-too-large' // 431: request line and headers over the server's limit
  | 'unavailable'; // 503: e.g. site down while installing

export class DomainError extends Error {
  constructor(
    readonly kind: ErrorKind,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    // Step Functions matches Retry/Catch on `name`, so the code doubles as the error name.
    this.name = code;
  }
}

export const validationError = (code: string, message: string, details?: Record<string, unknown>) =>
  new DomainError('validation', code, message, details);
export const notFound = (code: string, message: string, details?: Record<string, unknown>) =>
  new DomainError('not-found', code, message, details);
export const conflict = (code: string, message: string, details?: Record<string, unknown>) =>
  new DomainError('conflict', code, message, details);
export const preconditionFailed = (code: string, message: string, details?: Record<string, unknown>) =>
  new DomainError('precondition', code, message, details);

export const isDomainError = (e: unknown): e is DomainError => e instanceof DomainError;
