// From the checked model to closures: filters become Steps, policies become guards, backend
// references become weighted CompiledRefs. Called once per load.

import { Message } from '../api/index.ts';
import { ApiKeyAuth } from '../modules/api-key.ts';
import { BasicAuth } from '../modules/basic-auth.ts';
import { Cors } from '../modules/cors.ts';
import { IPFilter } from '../modules/ip-filter.ts';
import { JwtVerifier } from '../modules/jwt.ts';
import { LocalRateLimit } from '../modules/rate-limit.ts';
import { send } from '../modules/upstream.ts';
import { Checker } from './check.ts';
import type { BackendRuntime } from './backends.ts';
import type { BackendRefSpec, FilterSpec, GatewayModel, GatewaySpec, HTTPRouteSpec, HeaderModifierSpec, PathModifierSpec, RateLimitPolicySpec, RuleSpec, SecurityPolicySpec } from './config.ts';
import { cloneHead, reply, type CompiledRef, type CompiledRule, type Exchange, type Headers, type ResponseStep, type Step } from './http-gateway.ts';
import type { GatewayMetrics } from './metrics.ts';

/** What an ExtensionRef module exports: `request` runs at the filter's place, `response` on the way back. */
export interface PipelineModuleExports {
  request?: (req: Message, ctx: unknown) => Message | null | undefined | void | Promise<Message | null | undefined | void>;
  response?: (res: Message, ctx: unknown) => void;
}

export interface CompileEnv {
  model: GatewayModel;
  backends: Map<string, BackendRuntime>;
  modules: Map<string, PipelineModuleExports>;
  metrics: GatewayMetrics;
  scheme: 'http' | 'https';
  port: number;
}

export function compileHeaderModifier(mod: HeaderModifierSpec): (h: Headers) => void {
  const set = mod.set;
  const add = mod.add;
  const remove = mod.remove;
  return (h) => {
    for (let i = 0; i < set.length; i++) h[set[i]!.name] = set[i]!.value;
    for (let i = 0; i < add.length; i++) {
      const a = add[i]!;
      const prev = h[a.name];
      h[a.name] = prev === undefined ? a.value : `${prev},${a.value}`;
    }
    for (let i = 0; i < remove.length; i++) delete h[remove[i]!];
  };
}

/** Path after ReplacePrefixMatch: the matched prefix swapped, segment boundaries kept. */
export function replacePrefix(path: string, prefix: string, repl: string): string {
  const rest = prefix === '/' ? path : path.slice(prefix.length);
  let out: string;
  if (rest === '' || rest === '/') out = rest === '/' && !repl.endsWith('/') ? `${repl}/` : repl;
  else if (repl.endsWith('/')) out = repl + rest.slice(1);
  else out = repl + rest;
  return out === '' ? '/' : out;
}

function newPath(x: Exchange, m: PathModifierSpec): string {
  return m.type === 'ReplaceFullPath' ? m.value : replacePrefix(x.view.path, x.cand!.prefix, m.value);
}

