// Gateway API HTTPRoute conformance, table-driven (written from the spec, in the style of the
// upstream suite): every case is a request and the expected status, the backend that answered,
// the request that backend saw and the response headers. One gateway process serves every case.
//
// Covered: path Exact / PathPrefix (segment-aware) / RegularExpression, header and query
// Exact / RegularExpression, method, hostnames (exact, wildcard, fall-through), precedence
// (exact > longest prefix > method > header count > query count > oldest route > name > rule
// order), 404 / 500, every filter (request/response header modifiers, redirect, rewrite,
// mirror, ExtensionRef, CORS, backendRef filters) and weights (statistically).

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startEcho, startGateway, request, backend, sleep, GATEWAY, GW, SL, type Echo, type Gateway, type Req } from '../helpers/gateway.ts';

const t = suite('gateway: HTTPRoute conformance');

let a: Echo, b: Echo, c: Echo, d: Echo;
let gw: Gateway;

const route = (name: string, body: string, extra = '') => `---
${GW}
kind: HTTPRoute
metadata: { name: ${name}${extra} }
spec:
  parentRefs: [{ name: gw }]
${body}`;

const EXT = `
import { Message } from 'sluice';
export function request(req: Message<any>, _ctx: unknown) {
  if (req.head.path.startsWith('/ext-deny')) return new Message({ status: 403, headers: { 'x-denied-by': 'module' } }, 'denied by module\\n');
  req.head.headers['x-ext'] = 'yes';
}
export function response(res: Message<any>) {
  res.head.headers['x-ext-resp'] = 'yes';
}
`;

