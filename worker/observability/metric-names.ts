/**
 * The control plane's Prometheus metric names, in one place: the registry (metrics.ts),
 * docs/observability.md and the Grafana dashboards' test all read them from here.
 */
export const METRIC = {
  httpRequests: 'patronus_http_requests_total',
  httpDuration: 'patronus_http_request_duration_seconds',
  agentsOnline: 'patronus_agents_online',
  agentsEnrolled: 'patronus_agents_enrolled',
  paths: 'patronus_paths',
  pathEvents: 'patronus_path_events_total',
  configRevisionsServed: 'patronus_config_revisions_served_total',
  webhookOutboxDepth: 'patronus_webhook_outbox_depth',
  webhookDeliveries: 'patronus_webhook_deliveries_total',
} as const

export const CONTROL_PLANE_METRIC_NAMES: readonly string[] = Object.values(METRIC)

/** Outcomes counted by patronus_webhook_deliveries_total{result}. */
export type DeliveryResult = 'succeeded' | 'retry' | 'failed' | 'lost' | 'cancelled'

/**
 * What the app records into; the Node entry implements it with prom-client (metrics.ts).
 * An interface so that app.ts never imports prom-client (Node APIs) into the Workers bundle.
 */
export interface MetricsRecorder {
  httpRequest(method: string, route: string, status: number, seconds: number): void
  configServed(): void
  webhookDelivery(result: DeliveryResult): void
  /** The Prometheus text exposition of every metric (gauges computed now). */
  render(): Promise<{ contentType: string; body: string }>
}
