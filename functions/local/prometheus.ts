/**
 * The local runtime's metrics in Prometheus text format (`GET /metrics`), from the same catalog and the
 * same `recordMetric` calls that become EMF on Lambda. prom-client is imported only here, so no Lambda
 * bundle carries it.
 */
import { Counter, Histogram, Registry } from 'prom-client';
import { addMetricSink, METRICS, type MetricName, type MetricPoint } from '../observability/metrics.js';

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
    const common = { name: spec.prometheus.name, help: spec.help, labelNames, registers: [registry] };
    instruments.set(
      name,
      spec.prometheus.type === 'counter' ? new Counter(common) : new Histogram({ ...common, buckets: 'buckets' in spec.prometheus ? [...spec.prometheus.buckets] : undefined }),
    );
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
