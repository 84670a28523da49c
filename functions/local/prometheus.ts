/**
 * The local runtime's metrics in Prometheus text format (`GET /metrics`), from the same catalog and the
 * same `recordMetric` calls that become EMF on Lambda. prom-client is imported only here, so no Lambda
 * bundle carries it.
 */
import { Counter, Histogram, Registry } from 'prom-client';
import { addMetricSink, METRICS, type MetricName, type MetricPoint } from '../platform/observability/metrics.js';

const MINUTE_BUCKETS = [5, 15, 30, 45, 60, 90, 120, 180, 240, 360, 480];

/** Exposition names, types and help of every metric of the catalog (counters sum, histograms keep the distribution). */
const PROMETHEUS: Record<MetricName, { name: string; type: 'counter' | 'histogram'; help: string; buckets?: number[] }> = {
  WindowsStarted: { help: 'Maintenance-window executions started (a resumed window counts again)', name: 'upgrade_cp_windows_started_total', type: 'counter' },
  WindowsSucceeded: { help: 'Maintenance windows that ended successfully', name: 'upgrade_cp_windows_succeeded_total', type: 'counter' },
  WindowsFailed: { help: 'Maintenance windows that failed (not counting cancellations)', name: 'upgrade_cp_windows_failed_total', type: 'counter' },
  WindowsCancelled: { help: 'Running maintenance windows stopped by a cancel', name: 'upgrade_cp_windows_cancelled_total', type: 'counter' },
  WindowsInterrupted: { help: 'Maintenance windows whose execution ended without reporting (resumable)', name: 'upgrade_cp_windows_interrupted_total', type: 'counter' },
  InterimGateRefusals: { help: 'Window 2 starts refused by the closed interim gate', name: 'upgrade_cp_interim_gate_refusals_total', type: 'counter' },
  InterimGateOverrides: { help: 'Interim gates opened by an override (reason audited)', name: 'upgrade_cp_interim_gate_overrides_total', type: 'counter' },
  InstallMinutes: { help: 'Modelled minutes an install took, start to online', name: 'upgrade_cp_install_minutes', type: 'histogram', buckets: MINUTE_BUCKETS },
  InstallEstimateMinutes: { help: 'Estimated minutes of the same installs', name: 'upgrade_cp_install_estimate_minutes', type: 'histogram', buckets: MINUTE_BUCKETS },
  InstallOverEstimateMinutes: { help: 'Minutes an install ran past its estimate (0 when within)', name: 'upgrade_cp_install_over_estimate_minutes', type: 'histogram', buckets: [0, 1, 5, 15, 30, 60, 120] },
  SessionsLost: { help: 'Completed sessions missing on the serving appliance at the interim check (must stay 0)', name: 'upgrade_cp_sessions_lost_total', type: 'counter' },
  ApiErrors: { help: 'HTTP answers with status >= 400, by route pattern and status', name: 'upgrade_cp_api_errors_total', type: 'counter' },
};

export interface PrometheusMetrics {
  /** The exposition text (`text/plain; version=0.0.4`). */
  render(): Promise<string>;
  contentType: string;
  stop(): void;
}

export function startPrometheusMetrics(): PrometheusMetrics {
  const registry = new Registry();
  const instruments = new Map<MetricName, Counter | Histogram>();
  for (const [name, spec] of Object.entries(METRICS) as [MetricName, (typeof METRICS)[MetricName]][]) {
    const labelNames = 'dimensions' in spec ? [...spec.dimensions] : [];
    const prom = PROMETHEUS[name];
    const common = { name: prom.name, help: prom.help, labelNames, registers: [registry] };
    instruments.set(name, prom.type === 'counter' ? new Counter(common) : new Histogram({ ...common, buckets: prom.buckets }));
  }
  const sink = (p: MetricPoint) => {
    const instrument = instruments.get(p.name);
    if (!instrument) return;
    const spec = METRICS[p.name];
    const labels = Object.fromEntries(('dimensions' in spec ? spec.dimensions : []).map((k) => [k, p.dimensions[k] ?? '']));
    if (instrument instanceof Counter) instrument.inc(labels, p.value);
    else instrument.observe(labels, p.value);
  };
  const remove = addMetricSink(sink);
  return { render: () => registry.metrics(), contentType: registry.contentType, stop: remove };
}
