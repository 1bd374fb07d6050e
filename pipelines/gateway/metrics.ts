// The gateway's Prometheus series (served on the admin port's /metrics). Registered with the
// scripting API's registry: a reload registers them again and keeps their values.

import { metrics, type Counter, type Gauge, type Histogram } from '../api/index.ts';

export interface GatewayMetrics {
  requests: Counter;
  duration: Histogram;
  upstreamRequests: Counter;
  upstreamDuration: Histogram;
  upstreamErrors: Counter;
  retries: Counter;
  ejections: Counter;
  endpointHealthy: Gauge;
  rateLimited: Counter;
  denied: Counter;
  l4Connections: Counter;
}

export function gatewayMetrics(): GatewayMetrics {
  return {
    requests: metrics.counter('sluice_gateway_requests_total', 'Requests answered, by route, backend and status class.', ['route', 'backend', 'class']),
    duration: metrics.histogram('sluice_gateway_request_duration_seconds', 'Time from request to response, by route.', ['route']),
    upstreamRequests: metrics.counter('sluice_gateway_upstream_requests_total', 'Attempts sent to endpoints, by backend, endpoint and status class (or error).', ['backend', 'endpoint', 'class']),
    upstreamDuration: metrics.histogram('sluice_gateway_upstream_duration_seconds', 'Time an attempt took at the backend.', ['backend']),
    upstreamErrors: metrics.counter('sluice_gateway_upstream_errors_total', 'Attempts that got no response, by backend, endpoint and error.', ['backend', 'endpoint', 'error']),
    retries: metrics.counter('sluice_gateway_retries_total', 'Retried attempts, by route and backend.', ['route', 'backend']),
    ejections: metrics.counter('sluice_gateway_ejections_total', 'Endpoints ejected by outlier detection.', ['backend', 'endpoint']),
    endpointHealthy: metrics.gauge('sluice_gateway_endpoint_healthy', 'Active health check state (1 healthy, 0 not).', ['backend', 'endpoint']),
    rateLimited: metrics.counter('sluice_gateway_rate_limited_total', 'Requests refused by a local rate limit, by route.', ['route']),
    denied: metrics.counter('sluice_gateway_denied_total', 'Requests refused by a security policy, by route and reason.', ['route', 'reason']),
    l4Connections: metrics.counter('sluice_gateway_l4_connections_total', 'TCP and TLS connections, by route, backend and outcome.', ['route', 'backend', 'outcome']),
  };
}

export function statusClass(status: number): string {
  return status >= 500 ? '5xx' : status >= 400 ? '4xx' : status >= 300 ? '3xx' : status >= 200 ? '2xx' : '1xx';
}
