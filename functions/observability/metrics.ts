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
  help: string;
  /** Prometheus exposition: counters sum the values, histograms keep the distribution. */
  prometheus: { name: string; type: 'counter' | 'histogram'; buckets?: number[] };
  /** Dimension keys the metric may carry (besides `service`). */
  dimensions?: readonly string[];
}

const MINUTE_BUCKETS = [5, 15, 30, 45, 60, 90, 120, 180, 240, 360, 480];

export const METRICS = {
  WindowsStarted: { unit: MetricUnit.Count, help: 'Maintenance-window executions started (a resumed window counts again)', prometheus: { name: 'upgrade_cp_windows_started_total', type: 'counter' } },
  WindowsSucceeded: { unit: MetricUnit.Count, help: 'Maintenance windows that ended successfully', prometheus: { name: 'upgrade_cp_windows_succeeded_total', type: 'counter' } },
  WindowsFailed: { unit: MetricUnit.Count, help: 'Maintenance windows that failed (not counting cancellations)', prometheus: { name: 'upgrade_cp_windows_failed_total', type: 'counter' } },
  WindowsCancelled: { unit: MetricUnit.Count, help: 'Running maintenance windows stopped by a cancel', prometheus: { name: 'upgrade_cp_windows_cancelled_total', type: 'counter' } },
  WindowsInterrupted: { unit: MetricUnit.Count, help: 'Maintenance windows whose execution ended without reporting (resumable)', prometheus: { name: 'upgrade_cp_windows_interrupted_total', type: 'counter' } },
  InterimGateRefusals: { unit: MetricUnit.Count, help: 'Window 2 starts refused by the closed interim gate', prometheus: { name: 'upgrade_cp_interim_gate_refusals_total', type: 'counter' } },
  InterimGateOverrides: { unit: MetricUnit.Count, help: 'Interim gates opened by an override (reason audited)', prometheus: { name: 'upgrade_cp_interim_gate_overrides_total', type: 'counter' } },
  InstallMinutes: { unit: MetricUnit.NoUnit, help: 'Modelled minutes an install took, start to online', prometheus: { name: 'upgrade_cp_install_minutes', type: 'histogram', buckets: MINUTE_BUCKETS } },
  InstallEstimateMinutes: { unit: MetricUnit.NoUnit, help: 'Estimated minutes of the same installs', prometheus: { name: 'upgrade_cp_install_estimate_minutes', type: 'histogram', buckets: MINUTE_BUCKETS } },
  InstallOverEstimateMinutes: { unit: MetricUnit.NoUnit, help: 'Minutes an install ran past its estimate (0 when within)', prometheus: { name: 'upgrade_cp_install_over_estimate_minutes', type: 'histogram', buckets: [0, 1, 5, 15, 30, 60, 120] } },
  SessionsLost: { unit: MetricUnit.Count, help: 'Completed sessions missing on the serving appliance at the interim check (must stay 0)', prometheus: { name: 'upgrade_cp_sessions_lost_total', type: 'counter' } },
  ApiErrors: { unit: MetricUnit.Count, help: 'HTTP answers with status >= 400, by route pattern and status', prometheus: { name: 'upgrade_cp_api_errors_total', type: 'counter' }, dimensions: ['route', 'status'] },
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
export function emfDocuments(points: readonly MetricPoint[], env = process.env): object[] {
  const groups = new Map<string, MetricPoint[]>();
  for (const p of points) {
    const key = JSON.stringify([Object.entries(p.dimensions).sort(), p.metadata ?? {}]);
    groups.set(key, [...(groups.get(key) ?? []), p]);
  }
  return [...groups.values()].map((group) => {
    const metrics = new Metrics({ namespace: metricsNamespace(env), serviceName: metricsService(env) });
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
