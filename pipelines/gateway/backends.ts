// Backends at run time: endpoints, the balancer, health (active checks, outlier ejection),
// circuit breaking, and the upstream pipeline they are reached through. One per Backend
// resource, built at load and shared by every route that names it.

import type { PipelineLayout } from '../api/index.ts';
import { Endpoint, createPicker, sessionToken, type Picker } from '../modules/balancer.ts';
import { ActiveHealthCheck } from '../modules/health-check.ts';
import { OutlierDetector } from '../modules/outlier.ts';
import { upstreamLayout, type UpstreamContext } from '../modules/upstream.ts';
import type { BackendPolicySpec, BackendSpec, RetrySpec } from './config.ts';
import type { GatewayMetrics } from './metrics.ts';
import type { RequestView } from './router.ts';

/**
 * The endpoints of the running load, by `backend|host:port` (this module outlives a reload): a
 * reloaded Backend starts with what the previous load had learnt, so an endpoint known to be
 * down gets no traffic while the new checks catch up.
 */
const live = new Map<string, Endpoint>();

export class BackendRuntime {
  readonly key: string;
  readonly endpoints: Endpoint[];
  readonly layout: PipelineLayout<UpstreamContext>;
  readonly retry: RetrySpec | null;
  readonly connectTimeout: number;
  readonly backendRequestTimeout: number;
  readonly maxRequests: number;
  readonly outlier: OutlierDetector | null;
  readonly health: ActiveHealthCheck | null;
  readonly #picker: Picker;
  /** How a request's hash key is read (consistent hash), or null. */
  readonly #hashKey: ((v: RequestView, client: string) => string | null) | null;
  /** Session persistence cookie name, or null. */
  readonly cookieName: string | null;
  readonly #sourceHash: boolean;
  readonly #cookieTtl: number;
  readonly #byToken = new Map<string, Endpoint>();
  readonly #tokens = new Map<Endpoint, string>();
  active = 0;
  readonly #metrics: GatewayMetrics;
  /** A per-attempt timeout: requests to this backend are kept whole (buffered path). */
  readonly buffered: boolean;
  /** Options of the streaming path's muxHTTP and connect (same as the buffered path's). */
  readonly poolOptions: { maxIdle: string; maxConnections: number; maxPending: number };
  readonly connectOptions: { connectTimeout: string; idleTimeout: string };

  constructor(spec: BackendSpec, policy: BackendPolicySpec | null, m: GatewayMetrics) {
    this.key = spec.meta.key;
    this.endpoints = spec.endpoints.map((e) => new Endpoint(e.host, e.port, e.weight));
    const lb = policy?.loadBalancer;
    this.#picker = createPicker(lb?.type ?? 'RoundRobin', this.endpoints);
    const on = lb?.hashOn ?? null;
    this.#sourceHash = on?.type === 'SourceIP';
    if (on === null) this.#hashKey = null;
    else if (on.type === 'SourceIP') this.#hashKey = (_v, client) => client;
    else if (on.type === 'Header') {
      const name = on.name;
      this.#hashKey = (v) => v.head.header(name) ?? null;
    } else {
      const name = on.name;
      this.#hashKey = (v) => cookie(v.head.header('cookie'), name);
    }
    this.cookieName = policy?.sessionPersistence?.cookieName ?? null;
    this.#cookieTtl = policy?.sessionPersistence?.ttl ?? 0;
    for (const e of this.endpoints) {
      const t = sessionToken(e);
      this.#byToken.set(t, e);
      this.#tokens.set(e, t);
    }
    this.retry = policy?.retry ?? null;
    const t = policy?.timeout;
    this.connectTimeout = t?.connect ?? 10_000;
    this.backendRequestTimeout = t?.backendRequest ?? 0;
    const cb = policy?.circuitBreaker;
    this.maxRequests = cb?.maxRequests ?? 0;
    const up = {
      connectTimeout: this.connectTimeout,
      idleTimeout: t?.idle ?? 60_000,
      maxConnections: cb?.maxConnections ?? 0,
      maxPending: cb?.maxPendingRequests ?? 1000,
    };
    this.layout = upstreamLayout(up);
    this.poolOptions = { maxIdle: `${up.idleTimeout}ms`, maxConnections: up.maxConnections, maxPending: up.maxPending };
    this.connectOptions = { connectTimeout: `${up.connectTimeout}ms`, idleTimeout: `${up.idleTimeout}ms` };
    this.buffered = this.backendRequestTimeout > 0;
    const passive = policy?.healthCheck?.passive;
    this.outlier = passive ? new OutlierDetector(this.endpoints, passive, (e) => m.ejections.increase(1, this.key, e.target)) : null;
    const active = policy?.healthCheck?.active;
    this.health = active
      ? new ActiveHealthCheck(this.endpoints, active, (e, healthy) => m.endpointHealthy.set(healthy ? 1 : 0, this.key, e.target))
      : null;
    this.#metrics = m;
  }

