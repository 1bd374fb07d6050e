// Sluice's own resources (gateway.sluice.dev): Backend, the policies attached by targetRef
// (BackendTrafficPolicy, SecurityPolicy, RateLimitPolicy) and GatewaySettings; checked here,
// at load, with the same path-aware Checker as the Gateway API kinds (config.ts).

import { isAbsolute, resolve as resolvePath } from 'node:path';
import { Checker, HEADER_NAME, type Obj } from './check.ts';
import type { BackendPolicySpec, BackendSpec, CorsSpec, Meta, RateLimitPolicySpec, RetrySpec, SecurityPolicySpec, SettingsSpec, TargetRef } from './config.ts';

export const ACCESS_LOG_FIELDS = [
  'time', 'client', 'method', 'host', 'path', 'protocol', 'status', 'route', 'backend', 'endpoint',
  'duration_ms', 'upstream_ms', 'bytes_in', 'bytes_out', 'user_agent', 'trace_id', 'span_id', 'retries', 'error',
] as const;

export const DEFAULT_SETTINGS: SettingsSpec = {
  accessLog: { enabled: true, path: 'stdout', fields: ['time', 'client', 'method', 'host', 'path', 'status', 'route', 'backend', 'endpoint', 'duration_ms', 'trace_id'] },
  tracing: true,
  maxBodyBytes: 8 << 20,
  clientIdleTimeout: 60_000,
};

export function abs(base: string, p: string): string {
  return isAbsolute(p) ? p : resolvePath(base, p);
}

export function parseCors(c: Checker, v: unknown, p: string): CorsSpec {
  const o = c.obj(v, p, ['allowOrigins', 'allowMethods', 'allowHeaders', 'exposeHeaders', 'maxAge', 'allowCredentials']);
  const list = (x: unknown, q: string) => c.arr(x, q, { max: 64 }).map((s, i) => c.str(s, `${q}[${i}]`, { min: 1 }));
  const origins = list(o.allowOrigins, `${p}.allowOrigins`);
  origins.forEach((s, i) => {
    if (s !== '*' && !/^https?:\/\/(\*\.)?[^/\s]+$/.test(s)) c.fail(`${p}.allowOrigins[${i}]`, `expected '*' or scheme://host[:port] (host may start with *.), got '${s}'`);
  });
  return {
    allowOrigins: origins,
    allowMethods: list(o.allowMethods, `${p}.allowMethods`),
    allowHeaders: list(o.allowHeaders, `${p}.allowHeaders`),
    exposeHeaders: list(o.exposeHeaders, `${p}.exposeHeaders`),
    maxAge: c.optInt(o.maxAge, `${p}.maxAge`, 0, 86400 * 7, 5),
    allowCredentials: c.bool(o.allowCredentials, `${p}.allowCredentials`, false),
  };
}

// ---- Sluice resources ----

export function parseBackend(c: Checker, v: unknown, meta: Meta): BackendSpec {
  const s = c.obj(v, 'spec', ['endpoints'], ['endpoints']);
  const endpoints = c.arr(s.endpoints, 'spec.endpoints', { min: 1, max: 1024 }).map((ev, i) => {
    const p = `spec.endpoints[${i}]`;
    if (typeof ev === 'string') {
      const m = /^(?:\[([^\]]+)\]|([^:\[\]\s]+)):(\d{1,5})$/.exec(ev);
      if (!m || Number(m[3]) < 1 || Number(m[3]) > 65535) c.fail(p, `expected 'host:port', got '${ev}'`);
      return { host: (m![1] ?? m![2])!, port: Number(m![3]), weight: 1 };
    }
    const e = c.obj(ev, p, ['address', 'port', 'weight'], ['address', 'port']);
    return {
      host: c.str(e.address, `${p}.address`, { pattern: /^[A-Za-z0-9.:-]+$/, what: 'address' }),
      port: c.int(e.port, `${p}.port`, 1, 65535),
      weight: e.weight == null ? 1 : c.int(e.weight, `${p}.weight`, 0, 10_000),
    };
  });
  return { meta, endpoints };
}

