import { DomainError } from '../core/errors.js';
import { metricsNamespace } from '../observability/metrics.js';
import { problemJson, type RouteHandler } from './http.js';

/** `GET /metrics`: the local runtime's Prometheus registry; on AWS the same metrics are EMF in CloudWatch. */
export const getMetrics: RouteHandler = async (c) => {
  const exposition = c.get('services').metricsExposition;
  if (!exposition) {
    c.set('errorCode', 'MetricsNotServedHere');
    return problemJson(new DomainError('not-found', 'MetricsNotServedHere', `metrics are published to CloudWatch (namespace ${metricsNamespace()}) on AWS; GET /metrics serves them in the local runtime`), 404, c);
  }
  return c.body(await exposition.render(), 200, { 'content-type': exposition.contentType, 'cache-control': 'no-store' });
};
