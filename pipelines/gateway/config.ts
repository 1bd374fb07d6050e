// The gateway's configuration: YAML resources shaped like the Kubernetes Gateway API
// (gateway.networking.k8s.io: Gateway, HTTPRoute, TLSRoute, TCPRoute) plus Sluice's own
// (gateway.sluice.dev: Backend, BackendTrafficPolicy, SecurityPolicy, RateLimitPolicy,
// PipelineModule, GatewaySettings; their specs are read in config-policies.ts). These files
// only read and check; compile.ts and build.ts turn the checked model into closures.
// Everything here runs at load time, never per request.

import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join as joinPath, resolve as resolvePath } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ConfigError } from '../api/index.ts';
import type { CorsOptions } from '../modules/cors.ts';
import { Checker, HEADER_NAME, HEADER_VALUE, HOSTNAME, NAME, join, type Obj } from './check.ts';
import { DEFAULT_SETTINGS, abs, parseBackend, parseBackendPolicy, parseCors, parseRateLimit, parseSecurityPolicy, parseSettings } from './config-policies.ts';

const GW_GROUP = 'gateway.networking.k8s.io';
const SLUICE_GROUP = 'gateway.sluice.dev';

export interface Meta {
  name: string;
  namespace: string;
  /** `namespace/name`, the key references use. */
  key: string;
  /** Creation time for the spec's route precedence (oldest first); order in the config otherwise. */
  created: number;
  order: number;
}

export type Protocol = 'HTTP' | 'HTTPS' | 'TLS' | 'TCP';

export interface ListenerSpec {
  name: string;
  port: number;
  protocol: Protocol;
  hostname: string | null;
  tls: { mode: 'Terminate' | 'Passthrough'; certificates: { cert: string; key: string }[] } | null;
  /** allowedRoutes.namespaces.from: routes from the Gateway's namespace only (spec default), or any. */
  routesFrom: 'Same' | 'All';
  /** allowedRoutes.kinds, or null for the protocol's own route kind. */
  routeKinds: string[] | null;
}

export interface GatewaySpec {
  meta: Meta;
  address: string;
  listeners: ListenerSpec[];
}

export interface ParentRef {
  namespace: string;
  name: string;
  sectionName: string | null;
  port: number | null;
}

export interface HeaderMatchSpec { type: 'Exact' | 'RegularExpression'; name: string; value: string }
export interface MatchSpec {
  path: { type: 'Exact' | 'PathPrefix' | 'RegularExpression'; value: string };
  headers: HeaderMatchSpec[];
  queryParams: HeaderMatchSpec[];
  method: string | null;
}

export interface HeaderModifierSpec { set: { name: string; value: string }[]; add: { name: string; value: string }[]; remove: string[] }
export interface PathModifierSpec { type: 'ReplaceFullPath' | 'ReplacePrefixMatch'; value: string }
/** A CORS filter or policy is exactly what the CORS module takes. */
export type CorsSpec = CorsOptions;

export type FilterSpec =
  | { type: 'RequestHeaderModifier'; mod: HeaderModifierSpec }
  | { type: 'ResponseHeaderModifier'; mod: HeaderModifierSpec }
  | { type: 'RequestRedirect'; scheme: string | null; hostname: string | null; port: number | null; path: PathModifierSpec | null; statusCode: number }
  | { type: 'URLRewrite'; hostname: string | null; path: PathModifierSpec | null }
  | { type: 'RequestMirror'; backend: BackendRefSpec; percent: number }
  | { type: 'ExtensionRef'; module: string }
  | { type: 'CORS'; cors: CorsSpec };

export interface BackendRefSpec {
  key: string;
  name: string;
  port: number | null;
  weight: number;
  filters: FilterSpec[];
}

export interface RetrySpec { attempts: number; codes: number[]; backoff: number; onConnectFailure: boolean; allowNonIdempotent: boolean }

export interface RuleSpec {
  name: string | null;
  matches: MatchSpec[];
  filters: FilterSpec[];
  backendRefs: BackendRefSpec[];
  timeouts: { request: number; backendRequest: number };
  retry: RetrySpec | null;
  path: string;
}

export interface HTTPRouteSpec {
  meta: Meta;
  parents: ParentRef[];
  hostnames: string[];
  rules: RuleSpec[];
}

export interface L4RouteSpec {
  kind: 'TLSRoute' | 'TCPRoute';
  meta: Meta;
  parents: ParentRef[];
  hostnames: string[];
  backendRefs: BackendRefSpec[];
}

export interface EndpointSpec { host: string; port: number; weight: number }
export interface BackendSpec { meta: Meta; endpoints: EndpointSpec[] }

export interface TargetRef { kind: string; namespace: string; name: string; key: string }

