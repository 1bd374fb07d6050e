// Process-wide counters read by /metrics and /status. Plain numeric fields: incrementing one
// is a property store, cheap enough for the per-request path.

export const counters = {
  connectionsAccepted: 0,
  connectionsActive: 0,
  requests: 0,
  responses1xx: 0,
  responses2xx: 0,
  responses3xx: 0,
  responses4xx: 0,
  responses5xx: 0,
  badRequests: 0,
  upstreamConnects: 0,
  upstreamConnectErrors: 0,
  upstreamActive: 0,
  upstreamRetries: 0,
  upstreamBytesIn: 0,
  upstreamBytesOut: 0,
  scriptErrors: 0,
  offloadedConnections: 0,
  offloadedBytes: 0,
  reloads: 0,
  reloadFailures: 0,
};

export type CounterName = keyof typeof counters;

export function countResponse(status: number): void {
  if (status < 200) counters.responses1xx++;
  else if (status < 300) counters.responses2xx++;
  else if (status < 400) counters.responses3xx++;
  else if (status < 500) counters.responses4xx++;
  else counters.responses5xx++;
}