function parseTargets(c: Checker, s: Obj, ns: string, kinds: readonly string[]): TargetRef[] {
  if (s.targetRef !== undefined && s.targetRefs !== undefined) c.fail('spec.targetRef', 'use targetRef or targetRefs, not both');
  const list = s.targetRef !== undefined ? [s.targetRef] : c.arr(s.targetRefs, 'spec.targetRefs', { min: 1, max: 16 });
  const base = s.targetRef !== undefined ? 'spec.targetRef' : 'spec.targetRefs';
  return list.map((tv, i) => {
    const p = s.targetRef !== undefined ? base : `${base}[${i}]`;
    const t = c.obj(tv, p, ['group', 'kind', 'name', 'namespace', 'sectionName'], ['kind', 'name']);
    const kind = c.oneOf(t.kind, `${p}.kind`, kinds);
    const namespace = c.optStr(t.namespace, `${p}.namespace`) ?? ns;
    const name = c.str(t.name, `${p}.name`);
    return { kind, namespace, name, key: `${namespace}/${name}` };
  });
}

function parseRetry(c: Checker, v: unknown, p: string): RetrySpec | null {
  const o = c.optObj(v, p, ['attempts', 'backoff', 'retryOn', 'allowNonIdempotent']);
  if (!o) return null;
  const on = c.optObj(o.retryOn, `${p}.retryOn`, ['httpStatusCodes', 'triggers']);
  const triggers = on ? c.arr(on.triggers, `${p}.retryOn.triggers`).map((t, i) => c.oneOf(t, `${p}.retryOn.triggers[${i}]`, ['connect-failure', '5xx', 'gateway-error', 'reset'] as const)) : ['connect-failure', 'gateway-error'];
  const codes = new Set(on ? c.arr(on.httpStatusCodes, `${p}.retryOn.httpStatusCodes`).map((x, i) => c.int(x, `${p}.retryOn.httpStatusCodes[${i}]`, 400, 599)) : []);
  if (triggers.includes('5xx')) for (let s = 500; s < 600; s++) codes.add(s);
  if (triggers.includes('gateway-error')) for (const s of [502, 503, 504]) codes.add(s);
  return {
    attempts: c.optInt(o.attempts, `${p}.attempts`, 0, 10, 2),
    codes: [...codes],
    backoff: c.optDuration(o.backoff, `${p}.backoff`, 25),
    onConnectFailure: triggers.includes('connect-failure') || triggers.includes('reset') || triggers.includes('gateway-error') || triggers.includes('5xx'),
    allowNonIdempotent: c.bool(o.allowNonIdempotent, `${p}.allowNonIdempotent`, false),
  };
}