export interface BackendPolicySpec {
  meta: Meta;
  targets: TargetRef[];
  loadBalancer: { type: 'RoundRobin' | 'Random' | 'LeastRequest' | 'ConsistentHash'; hashOn: { type: 'Header' | 'Cookie' | 'SourceIP'; name: string } | null } | null;
  sessionPersistence: { cookieName: string; ttl: number } | null;
  retry: RetrySpec | null;
  timeout: { connect: number; backendRequest: number; idle: number } | null;
  healthCheck: {
    active: { path: string; interval: number; timeout: number; healthyThreshold: number; unhealthyThreshold: number; expectedStatuses: number[]; hostname: string | null } | null;
    passive: { consecutiveErrors: number; baseEjectionTime: number; maxEjectionPercent: number } | null;
  } | null;
  circuitBreaker: { maxConnections: number; maxPendingRequests: number; maxRequests: number } | null;
}

export interface JwtProviderSpec {
  name: string;
  issuer: string | null;
  audiences: string[];
  jwksFile: string;
  claimToHeaders: { claim: string; header: string }[];
}

export interface SecurityPolicySpec {
  meta: Meta;
  targets: TargetRef[];
  jwt: { providers: JwtProviderSpec[]; optional: boolean } | null;
  basicAuth: { users: string[]; usersFile: string | null } | null;
  apiKeyAuth: { header: string | null; queryParam: string | null; keys: string[]; keysFile: string | null } | null;
  cors: CorsSpec | null;
  clientIP: { allow: string[]; deny: string[] } | null;
}

export interface RateLimitPolicySpec {
  meta: Meta;
  targets: TargetRef[];
  requests: number;
  interval: number;
  burst: number;
  key: { type: 'ClientIP' | 'Header' | 'Global'; header: string | null };
}

export interface SettingsSpec {
  accessLog: { enabled: boolean; path: string; fields: string[] };
  tracing: boolean;
  maxBodyBytes: number;
  /** Client connections idle this long are closed (ms). */
  clientIdleTimeout: number;
}

export interface GatewayModel {
  /** Folder relative paths (JWKS, modules, certificates) are resolved against. */
  baseDir: string;
  source: string;
  gateways: GatewaySpec[];
  httpRoutes: HTTPRouteSpec[];
  l4Routes: L4RouteSpec[];
  backends: Map<string, BackendSpec>;
  backendPolicies: BackendPolicySpec[];
  securityPolicies: SecurityPolicySpec[];
  rateLimitPolicies: RateLimitPolicySpec[];
  modules: Map<string, string>;
  certificates: Map<string, { cert: string; key: string }>;
  settings: SettingsSpec;
}

// ---- reading ----

/** Reads a YAML file, or every *.yaml / *.yml in a folder (sorted), into one checked model. */
export function loadConfig(path: string): GatewayModel {
  const abs = resolvePath(path);
  let st;
  try {
    st = statSync(abs);
  } catch {
    throw new ConfigError(`no such config file or folder`, path);
  }
  const files = st.isDirectory()
    ? readdirSync(abs).filter((f) => /\.ya?ml$/.test(f)).sort().map((f) => joinPath(abs, f))
    : [abs];
  if (files.length === 0) throw new ConfigError('the folder holds no .yaml files', path);
  const docs: { res: unknown; file: string }[] = [];
  for (const f of files) for (const res of readYaml(readFileSync(f, 'utf8'), f)) docs.push({ res, file: f });
  return parseResources(docs, st.isDirectory() ? abs : dirname(abs), abs);
}

/** Parses YAML text (one or more documents; each a resource, a list of them, or a `kind: List`). */
export function readYaml(text: string, file: string): unknown[] {
  const out: unknown[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length) {
      const e = doc.errors[0]!;
      throw new ConfigError(`YAML: ${e.message.split('\n')[0]}`, file);
    }
    const v = doc.toJS();
    if (v == null) continue;
    if (Array.isArray(v)) out.push(...v);
    else if (typeof v === 'object' && (v as Obj).kind === 'List' && Array.isArray((v as Obj).items)) out.push(...((v as Obj).items as unknown[]));
    else out.push(v);
  }
  return out;
}

