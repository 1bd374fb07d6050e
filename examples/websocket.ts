// WebSocket through a reverse proxy: a proxy on port 8000 in front of 127.0.0.1:8080 that
// passes ordinary requests and WebSocket upgrades alike.
//
// Ports: 8000 the proxy; the upstream is a WebSocket server on 127.0.0.1:8080.
//
//   npx sluice examples/websocket.ts
//   npx wscat -c ws://localhost:8000/chat     (with a WebSocket server on 8080)
//
// Nothing WebSocket-specific is written here, and that is the point: the upgrade request
// (`connection: upgrade`, `upgrade: websocket`) is forwarded like any request, and when the
// upstream answers 101 Switching Protocols (RFC 9110 §15.2.2), both demuxHTTP and muxHTTP
// stop parsing HTTP and relay the bytes that follow as a tunnel, in both directions, until
// either side closes. A refusal (any other status) is an ordinary response and the
// connection stays HTTP.
import { pipy } from 'sluice';

pipy.listen(8000, ($) =>
  $.demuxHTTP().to(($) =>
    // With the default key (the client connection), the upgraded exchange keeps its own
    // upstream connection: a tunnel can never be shared by other clients' requests.
    $.muxHTTP().to(($) => $.connect('127.0.0.1:8080')),
  ),
);