function compileFilter(f: FilterSpec, env: CompileEnv, responseSteps: ResponseStep[], preflights: Step[]): Step | null {
  switch (f.type) {
    case 'RequestHeaderModifier': {
      const mod = compileHeaderModifier(f.mod);
      return (x) => {
        mod(x.head.headers);
        return null;
      };
    }
    case 'ResponseHeaderModifier': {
      const mod = compileHeaderModifier(f.mod);
      responseSteps.push((_x, h) => mod(h));
      return null;
    }
    case 'URLRewrite': {
      const hostname = f.hostname;
      const path = f.path;
      return (x) => {
        if (hostname !== null) x.head.headers.host = hostname;
        if (path !== null) x.head.path = newPath(x, path) + (x.view.query !== null ? `?${x.view.query}` : '');
        return null;
      };
    }
    case 'RequestRedirect': {
      const { scheme, hostname, port, path, statusCode } = f;
      const listenerScheme = env.scheme;
      const listenerPort = env.port;
      return (x) => {
        const sch = scheme ?? listenerScheme;
        // Spec: no port given -> the scheme's well-known port if a scheme is given, else the
        // listener's; the well-known port of the final scheme is left out of Location.
        const p = port ?? (scheme !== null ? (scheme === 'https' ? 443 : 80) : listenerPort);
        const showPort = !((sch === 'http' && p === 80) || (sch === 'https' && p === 443));
        const host = hostname ?? x.view.host;
        const pth = path === null ? x.view.path : newPath(x, path);
        const q = x.view.query !== null ? `?${x.view.query}` : '';
        return new Message({ status: statusCode, headers: { location: `${sch}://${host}${showPort ? `:${p}` : ''}${pth}${q}` } });
      };
    }
    case 'RequestMirror': {
      const b = env.backends.get(f.backend.key)!;
      const ratio = f.percent / 100;
      return (x) => {
        if (x.upgrade || (ratio < 1 && Math.random() >= ratio)) return null;
        const ep = b.pick(x.view, x.client, null);
        // Fire and forget: the mirror's answer (or failure) never reaches the client.
        if (ep) void send(b.layout, ep.target, cloneHead(x.head), x.body!, x.tail, 10_000);
        return null;
      };
    }
    case 'ExtensionRef': {
      const mod = env.modules.get(f.module)!;
      const req = mod.request;
      const res = mod.response;
      if (res) {
        responseSteps.push((x, h, r) => res(r ?? new Message({ status: x.status, headers: h }), x.ctx));
      }
      if (!req) return null;
      return (x) => {
        const r = req(new Message(x.head, x.body!, x.tail), x.ctx);
        if (r instanceof Message) return r;
        if (r && typeof (r as Promise<unknown>).then === 'function') return (r as Promise<Message | null | undefined | void>).then((v) => (v instanceof Message ? v : null));
        return null;
      };
    }
    case 'CORS': {
      // The preflight is answered among the guards, before authentication: browsers send
      // preflights without credentials (Fetch §3.2.5).
      const cors = new Cors(f.cors);
      responseSteps.push((x, h) => cors.decorate(h, x.origin));
      preflights.push((x) => cors.preflight(x.view.method, x.origin, x.head.header('access-control-request-method'), x.head.header('access-control-request-headers')));
      return null;
    }
  }
}

function compileRef(r: BackendRefSpec, env: CompileEnv): CompiledRef {
  const req: ((h: Headers) => void)[] = [];
  const res: ((h: Headers) => void)[] = [];
  for (const f of r.filters) {
    if (f.type === 'RequestHeaderModifier') req.push(compileHeaderModifier(f.mod));
    else if (f.type === 'ResponseHeaderModifier') res.push(compileHeaderModifier(f.mod));
  }
  return { backend: env.backends.get(r.key) ?? null, weight: r.weight, requestMods: req, responseMods: res };
}

/** Merged security settings for a route: route-level policies override gateway-level ones, feature by feature. */
export interface Security {
  jwt: JwtVerifier | null;
  jwtOptional: boolean;
  claimHeaders: boolean;
  basic: BasicAuth | null;
  apiKey: ApiKeyAuth | null;
  cors: Cors | null;
  ip: IPFilter | null;
  rateLimit: { limit: LocalRateLimit; key: RateLimitPolicySpec['key'] } | null;
}

const securityCache = new WeakMap<object, unknown>();

function once<T>(spec: object, make: () => T): T {
  let v = securityCache.get(spec) as T | undefined;
  if (v === undefined) {
    v = make();
    securityCache.set(spec, v);
  }
  return v;
}

