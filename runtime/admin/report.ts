// What one process reports to /status and /metrics.

import { counters } from './counters.ts';
import { renderRegistry } from './metrics.ts';
import type { Worker } from '../loader/worker.ts';
import { offloadReport } from '../offload/report.ts';

const startedAt = Date.now();

export function statusOf(worker: Worker): object {
  return {
    pid: process.pid,
    node: process.version,
    uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
    script: worker.path,
    loadedAt: new Date(worker.loadedAt).toISOString(),
    lastReloadError: worker.lastError,
    listeners: [...worker.listeners.values()].map((l) => ({
      address: `${l.config.host || '*'}:${l.port}`,
      ...l.stats,
    })),
    counters: { ...counters },
    memory: { rssBytes: process.memoryUsage.rss() },
    offload: offloadReport(),
  };
}

export function metricsOf(worker: Worker): string {
  const out: string[] = [];
  const c = counters;
  const line = (name: string, type: string, help: string, v: number) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name} ${v}`);
  };
  line('sluice_connections_total', 'counter', 'Client connections accepted.', c.connectionsAccepted);
  line('sluice_connections_active', 'gauge', 'Client connections open.', c.connectionsActive);
  line('sluice_requests_total', 'counter', 'HTTP requests decoded.', c.requests);
  out.push('# HELP sluice_responses_total HTTP responses sent, by status class.', '# TYPE sluice_responses_total counter');
  out.push(`sluice_responses_total{class="1xx"} ${c.responses1xx}`, `sluice_responses_total{class="2xx"} ${c.responses2xx}`);
  out.push(`sluice_responses_total{class="3xx"} ${c.responses3xx}`, `sluice_responses_total{class="4xx"} ${c.responses4xx}`);
  out.push(`sluice_responses_total{class="5xx"} ${c.responses5xx}`);
  line('sluice_bad_requests_total', 'counter', 'Malformed requests refused.', c.badRequests);
  line('sluice_upstream_connects_total', 'counter', 'Upstream connection attempts.', c.upstreamConnects);
  line('sluice_upstream_connect_errors_total', 'counter', 'Upstream connections that failed.', c.upstreamConnectErrors);
  line('sluice_upstream_connections_active', 'gauge', 'Upstream connections open.', c.upstreamActive);
  line('sluice_upstream_retries_total', 'counter', 'Upstream connects or requests retried.', c.upstreamRetries);
  line('sluice_upstream_bytes_received_total', 'counter', 'Bytes received from upstreams.', c.upstreamBytesIn);
  line('sluice_upstream_bytes_sent_total', 'counter', 'Bytes sent to upstreams.', c.upstreamBytesOut);
  line('sluice_offloaded_connections_total', 'counter', 'Connections handed to the kernel relay.', c.offloadedConnections);
  line('sluice_offloaded_bytes_total', 'counter', 'Bytes relayed by the kernel after hand-off (counted when the relay ends).', c.offloadedBytes);
  line('sluice_script_errors_total', 'counter', 'Exceptions thrown by script callbacks.', c.scriptErrors);
  line('sluice_reloads_total', 'counter', 'Successful reloads.', c.reloads);
  line('sluice_reload_failures_total', 'counter', 'Rejected reloads.', c.reloadFailures);
  const ls = [...worker.listeners.values()];
  const per = (name: string, help: string, type: string, f: (l: (typeof ls)[number]) => number) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const l of ls) out.push(`${name}{listener="${l.config.host || '*'}:${l.port}"} ${f(l)}`);
  };
  per('sluice_listener_connections_total', 'Connections accepted per listener.', 'counter', (l) => l.stats.connections);
  per('sluice_listener_connections_active', 'Connections open per listener.', 'gauge', (l) => l.stats.active);
  per('sluice_listener_bytes_received_total', 'Bytes received from clients per listener.', 'counter', (l) => l.stats.bytesIn);
  per('sluice_listener_bytes_sent_total', 'Bytes sent to clients per listener.', 'counter', (l) => l.stats.bytesOut);
  line('sluice_process_resident_memory_bytes', 'gauge', 'Resident set size.', process.memoryUsage.rss());
  renderRegistry(out);
  return out.join('\n') + '\n';
}

/** Adds up Prometheus text from several processes, series by series. */
export function sumMetrics(texts: string[]): string {
  const order: string[] = [];
  const values = new Map<string, number>();
  const meta = new Set<string>();
  for (const t of texts) {
    for (const line of t.split('\n')) {
      if (!line) continue;
      if (line.startsWith('#')) {
        if (!meta.has(line)) {
          meta.add(line);
          order.push(line);
        }
        continue;
      }
      const sp = line.lastIndexOf(' ');
      const key = line.slice(0, sp);
      const v = Number(line.slice(sp + 1));
      if (!values.has(key)) order.push('\u0000' + key);
      values.set(key, (values.get(key) ?? 0) + v);
    }
  }
  return order.map((o) => (o.startsWith('\u0000') ? `${o.slice(1)} ${values.get(o.slice(1))}` : o)).join('\n') + '\n';
}
