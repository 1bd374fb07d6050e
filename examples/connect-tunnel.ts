// An HTTP CONNECT proxy (a forward proxy for HTTPS and other TCP traffic) on port 8000.
// The client asks `CONNECT host:port`, the proxy answers 200 and from then on relays raw
// bytes both ways between the client and host:port (RFC 9110 §9.3.6).
//
// Ports: 8000 the proxy. Targets are limited to the ports in ALLOWED_PORTS below.
//
//   npx sluice examples/connect-tunnel.ts
//   curl -p -x http://localhost:8000 http://127.0.0.1:8080/   (-p: tunnel through CONNECT)
//   https_proxy=http://localhost:8000 curl https://example.org/
//
// An open CONNECT proxy relays anything anywhere, so never run one without a policy: here,
// a port allow list (443 for HTTPS, 8080 for the local demos). Add a host list, or the
// ban.ts / throttle.ts ideas, before exposing it.
import { pipy, Message } from 'sluice';

const ALLOWED_PORTS = new Set([443, 8080]);

pipy.listen(8000, { context: () => ({ target: '' }) }, ($) =>
  // acceptHTTPTunnel reads one request from the raw connection and lets the handler answer
  // it. A 2xx to CONNECT turns the connection into a tunnel through the sub-pipeline; any
  // other answer is sent and the connection is closed.
  $.acceptHTTPTunnel((req, ctx) => {
    const { method, path } = req.head;
    if (method !== 'CONNECT') {
      return new Message({ status: 405, headers: { allow: 'CONNECT' } }, 'This proxy only tunnels: use CONNECT\n');
    }
    // The request target of CONNECT is authority-form: host:port, [v6]:port.
    const m = /^(\[[0-9a-fA-F:.]+\]|[^:\[\]/]+):(\d{1,5})$/.exec(path);
    if (!m) return new Message({ status: 400 }, 'CONNECT needs host:port\n');
    if (!ALLOWED_PORTS.has(Number(m[2]))) return new Message({ status: 403 }, `Port ${m[2]} is not allowed\n`);
    ctx.target = path;
    // The 200 goes out first; the client then speaks (TLS, usually) through the tunnel and
    // those bytes are held until connect() has its socket.
    return new Message({ status: 200 });
  }).to(($) => $.connect((ctx) => ctx.target)),
);
