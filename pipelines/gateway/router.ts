// HTTPRoute matching, compiled at load into closures and one sorted candidate list per host.
//
// Precedence, from the Gateway API spec (HTTPRouteRule and HTTPRouteSpec.hostnames):
//   1. the route whose matching hostname is most specific (most non-wildcard characters, then
//      most characters); a request falls through to less specific hostnames if nothing matches;
//   2. an Exact path, then the longest PathPrefix (RegularExpression paths come after prefixes:
//      their precedence is implementation-specific);
//   3. a method match; 4. most header matches; 5. most query matches;
//   6. the oldest route (creationTimestamp), then {namespace}/{name} alphabetically;
//   7. the first rule, then the first match, in list order.
// Per request: one Map lookup for the host (cached per distinct host), then the first
// candidate whose compiled test passes.

import type { RequestHead } from '../api/index.ts';
import type { HTTPRouteSpec, ListenerSpec, MatchSpec, GatewaySpec } from './config.ts';

/** What matching reads from a request: computed once per request. */
export class RequestView {
  readonly head: RequestHead;
  readonly method: string;
  /** Path without the query. */
  readonly path: string;
  readonly query: string | null;
  readonly host: string;
  #params: URLSearchParams | null = null;

  constructor(head: RequestHead) {
    this.head = head;
    this.method = head.method;
    const p = head.path;
    const q = p.indexOf('?');
    let path = q < 0 ? p : p.slice(0, q);
    this.query = q < 0 ? null : p.slice(q + 1);
    if (NEEDS_NORMALISING.test(path)) {
      // `/public/../admin` must not match a /public prefix and then reach /admin upstream:
      // routes see, and the upstream gets, the normalised path (RFC 3986 §5.2.4, §6.2.2.2).
      path = normalisePath(path);
      head.path = this.query === null ? path : `${path}?${this.query}`;
    }
    this.path = path;
    this.host = hostOf(head.header('host'));
  }

  param(name: string): string | null {
    if (this.query === null) return null;
    return (this.#params ??= new URLSearchParams(this.query)).get(name);
  }
}

const NEEDS_NORMALISING = /\/\.|\/\/|%2e/i;

/** Removes dot segments (percent-encoded dots too) and merges repeated slashes. */
export function normalisePath(path: string): string {
  const segs = path.replace(/%2e/gi, '.').split('/');
  const out: string[] = [];
  for (let i = 1; i < segs.length; i++) {
    const s = segs[i]!;
    const last = i === segs.length - 1;
    if (s === '.' || (s === '' && !last)) {
      if (last) out.push('');
      continue;
    }
    if (s === '..') {
      out.pop();
      if (last) out.push('');
      continue;
    }
    out.push(s);
  }
  return '/' + out.join('/');
}

/** The Host header without port, lowercase, without a trailing dot. */
export function hostOf(h: string | undefined): string {
  if (!h) return '';
  let s = h.trim().toLowerCase();
  if (s.startsWith('[')) return s.slice(0, s.indexOf(']') + 1);
  const c = s.lastIndexOf(':');
  if (c >= 0) s = s.slice(0, c);
  return s.endsWith('.') ? s.slice(0, -1) : s;
}

export interface Candidate<R> {
  /** The rule payload the gateway compiled (filters, backends, policies). */
  rule: R;
  test: (v: RequestView) => boolean;
  /** The PathPrefix value, for ReplacePrefixMatch ('' when not a prefix match). */
  prefix: string;
  // precedence keys
  hostname: string;
  hostExact: number;
  hostChars: number;
  pathRank: number;
  pathLen: number;
  method: number;
  headers: number;
  queries: number;
  created: number;
  routeKey: string;
  ruleIndex: number;
  matchIndex: number;
}

function comparePrecedence(a: Candidate<unknown>, b: Candidate<unknown>): number {
  return (
    b.hostExact - a.hostExact ||
    b.hostChars - a.hostChars ||
    a.pathRank - b.pathRank ||
    b.pathLen - a.pathLen ||
    b.method - a.method ||
    b.headers - a.headers ||
    b.queries - a.queries ||
    a.created - b.created ||
    (a.routeKey < b.routeKey ? -1 : a.routeKey > b.routeKey ? 1 : 0) ||
    a.ruleIndex - b.ruleIndex ||
    a.matchIndex - b.matchIndex
  );
}

/** Does hostname pattern `h` (maybe `*.x`) match the request host? */
export function hostMatches(h: string, host: string): boolean {
  if (h === '*') return true;
  if (h.startsWith('*.')) return host.length > h.length - 1 && host.endsWith(h.slice(1));
  return h === host;
}

/** The hostnames a route serves on a listener (spec: the intersection), or null if none. */
export function effectiveHostnames(routeHosts: readonly string[], listenerHost: string | null): string[] | null {
  if (listenerHost === null) return routeHosts.length ? [...routeHosts] : ['*'];
  if (routeHosts.length === 0) return [listenerHost];
  const out: string[] = [];
  const L = listenerHost;
  const lw = L.startsWith('*.');
  for (const h of routeHosts) {
    const hw = h.startsWith('*.');
    if (!lw && !hw) { if (h === L) out.push(h); }
    else if (lw && !hw) { if (hostMatches(L, h)) out.push(h); }
    else if (!lw && hw) { if (hostMatches(h, L)) out.push(L); }
    else if (h.endsWith(L.slice(1))) out.push(h);
    else if (L.endsWith(h.slice(1))) out.push(L);
  }
  return out.length ? [...new Set(out)] : null;
}

/** Compiles one match into a single predicate (no per-request interpretation). */
export function compileMatch(m: MatchSpec): { test: (v: RequestView) => boolean; prefix: string } {
  const tests: ((v: RequestView) => boolean)[] = [];
  let prefix = '';
  const pv = m.path.value;
  switch (m.path.type) {
    case 'Exact':
      tests.push((v) => v.path === pv);
      break;
    case 'PathPrefix': {
      // Segment-aware: /abc matches /abc, /abc/ and /abc/def, never /abcd; a trailing slash
      // in the prefix is ignored (spec, HTTPPathMatch).
      const p = pv.length > 1 && pv.endsWith('/') ? pv.slice(0, -1) : pv;
      prefix = p;
      if (p !== '/') tests.push((v) => v.path.startsWith(p) && (v.path.length === p.length || v.path.charCodeAt(p.length) === 47));
      break;
    }
    case 'RegularExpression': {
      const re = new RegExp(`^(?:${pv})$`);
      tests.push((v) => re.test(v.path));
      break;
    }
  }
  if (m.method) {
    const meth = m.method;
    tests.push((v) => v.method === meth);
  }
  for (const h of m.headers) {
    const name = h.name;
    if (h.type === 'Exact') {
      const val = h.value;
      tests.push((v) => v.head.header(name) === val);
    } else {
      const re = new RegExp(`^(?:${h.value})$`);
      tests.push((v) => {
        const x = v.head.header(name);
        return x !== undefined && re.test(x);
      });
    }
  }
  for (const q of m.queryParams) {
    const name = q.name;
    if (q.type === 'Exact') {
      const val = q.value;
      tests.push((v) => v.param(name) === val);
    } else {
      const re = new RegExp(`^(?:${q.value})$`);
      tests.push((v) => {
        const x = v.param(name);
        return x !== null && re.test(x);
      });
    }
  }
  return { test: all(tests), prefix };
}

function all(tests: ((v: RequestView) => boolean)[]): (v: RequestView) => boolean {
  switch (tests.length) {
    case 0: return () => true;
    case 1: return tests[0]!;
    case 2: {
      const [a, b] = tests as [(v: RequestView) => boolean, (v: RequestView) => boolean];
      return (v) => a(v) && b(v);
    }
    default:
      return (v) => {
        for (let i = 0; i < tests.length; i++) if (!tests[i]!(v)) return false;
        return true;
      };
  }
}

/** Is a route attached to this listener of this gateway (parentRef name, sectionName, port)? */
export function attaches(route: { meta: { namespace: string }; parents: { namespace: string; name: string; sectionName: string | null; port: number | null }[] }, gw: GatewaySpec, l: ListenerSpec): boolean {
  // allowedRoutes (spec default: routes from the Gateway's own namespace only).
  if (l.routesFrom === 'Same' && route.meta.namespace !== gw.meta.namespace) return false;
  return route.parents.some((p) => `${p.namespace}/${p.name}` === gw.meta.key && (p.sectionName === null || p.sectionName === l.name) && (p.port === null || p.port === l.port));
}

const HOST_CACHE_MAX = 4096;

/** The routing table of one port: every candidate of every route attached to its listeners. */
export class HostRouter<R> {
  readonly #all: Candidate<R>[] = [];
  readonly #byHost = new Map<string, Candidate<R>[]>();

