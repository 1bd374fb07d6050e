// Ready-made pieces for pipeline scripts, written with the public API only (the gateway is
// built from them). Each is independent; import what you need.
//
//   upstream      send(layout, target, head, body, tail, timeout): a whole request through a
//                 muxHTTP+connect layout (upstreamLayout) to a Promise of the whole response
//   retry         attemptsFor / shouldRetry / backoffDelay: RFC 9110 idempotency and back-off
//   balancer      Endpoint and createPicker: round robin (smooth weighted), random, least
//                 request (power of two choices), consistent hash ring; health-aware
//   health-check  ActiveHealthCheck: HTTP probes with undici, off the data path
//   outlier       OutlierDetector: consecutive-failure ejection with a cap
//   rate-limit    LocalRateLimit: token buckets per key, refilled lazily
//   jwt           JwtVerifier: RS256 / ES256 against a JWKS file
//   basic-auth    BasicAuth: htpasswd {SHA}, {SHA256}, {PLAIN}
//   api-key       ApiKeyAuth: keys in a header or query parameter
//   ip-filter     IPFilter: CIDR allow / deny lists
//   cors          Cors: preflight answers and response headers
//   tracing       continueTrace: W3C traceparent
//   access-log    AccessLog: JSON lines to stdout or a file
//   sni           parseSNI: the server name of a TLS ClientHello
//   tls-front     ensureFront: TLS termination in front of a loopback HTTP listener

export { send, upstreamLayout, type Reply, type UpstreamOptions, type UpstreamContext } from './upstream.ts';
export { attemptsFor, shouldRetry, backoffDelay, type RetryPolicy } from './retry.ts';
export { Endpoint, createPicker, hash32, sessionToken, type BalancerType, type Picker } from './balancer.ts';
export { ActiveHealthCheck, type ActiveCheckOptions } from './health-check.ts';
export { OutlierDetector, type OutlierOptions } from './outlier.ts';
export { LocalRateLimit } from './rate-limit.ts';
export { JwtVerifier, type JwtProvider, type JwtResult } from './jwt.ts';
export { BasicAuth } from './basic-auth.ts';
export { ApiKeyAuth } from './api-key.ts';
export { IPFilter } from './ip-filter.ts';
export { Cors, type CorsOptions } from './cors.ts';
export { continueTrace, type Span } from './tracing.ts';
export { AccessLog, type LogRecord } from './access-log.ts';
export { parseSNI } from './sni.ts';
export { ensureFront, retireFronts, relayedClient, relayedServername } from './tls-front.ts';