function config(): string {
  return (
    GATEWAY +
    backend('a', a.addr) +
    backend('b', b.addr) +
    backend('c', c.addr) +
    backend('d', d.addr) +
    `---
${SL}
kind: PipelineModule
metadata: { name: ext }
spec: { path: ./ext.ts }
` +
    route(
      'matching',
      `  rules:
    - matches: [{ path: { type: Exact, value: /exact } }]
      backendRefs: [{ name: a }]
    - matches: [{ path: { type: PathPrefix, value: /prefix } }]
      backendRefs: [{ name: b }]
    - matches: [{ path: { type: PathPrefix, value: /prefix/deeper/ } }]
      backendRefs: [{ name: c }]
    - matches: [{ path: { type: RegularExpression, value: "/re/[0-9]+" } }]
      backendRefs: [{ name: d }]
    - matches: [{ path: { value: /hdr }, headers: [{ name: X-Env, value: prod }] }]
      backendRefs: [{ name: a }]
    - matches: [{ path: { value: /hdr }, headers: [{ type: RegularExpression, name: x-env, value: "canary|beta" }] }]
      backendRefs: [{ name: b }]
    - matches: [{ path: { value: /hdr } }]
      backendRefs: [{ name: c }]
    - matches: [{ path: { value: /q }, queryParams: [{ name: ver, value: "2" }] }]
      backendRefs: [{ name: a }]
    - matches: [{ path: { value: /q }, queryParams: [{ type: RegularExpression, name: tag, value: "v[0-9]" }] }]
      backendRefs: [{ name: b }]
    - matches: [{ path: { value: /q } }]
      backendRefs: [{ name: c }]
    - matches: [{ path: { value: /m }, method: POST }]
      backendRefs: [{ name: a }]
    - matches: [{ path: { value: /m } }]
      backendRefs: [{ name: b }]
    - matches: [{ path: { value: /mh }, headers: [{ name: x-a, value: "1" }] }, { path: { value: /hc }, headers: [{ name: x-a, value: "1" }] }]
      backendRefs: [{ name: a }]
    - matches: [{ path: { value: /mh }, method: GET }, { path: { value: /hc }, headers: [{ name: x-a, value: "1" }, { name: x-b, value: "1" }] }]
      backendRefs: [{ name: b }]
    - matches: [{ path: { value: /hq }, headers: [{ name: x-a, value: "1" }] }]
      backendRefs: [{ name: a }]
    - matches: [{ path: { value: /hq }, queryParams: [{ name: a, value: "1" }, { name: b, value: "1" }] }]
      backendRefs: [{ name: b }]
    - matches: [{ path: { value: /order } }]
      backendRefs: [{ name: a }]
    - matches: [{ path: { value: /order } }]
      backendRefs: [{ name: b }]
`,
    ) +
    route(
      'precedence',
      `  rules:
    - matches: [{ path: { type: PathPrefix, value: /exact } }]
      backendRefs: [{ name: b }]
`,
    ) +
    route('z-old', `  rules:\n    - matches: [{ path: { value: /age } }]\n      backendRefs: [{ name: a }]\n`, ', creationTimestamp: "2020-01-01T00:00:00Z"') +
    route('a-new', `  rules:\n    - matches: [{ path: { value: /age } }]\n      backendRefs: [{ name: b }]\n`, ', creationTimestamp: "2024-01-01T00:00:00Z"') +
    route('beta', `  rules:\n    - matches: [{ path: { value: /name } }]\n      backendRefs: [{ name: b }]\n`) +
    route('alpha', `  rules:\n    - matches: [{ path: { value: /name } }]\n      backendRefs: [{ name: a }]\n`) +
    route(
      'host-exact',
      `  hostnames: [exact.example.com]
  rules:
    - matches: [{ path: { value: /h } }]
      backendRefs: [{ name: a }]
`,
    ) +
    route(
      'host-wild',
      `  hostnames: ["*.example.com"]
  rules:
    - matches: [{ path: { value: /h } }, { path: { value: /onlywild } }]
      backendRefs: [{ name: b }]
`,
    ) +
    route(
      'filters',
      `  rules:
    - matches: [{ path: { value: /reqhdr } }]
      filters:
        - type: RequestHeaderModifier
          requestHeaderModifier:
            set: [{ name: X-Set, value: set-value }]
            add: [{ name: x-add, value: added }]
            remove: [x-remove]
      backendRefs: [{ name: a }]
    - matches: [{ path: { value: /resphdr } }]
      filters:
        - type: ResponseHeaderModifier
          responseHeaderModifier:
            set: [{ name: x-resp, value: "1" }]
            add: [{ name: x-echo-endpoint, value: extra }]
            remove: [x-upstream-header]
      backendRefs: [{ name: a }]
    - matches: [{ path: { value: /redirect-scheme } }]
      filters: [{ type: RequestRedirect, requestRedirect: { scheme: https } }]
    - matches: [{ path: { value: /redirect-host } }]
      filters: [{ type: RequestRedirect, requestRedirect: { hostname: other.example } }]
    - matches: [{ path: { value: /redirect-port } }]
      filters: [{ type: RequestRedirect, requestRedirect: { port: 8443 } }]
    - matches: [{ path: { value: /redirect-full } }]
      filters: [{ type: RequestRedirect, requestRedirect: { path: { type: ReplaceFullPath, replaceFullPath: /new }, statusCode: 301 } }]
    - matches: [{ path: { value: /redirect-prefix } }]
      filters: [{ type: RequestRedirect, requestRedirect: { path: { type: ReplacePrefixMatch, replacePrefixMatch: /replaced }, statusCode: 308 } }]
    - matches: [{ path: { value: /r303 } }]
      filters: [{ type: RequestRedirect, requestRedirect: { statusCode: 303, scheme: https, port: 443 } }]
    - matches: [{ path: { value: /r307 } }]
      filters: [{ type: RequestRedirect, requestRedirect: { statusCode: 307, scheme: http, hostname: x.example, port: 80 } }]
    - matches: [{ path: { value: /rewrite-full } }]
      filters: [{ type: URLRewrite, urlRewrite: { path: { type: ReplaceFullPath, replaceFullPath: /full } } }]
      backendRefs: [{ name: a }]
    - matches: [{ path: { value: /rewrite-prefix } }]
      filters: [{ type: URLRewrite, urlRewrite: { hostname: rewritten.example, path: { type: ReplacePrefixMatch, replacePrefixMatch: /new } } }]
      backendRefs: [{ name: a }]
    - matches: [{ path: { value: /strip } }]
      filters: [{ type: URLRewrite, urlRewrite: { path: { type: ReplacePrefixMatch, replacePrefixMatch: / } } }]
      backendRefs: [{ name: a }]
    - matches: [{ path: { value: /mirror } }]
      filters: [{ type: RequestMirror, requestMirror: { backendRef: { name: d } } }]
      backendRefs: [{ name: a }]
    - matches: [{ path: { value: /mirror-half } }]
      filters: [{ type: RequestMirror, requestMirror: { backendRef: { name: c }, percent: 50 } }]
      backendRefs: [{ name: b }]
    - matches: [{ path: { value: /ext } }, { path: { value: /ext-deny } }]
      filters: [{ type: ExtensionRef, extensionRef: { group: gateway.sluice.dev, kind: PipelineModule, name: ext } }]
      backendRefs: [{ name: a }]
    - matches: [{ path: { value: /cors } }]
      filters:
        - type: CORS
          cors: { allowOrigins: ["https://app.example.com", "https://*.trusted.example"], allowMethods: [GET, PUT], allowHeaders: [x-custom], exposeHeaders: [x-echo-endpoint], maxAge: 600 }
      backendRefs: [{ name: a }]
    - matches: [{ path: { value: /bref } }]
      backendRefs:
        - name: a
          filters: [{ type: RequestHeaderModifier, requestHeaderModifier: { set: [{ name: x-bref, value: a }] } }]
    - matches: [{ path: { value: /invalid } }]
      backendRefs: [{ name: nope }]
    - matches: [{ path: { value: /nobackend } }]
    - matches: [{ path: { value: /ws } }]
      filters: [{ type: ExtensionRef, extensionRef: { group: gateway.sluice.dev, kind: PipelineModule, name: ext } }]
      retry: { codes: [503], attempts: 2 }
      timeouts: { request: 300ms }
      backendRefs: [{ name: a }]
    - matches: [{ path: { value: /weights } }]
      backendRefs: [{ name: a, weight: 3 }, { name: b, weight: 1 }]
    - matches: [{ path: { value: /weight0 } }]
      backendRefs: [{ name: a, weight: 0 }, { name: b, weight: 1 }]
`,
    )
  );
}

