// The embedded demo served by `sluice gateway` without a config: a listener on
// 127.0.0.1:8000, two demo backends that Sluice serves itself (127.0.0.1:8081 and :8082, each
// answering with its name and the request it saw), and routes that show path, header and
// query matching, a weighted split, header filters and a redirect.

// SLUICE_GATEWAY_DEMO_PORTS=gateway,a,b moves them (tests, or a machine where 8000 is taken).
const ports = (process.env.SLUICE_GATEWAY_DEMO_PORTS ?? '8000,8081,8082').split(',').map(Number);
export const DEMO_PORT = ports[0] ?? 8000;
export const DEMO_BACKENDS = [
  { name: 'demo-a', port: ports[1] ?? 8081 },
  { name: 'demo-b', port: ports[2] ?? 8082 },
] as const;

export const DEFAULT_CONFIG = `
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: demo }
spec:
  addresses: [{ value: 127.0.0.1 }]
  listeners:
    - { name: http, port: ${DEMO_PORT}, protocol: HTTP }
---
apiVersion: gateway.sluice.dev/v1alpha1
kind: Backend
metadata: { name: demo-a }
spec: { endpoints: ["127.0.0.1:${DEMO_BACKENDS[0].port}"] }
---
apiVersion: gateway.sluice.dev/v1alpha1
kind: Backend
metadata: { name: demo-b }
spec: { endpoints: ["127.0.0.1:${DEMO_BACKENDS[1].port}"] }
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: demo }
spec:
  parentRefs: [{ name: demo }]
  rules:
    # /a/... and /b/... go to one backend each (segment-aware prefix: /abc matches neither).
    - matches: [{ path: { type: PathPrefix, value: /a } }]
      backendRefs: [{ name: demo-a }]
    - matches: [{ path: { type: PathPrefix, value: /b } }]
      backendRefs: [{ name: demo-b }]
    # A header or a query parameter picks demo-b whatever the path.
    - matches:
        - headers: [{ name: x-backend, value: b }]
        - queryParams: [{ name: backend, value: b }]
      backendRefs: [{ name: demo-b }]
    # /old redirects to /a (301).
    - matches: [{ path: { type: Exact, value: /old } }]
      filters:
        - type: RequestRedirect
          requestRedirect: { path: { type: ReplaceFullPath, replaceFullPath: /a }, statusCode: 301 }
    # Everything else: 80% demo-a, 20% demo-b, with a request and a response header added.
    - matches: [{ path: { type: PathPrefix, value: / } }]
      filters:
        - type: RequestHeaderModifier
          requestHeaderModifier: { add: [{ name: x-gateway-demo, value: "yes" }] }
        - type: ResponseHeaderModifier
          responseHeaderModifier: { set: [{ name: x-served-by, value: sluice-gateway }] }
      backendRefs:
        - { name: demo-a, weight: 80 }
        - { name: demo-b, weight: 20 }
`;

export const DEMO_HELP = `
The Sluice gateway is serving its built-in demo on http://127.0.0.1:${DEMO_PORT}
(demo backends: demo-a on 127.0.0.1:${DEMO_BACKENDS[0].port}, demo-b on 127.0.0.1:${DEMO_BACKENDS[1].port}). Try:

  curl -s http://127.0.0.1:${DEMO_PORT}/a/hello          # PathPrefix /a      -> demo-a
  curl -s http://127.0.0.1:${DEMO_PORT}/b/hello          # PathPrefix /b      -> demo-b
  curl -s -H 'x-backend: b' http://127.0.0.1:${DEMO_PORT}/x   # header match  -> demo-b
  curl -s 'http://127.0.0.1:${DEMO_PORT}/x?backend=b'    # query match        -> demo-b
  curl -si http://127.0.0.1:${DEMO_PORT}/old             # 301 to /a
  for i in $(seq 10); do curl -s http://127.0.0.1:${DEMO_PORT}/; done   # 80/20 split, x-served-by header
  curl -s http://127.0.0.1:6060/metrics | grep sluice_gateway        # per-route metrics

Run your own configuration with: sluice gateway <config.yaml | dir>  (see examples/gateway/)
`;
