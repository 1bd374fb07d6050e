// Bad gateway configurations are refused with the resource, the field path and the reason.
// In-process: parseResources is what `sluice gateway` and every reload run first.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, parseResources, readYaml } from '../../../pipelines/gateway/config.ts';
import { repoRoot } from '../../helpers/sluice.ts';

const GW = 'apiVersion: gateway.networking.k8s.io/v1';
const SL = 'apiVersion: gateway.sluice.dev/v1alpha1';
const GATEWAY = `${GW}
kind: Gateway
metadata: { name: gw }
spec:
  listeners: [{ name: http, port: 8080, protocol: HTTP }]
---
${SL}
kind: Backend
metadata: { name: a }
spec: { endpoints: ["127.0.0.1:9000"] }
`;
const route = (rules: string, extra = '') => `---
${GW}
kind: HTTPRoute
metadata: { name: r }
spec:
  parentRefs: [{ name: gw }]
${extra}  rules:
${rules}`;

function parse(yaml: string) {
  return parseResources(readYaml(yaml, 'test.yaml').map((res) => ({ res, file: 'test.yaml' })), '/tmp', 'test.yaml');
}

const bad: [string, string, RegExp][] = [
  ['unknown top-level field', GATEWAY + `---\n${GW}\nkind: HTTPRoute\nmetadata: { name: r }\nspek: {}\n`, /test\.yaml: resource #3: spek: unknown field/],
  ['unknown kind', GATEWAY + `---\n${SL}\nkind: Backnd\nmetadata: { name: x }\nspec: {}\n`, /Backnd default\/x: kind: unknown kind/],
  ['wrong apiVersion group', GATEWAY + `---\n${GW}\nkind: Backend\nmetadata: { name: x }\nspec: { endpoints: ["1.2.3.4:1"] }\n`, /Backend default\/x: apiVersion: Backend belongs to gateway\.sluice\.dev/],
  ['missing name', `${GW}\nkind: Gateway\nmetadata: {}\nspec: {}\n`, /metadata\.name: required field is missing/],
  ['bad name', `${GW}\nkind: Gateway\nmetadata: { name: Bad_Name }\nspec: {}\n`, /metadata\.name: invalid name/],
  ['duplicate resource', GATEWAY + `---\n${SL}\nkind: Backend\nmetadata: { name: a }\nspec: { endpoints: ["127.0.0.1:1"] }\n`, /Backend default\/a: metadata\.name: a Backend with this name is already defined/],
  ['no Gateway', `${SL}\nkind: Backend\nmetadata: { name: a }\nspec: { endpoints: ["127.0.0.1:1"] }\n`, /no Gateway resource/],
  ['listener protocol', `${GW}\nkind: Gateway\nmetadata: { name: gw }\nspec:\n  listeners: [{ name: x, port: 1, protocol: UDP }]\n`, /Gateway default\/gw: spec\.listeners\[0\]\.protocol: expected one of HTTP, HTTPS, TLS, TCP, got 'UDP'/],
  ['listener port range', `${GW}\nkind: Gateway\nmetadata: { name: gw }\nspec:\n  listeners: [{ name: x, port: 70000, protocol: HTTP }]\n`, /spec\.listeners\[0\]\.port: must be between 1 and 65535, got 70000/],
  ['duplicate listener name', `${GW}\nkind: Gateway\nmetadata: { name: gw }\nspec:\n  listeners: [{ name: x, port: 1, protocol: HTTP }, { name: x, port: 2, protocol: HTTP }]\n`, /spec\.listeners\[1\]\.name: listener name 'x' is used twice/],
  ['port used by two protocols', `${GW}\nkind: Gateway\nmetadata: { name: gw }\nspec:\n  listeners: [{ name: x, port: 1, protocol: HTTP }, { name: y, port: 1, protocol: TCP }]\n`, /spec\.listeners\[1\]\.port: port 1 is already used by a HTTP listener/],
  ['HTTPS without certificates', `${GW}\nkind: Gateway\nmetadata: { name: gw }\nspec:\n  listeners: [{ name: x, port: 1, protocol: HTTPS, tls: { mode: Terminate } }]\n`, /spec\.listeners\[0\]\.tls\.certificateRefs: TLS termination needs at least one certificate/],
  ['tls on an HTTP listener', `${GW}\nkind: Gateway\nmetadata: { name: gw }\nspec:\n  listeners: [{ name: x, port: 1, protocol: HTTP, tls: {} }]\n`, /spec\.listeners\[0\]\.tls: only HTTPS and TLS listeners take tls settings/],
  ['allowedRoutes kind for another protocol', `${GW}\nkind: Gateway\nmetadata: { name: gw }\nspec:\n  listeners: [{ name: x, port: 1, protocol: HTTP, allowedRoutes: { kinds: [{ kind: TCPRoute }] } }]\n`, /spec\.listeners\[0\]\.allowedRoutes\.kinds\[0\]\.kind: a HTTP listener serves HTTPRoute only, got 'TCPRoute'/],
  ['allowedRoutes selector', `${GW}\nkind: Gateway\nmetadata: { name: gw }\nspec:\n  listeners: [{ name: x, port: 1, protocol: HTTP, allowedRoutes: { namespaces: { from: Selector, selector: {} } } }]\n`, /allowedRoutes\.namespaces\.selector: namespace selectors are not supported/],
  ['parentRef to a missing Gateway', GATEWAY + `---\n${GW}\nkind: HTTPRoute\nmetadata: { name: r }\nspec:\n  parentRefs: [{ name: nope }]\n`, /HTTPRoute default\/r: spec\.parentRefs\[0\]\.name: no Gateway 'default\/nope'/],
  ['parentRef to a missing section', GATEWAY + `---\n${GW}\nkind: HTTPRoute\nmetadata: { name: r }\nspec:\n  parentRefs: [{ name: gw, sectionName: https }]\n`, /spec\.parentRefs\[0\]: Gateway 'default\/gw' has no listener named 'https'/],
  ['path type', GATEWAY + route(`    - matches: [{ path: { type: Glob, value: /x } }]\n`), /HTTPRoute default\/r: spec\.rules\[0\]\.matches\[0\]\.path\.type: expected one of Exact, PathPrefix, RegularExpression, got 'Glob'/],
  ['path must start with /', GATEWAY + route(`    - matches: [{ path: { value: x } }]\n`), /spec\.rules\[0\]\.matches\[0\]\.path\.value: must start with '\/'/],
  ['path with ..', GATEWAY + route(`    - matches: [{ path: { value: /a/../b } }]\n`), /path\.value: must not contain/],
  ['bad regex', GATEWAY + route(`    - matches: [{ path: { type: RegularExpression, value: "/a(" } }]\n`), /spec\.rules\[0\]\.matches\[0\]\.path\.value: invalid regular expression/],
  ['bad header name', GATEWAY + route(`    - matches: [{ headers: [{ name: "bad header", value: x }] }]\n`), /spec\.rules\[0\]\.matches\[0\]\.headers\[0\]\.name: invalid header name 'bad header'/],
  ['header matched twice', GATEWAY + route(`    - matches: [{ headers: [{ name: x-a, value: "1" }, { name: X-A, value: "2" }] }]\n`), /headers\[1\]\.name: 'x-a' is matched twice/],
  ['header match without value', GATEWAY + route(`    - matches: [{ headers: [{ name: x-a }] }]\n`), /headers\[0\]\.value: required field is missing/],
  ['method', GATEWAY + route(`    - matches: [{ method: FETCH }]\n`), /spec\.rules\[0\]\.matches\[0\]\.method: expected one of GET, HEAD/],
  ['misspelt backendRefs', GATEWAY + route(`    - backendRef: [{ name: a }]\n`), /HTTPRoute default\/r: spec\.rules\[0\]\.backendRef: unknown field \(allowed here: name, matches, filters, backendRefs, timeouts, retry, sessionPersistence\)/],
  ['weight range', GATEWAY + route(`    - backendRefs: [{ name: a, weight: -1 }]\n`), /spec\.rules\[0\]\.backendRefs\[0\]\.weight: must be between 0 and 1000000, got -1/],
  ['backendRef kind', GATEWAY + route(`    - backendRefs: [{ name: a, kind: Service }]\n`), /spec\.rules\[0\]\.backendRefs\[0\]\.kind: expected one of Backend, got 'Service'/],
  ['hostname', GATEWAY + route(`    - backendRefs: [{ name: a }]\n`, `  hostnames: ["Bad.Host"]\n`), /spec\.hostnames\[0\]: invalid hostname/],
  ['filter type', GATEWAY + route(`    - filters: [{ type: Rewrite }]\n`), /spec\.rules\[0\]\.filters\[0\]\.type: expected one of RequestHeaderModifier/],
  ['filter config for another type', GATEWAY + route(`    - filters: [{ type: RequestHeaderModifier, responseHeaderModifier: { set: [{ name: a, value: b }] } }]\n`), /filters\[0\]\.responseHeaderModifier: not allowed with type RequestHeaderModifier \(expected requestHeaderModifier\)/],
  ['filter config missing', GATEWAY + route(`    - filters: [{ type: URLRewrite }]\n`), /filters\[0\]\.urlRewrite: required with type URLRewrite/],
  ['header value with a line break', GATEWAY + route(`    - filters: [{ type: RequestHeaderModifier, requestHeaderModifier: { set: [{ name: x, value: "a\\r\\nevil: 1" }] } }]\n`), /requestHeaderModifier\.set\[0\]\.value: invalid header value/],
  ['empty header modifier', GATEWAY + route(`    - filters: [{ type: RequestHeaderModifier, requestHeaderModifier: {} }]\n`), /filters\[0\]\.requestHeaderModifier: needs at least one of set, add, remove/],
  ['filter twice', GATEWAY + route(`    - filters:\n        - { type: RequestHeaderModifier, requestHeaderModifier: { remove: [a] } }\n        - { type: RequestHeaderModifier, requestHeaderModifier: { remove: [b] } }\n`), /filters\[1\]\.type: RequestHeaderModifier may appear only once/],
  ['redirect status', GATEWAY + route(`    - filters: [{ type: RequestRedirect, requestRedirect: { statusCode: 305 } }]\n`), /requestRedirect\.statusCode: expected one of 301, 302, 303, 307, 308, got 305/],
  ['redirect and rewrite together', GATEWAY + route(`    - filters:\n        - { type: RequestRedirect, requestRedirect: { scheme: https } }\n        - { type: URLRewrite, urlRewrite: { hostname: x } }\n`), /spec\.rules\[0\]\.filters: RequestRedirect and URLRewrite cannot be used together/],
  ['ReplacePrefixMatch needs a PathPrefix match', GATEWAY + route(`    - matches: [{ path: { type: Exact, value: /x } }]\n      filters: [{ type: URLRewrite, urlRewrite: { path: { type: ReplacePrefixMatch, replacePrefixMatch: /y } } }]\n`), /urlRewrite\.path\.type: ReplacePrefixMatch needs every match of the rule to be a PathPrefix match/],
  ['path modifier field for the other type', GATEWAY + route(`    - filters: [{ type: URLRewrite, urlRewrite: { path: { type: ReplaceFullPath, replacePrefixMatch: /y } } }]\n`), /urlRewrite\.path\.replacePrefixMatch: not allowed with type ReplaceFullPath/],
  ['mirror to a missing Backend', GATEWAY + route(`    - filters: [{ type: RequestMirror, requestMirror: { backendRef: { name: nope } } }]\n`), /spec\.rules\[0\]\.filters\[0\]\.requestMirror\.backendRef\.name: no Backend 'default\/nope'/],
  ['mirror percent', GATEWAY + route(`    - filters: [{ type: RequestMirror, requestMirror: { backendRef: { name: a }, percent: 101 } }]\n`), /requestMirror\.percent: must be between 0 and 100, got 101/],
  ['ExtensionRef to a missing module', GATEWAY + route(`    - filters: [{ type: ExtensionRef, extensionRef: { kind: PipelineModule, name: m } }]\n`), /extensionRef\.name: no PipelineModule 'default\/m'/],
  ['CORS origin', GATEWAY + route(`    - filters: [{ type: CORS, cors: { allowOrigins: ["ftp://x"] } }]\n`), /cors\.allowOrigins\[0\]: expected '\*' or scheme:\/\/host/],
  ['duration', GATEWAY + route(`    - timeouts: { request: 10 }\n`), /spec\.rules\[0\]\.timeouts\.request: expected a string, got 10/],
  ['duration format', GATEWAY + route(`    - timeouts: { request: 10sec }\n`), /spec\.rules\[0\]\.timeouts\.request: invalid duration '10sec'/],
  ['backendRequest longer than request', GATEWAY + route(`    - timeouts: { request: 1s, backendRequest: 2s }\n`), /timeouts\.backendRequest: must not be longer than timeouts\.request/],
  ['retry codes', GATEWAY + route(`    - retry: { codes: [200] }\n`), /spec\.rules\[0\]\.retry\.codes\[0\]: must be between 400 and 599, got 200/],
  ['endpoint format', `${GW}\nkind: Gateway\nmetadata: { name: gw }\nspec:\n  listeners: [{ name: x, port: 1, protocol: HTTP }]\n---\n${SL}\nkind: Backend\nmetadata: { name: b }\nspec: { endpoints: ["nohost"] }\n`, /Backend default\/b: spec\.endpoints\[0\]: expected 'host:port', got 'nohost'/],
  ['policy target missing', GATEWAY + `---\n${SL}\nkind: BackendTrafficPolicy\nmetadata: { name: p }\nspec:\n  targetRefs: [{ kind: Backend, name: nope }]\n`, /BackendTrafficPolicy default\/p: spec\.targetRefs\[0\]: no Backend 'default\/nope'/],
  ['policy target kind', GATEWAY + `---\n${SL}\nkind: BackendTrafficPolicy\nmetadata: { name: p }\nspec:\n  targetRefs: [{ kind: HTTPRoute, name: r }]\n`, /spec\.targetRefs\[0\]\.kind: expected one of Backend, got 'HTTPRoute'/],
  ['balancer type', GATEWAY + `---\n${SL}\nkind: BackendTrafficPolicy\nmetadata: { name: p }\nspec:\n  targetRefs: [{ kind: Backend, name: a }]\n  loadBalancer: { type: Fastest }\n`, /spec\.loadBalancer\.type: expected one of RoundRobin, Random, LeastRequest, ConsistentHash, got 'Fastest'/],
  ['consistent hash needs its key', GATEWAY + `---\n${SL}\nkind: BackendTrafficPolicy\nmetadata: { name: p }\nspec:\n  targetRefs: [{ kind: Backend, name: a }]\n  loadBalancer: { type: ConsistentHash }\n`, /spec\.loadBalancer\.consistentHash: expected an object/],
  ['retry trigger', GATEWAY + `---\n${SL}\nkind: BackendTrafficPolicy\nmetadata: { name: p }\nspec:\n  targetRefs: [{ kind: Backend, name: a }]\n  retry: { retryOn: { triggers: [always] } }\n`, /spec\.retry\.retryOn\.triggers\[0\]: expected one of connect-failure, 5xx, gateway-error, reset, got 'always'/],
  ['health check threshold', GATEWAY + `---\n${SL}\nkind: BackendTrafficPolicy\nmetadata: { name: p }\nspec:\n  targetRefs: [{ kind: Backend, name: a }]\n  healthCheck: { active: { unhealthyThreshold: 0 } }\n`, /spec\.healthCheck\.active\.unhealthyThreshold: must be between 1 and 100, got 0/],
  ['security policy needs a known auth method', GATEWAY + `---\n${SL}\nkind: SecurityPolicy\nmetadata: { name: s }\nspec:\n  targetRefs: [{ kind: Gateway, name: gw }]\n  oauth: {}\n`, /SecurityPolicy default\/s: spec\.oauth: unknown field/],
  ['basic auth line', GATEWAY + `---\n${SL}\nkind: SecurityPolicy\nmetadata: { name: s }\nspec:\n  targetRefs: [{ kind: Gateway, name: gw }]\n  basicAuth: { users: [nocolon] }\n`, /spec\.basicAuth\.users\[0\]: invalid htpasswd line/],
  ['CIDR', GATEWAY + `---\n${SL}\nkind: SecurityPolicy\nmetadata: { name: s }\nspec:\n  targetRefs: [{ kind: Gateway, name: gw }]\n  clientIP: { deny: [not-an-ip] }\n`, /spec\.clientIP\.deny\[0\]: invalid IP or CIDR 'not-an-ip'/],
  ['rate limit requests', GATEWAY + `---\n${SL}\nkind: RateLimitPolicy\nmetadata: { name: l }\nspec:\n  targetRefs: [{ kind: Gateway, name: gw }]\n  local: { requests: 0 }\n`, /RateLimitPolicy default\/l: spec\.local\.requests: must be between 1 and 1000000000, got 0/],
  ['rate limit header key', GATEWAY + `---\n${SL}\nkind: RateLimitPolicy\nmetadata: { name: l }\nspec:\n  targetRefs: [{ kind: Gateway, name: gw }]\n  local: { requests: 1, key: { type: Header } }\n`, /spec\.local\.key\.header: expected a string/],
  ['access log field', GATEWAY + `---\n${SL}\nkind: GatewaySettings\nmetadata: { name: s }\nspec:\n  accessLog: { fields: [time, referer] }\n`, /GatewaySettings default\/s: spec\.accessLog\.fields\[1\]: expected one of time, client/],
  ['YAML syntax', `${GW}\nkind: Gateway\nmetadata: { name: gw\n`, /test\.yaml: YAML:/],
];

for (const [name, yaml, re] of bad) {
  test(`refused: ${name}`, () => {
    let msg = '';
    let code = '';
    try {
      parse(yaml);
    } catch (err) {
      msg = (err as Error).message;
      code = (err as { code?: string }).code ?? '';
    }
    assert.match(msg, re, `got: ${msg || 'no error'}`);
    assert.is(code, 'ConfigInvalid');
  });
}

test('a valid config with every kind of resource is accepted', () => {
  const m = parse(
    GATEWAY +
      route(`    - matches: [{ path: { value: /x }, headers: [{ name: a, value: b }], queryParams: [{ name: q, value: "1" }], method: GET }]
      filters:
        - { type: RequestHeaderModifier, requestHeaderModifier: { set: [{ name: a, value: b }] } }
        - { type: RequestMirror, requestMirror: { backendRef: { name: a }, fraction: { numerator: 1, denominator: 4 } } }
      backendRefs: [{ name: a, weight: 2 }, { name: missing-is-a-500-not-an-error }]
      timeouts: { request: 1m30s, backendRequest: 500ms }
      retry: { codes: [503], attempts: 2, backoff: 100ms }
`) +
      `---\n${SL}\nkind: BackendTrafficPolicy\nmetadata: { name: p }\nspec:\n  targetRef: { kind: Backend, name: a }\n  loadBalancer: { type: ConsistentHash, consistentHash: { type: Cookie, cookie: { name: sid } } }\n  timeout: { connect: 2s, idle: 30s }\n  circuitBreaker: { maxConnections: 10 }\n`,
  );
  assert.is(m.httpRoutes.length, 1);
  const rule = m.httpRoutes[0]!.rules[0]!;
  assert.is(rule.timeouts.request, 90_000);
  assert.is(rule.timeouts.backendRequest, 500);
  assert.equal(rule.retry, { attempts: 2, codes: [503], backoff: 100, onConnectFailure: true, allowNonIdempotent: false });
  const mirror = rule.filters[1]!;
  assert.is(mirror.type === 'RequestMirror' && mirror.percent, 25);
  assert.is(m.backendPolicies[0]!.loadBalancer?.hashOn?.name, 'sid');
});

test('a folder of YAML files is read in name order; documents may be lists', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-gw-dir-'));
  writeFileSync(join(dir, '10-gateway.yaml'), GATEWAY);
  writeFileSync(join(dir, '20-routes.yml'), `- ${route('    - backendRefs: [{ name: a }]\n').replace('---\n', '').split('\n').join('\n  ')}`);
  writeFileSync(join(dir, 'notes.txt'), 'not config');
  const m = loadConfig(dir);
  assert.is(m.gateways.length, 1);
  assert.is(m.httpRoutes.length, 1);
  assert.is(m.baseDir, dir);
});

test('the example config (examples/gateway/config) is valid and uses every resource kind', () => {
  const m = loadConfig(join(repoRoot, 'examples/gateway/config'));
  assert.is(m.gateways[0]!.listeners.length, 5);
  assert.ok(m.httpRoutes.length >= 3 && m.l4Routes.length === 2);
  assert.ok(m.backendPolicies.length >= 3 && m.securityPolicies.length >= 3 && m.rateLimitPolicies.length >= 2);
  assert.is(m.modules.size, 1);
  assert.is(m.certificates.size, 1);
  assert.equal(m.settings.accessLog.fields.includes('retries'), true);
});

test.run();
