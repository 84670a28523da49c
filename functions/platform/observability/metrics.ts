/**
 * Operational metrics, one catalog for both runtimes. `recordMetric` feeds every registered sink (the
 * local runtime registers a Prometheus registry, served at `GET /metrics`) and, where EMF is on (Lambda,
 * or `METRICS_EMF=true`), buffers the point for `flushMetrics`, which writes CloudWatch Embedded Metric
 * Format documents built by AWS Powertools Metrics. Flushed at the end of every request, task and
 * scheduler pass, so a Lambda invocation never leaves its metrics behind.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

type Unit = (typeof MetricUnit)[keyof typeof MetricUnit];

export interface MetricSpec {
  unit: Unit;
  /** Dimension keys the metric may carry (besides `service`). */
  dimensions?: readonly string[];
}

/** Names, units and dimensions; the Prometheus names and help texts live with the local registry (functions/local/prometheus.ts). */
export const METRICS = {
  WindowsStarted: { unit: MetricUnit.Count },
  WindowsSucceeded: { unit: MetricUnit.Count },
  WindowsFailed: { unit: MetricUnit.Count },
  WindowsCancelled: { unit: MetricUnit.Count },
  WindowsInterrupted: { unit: MetricUnit.Count },
  InterimGateRefusals: { unit: MetricUnit.Count },
  InterimGateOverrides: { unit: MetricUnit.Count },
  InstallMinutes: { unit: MetricUnit.NoUnit },
  InstallEstimateMinutes: { unit: MetricUnit.NoUnit },
  InstallOverEstimateMinutes: { unit: MetricUnit.NoUnit },
  SessionsLost: { unit: MetricUnit.Count },
  ApiErrors: { unit: MetricUnit.Count, dimensions: ['route', 'status'] },
} as const satisfies Record<string, MetricSpec>;

export type MetricName = keyof typeof METRICS;

export interface MetricPoint {
  name: MetricName;
  value: number;
  dimensions: Record<string, string>;
  /** Searchable context on the EMF document (run id, window, appliance); never a dimension. */
  metadata?: Record<string, string | number>;
}

export type MetricSink = (point: MetricPoint) => void;

const sinks = new Set<MetricSink>();

/** Registers a sink (the local Prometheus registry); returns its removal. */
export function addMetricSink(sink: MetricSink): () => void {
  sinks.add(sink);
  return () => sinks.delete(sink);
}

/** CloudWatch namespace of the control plane's metrics (CDK alarms read it). */
export const METRICS_NAMESPACE = 'UpgradeControlPlane';

/** Namespace and the `service` dimension every document carries (CDK sets both per stage). */
export const metricsNamespace = (env = process.env) => env.POWERTOOLS_METRICS_NAMESPACE?.trim() || METRICS_NAMESPACE;
export const metricsService = (env = process.env) => env.METRICS_SERVICE_NAME?.trim() || 'upgrade-cp-local';
/** Read once at cold start (as every setting is), so a function that emits no metric still validates its environment. */
const identity = { namespace: metricsNamespace(), service: metricsService() };

const emfDefault = () => {
  const flag = process.env.METRICS_EMF?.trim().toLowerCase();
  if (flag === 'true' || flag === 'false') return flag === 'true';
  return Boolean(process.env.AWS_LAMBDA_FUNCTION_NAME);
};
const writeEmf = (document: object) => process.stdout.write(`${JSON.stringify(document)}\n`);
let emfSink: ((document: object) => void) | undefined = emfDefault() ? writeEmf : undefined;
let pending: MetricPoint[] = [];

/** Where EMF documents go (tests capture them; `undefined` turns EMF off); returns the restore. */
export function setEmfSink(next: ((document: object) => void) | undefined): () => void {
  const previous = emfSink;
  emfSink = next;
  return () => {
    emfSink = previous;
  };
}

export function recordMetric(name: MetricName, value = 1, dimensions: Record<string, string> = {}, metadata?: Record<string, string | number>): void {
  if (!Number.isFinite(value)) return;
  const point: MetricPoint = { name, value, dimensions, ...(metadata ? { metadata } : {}) };
  for (const sink of sinks) sink(point);
  if (emfSink) pending.push(point);
}

/** EMF documents for `points`: one per distinct dimensions + metadata (Powertools builds and validates each). */
export function emfDocuments(points: readonly MetricPoint[], env?: Record<string, string | undefined>): object[] {
  const { namespace, service } = env ? { namespace: metricsNamespace(env), service: metricsService(env) } : identity;
  const groups = new Map<string, MetricPoint[]>();
  for (const p of points) {
    const key = JSON.stringify([Object.entries(p.dimensions).sort(), p.metadata ?? {}]);
    groups.set(key, [...(groups.get(key) ?? []), p]);
  }
  return [...groups.values()].map((group) => {
    const metrics = new Metrics({ namespace, serviceName: service });
    const first = group[0]!;
    for (const [k, v] of Object.entries(first.dimensions)) metrics.addDimension(k, v);
    for (const [k, v] of Object.entries(first.metadata ?? {})) metrics.addMetadata(k, String(v));
    for (const p of group) metrics.addMetric(p.name, METRICS[p.name].unit, p.value);
    return metrics.serializeMetrics();
  });
}

/** Writes the buffered points as EMF (no-op when nothing is buffered or EMF is off). */
export function flushMetrics(): void {
  if (!emfSink || pending.length === 0) return;
  const points = pending;
  pending = [];
  for (const document of emfDocuments(points)) emfSink(document);
}