t.before(async () => {
  [a, b, c, d] = await Promise.all([startEcho('a'), startEcho('b'), startEcho('c'), startEcho('d')]);
  gw = await startGateway(config(), { files: { 'ext.ts': EXT } });
});

t.after(async () => {
  await gw?.stop();
  await Promise.all([a, b, c, d].map((e) => e?.close()));
});

interface Case {
  name: string;
  req: Req;
  status: number;
  backend?: string;
  /** Path (with query) the backend saw. */
  path?: string;
  /** Request headers the backend saw (null: absent). */
  seen?: Record<string, string | null>;
  /** Response headers (null: absent). */
  headers?: Record<string, string | null>;
}

const P = () => gw.port;

const cases = (): Case[] => [
  // ---- path matching ----
  { name: 'Exact path', req: { path: '/exact' }, status: 200, backend: 'a' },
  { name: 'Exact beats a PathPrefix of the same value (other route)', req: { path: '/exact' }, status: 200, backend: 'a' },
  { name: 'Exact does not match a longer path; the prefix does', req: { path: '/exact/more' }, status: 200, backend: 'b' },
  { name: 'PathPrefix matches itself', req: { path: '/prefix' }, status: 200, backend: 'b' },
  { name: 'PathPrefix matches with a trailing slash', req: { path: '/prefix/' }, status: 200, backend: 'b' },
  { name: 'PathPrefix matches sub-paths', req: { path: '/prefix/x/y' }, status: 200, backend: 'b', path: '/prefix/x/y' },
  { name: 'PathPrefix is segment-aware (/prefixes does not match /prefix)', req: { path: '/prefixes' }, status: 404 },
  { name: 'the longest prefix wins (trailing slash in the prefix ignored)', req: { path: '/prefix/deeper' }, status: 200, backend: 'c' },
  { name: 'the longest prefix wins for sub-paths', req: { path: '/prefix/deeper/x' }, status: 200, backend: 'c' },
  { name: 'RegularExpression path', req: { path: '/re/123' }, status: 200, backend: 'd' },
  { name: 'RegularExpression is anchored', req: { path: '/re/12a' }, status: 404 },
  { name: 'dot segments are resolved before matching, and upstream', req: { path: '/prefix/../exact' }, status: 200, backend: 'a', path: '/exact' },
  { name: 'encoded dot segments too', req: { path: '/prefix/%2e%2e/exact?q=1' }, status: 200, backend: 'a', path: '/exact?q=1' },
  { name: 'repeated slashes are merged', req: { path: '/prefix//deeper/x' }, status: 200, backend: 'c', path: '/prefix/deeper/x' },
  { name: 'query string is not part of the path', req: { path: '/exact?x=1' }, status: 200, backend: 'a', path: '/exact?x=1' },
  // ---- headers ----
  { name: 'header Exact (name case-insensitive)', req: { path: '/hdr', headers: { 'x-env': 'prod' } }, status: 200, backend: 'a' },
  { name: 'header Exact value is case-sensitive', req: { path: '/hdr', headers: { 'x-env': 'Prod' } }, status: 200, backend: 'c' },
  { name: 'header RegularExpression', req: { path: '/hdr', headers: { 'x-env': 'canary' } }, status: 200, backend: 'b' },
  { name: 'header RegularExpression is anchored', req: { path: '/hdr', headers: { 'x-env': 'canaryx' } }, status: 200, backend: 'c' },
  { name: 'no header: the rule without header matches', req: { path: '/hdr' }, status: 200, backend: 'c' },
  // ---- query ----
  { name: 'query Exact', req: { path: '/q?ver=2' }, status: 200, backend: 'a' },
  { name: 'query Exact among others', req: { path: '/q?a=b&ver=2' }, status: 200, backend: 'a' },
  { name: 'query RegularExpression', req: { path: '/q?tag=v7' }, status: 200, backend: 'b' },
  { name: 'query mismatch falls back', req: { path: '/q?ver=3' }, status: 200, backend: 'c' },
  // ---- method ----
  { name: 'method POST', req: { path: '/m', method: 'POST', body: 'x' }, status: 200, backend: 'a' },
  { name: 'method GET falls back', req: { path: '/m' }, status: 200, backend: 'b' },
  // ---- precedence ----
  { name: 'method match beats header matches', req: { path: '/mh', headers: { 'x-a': '1' } }, status: 200, backend: 'b' },
  { name: 'more header matches win', req: { path: '/hc', headers: { 'x-a': '1', 'x-b': '1' } }, status: 200, backend: 'b' },
  { name: 'fewer header matches when only they match', req: { path: '/hc', headers: { 'x-a': '1' } }, status: 200, backend: 'a' },
  { name: 'header matches beat query matches', req: { path: '/hq?a=1&b=1', headers: { 'x-a': '1' } }, status: 200, backend: 'a' },
  { name: 'query matches when headers do not', req: { path: '/hq?a=1&b=1' }, status: 200, backend: 'b' },
  { name: 'the oldest route wins a tie', req: { path: '/age' }, status: 200, backend: 'a' },
  { name: 'then the route first by namespace/name', req: { path: '/name' }, status: 200, backend: 'a' },
  { name: 'then the first rule', req: { path: '/order' }, status: 200, backend: 'a' },
  // ---- hostnames ----
  { name: 'exact hostname beats wildcard', req: { path: '/h', host: 'exact.example.com' }, status: 200, backend: 'a' },
  { name: 'exact hostname with a port in Host', req: { path: '/h', host: 'exact.example.com:8080' }, status: 200, backend: 'a' },
  { name: 'wildcard hostname', req: { path: '/h', host: 'other.example.com' }, status: 200, backend: 'b' },
  { name: 'wildcard hostname matches several labels', req: { path: '/h', host: 'a.b.example.com' }, status: 200, backend: 'b' },
  { name: 'wildcard does not match the bare domain', req: { path: '/h', host: 'example.com' }, status: 404 },
  { name: 'a more specific host falls through to the wildcard route', req: { path: '/onlywild', host: 'exact.example.com' }, status: 200, backend: 'b' },
  { name: 'hostname routes do not serve other hosts', req: { path: '/onlywild', host: 'nope.test' }, status: 404 },
  // ---- 404 / 500 ----
  { name: 'no match is 404', req: { path: '/nothing-here' }, status: 404 },
  { name: 'a backendRef to a missing Backend is 500', req: { path: '/invalid' }, status: 500 },
  { name: 'a rule without backends or responding filters is 500', req: { path: '/nobackend' }, status: 500 },
  { name: 'weight 0 gets no traffic', req: { path: '/weight0' }, status: 200, backend: 'b' },
  // ---- filters ----
  {
    name: 'RequestHeaderModifier set/add/remove',
    req: { path: '/reqhdr', headers: { 'x-set': 'old', 'x-add': 'first', 'x-remove': 'gone', 'x-keep': 'kept' } },
    status: 200,
    backend: 'a',
    seen: { 'x-set': 'set-value', 'x-add': 'first,added', 'x-remove': null, 'x-keep': 'kept' },
  },
  {
    name: 'ResponseHeaderModifier set/add/remove',
    req: { path: '/resphdr' },
    status: 200,
    backend: 'a',
    headers: { 'x-resp': '1', 'x-echo-endpoint': 'a,extra', 'x-upstream-header': null },
  },
  { name: 'RequestRedirect scheme (port of the scheme, left out)', req: { path: '/redirect-scheme?x=1', host: 'h.test' }, status: 302, headers: { location: 'https://h.test/redirect-scheme?x=1' } },
  { name: 'RequestRedirect hostname keeps the listener port', req: { path: '/redirect-host', host: 'h.test' }, status: 302, headers: { location: `http://other.example:${P()}/redirect-host` } },
  { name: 'RequestRedirect port', req: { path: '/redirect-port', host: 'h.test' }, status: 302, headers: { location: 'http://h.test:8443/redirect-port' } },
  { name: 'RequestRedirect ReplaceFullPath, 301', req: { path: '/redirect-full/x', host: 'h.test' }, status: 301, headers: { location: `http://h.test:${P()}/new` } },
  { name: 'RequestRedirect ReplacePrefixMatch, 308', req: { path: '/redirect-prefix/rest?q=1', host: 'h.test' }, status: 308, headers: { location: `http://h.test:${P()}/replaced/rest?q=1` } },
  { name: 'RequestRedirect 303, https on 443 left out', req: { path: '/r303', host: 'h.test' }, status: 303, headers: { location: 'https://h.test/r303' } },
  { name: 'RequestRedirect 307, http on 80 left out', req: { path: '/r307', host: 'h.test' }, status: 307, headers: { location: 'http://x.example/r307' } },
  { name: 'URLRewrite ReplaceFullPath keeps the query', req: { path: '/rewrite-full/a?z=9' }, status: 200, backend: 'a', path: '/full?z=9' },
  { name: 'URLRewrite ReplacePrefixMatch and hostname', req: { path: '/rewrite-prefix/a/b' }, status: 200, backend: 'a', path: '/new/a/b', seen: { host: 'rewritten.example' } },
  { name: 'URLRewrite ReplacePrefixMatch of the whole path', req: { path: '/rewrite-prefix' }, status: 200, backend: 'a', path: '/new' },
  { name: 'URLRewrite ReplacePrefixMatch with /', req: { path: '/strip/three' }, status: 200, backend: 'a', path: '/three' },
  { name: 'URLRewrite ReplacePrefixMatch with / of the whole path', req: { path: '/strip' }, status: 200, backend: 'a', path: '/' },
  { name: 'ExtensionRef module edits the request and the response', req: { path: '/ext' }, status: 200, backend: 'a', seen: { 'x-ext': 'yes' }, headers: { 'x-ext-resp': 'yes' } },
  { name: 'ExtensionRef module answers the request', req: { path: '/ext-deny' }, status: 403, headers: { 'x-denied-by': 'module', 'x-ext-resp': 'yes' } },
  { name: 'backendRef RequestHeaderModifier', req: { path: '/bref' }, status: 200, backend: 'a', seen: { 'x-bref': 'a' } },
  {
    name: 'CORS preflight from an allowed origin',
    req: { path: '/cors', method: 'OPTIONS', headers: { origin: 'https://app.example.com', 'access-control-request-method': 'PUT' } },
    status: 204,
    headers: { 'access-control-allow-origin': 'https://app.example.com', 'access-control-allow-methods': 'GET, PUT', 'access-control-allow-headers': 'x-custom', 'access-control-max-age': '600' },
  },
  {
    name: 'CORS preflight from a wildcard origin',
    req: { path: '/cors', method: 'OPTIONS', headers: { origin: 'https://api.trusted.example', 'access-control-request-method': 'GET' } },
    status: 204,
    headers: { 'access-control-allow-origin': 'https://api.trusted.example' },
  },
  { name: 'CORS preflight from another origin is refused', req: { path: '/cors', method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' } }, status: 403 },
  { name: 'CORS simple request gets allow-origin and expose headers', req: { path: '/cors', headers: { origin: 'https://app.example.com' } }, status: 200, backend: 'a', headers: { 'access-control-allow-origin': 'https://app.example.com', 'access-control-expose-headers': 'x-echo-endpoint' } },
  { name: 'CORS: no headers for a disallowed origin', req: { path: '/cors', headers: { origin: 'https://evil.example' } }, status: 200, backend: 'a', headers: { 'access-control-allow-origin': null } },
];

t('table: status, backend, request seen, response headers', async () => {
  const failures: string[] = [];
  for (const k of cases()) {
    const r = await request(gw.port, k.req);
    const why: string[] = [];
    if (r.status !== k.status) why.push(`status ${r.status}, expected ${k.status} (${r.text.trim().slice(0, 80)})`);
    if (k.backend !== undefined && r.echo?.endpoint !== k.backend) why.push(`backend ${r.echo?.endpoint ?? 'none'}, expected ${k.backend}`);
    if (k.path !== undefined && r.echo?.path !== k.path) why.push(`backend saw path ${r.echo?.path}, expected ${k.path}`);
    for (const [h, v] of Object.entries(k.seen ?? {})) {
      const got = r.echo?.headers[h] ?? null;
      if (got !== v) why.push(`backend saw ${h}: ${JSON.stringify(got)}, expected ${JSON.stringify(v)}`);
    }
    for (const [h, v] of Object.entries(k.headers ?? {})) {
      const got = (r.headers[h] as string | undefined) ?? null;
      if (got !== v) why.push(`response ${h}: ${JSON.stringify(got)}, expected ${JSON.stringify(v)}`);
    }
    if (why.length) failures.push(`${k.name}: ${why.join('; ')}`);
  }
  assert.equal(failures, [], `${failures.length} of ${cases().length} cases failed`);
});

t('RequestMirror sends a copy to the mirror backend, the client gets the primary', async () => {
  const before = d.seen.length;
  const r = await request(gw.port, { path: '/mirror?m=1', headers: { 'x-mirror-me': 'yes' } });
  assert.is(r.status, 200);
  assert.is(r.echo?.endpoint, 'a');
  for (let i = 0; i < 100 && d.seen.length === before; i++) await sleep(10);
  const copy = d.seen[d.seen.length - 1];
  assert.ok(copy && d.seen.length > before, 'mirror backend saw the request');
  assert.is(copy!.path, '/mirror?m=1');
  assert.is(copy!.headers['x-mirror-me'], 'yes');
});

t('WebSocket upgrade tunnels through (even on a rule with retries, a timeout and a module)', async () => {
  const net = await import('node:net');
  const out = await new Promise<string>((resolve) => {
    let text = '';
    const c = net.connect(gw.port, '127.0.0.1', () => c.write('GET /ws HTTP/1.1\r\nhost: x\r\nupgrade: websocket\r\nconnection: upgrade\r\n\r\n'));
    c.on('data', (d) => {
      text += d;
      if (text.includes('\r\n\r\n') && !text.includes('a:')) setTimeout(() => c.write('ping'), 400);
      if (text.includes('a:ping')) c.end();
    });
    c.on('close', () => resolve(text));
    setTimeout(() => c.destroy(), 3000);
  });
  assert.match(out, /^HTTP\/1\.1 101 /);
  assert.match(out, /a:ping$/, 'echoed after the rule timeout would have fired: tunnels are not timed');
  const seen = a.seen.filter((s) => s.path === '/ws').pop();
  assert.is(seen?.headers['x-ext'], 'yes', 'the module ran on the upgrade request');
});

t('RequestMirror percent: about that share is mirrored', async () => {
  const before = c.seen.filter((s) => s.path === '/mirror-half').length;
  for (let i = 0; i < 200; i++) assert.is((await request(gw.port, { path: '/mirror-half' })).echo?.endpoint, 'b');
  await sleep(200);
  const copies = c.seen.filter((s) => s.path === '/mirror-half').length - before;
  // Binomial(200, 0.5): sd ~ 7; 5 sd either side.
  assert.ok(Math.abs(copies - 100) < 36, `${copies} of 200 mirrored`);
});

t('weights split traffic statistically (3:1 within tolerance)', async () => {
  const n = 400;
  let toA = 0;
  for (let i = 0; i < n; i++) {
    const r = await request(gw.port, { path: '/weights' });
    if (r.echo?.endpoint === 'a') toA++;
    else assert.is(r.echo?.endpoint, 'b');
  }
  // Binomial(400, 0.75): sd ~ 8.7 requests; 5 sd either side.
  assert.ok(Math.abs(toA - 300) < 44, `a got ${toA} of ${n}, expected about 300`);
});

t('traceparent is created when absent and continued when present', async () => {
  const r1 = await request(gw.port, { path: '/exact' });
  const tp1 = r1.echo?.headers.traceparent as string;
  assert.match(tp1, /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  const incoming = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
  const r2 = await request(gw.port, { path: '/exact', headers: { traceparent: incoming } });
  const tp2 = r2.echo?.headers.traceparent as string;
  assert.match(tp2, /^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01$/);
  assert.is.not(tp2, incoming, 'a new parent id for this hop');
});

t.run();