export function parseBackendPolicy(c: Checker, v: unknown, meta: Meta): BackendPolicySpec {
  const s = c.obj(v, 'spec', ['targetRef', 'targetRefs', 'loadBalancer', 'sessionPersistence', 'retry', 'timeout', 'healthCheck', 'circuitBreaker']);
  const out: BackendPolicySpec = { meta, targets: parseTargets(c, s, meta.namespace, ['Backend']), loadBalancer: null, sessionPersistence: null, retry: parseRetry(c, s.retry, 'spec.retry'), timeout: null, healthCheck: null, circuitBreaker: null };
  const lb = c.optObj(s.loadBalancer, 'spec.loadBalancer', ['type', 'consistentHash'], ['type']);
  if (lb) {
    const type = c.oneOf(lb.type, 'spec.loadBalancer.type', ['RoundRobin', 'Random', 'LeastRequest', 'ConsistentHash'] as const);
    let hashOn: NonNullable<BackendPolicySpec['loadBalancer']>['hashOn'] = null;
    if (type === 'ConsistentHash') {
      const h = c.obj(lb.consistentHash, 'spec.loadBalancer.consistentHash', ['type', 'header', 'cookie'], ['type']);
      const ht = c.oneOf(h.type, 'spec.loadBalancer.consistentHash.type', ['Header', 'Cookie', 'SourceIP'] as const);
      let name = '';
      if (ht === 'Header') name = c.str(c.obj(h.header, 'spec.loadBalancer.consistentHash.header', ['name'], ['name']).name, 'spec.loadBalancer.consistentHash.header.name', { pattern: HEADER_NAME, what: 'header name' }).toLowerCase();
      if (ht === 'Cookie') name = c.str(c.obj(h.cookie, 'spec.loadBalancer.consistentHash.cookie', ['name'], ['name']).name, 'spec.loadBalancer.consistentHash.cookie.name', { min: 1 });
      hashOn = { type: ht, name };
    } else if (lb.consistentHash !== undefined) c.fail('spec.loadBalancer.consistentHash', 'only with type ConsistentHash');
    out.loadBalancer = { type, hashOn };
  }
  const sp = c.optObj(s.sessionPersistence, 'spec.sessionPersistence', ['type', 'cookieName', 'absoluteTimeout']);
  if (sp) {
    c.oneOf(sp.type, 'spec.sessionPersistence.type', ['Cookie'], 'Cookie');
    out.sessionPersistence = { cookieName: c.optStr(sp.cookieName, 'spec.sessionPersistence.cookieName', { pattern: /^[A-Za-z0-9_-]+$/, what: 'cookie name' }) ?? 'sluice-session', ttl: c.optDuration(sp.absoluteTimeout, 'spec.sessionPersistence.absoluteTimeout', 0) };
  }
  const t = c.optObj(s.timeout, 'spec.timeout', ['connect', 'backendRequest', 'idle']);
  if (t) out.timeout = { connect: c.optDuration(t.connect, 'spec.timeout.connect', 10_000), backendRequest: c.optDuration(t.backendRequest, 'spec.timeout.backendRequest', 0), idle: c.optDuration(t.idle, 'spec.timeout.idle', 60_000) };
  const hc = c.optObj(s.healthCheck, 'spec.healthCheck', ['active', 'passive']);
  if (hc) {
    const a = c.optObj(hc.active, 'spec.healthCheck.active', ['path', 'interval', 'timeout', 'healthyThreshold', 'unhealthyThreshold', 'expectedStatuses', 'hostname']);
    const ps = c.optObj(hc.passive, 'spec.healthCheck.passive', ['consecutiveErrors', 'baseEjectionTime', 'maxEjectionPercent']);
    out.healthCheck = {
      active: a ? {
        path: c.optStr(a.path, 'spec.healthCheck.active.path', { pattern: /^\//, what: 'path' }) ?? '/',
        interval: c.optDuration(a.interval, 'spec.healthCheck.active.interval', 5000),
        timeout: c.optDuration(a.timeout, 'spec.healthCheck.active.timeout', 1000),
        healthyThreshold: c.optInt(a.healthyThreshold, 'spec.healthCheck.active.healthyThreshold', 1, 100, 1),
        unhealthyThreshold: c.optInt(a.unhealthyThreshold, 'spec.healthCheck.active.unhealthyThreshold', 1, 100, 2),
        expectedStatuses: a.expectedStatuses == null ? [] : c.arr(a.expectedStatuses, 'spec.healthCheck.active.expectedStatuses').map((x, i) => c.int(x, `spec.healthCheck.active.expectedStatuses[${i}]`, 100, 599)),
        hostname: c.optStr(a.hostname, 'spec.healthCheck.active.hostname') ?? null,
      } : null,
      passive: ps ? {
        consecutiveErrors: c.optInt(ps.consecutiveErrors, 'spec.healthCheck.passive.consecutiveErrors', 1, 1000, 5),
        baseEjectionTime: c.optDuration(ps.baseEjectionTime, 'spec.healthCheck.passive.baseEjectionTime', 30_000),
        maxEjectionPercent: c.optInt(ps.maxEjectionPercent, 'spec.healthCheck.passive.maxEjectionPercent', 0, 100, 100),
      } : null,
    };
  }
  const cb = c.optObj(s.circuitBreaker, 'spec.circuitBreaker', ['maxConnections', 'maxPendingRequests', 'maxRequests']);
  if (cb) out.circuitBreaker = {
    maxConnections: c.optInt(cb.maxConnections, 'spec.circuitBreaker.maxConnections', 0, 1_000_000, 0),
    maxPendingRequests: c.optInt(cb.maxPendingRequests, 'spec.circuitBreaker.maxPendingRequests', 0, 1_000_000, 1000),
    maxRequests: c.optInt(cb.maxRequests, 'spec.circuitBreaker.maxRequests', 0, 1_000_000, 0),
  };
  return out;
}

export function parseSecurityPolicy(c: Checker, v: unknown, meta: Meta, baseDir: string): SecurityPolicySpec {
  const s = c.obj(v, 'spec', ['targetRef', 'targetRefs', 'jwt', 'basicAuth', 'apiKeyAuth', 'cors', 'clientIP']);
  const out: SecurityPolicySpec = { meta, targets: parseTargets(c, s, meta.namespace, ['Gateway', 'HTTPRoute']), jwt: null, basicAuth: null, apiKeyAuth: null, cors: null, clientIP: null };
  const j = c.optObj(s.jwt, 'spec.jwt', ['providers', 'optional'], ['providers']);
  if (j) {
    out.jwt = {
      optional: c.bool(j.optional, 'spec.jwt.optional', false),
      providers: c.arr(j.providers, 'spec.jwt.providers', { min: 1, max: 8 }).map((pv, i) => {
        const p = `spec.jwt.providers[${i}]`;
        const o = c.obj(pv, p, ['name', 'issuer', 'audiences', 'jwks', 'claimToHeaders'], ['name', 'jwks']);
        const jw = c.obj(o.jwks, `${p}.jwks`, ['file'], ['file']);
        return {
          name: c.str(o.name, `${p}.name`, { min: 1 }),
          issuer: c.optStr(o.issuer, `${p}.issuer`) ?? null,
          audiences: c.arr(o.audiences, `${p}.audiences`).map((a, k) => c.str(a, `${p}.audiences[${k}]`)),
          jwksFile: abs(baseDir, c.str(jw.file, `${p}.jwks.file`, { min: 1 })),
          claimToHeaders: c.arr(o.claimToHeaders, `${p}.claimToHeaders`).map((hv, k) => {
            const h = c.obj(hv, `${p}.claimToHeaders[${k}]`, ['claim', 'header'], ['claim', 'header']);
            return { claim: c.str(h.claim, `${p}.claimToHeaders[${k}].claim`), header: c.str(h.header, `${p}.claimToHeaders[${k}].header`, { pattern: HEADER_NAME, what: 'header name' }).toLowerCase() };
          }),
        };
      }),
    };
  }
  const b = c.optObj(s.basicAuth, 'spec.basicAuth', ['users', 'usersFile']);
  if (b) {
    out.basicAuth = { users: c.arr(b.users, 'spec.basicAuth.users').map((u, i) => c.str(u, `spec.basicAuth.users[${i}]`, { pattern: /^[^:]+:.+$/, what: "htpasswd line (user:{SHA}hash or user:{PLAIN}password)" })), usersFile: b.usersFile == null ? null : abs(baseDir, c.str(b.usersFile, 'spec.basicAuth.usersFile')) };
    if (!out.basicAuth.users.length && !out.basicAuth.usersFile) c.fail('spec.basicAuth', 'needs users or usersFile');
  }
  const k = c.optObj(s.apiKeyAuth, 'spec.apiKeyAuth', ['header', 'queryParam', 'keys', 'keysFile']);
  if (k) {
    out.apiKeyAuth = {
      header: c.optStr(k.header, 'spec.apiKeyAuth.header', { pattern: HEADER_NAME, what: 'header name' })?.toLowerCase() ?? null,
      queryParam: c.optStr(k.queryParam, 'spec.apiKeyAuth.queryParam', { min: 1 }) ?? null,
      keys: c.arr(k.keys, 'spec.apiKeyAuth.keys').map((x, i) => c.str(x, `spec.apiKeyAuth.keys[${i}]`, { min: 1 })),
      keysFile: k.keysFile == null ? null : abs(baseDir, c.str(k.keysFile, 'spec.apiKeyAuth.keysFile')),
    };
    if (!out.apiKeyAuth.header && !out.apiKeyAuth.queryParam) out.apiKeyAuth.header = 'x-api-key';
    if (!out.apiKeyAuth.keys.length && !out.apiKeyAuth.keysFile) c.fail('spec.apiKeyAuth', 'needs keys or keysFile');
  }
  if (s.cors !== undefined) out.cors = parseCors(c, s.cors, 'spec.cors');
  const ip = c.optObj(s.clientIP, 'spec.clientIP', ['allow', 'deny']);
  if (ip) {
    const cidrs = (x: unknown, p: string) => c.arr(x, p, { max: 256 }).map((s, i) => c.str(s, `${p}[${i}]`, { pattern: /^[0-9a-fA-F.:]+(\/\d{1,3})?$/, what: 'IP or CIDR' }));
    out.clientIP = { allow: cidrs(ip.allow, 'spec.clientIP.allow'), deny: cidrs(ip.deny, 'spec.clientIP.deny') };
  }
  return out;
}

export function parseRateLimit(c: Checker, v: unknown, meta: Meta): RateLimitPolicySpec {
  const s = c.obj(v, 'spec', ['targetRef', 'targetRefs', 'local'], ['local']);
  const l = c.obj(s.local, 'spec.local', ['requests', 'interval', 'burst', 'key'], ['requests']);
  const requests = c.int(l.requests, 'spec.local.requests', 1, 1_000_000_000);
  const k = c.optObj(l.key, 'spec.local.key', ['type', 'header']);
  const type = k ? c.oneOf(k.type, 'spec.local.key.type', ['ClientIP', 'Header', 'Global'] as const, 'ClientIP') : 'ClientIP';
  const header = type === 'Header' ? c.str(k!.header, 'spec.local.key.header', { pattern: HEADER_NAME, what: 'header name' }).toLowerCase() : null;
  return {
    meta,
    targets: parseTargets(c, s, meta.namespace, ['Gateway', 'HTTPRoute']),
    requests,
    interval: c.optDuration(l.interval, 'spec.local.interval', 1000),
    burst: c.optInt(l.burst, 'spec.local.burst', 1, 1_000_000_000, requests),
    key: { type, header },
  };
}

export function parseSettings(c: Checker, v: unknown): SettingsSpec {
  const s = c.obj(v, 'spec', ['accessLog', 'tracing', 'maxBodyBytes', 'clientIdleTimeout']);
  const out: SettingsSpec = { ...DEFAULT_SETTINGS, accessLog: { ...DEFAULT_SETTINGS.accessLog } };
  const a = c.optObj(s.accessLog, 'spec.accessLog', ['enabled', 'path', 'fields']);
  if (a) {
    out.accessLog.enabled = c.bool(a.enabled, 'spec.accessLog.enabled', true);
    out.accessLog.path = c.optStr(a.path, 'spec.accessLog.path', { min: 1 }) ?? 'stdout';
    if (a.fields !== undefined) out.accessLog.fields = c.arr(a.fields, 'spec.accessLog.fields', { min: 1 }).map((f, i) => c.oneOf(f, `spec.accessLog.fields[${i}]`, ACCESS_LOG_FIELDS));
  }
  const t = c.optObj(s.tracing, 'spec.tracing', ['enabled']);
  if (t) out.tracing = c.bool(t.enabled, 'spec.tracing.enabled', true);
  out.maxBodyBytes = c.optInt(s.maxBodyBytes, 'spec.maxBodyBytes', 1024, 1 << 30, DEFAULT_SETTINGS.maxBodyBytes);
  out.clientIdleTimeout = c.optDuration(s.clientIdleTimeout, 'spec.clientIdleTimeout', DEFAULT_SETTINGS.clientIdleTimeout);
  return out;
}