export function parseResources(docs: { res: unknown; file: string }[], baseDir: string, source: string): GatewayModel {
  const m: GatewayModel = {
    baseDir,
    source,
    gateways: [],
    httpRoutes: [],
    l4Routes: [],
    backends: new Map(),
    backendPolicies: [],
    securityPolicies: [],
    rateLimitPolicies: [],
    modules: new Map(),
    certificates: new Map(),
    settings: DEFAULT_SETTINGS,
  };
  const seen = new Set<string>();
  docs.forEach(({ res, file }, order) => {
    const pre = new Checker(`${file}: resource #${order + 1}`);
    const r = pre.obj(res, '', ['apiVersion', 'kind', 'metadata', 'spec', 'status'], ['apiVersion', 'kind', 'metadata']);
    const kind = pre.str(r.kind, 'kind');
    const apiVersion = pre.str(r.apiVersion, 'apiVersion');
    const md = pre.obj(r.metadata, 'metadata', ['name', 'namespace', 'creationTimestamp', 'labels', 'annotations', 'generation', 'uid', 'resourceVersion'], ['name']);
    const name = pre.str(md.name, 'metadata.name', { pattern: NAME, what: 'name (lowercase letters, digits, - and .)' });
    const namespace = pre.optStr(md.namespace, 'metadata.namespace', { pattern: NAME, what: 'namespace' }) ?? 'default';
    const c = new Checker(`${kind} ${namespace}/${name}`);
    const id = `${kind}/${namespace}/${name}`;
    if (seen.has(id)) c.fail('metadata.name', `a ${kind} with this name is already defined`);
    seen.add(id);
    let created = Number.MAX_SAFE_INTEGER;
    if (md.creationTimestamp != null) {
      const t = Date.parse(String(md.creationTimestamp instanceof Date ? md.creationTimestamp.toISOString() : md.creationTimestamp));
      if (Number.isNaN(t)) c.fail('metadata.creationTimestamp', `not a timestamp: '${String(md.creationTimestamp)}'`);
      created = t;
    }
    const meta: Meta = { name, namespace, key: `${namespace}/${name}`, created, order };
    const group = apiVersion.split('/')[0];
    const expectGroup = (g: string) => {
      if (group !== g || !apiVersion.includes('/')) c.fail('apiVersion', `${kind} belongs to ${g}/<version>, got '${apiVersion}'`);
    };
    const spec = r.spec ?? {};
    switch (kind) {
      case 'Gateway': expectGroup(GW_GROUP); m.gateways.push(parseGateway(c, spec, meta)); break;
      case 'HTTPRoute': expectGroup(GW_GROUP); m.httpRoutes.push(parseHTTPRoute(c, spec, meta)); break;
      case 'TLSRoute': case 'TCPRoute': expectGroup(GW_GROUP); m.l4Routes.push(parseL4Route(c, spec, meta, kind)); break;
      case 'Backend': expectGroup(SLUICE_GROUP); m.backends.set(meta.key, parseBackend(c, spec, meta)); break;
      case 'BackendTrafficPolicy': expectGroup(SLUICE_GROUP); m.backendPolicies.push(parseBackendPolicy(c, spec, meta)); break;
      case 'SecurityPolicy': expectGroup(SLUICE_GROUP); m.securityPolicies.push(parseSecurityPolicy(c, spec, meta, baseDir)); break;
      case 'RateLimitPolicy': expectGroup(SLUICE_GROUP); m.rateLimitPolicies.push(parseRateLimit(c, spec, meta)); break;
      case 'PipelineModule': {
        expectGroup(SLUICE_GROUP);
        const s = c.obj(spec, 'spec', ['path'], ['path']);
        m.modules.set(meta.key, abs(baseDir, c.str(s.path, 'spec.path', { min: 1 })));
        break;
      }
      case 'Certificate': {
        expectGroup(SLUICE_GROUP);
        const s = c.obj(spec, 'spec', ['certFile', 'keyFile'], ['certFile', 'keyFile']);
        m.certificates.set(meta.key, { cert: abs(baseDir, c.str(s.certFile, 'spec.certFile')), key: abs(baseDir, c.str(s.keyFile, 'spec.keyFile')) });
        break;
      }
      case 'GatewaySettings': expectGroup(SLUICE_GROUP); m.settings = parseSettings(c, spec); break;
      default:
        c.fail('kind', `unknown kind (supported: Gateway, HTTPRoute, TLSRoute, TCPRoute, Backend, BackendTrafficPolicy, SecurityPolicy, RateLimitPolicy, PipelineModule, Certificate, GatewaySettings)`);
    }
  });
  if (m.gateways.length === 0) throw new ConfigError('the configuration has no Gateway resource', source);
  crossCheck(m);
  return m;
}

// ---- Gateway ----