export function securityFor(model: GatewayModel, gw: GatewaySpec, route: HTTPRouteSpec): Security {
  const targets = (p: { targets: { kind: string; key: string }[] }, kind: string, key: string) => p.targets.some((t) => t.kind === kind && t.key === key);
  const byAge = <T extends { meta: { created: number; order: number } }>(a: T, b: T) => a.meta.created - b.meta.created || a.meta.order - b.meta.order;
  const gwPol = model.securityPolicies.filter((p) => targets(p, 'Gateway', gw.meta.key)).sort(byAge);
  const rtPol = model.securityPolicies.filter((p) => targets(p, 'HTTPRoute', route.meta.key)).sort(byAge);
  const pick = <K extends keyof SecurityPolicySpec>(k: K): { v: NonNullable<SecurityPolicySpec[K]>; p: SecurityPolicySpec } | null => {
    for (const p of [...rtPol, ...gwPol]) if (p[k] != null) return { v: p[k] as NonNullable<SecurityPolicySpec[K]>, p };
    return null;
  };
  const wrap = <T>(p: SecurityPolicySpec, field: string, make: () => T): T => {
    try {
      return make();
    } catch (err) {
      return new Checker(`SecurityPolicy ${p.meta.key}`).fail(`spec.${field}`, (err as Error).message);
    }
  };
  const jwt = pick('jwt');
  const basic = pick('basicAuth');
  const key = pick('apiKeyAuth');
  const cors = pick('cors');
  const ip = pick('clientIP');
  const rl = model.rateLimitPolicies.filter((p) => targets(p, 'HTTPRoute', route.meta.key)).sort(byAge)[0] ?? model.rateLimitPolicies.filter((p) => targets(p, 'Gateway', gw.meta.key)).sort(byAge)[0] ?? null;
  return {
    jwt: jwt ? wrap(jwt.p, 'jwt', () => once(jwt.v, () => new JwtVerifier(jwt.v.providers))) : null,
    jwtOptional: jwt?.v.optional ?? false,
    claimHeaders: !!jwt?.v.providers.some((p) => p.claimToHeaders.length),
    basic: basic ? wrap(basic.p, 'basicAuth', () => once(basic.v, () => new BasicAuth(basic.v.users, basic.v.usersFile))) : null,
    apiKey: key ? wrap(key.p, 'apiKeyAuth', () => once(key.v, () => new ApiKeyAuth(key.v.header, key.v.queryParam, key.v.keys, key.v.keysFile))) : null,
    cors: cors ? once(cors.v, () => new Cors(cors.v)) : null,
    ip: ip ? once(ip.v, () => new IPFilter(ip.v.allow, ip.v.deny)) : null,
    // One bucket table per policy: a Gateway-wide limit is shared by all its routes.
    rateLimit: rl ? once(rl, () => ({ limit: limiterFor(rl), key: rl.key })) : null,
  };
}

/**
 * Buckets survive a reload when the policy is unchanged (this module outlives reloads), so a
 * reload is no way around a limit. A changed or removed policy starts afresh.
 */
const limiters = new Map<string, LocalRateLimit>();

function limiterFor(p: RateLimitPolicySpec): LocalRateLimit {
  const k = `${p.meta.key}|${p.requests}|${p.interval}|${p.burst}|${p.key.type}|${p.key.header}`;
  let l = limiters.get(k);
  if (!l) {
    for (const old of limiters.keys()) if (old.startsWith(`${p.meta.key}|`)) limiters.delete(old);
    limiters.set(k, (l = new LocalRateLimit(p.requests, p.interval, p.burst)));
  }
  return l;
}

