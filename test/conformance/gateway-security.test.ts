// Gateway security policies: JWT (RS256 and ES256, keys generated here, JWKS from a file),
// Basic and API-key auth, client IP allow/deny, gateway-wide policies with route overrides,
// and local rate limits keyed by client IP or header. One gateway for all cases.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { startEcho, startGateway, request, backend, metricsText, GATEWAY, GW, SL, type Echo, type Gateway, type Req } from '../helpers/gateway.ts';

const t = suite('gateway: auth, IP filter, rate limits');

let e: Echo;
let gw: Gateway;

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const other = generateKeyPairSync('rsa', { modulusLength: 2048 });

function jwk(k: KeyObject, kid: string): object {
  return { ...(k.export({ format: 'jwk' }) as object), kid, use: 'sig' };
}

function token(alg: 'RS256' | 'ES256', key: KeyObject, claims: object, kid?: string): string {
  const h = Buffer.from(JSON.stringify({ alg, typ: 'JWT', ...(kid ? { kid } : {}) })).toString('base64url');
  const p = Buffer.from(JSON.stringify(claims)).toString('base64url');
  const data = Buffer.from(`${h}.${p}`);
  const sig = alg === 'RS256' ? sign('sha256', data, key) : sign('sha256', data, { key, dsaEncoding: 'ieee-p1363' });
  return `${h}.${p}.${sig.toString('base64url')}`;
}

const now = () => Math.floor(Date.now() / 1000);
const good = () => ({ iss: 'https://issuer.test', aud: 'api', sub: 'alice', exp: now() + 600 });

const policy = (kind: string, name: string, target: string, spec: string, targetKind = 'HTTPRoute') => `---
${SL}
kind: ${kind}
metadata: { name: ${name} }
spec:
  targetRefs: [{ kind: ${targetKind}, name: ${target} }]
${spec}`;

const route = (name: string, path: string) => `---
${GW}
kind: HTTPRoute
metadata: { name: ${name} }
spec:
  parentRefs: [{ name: gw }]
  rules:
    - matches: [{ path: { value: ${path} } }]
      backendRefs: [{ name: echo }]
`;

t.before(async () => {
  e = await startEcho('echo');
  const sha = createHash('sha1').update('secret').digest('base64');
  const config =
    GATEWAY +
    backend('echo', e.addr) +
    route('jwt', '/jwt') +
    policy('SecurityPolicy', 'jwt', 'jwt', `  jwt:
    providers:
      - name: test
        issuer: https://issuer.test
        audiences: [api]
        jwks: { file: ./jwks.json }
        claimToHeaders: [{ claim: sub, header: x-user }]
`) +
    `---
${GW}
kind: HTTPRoute
metadata: { name: cors-jwt }
spec:
  parentRefs: [{ name: gw }]
  rules:
    - matches: [{ path: { value: /cors-jwt } }]
      filters: [{ type: CORS, cors: { allowOrigins: ["https://app.test"] } }]
      backendRefs: [{ name: echo }]
` +
    policy('SecurityPolicy', 'cors-jwt', 'cors-jwt', `  jwt: { providers: [{ name: t, jwks: { file: ./jwks.json } }] }\n`) +
    route('basic', '/basic') +
    policy('SecurityPolicy', 'basic', 'basic', `  basicAuth: { users: ["alice:{SHA}${sha}", "bob:{PLAIN}hunter2"] }\n`) +
    route('apikey', '/apikey') +
    policy('SecurityPolicy', 'apikey', 'apikey', `  apiKeyAuth: { header: x-api-key, queryParam: key, keysFile: ./keys.txt }\n`) +
    route('ip-deny', '/ip-deny') +
    policy('SecurityPolicy', 'ip-deny', 'ip-deny', `  clientIP: { deny: [127.0.0.0/8] }\n`) +
    route('ip-allow-other', '/ip-allow-other') +
    policy('SecurityPolicy', 'ip-allow-other', 'ip-allow-other', `  clientIP: { allow: [10.0.0.0/8] }\n`) +
    route('ip-allow-me', '/ip-allow-me') +
    policy('SecurityPolicy', 'ip-allow-me', 'ip-allow-me', `  clientIP: { allow: [127.0.0.1/32, "::1"] }\n`) +
    route('plain', '/plain') +
    policy('SecurityPolicy', 'gw-wide', 'gw', `  cors: { allowOrigins: ["https://gw.example"] }\n`, 'Gateway') +
    route('rl', '/rl') +
    policy('RateLimitPolicy', 'rl', 'rl', `  local: { requests: 3, interval: 10s }\n`) +
    route('rlh', '/rlh') +
    policy('RateLimitPolicy', 'rlh', 'rlh', `  local: { requests: 2, interval: 10s, key: { type: Header, header: x-client } }\n`);
  gw = await startGateway(config, {
    files: {
      'jwks.json': JSON.stringify({ keys: [jwk(rsa.publicKey, 'rsa-1'), jwk(ec.publicKey, 'ec-1')] }),
      'keys.txt': '# api keys\nk-123\nk-456\n',
    },
  });
});