function parseGateway(c: Checker, v: unknown, meta: Meta): GatewaySpec {
  const s = c.obj(v, 'spec', ['gatewayClassName', 'addresses', 'listeners', 'infrastructure'], ['listeners']);
  let address = '0.0.0.0';
  const addrs = c.arr(s.addresses, 'spec.addresses', { max: 1 });
  if (addrs.length) {
    const a = c.obj(addrs[0], 'spec.addresses[0]', ['type', 'value'], ['value']);
    c.oneOf(a.type, 'spec.addresses[0].type', ['IPAddress'], 'IPAddress');
    address = c.str(a.value, 'spec.addresses[0].value', { pattern: /^[0-9a-fA-F.:]+$/, what: 'IP address' });
  }
  const names = new Set<string>();
  const listeners = c.arr(s.listeners, 'spec.listeners', { min: 1, max: 64 }).map((lv, i) => {
    const p = `spec.listeners[${i}]`;
    const l = c.obj(lv, p, ['name', 'port', 'protocol', 'hostname', 'tls', 'allowedRoutes'], ['name', 'port', 'protocol']);
    const name = c.str(l.name, `${p}.name`, { pattern: NAME, what: 'section name' });
    if (names.has(name)) c.fail(`${p}.name`, `listener name '${name}' is used twice`);
    names.add(name);
    const protocol = c.oneOf(l.protocol, `${p}.protocol`, ['HTTP', 'HTTPS', 'TLS', 'TCP'] as const);
    const hostname = c.optStr(l.hostname, `${p}.hostname`, { pattern: HOSTNAME, what: 'hostname' }) ?? null;
    if (hostname && protocol === 'TCP') c.fail(`${p}.hostname`, 'a TCP listener cannot match on hostname');
    let tls: ListenerSpec['tls'] = null;
    if (protocol === 'HTTPS' || protocol === 'TLS') {
      const t = c.obj(l.tls, `${p}.tls`, ['mode', 'certificateRefs', 'options']);
      const mode = c.oneOf(t.mode, `${p}.tls.mode`, ['Terminate', 'Passthrough'] as const, 'Terminate');
      if (protocol === 'HTTPS' && mode !== 'Terminate') c.fail(`${p}.tls.mode`, 'an HTTPS listener terminates TLS (use protocol TLS for Passthrough)');
      const refs = c.arr(t.certificateRefs, `${p}.tls.certificateRefs`).map((rv, j) => {
        const r = c.obj(rv, `${p}.tls.certificateRefs[${j}]`, ['group', 'kind', 'name', 'namespace'], ['name']);
        c.oneOf(r.kind, `${p}.tls.certificateRefs[${j}].kind`, ['Certificate'], 'Certificate');
        return { cert: `${c.optStr(r.namespace, 'namespace') ?? meta.namespace}/${c.str(r.name, `${p}.tls.certificateRefs[${j}].name`)}`, key: '' };
      });
      if (mode === 'Terminate' && refs.length === 0) c.fail(`${p}.tls.certificateRefs`, 'TLS termination needs at least one certificate');
      tls = { mode, certificates: refs };
    } else if (l.tls !== undefined) c.fail(`${p}.tls`, `only HTTPS and TLS listeners take tls settings`);
    let routesFrom: 'Same' | 'All' = 'Same';
    let routeKinds: string[] | null = null;
    const ar = c.optObj(l.allowedRoutes, `${p}.allowedRoutes`, ['namespaces', 'kinds']);
    if (ar) {
      const ns = c.optObj(ar.namespaces, `${p}.allowedRoutes.namespaces`, ['from', 'selector']);
      if (ns?.selector !== undefined) c.fail(`${p}.allowedRoutes.namespaces.selector`, 'namespace selectors are not supported (use from: Same or All)');
      if (ns) routesFrom = c.oneOf(ns.from, `${p}.allowedRoutes.namespaces.from`, ['Same', 'All'] as const, 'Same');
      const own = protocol === 'TCP' ? 'TCPRoute' : protocol === 'TLS' ? 'TLSRoute' : 'HTTPRoute';
      if (ar.kinds !== undefined) {
        routeKinds = c.arr(ar.kinds, `${p}.allowedRoutes.kinds`).map((kv, j) => {
          const k = c.obj(kv, `${p}.allowedRoutes.kinds[${j}]`, ['group', 'kind'], ['kind']);
          const kind = c.str(k.kind, `${p}.allowedRoutes.kinds[${j}].kind`);
          if (kind !== own) c.fail(`${p}.allowedRoutes.kinds[${j}].kind`, `a ${protocol} listener serves ${own} only, got '${kind}'`);
          return kind;
        });
      }
    }
    return { name, port: c.int(l.port, `${p}.port`, 1, 65535), protocol, hostname, tls, routesFrom, routeKinds };
  });
  return { meta, address, listeners };
}

// ---- routes ----

function parseParents(c: Checker, v: unknown, ns: string): ParentRef[] {
  return c.arr(v, 'spec.parentRefs', { min: 1, max: 32 }).map((pv, i) => {
    const p = `spec.parentRefs[${i}]`;
    const r = c.obj(pv, p, ['group', 'kind', 'namespace', 'name', 'sectionName', 'port'], ['name']);
    c.oneOf(r.kind, `${p}.kind`, ['Gateway'], 'Gateway');
    return {
      namespace: c.optStr(r.namespace, `${p}.namespace`) ?? ns,
      name: c.str(r.name, `${p}.name`),
      sectionName: c.optStr(r.sectionName, `${p}.sectionName`) ?? null,
      port: r.port == null ? null : c.int(r.port, `${p}.port`, 1, 65535),
    };
  });
}

function parseHostnames(c: Checker, v: unknown): string[] {
  return c.arr(v, 'spec.hostnames', { max: 16 }).map((h, i) => c.str(h, `spec.hostnames[${i}]`, { pattern: HOSTNAME, what: 'hostname (lowercase, optionally starting with *.)' }));
}