function compileGuards(sec: Security, route: string, m: GatewayMetrics, responseSteps: ResponseStep[], preflights: Step[]): Step[] {
  const guards: Step[] = [];
  if (sec.ip) {
    const ip = sec.ip;
    guards.push((x) => {
      if (ip.admits(x.client)) return null;
      m.denied.increase(1, route, 'ip');
      x.error = 'client IP denied';
      return reply(403, 'forbidden');
    });
  }
  if (sec.cors) {
    const cors = sec.cors;
    guards.push((x) => cors.preflight(x.view.method, x.origin, x.head.header('access-control-request-method'), x.head.header('access-control-request-headers')));
    responseSteps.push((x, h) => cors.decorate(h, x.origin));
  }
  guards.push(...preflights);
  if (sec.jwt) {
    const v = sec.jwt;
    const optional = sec.jwtOptional;
    guards.push((x) => {
      const auth = x.head.header('authorization');
      if (!auth || !/^bearer /i.test(auth)) {
        if (optional) return null;
        m.denied.increase(1, route, 'jwt');
        x.error = 'jwt: missing token';
        return reply(401, 'missing bearer token', { 'www-authenticate': 'Bearer realm="sluice"' });
      }
      const r = v.verify(auth.slice(7).trim());
      if (!r.ok) {
        m.denied.increase(1, route, 'jwt');
        x.error = `jwt: ${r.reason}`;
        return reply(401, r.reason, { 'www-authenticate': `Bearer realm="sluice", error="invalid_token", error_description="${r.reason}"` });
      }
      const h = x.head.headers;
      for (const c of r.provider!.spec.claimToHeaders) {
        const val = r.claims![c.claim];
        if (val !== undefined) h[c.header] = typeof val === 'string' ? val : JSON.stringify(val);
      }
      return null;
    });
  }
  if (sec.basic) {
    const b = sec.basic;
    guards.push((x) => {
      if (b.check(x.head.header('authorization')) !== null) return null;
      m.denied.increase(1, route, 'basic');
      x.error = 'basic auth failed';
      return reply(401, 'unauthorized', { 'www-authenticate': 'Basic realm="sluice"' });
    });
  }
  if (sec.apiKey) {
    const k = sec.apiKey;
    const header = k.header;
    const param = k.queryParam;
    guards.push((x) => {
      const got = (header !== null ? x.head.header(header) : undefined) ?? (param !== null ? x.view.param(param) : null);
      if (k.check(got)) return null;
      m.denied.increase(1, route, 'api-key');
      x.error = 'api key rejected';
      return reply(401, 'invalid API key');
    });
  }
  if (sec.rateLimit) {
    const { limit, key } = sec.rateLimit;
    const keyOf: (x: Exchange) => string = key.type === 'Global' ? () => '' : key.type === 'ClientIP' ? (x) => x.client : ((name: string) => (x: Exchange) => x.head.header(name) ?? '')(key.header!);
    guards.push((x) => {
      const wait = limit.take(keyOf(x));
      if (wait === 0) return null;
      m.rateLimited.increase(1, route);
      x.error = 'rate limited';
      return reply(429, 'too many requests', { 'retry-after': String(wait) });
    });
  }
  return guards;
}

export function compileRule(route: HTTPRouteSpec, rule: RuleSpec, gw: GatewaySpec, env: CompileEnv): CompiledRule {
  const responseSteps: ResponseStep[] = [];
  const steps: Step[] = [];
  const preflights: Step[] = [];
  for (const f of rule.filters) {
    const s = compileFilter(f, env, responseSteps, preflights);
    if (s) steps.push(s);
  }
  const sec = securityFor(env.model, gw, route);
  // A rule's own CORS filter is more specific than a policy's CORS settings.
  if (preflights.length) sec.cors = null;
  const guards = compileGuards(sec, route.meta.key, env.metrics, responseSteps, preflights);
  const refs = rule.backendRefs.filter((r) => r.weight > 0).map((r) => compileRef(r, env));
  return {
    route: route.meta.key,
    guards,
    steps,
    responseSteps,
    refs,
    totalWeight: refs.reduce((s, r) => s + r.weight, 0),
    requestTimeout: rule.timeouts.request,
    backendRequestTimeout: rule.timeouts.backendRequest,
    retry: rule.retry,
    // Mirrors and extension modules see the body, timeouts abandon the request: these rules
    // keep it whole. Everything else streams (retries through replay).
    bodySteps: rule.filters.some((f) => f.type === 'RequestMirror' || f.type === 'ExtensionRef'),
    buffered: rule.timeouts.request > 0 || rule.timeouts.backendRequest > 0,
  };
}