t.after(async () => {
  await gw?.stop();
  await e?.close();
});

interface Case {
  name: string;
  req: Req;
  status: number;
  seen?: Record<string, string | null>;
  headers?: Record<string, string | RegExp | null>;
}

const bearer = (tok: string) => ({ authorization: `Bearer ${tok}` });
const basic = (u: string, p: string) => ({ authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}` });

const cases = (): Case[] => [
  { name: 'JWT RS256 valid: claim copied to a header', req: { path: '/jwt', headers: bearer(token('RS256', rsa.privateKey, good(), 'rsa-1')) }, status: 200, seen: { 'x-user': 'alice' } },
  { name: 'JWT ES256 valid (no kid)', req: { path: '/jwt', headers: bearer(token('ES256', ec.privateKey, { ...good(), sub: 'bob' })) }, status: 200, seen: { 'x-user': 'bob' } },
  { name: 'JWT missing', req: { path: '/jwt' }, status: 401, headers: { 'www-authenticate': /^Bearer realm="sluice"$/ } },
  { name: 'JWT signed by an unknown key', req: { path: '/jwt', headers: bearer(token('RS256', other.privateKey, good())) }, status: 401, headers: { 'www-authenticate': /invalid_token/ } },
  { name: 'JWT expired', req: { path: '/jwt', headers: bearer(token('RS256', rsa.privateKey, { ...good(), exp: now() - 10 })) }, status: 401, headers: { 'www-authenticate': /token expired/ } },
  { name: 'JWT not yet valid', req: { path: '/jwt', headers: bearer(token('ES256', ec.privateKey, { ...good(), nbf: now() + 600 })) }, status: 401 },
  { name: 'JWT wrong audience', req: { path: '/jwt', headers: bearer(token('RS256', rsa.privateKey, { ...good(), aud: 'other' })) }, status: 401, headers: { 'www-authenticate': /audience/ } },
  { name: 'JWT wrong issuer', req: { path: '/jwt', headers: bearer(token('RS256', rsa.privateKey, { ...good(), iss: 'https://evil.test' })) }, status: 401 },
  { name: 'JWT alg none refused', req: { path: '/jwt', headers: bearer(`${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify(good())).toString('base64url')}.`) }, status: 401 },
  { name: 'JWT ES256 signature under the RS256 key id refused', req: { path: '/jwt', headers: bearer(token('ES256', ec.privateKey, good(), 'rsa-1')) }, status: 401 },
  { name: 'JWT malformed', req: { path: '/jwt', headers: bearer('abc.def') }, status: 401 },
  { name: 'a CORS preflight is answered before authentication', req: { path: '/cors-jwt', method: 'OPTIONS', headers: { origin: 'https://app.test', 'access-control-request-method': 'GET' } }, status: 204, headers: { 'access-control-allow-origin': 'https://app.test' } },
  { name: 'the actual request still needs the token', req: { path: '/cors-jwt', headers: { origin: 'https://app.test' } }, status: 401 },
  { name: 'Basic auth {SHA} user', req: { path: '/basic', headers: basic('alice', 'secret') }, status: 200 },
  { name: 'Basic auth {PLAIN} user', req: { path: '/basic', headers: basic('bob', 'hunter2') }, status: 200 },
  { name: 'Basic auth wrong password', req: { path: '/basic', headers: basic('alice', 'nope') }, status: 401, headers: { 'www-authenticate': 'Basic realm="sluice"' } },
  { name: 'Basic auth unknown user', req: { path: '/basic', headers: basic('eve', 'secret') }, status: 401 },
  { name: 'Basic auth missing', req: { path: '/basic' }, status: 401 },
  { name: 'API key in the header', req: { path: '/apikey', headers: { 'x-api-key': 'k-456' } }, status: 200 },
  { name: 'API key in the query', req: { path: '/apikey?key=k-123' }, status: 200 },
  { name: 'API key wrong', req: { path: '/apikey', headers: { 'x-api-key': 'k-999' } }, status: 401 },
  { name: 'API key missing', req: { path: '/apikey' }, status: 401 },
  { name: 'client IP denied', req: { path: '/ip-deny' }, status: 403 },
  { name: 'client IP not in the allow list', req: { path: '/ip-allow-other' }, status: 403 },
  { name: 'client IP in the allow list', req: { path: '/ip-allow-me' }, status: 200 },
  { name: 'a Gateway-wide policy applies to every route', req: { path: '/plain', headers: { origin: 'https://gw.example' } }, status: 200, headers: { 'access-control-allow-origin': 'https://gw.example' } },
  { name: 'a route policy replaces the Gateway one for the same feature only', req: { path: '/ip-allow-me', headers: { origin: 'https://gw.example' } }, status: 200, headers: { 'access-control-allow-origin': 'https://gw.example' } },
];

t('table: auth and IP policies', async () => {
  const failures: string[] = [];
  for (const k of cases()) {
    const r = await request(gw.port, k.req);
    const why: string[] = [];
    if (r.status !== k.status) why.push(`status ${r.status}, expected ${k.status} (${r.text.trim().slice(0, 80)})`);
    if (k.status === 200 && r.echo?.endpoint !== 'echo') why.push('not answered by the backend');
    for (const [h, v] of Object.entries(k.seen ?? {})) {
      const got = r.echo?.headers[h] ?? null;
      if (got !== v) why.push(`backend saw ${h}: ${JSON.stringify(got)}, expected ${JSON.stringify(v)}`);
    }
    for (const [h, v] of Object.entries(k.headers ?? {})) {
      const got = (r.headers[h] as string | undefined) ?? null;
      const ok = v instanceof RegExp ? got !== null && v.test(got) : got === v;
      if (!ok) why.push(`response ${h}: ${JSON.stringify(got)}, expected ${String(v)}`);
    }
    if (why.length) failures.push(`${k.name}: ${why.join('; ')}`);
  }
  assert.equal(failures, [], `${failures.length} of ${cases().length} cases failed`);
  const m = await metricsText(gw.run.adminPort);
  assert.match(m, /sluice_gateway_denied_total\{route="default\/jwt",reason="jwt"\} 9/);
});

t('rate limit by client IP: the 4th request in the interval gets 429 with Retry-After', async () => {
  const statuses: number[] = [];
  let retryAfter: string | undefined;
  for (let i = 0; i < 5; i++) {
    const r = await request(gw.port, { path: '/rl' });
    statuses.push(r.status);
    if (r.status === 429) retryAfter = r.headers['retry-after'] as string;
  }
  assert.equal(statuses, [200, 200, 200, 429, 429]);
  assert.ok(Number(retryAfter) >= 1 && Number(retryAfter) <= 10, `retry-after ${retryAfter}`);
  assert.match(await metricsText(gw.run.adminPort), /sluice_gateway_rate_limited_total\{route="default\/rl"\} 2/);
});

t('a reload does not refill an unchanged rate limit', async () => {
  gw.run.proc.kill('SIGHUP');
  await gw.run.waitFor(/reloaded/, 5000);
  assert.is((await request(gw.port, { path: '/rl' })).status, 429);
});

t('rate limit by header: each key has its own bucket', async () => {
  const as = [];
  for (let i = 0; i < 3; i++) as.push((await request(gw.port, { path: '/rlh', headers: { 'x-client': 'A' } })).status);
  const b = (await request(gw.port, { path: '/rlh', headers: { 'x-client': 'B' } })).status;
  assert.equal(as, [200, 200, 429]);
  assert.is(b, 200);
});

t.run();