function parseHTTPRoute(c: Checker, v: unknown, meta: Meta): HTTPRouteSpec {
  const s = c.obj(v, 'spec', ['parentRefs', 'hostnames', 'rules'], ['parentRefs']);
  const rulesIn = c.arr(s.rules, 'spec.rules', { max: 64 });
  const rules = (rulesIn.length ? rulesIn : [{}]).map((rv, i) => parseRule(c, rv, `spec.rules[${i}]`, meta.namespace));
  return { meta, parents: parseParents(c, s.parentRefs, meta.namespace), hostnames: parseHostnames(c, s.hostnames), rules };
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'] as const;

function parseRule(c: Checker, v: unknown, p: string, ns: string): RuleSpec {
  const r = c.obj(v, p, ['name', 'matches', 'filters', 'backendRefs', 'timeouts', 'retry', 'sessionPersistence']);
  if (r.sessionPersistence !== undefined) c.fail(`${p}.sessionPersistence`, 'set session persistence with a BackendTrafficPolicy on the Backend');
  const matchesIn = c.arr(r.matches, `${p}.matches`, { max: 64 });
  const matches = (matchesIn.length ? matchesIn : [{}]).map((mv, i) => parseMatch(c, mv, `${p}.matches[${i}]`));
  const filters = parseFilters(c, r.filters, `${p}.filters`, ns, matches);
  const backendRefs = c.arr(r.backendRefs, `${p}.backendRefs`, { max: 64 }).map((bv, i) => parseBackendRef(c, bv, `${p}.backendRefs[${i}]`, ns, true, matches));
  const timeouts = { request: 0, backendRequest: 0 };
  const t = c.optObj(r.timeouts, `${p}.timeouts`, ['request', 'backendRequest']);
  if (t) {
    timeouts.request = c.optDuration(t.request, `${p}.timeouts.request`, 0);
    timeouts.backendRequest = c.optDuration(t.backendRequest, `${p}.timeouts.backendRequest`, 0);
    if (timeouts.request && timeouts.backendRequest > timeouts.request) c.fail(`${p}.timeouts.backendRequest`, 'must not be longer than timeouts.request');
  }
  let retry: RetrySpec | null = null;
  const rt = c.optObj(r.retry, `${p}.retry`, ['codes', 'attempts', 'backoff']);
  if (rt) {
    retry = {
      attempts: c.optInt(rt.attempts, `${p}.retry.attempts`, 0, 10, 1),
      codes: c.arr(rt.codes, `${p}.retry.codes`).map((x, i) => c.int(x, `${p}.retry.codes[${i}]`, 400, 599)),
      backoff: c.optDuration(rt.backoff, `${p}.retry.backoff`, 25),
      onConnectFailure: true,
      allowNonIdempotent: false,
    };
  }
  return { name: c.optStr(r.name, `${p}.name`, { pattern: NAME, what: 'rule name' }) ?? null, matches, filters, backendRefs, timeouts, retry, path: p };
}

function parseMatch(c: Checker, v: unknown, p: string): MatchSpec {
  const m = c.obj(v, p, ['path', 'headers', 'queryParams', 'method']);
  let path: MatchSpec['path'] = { type: 'PathPrefix', value: '/' };
  const pv = c.optObj(m.path, `${p}.path`, ['type', 'value']);
  if (pv) {
    const type = c.oneOf(pv.type, `${p}.path.type`, ['Exact', 'PathPrefix', 'RegularExpression'] as const, 'PathPrefix');
    const value = pv.value === undefined ? '/' : c.str(pv.value, `${p}.path.value`, { min: 1 });
    if (type === 'RegularExpression') c.regex(value, `${p}.path.value`, true);
    else {
      if (!value.startsWith('/')) c.fail(`${p}.path.value`, `must start with '/'`);
      if (/\/\/|\/\.\.?(\/|$)|[?#%]/.test(value)) c.fail(`${p}.path.value`, `must not contain '//', '/./', '/../', '%', '?' or '#'`);
    }
    path = { type, value };
  }
  const kv = (arr: unknown, what: string) => {
    const names = new Set<string>();
    return c.arr(arr, `${p}.${what}`, { max: 16 }).map((hv, i) => {
      const q = `${p}.${what}[${i}]`;
      const h = c.obj(hv, q, ['type', 'name', 'value'], ['name', 'value']);
      const type = c.oneOf(h.type, `${q}.type`, ['Exact', 'RegularExpression'] as const, 'Exact');
      let name = c.str(h.name, `${q}.name`, what === 'headers' ? { pattern: HEADER_NAME, what: 'header name' } : { min: 1 });
      if (what === 'headers') name = name.toLowerCase();
      // Gateway API: a repeated name in one match is ignored after the first.
      if (names.has(name)) c.fail(`${q}.name`, `'${name}' is matched twice in this match`);
      names.add(name);
      const value = c.str(h.value, `${q}.value`);
      if (type === 'RegularExpression') c.regex(value, `${q}.value`, true);
      return { type, name, value };
    });
  };
  const method = m.method == null ? null : c.oneOf(m.method, `${p}.method`, METHODS);
  return { path, headers: kv(m.headers, 'headers'), queryParams: kv(m.queryParams, 'queryParams'), method };
}

function parseHeaderModifier(c: Checker, v: unknown, p: string): HeaderModifierSpec {
  const o = c.obj(v, p, ['set', 'add', 'remove']);
  const pairs = (x: unknown, q: string) =>
    c.arr(x, q, { max: 16 }).map((hv, i) => {
      const h = c.obj(hv, `${q}[${i}]`, ['name', 'value'], ['name', 'value']);
      return { name: c.str(h.name, `${q}[${i}].name`, { pattern: HEADER_NAME, what: 'header name' }).toLowerCase(), value: c.str(h.value, `${q}[${i}].value`, { pattern: HEADER_VALUE, what: 'header value (no CR, LF or NUL)' }) };
    });
  const mod = {
    set: pairs(o.set, `${p}.set`),
    add: pairs(o.add, `${p}.add`),
    remove: c.arr(o.remove, `${p}.remove`, { max: 16 }).map((x, i) => c.str(x, `${p}.remove[${i}]`, { pattern: HEADER_NAME, what: 'header name' }).toLowerCase()),
  };
  if (!mod.set.length && !mod.add.length && !mod.remove.length) c.fail(p, 'needs at least one of set, add, remove');
  return mod;
}

function parsePathModifier(c: Checker, v: unknown, p: string, matches: MatchSpec[]): PathModifierSpec | null {
  const o = c.optObj(v, p, ['type', 'replaceFullPath', 'replacePrefixMatch'], ['type']);
  if (!o) return null;
  const type = c.oneOf(o.type, `${p}.type`, ['ReplaceFullPath', 'ReplacePrefixMatch'] as const);
  const field = type === 'ReplaceFullPath' ? 'replaceFullPath' : 'replacePrefixMatch';
  const other = type === 'ReplaceFullPath' ? 'replacePrefixMatch' : 'replaceFullPath';
  if (o[other] !== undefined) c.fail(`${p}.${other}`, `not allowed with type ${type}`);
  const value = o[field] === undefined ? '/' : c.str(o[field], `${p}.${field}`);
  if (!value.startsWith('/')) c.fail(`${p}.${field}`, `must start with '/'`);
  if (type === 'ReplacePrefixMatch' && matches.some((m) => m.path.type !== 'PathPrefix')) {
    c.fail(`${p}.type`, 'ReplacePrefixMatch needs every match of the rule to be a PathPrefix match');
  }
  return { type, value };
}

function parseFilters(c: Checker, v: unknown, p: string, ns: string, matches: MatchSpec[]): FilterSpec[] {
  const once = new Set<string>();
  const out = c.arr(v, p, { max: 16 }).map((fv, i): FilterSpec => {
    const q = `${p}[${i}]`;
    const f = c.obj(fv, q, ['type', 'requestHeaderModifier', 'responseHeaderModifier', 'requestRedirect', 'urlRewrite', 'requestMirror', 'extensionRef', 'cors'], ['type']);
    const type = c.oneOf(f.type, `${q}.type`, ['RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestRedirect', 'URLRewrite', 'RequestMirror', 'ExtensionRef', 'CORS'] as const);
    const field = type === 'URLRewrite' ? 'urlRewrite' : type === 'CORS' ? 'cors' : type[0]!.toLowerCase() + type.slice(1);
    for (const k of Object.keys(f)) if (k !== 'type' && k !== field) c.fail(`${q}.${k}`, `not allowed with type ${type} (expected ${field})`);
    if (f[field] === undefined) c.fail(`${q}.${field}`, `required with type ${type}`);
    if (type !== 'RequestMirror' && type !== 'ExtensionRef') {
      if (once.has(type)) c.fail(`${q}.type`, `${type} may appear only once in a filter list`);
      once.add(type);
    }
    const fq = `${q}.${field}`;
    switch (type) {
      case 'RequestHeaderModifier': return { type, mod: parseHeaderModifier(c, f[field], fq) };
      case 'ResponseHeaderModifier': return { type, mod: parseHeaderModifier(c, f[field], fq) };
      case 'RequestRedirect': {
        const o = c.obj(f[field], fq, ['scheme', 'hostname', 'path', 'port', 'statusCode']);
        const sc = o.statusCode == null ? 302 : c.int(o.statusCode, `${fq}.statusCode`, 300, 399);
        if (![301, 302, 303, 307, 308].includes(sc)) c.fail(`${fq}.statusCode`, `expected one of 301, 302, 303, 307, 308, got ${sc}`);
        return {
          type,
          scheme: o.scheme == null ? null : c.oneOf(o.scheme, `${fq}.scheme`, ['http', 'https']),
          hostname: c.optStr(o.hostname, `${fq}.hostname`, { pattern: /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, what: 'hostname' }) ?? null,
          port: o.port == null ? null : c.int(o.port, `${fq}.port`, 1, 65535),
          path: parsePathModifier(c, o.path, `${fq}.path`, matches),
          statusCode: sc,
        };
      }
      case 'URLRewrite': {
        const o = c.obj(f[field], fq, ['hostname', 'path']);
        return { type, hostname: c.optStr(o.hostname, `${fq}.hostname`, { pattern: /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, what: 'hostname' }) ?? null, path: parsePathModifier(c, o.path, `${fq}.path`, matches) };
      }
      case 'RequestMirror': {
        const o = c.obj(f[field], fq, ['backendRef', 'percent', 'fraction'], ['backendRef']);
        let percent = 100;
        if (o.percent != null && o.fraction != null) c.fail(`${fq}.fraction`, 'use percent or fraction, not both');
        if (o.percent != null) percent = c.int(o.percent, `${fq}.percent`, 0, 100);
        const fr = c.optObj(o.fraction, `${fq}.fraction`, ['numerator', 'denominator'], ['numerator']);
        if (fr) {
          const den = c.optInt(fr.denominator, `${fq}.fraction.denominator`, 1, 1_000_000, 100);
          const num = c.int(fr.numerator, `${fq}.fraction.numerator`, 0, den);
          percent = (num / den) * 100;
        }
        return { type, backend: parseBackendRef(c, o.backendRef, `${fq}.backendRef`, ns, false, matches), percent };
      }
      case 'ExtensionRef': {
        const o = c.obj(f[field], fq, ['group', 'kind', 'name'], ['kind', 'name']);
        c.oneOf(o.group, `${fq}.group`, [SLUICE_GROUP], SLUICE_GROUP);
        c.oneOf(o.kind, `${fq}.kind`, ['PipelineModule']);
        return { type, module: `${ns}/${c.str(o.name, `${fq}.name`)}` };
      }
      case 'CORS': return { type, cors: parseCors(c, f[field], fq) };
    }
  });
  if (once.has('RequestRedirect') && once.has('URLRewrite')) c.fail(p, 'RequestRedirect and URLRewrite cannot be used together');
  return out;
}

function parseBackendRef(c: Checker, v: unknown, p: string, ns: string, withFilters: boolean, matches: MatchSpec[]): BackendRefSpec {
  const allowed = ['group', 'kind', 'name', 'namespace', 'port', ...(withFilters ? ['weight', 'filters'] : [])];
  const r = c.obj(v, p, allowed, ['name']);
  if (r.group !== undefined && r.group !== SLUICE_GROUP && r.group !== '') c.fail(`${p}.group`, `expected '${SLUICE_GROUP}' (backends are Backend resources)`);
  c.oneOf(r.kind, `${p}.kind`, ['Backend'], 'Backend');
  const name = c.str(r.name, `${p}.name`);
  const namespace = c.optStr(r.namespace, `${p}.namespace`) ?? ns;
  const filters = withFilters ? parseFilters(c, r.filters, `${p}.filters`, ns, matches) : [];
  for (let i = 0; i < filters.length; i++) {
    const t = filters[i]!.type;
    if (t !== 'RequestHeaderModifier' && t !== 'ResponseHeaderModifier') c.fail(`${p}.filters[${i}].type`, `only RequestHeaderModifier and ResponseHeaderModifier are supported on a backendRef`);
  }
  return {
    key: `${namespace}/${name}`,
    name,
    port: r.port == null ? null : c.int(r.port, `${p}.port`, 1, 65535),
    weight: r.weight == null ? 1 : c.int(r.weight, `${p}.weight`, 0, 1_000_000),
    filters,
  };
}

function parseL4Route(c: Checker, v: unknown, meta: Meta, kind: 'TLSRoute' | 'TCPRoute'): L4RouteSpec {
  const s = c.obj(v, 'spec', kind === 'TLSRoute' ? ['parentRefs', 'hostnames', 'rules'] : ['parentRefs', 'rules'], ['parentRefs', 'rules']);
  const rules = c.arr(s.rules, 'spec.rules', { min: 1, max: 1 });
  const r = c.obj(rules[0], 'spec.rules[0]', ['name', 'backendRefs'], ['backendRefs']);
  const backendRefs = c.arr(r.backendRefs, 'spec.rules[0].backendRefs', { min: 1, max: 16 }).map((bv, i) => {
    const p = `spec.rules[0].backendRefs[${i}]`;
    const o = c.obj(bv, p, ['group', 'kind', 'name', 'namespace', 'port', 'weight'], ['name']);
    c.oneOf(o.kind, `${p}.kind`, ['Backend'], 'Backend');
    const ns = c.optStr(o.namespace, `${p}.namespace`) ?? meta.namespace;
    const name = c.str(o.name, `${p}.name`);
    return { key: `${ns}/${name}`, name, port: o.port == null ? null : c.int(o.port, `${p}.port`, 1, 65535), weight: o.weight == null ? 1 : c.int(o.weight, `${p}.weight`, 0, 1_000_000), filters: [] };
  });
  return { kind, meta, parents: parseParents(c, s.parentRefs, meta.namespace), hostnames: kind === 'TLSRoute' ? parseHostnames(c, s.hostnames) : [], backendRefs };
}

// ---- references across resources ----

function crossCheck(m: GatewayModel): void {
  const gws = new Map(m.gateways.map((g) => [g.meta.key, g]));
  const ports = new Map<string, string>();
  for (const g of m.gateways) {
    g.listeners.forEach((l, i) => {
      const c = new Checker(`Gateway ${g.meta.key}`);
      const k = `${g.address}:${l.port}`;
      const kind = l.protocol === 'TLS' ? `TLS ${l.tls?.mode ?? 'Passthrough'}` : l.protocol;
      const prev = ports.get(k);
      // Several listeners may share a port only if they are HTTP(S) told apart by hostname.
      if (prev !== undefined && prev !== kind) c.fail(`spec.listeners[${i}].port`, `port ${l.port} is already used by a ${prev} listener`);
      if (prev === 'TCP' && l.protocol === 'TCP') c.fail(`spec.listeners[${i}].port`, `port ${l.port} is already used by another TCP listener`);
      ports.set(k, kind);
      if (l.tls) {
        for (let j = 0; j < l.tls.certificates.length; j++) {
          const ref = l.tls.certificates[j]!;
          const cert = m.certificates.get(ref.cert);
          if (!cert) c.fail(`spec.listeners[${i}].tls.certificateRefs[${j}]`, `no Certificate '${ref.cert}'`);
          l.tls.certificates[j] = cert!;
        }
      }
    });
  }
  const checkParents = (c: Checker, parents: ParentRef[], protocols: readonly Protocol[]) => {
    parents.forEach((p, i) => {
      const g = gws.get(`${p.namespace}/${p.name}`);
      if (!g) c.fail(`spec.parentRefs[${i}].name`, `no Gateway '${p.namespace}/${p.name}'`);
      const ls = g!.listeners.filter((l) => (p.sectionName === null || l.name === p.sectionName) && (p.port === null || l.port === p.port));
      if (ls.length === 0) c.fail(`spec.parentRefs[${i}]`, `Gateway '${p.namespace}/${p.name}' has no listener${p.sectionName ? ` named '${p.sectionName}'` : ''}${p.port ? ` on port ${p.port}` : ''}`);
      if (!ls.some((l) => protocols.includes(l.protocol))) c.fail(`spec.parentRefs[${i}]`, `no matching listener speaks ${protocols.join(' or ')}`);
    });
  };
  for (const r of m.httpRoutes) {
    const c = new Checker(`HTTPRoute ${r.meta.key}`);
    checkParents(c, r.parents, ['HTTP', 'HTTPS']);
    r.rules.forEach((rule) => {
      rule.filters.forEach((f, i) => {
        if (f.type === 'ExtensionRef' && !m.modules.has(f.module)) c.fail(`${rule.path}.filters[${i}].extensionRef.name`, `no PipelineModule '${f.module}'`);
        if (f.type === 'RequestMirror' && !m.backends.has(f.backend.key)) c.fail(`${rule.path}.filters[${i}].requestMirror.backendRef.name`, `no Backend '${f.backend.key}'`);
      });
    });
  }
  for (const r of m.l4Routes) {
    const c = new Checker(`${r.kind} ${r.meta.key}`);
    checkParents(c, r.parents, r.kind === 'TLSRoute' ? ['TLS'] : ['TCP']);
    r.backendRefs.forEach((b, i) => {
      if (!m.backends.has(b.key)) c.fail(`spec.rules[0].backendRefs[${i}].name`, `no Backend '${b.key}'`);
    });
  }
  const routes = new Set(m.httpRoutes.map((r) => r.meta.key));
  const checkTargets = (kind: string, meta: Meta, targets: TargetRef[]) => {
    const c = new Checker(`${kind} ${meta.key}`);
    targets.forEach((t, i) => {
      const ok = t.kind === 'Gateway' ? gws.has(t.key) : t.kind === 'HTTPRoute' ? routes.has(t.key) : m.backends.has(t.key);
      if (!ok) c.fail(`spec.targetRefs[${i}]`, `no ${t.kind} '${t.key}'`);
    });
  };
  for (const p of m.backendPolicies) checkTargets('BackendTrafficPolicy', p.meta, p.targets);
  for (const p of m.securityPolicies) checkTargets('SecurityPolicy', p.meta, p.targets);
  for (const p of m.rateLimitPolicies) checkTargets('RateLimitPolicy', p.meta, p.targets);
}

export { join };
export { ACCESS_LOG_FIELDS } from './config-policies.ts';