  add(route: HTTPRouteSpec, hostnames: string[], compiled: (ruleIndex: number) => R): void {
    route.rules.forEach((rule, ri) => {
      const payload = compiled(ri);
      rule.matches.forEach((m, mi) => {
        const { test, prefix } = compileMatch(m);
        for (const hn of hostnames) {
          const wild = hn === '*' ? -1 : hn.startsWith('*.') ? 0 : 1;
          this.#all.push({
            rule: payload,
            test,
            prefix,
            hostname: hn,
            hostExact: wild === 1 ? hn.length : 0,
            hostChars: wild === -1 ? 0 : hn.length,
            pathRank: m.path.type === 'Exact' ? 0 : m.path.type === 'PathPrefix' ? 1 : 2,
            pathLen: m.path.type === 'RegularExpression' ? 0 : m.path.value.length > 1 && m.path.value.endsWith('/') && m.path.type === 'PathPrefix' ? m.path.value.length - 1 : m.path.value.length,
            method: m.method ? 1 : 0,
            headers: m.headers.length,
            queries: m.queryParams.length,
            created: route.meta.created,
            routeKey: route.meta.key,
            ruleIndex: ri,
            matchIndex: mi,
          });
        }
      });
    });
    this.#byHost.clear();
  }

  get size(): number {
    return this.#all.length;
  }

  /** The candidates for a host, in precedence order (cached per host). */
  candidates(host: string): Candidate<R>[] {
    let list = this.#byHost.get(host);
    if (list === undefined) {
      list = this.#all.filter((c) => hostMatches(c.hostname, host)).sort(comparePrecedence);
      if (this.#byHost.size >= HOST_CACHE_MAX) this.#byHost.clear();
      this.#byHost.set(host, list);
    }
    return list;
  }

  match(v: RequestView): Candidate<R> | null {
    const list = this.candidates(v.host);
    for (let i = 0; i < list.length; i++) if (list[i]!.test(v)) return list[i]!;
    return null;
  }
}