  /** Picks an endpoint: the session cookie's one if it is up, else by the balancer. */
  pick(v: RequestView, client: string, avoid: Endpoint | null): Endpoint | null {
    if (this.cookieName !== null && avoid === null) {
      const tok = cookie(v.head.header('cookie'), this.cookieName);
      if (tok !== null) {
        const e = this.#byToken.get(tok);
        if (e && e.up(Date.now())) return e;
      }
    }
    return this.#picker.pick(this.#hashKey === null ? null : this.#hashKey(v, client), avoid);
  }

  /** For TCP and TLS routes: no request to read, so only a source-IP hash applies. */
  pickL4(client: string): Endpoint | null {
    return this.#picker.pick(this.#sourceHash ? client : null, null);
  }

  /** The Set-Cookie value pinning a client to `e` (session persistence). */
  sessionCookie(e: Endpoint): string {
    const ttl = this.#cookieTtl > 0 ? `; Max-Age=${Math.ceil(this.#cookieTtl / 1000)}` : '';
    return `${this.cookieName}=${this.#tokens.get(e)}; Path=/; HttpOnly${ttl}`;
  }

  /** Whether the request already carries a cookie naming `e`. */
  hasSessionFor(v: RequestView, e: Endpoint): boolean {
    return this.cookieName !== null && cookie(v.head.header('cookie'), this.cookieName) === this.#tokens.get(e);
  }

  /** Called once the load is complete: takes over health state, starts active checks. */
  start(): void {
    for (const e of this.endpoints) {
      const k = `${this.key}|${e.target}`;
      const was = live.get(k);
      if (was) {
        // Only active checks can bring an endpoint back, so their verdict carries over only to
        // a backend that still has them.
        if (this.health) e.healthy = was.healthy;
        e.ejectedUntil = was.ejectedUntil;
        e.ejections = was.ejections;
      }
      live.set(k, e);
      this.#metrics.endpointHealthy.set(e.healthy ? 1 : 0, this.key, e.target);
    }
    this.health?.start();
  }

  stop(): void {
    this.health?.stop();
    for (const e of this.endpoints) {
      const k = `${this.key}|${e.target}`;
      if (live.get(k) === e) live.delete(k);
    }
  }
}

/** One cookie's value from a Cookie header (RFC 6265 §5.4), or null. */
export function cookie(header: string | undefined, name: string): string | null {
  if (!header) return null;
  let i = 0;
  while (i < header.length) {
    let j = header.indexOf(';', i);
    if (j < 0) j = header.length;
    const eq = header.indexOf('=', i);
    if (eq > 0 && eq < j && header.slice(i, eq).trim() === name) return header.slice(eq + 1, j).trim();
    i = j + 1;
  }
  return null;
}

/** Finds the policy targeting a backend (the oldest wins when several do). */
export function policyFor(policies: BackendPolicySpec[], key: string): BackendPolicySpec | null {
  return policies.filter((p) => p.targets.some((t) => t.key === key)).sort((a, b) => a.meta.created - b.meta.created || a.meta.order - b.meta.order)[0] ?? null;
}
