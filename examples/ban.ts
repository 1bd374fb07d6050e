// IP deny list: a proxy on port 8000 in front of 127.0.0.1:8080 that answers 403 to clients
// on the list, without ever contacting the upstream for them.
//
// Ports: 8000 the proxy; the upstream is 127.0.0.1:8080 (run examples/hello.ts).
//
//   npx sluice examples/ban.ts
//   curl localhost:8000/                          ->  Hi, there!
//   curl --interface 127.0.0.2 localhost:8000/    ->  403 Access denied
import { pipy, Message } from 'sluice';

// All of 127.0.0.0/8 is loopback, so 127.0.0.2 is an easy banned client to try locally.
// Addresses are as the socket reports them, with IPv4-mapped IPv6 ('::ffff:1.2.3.4') already
// turned into plain IPv4, so one list covers a dual-stack listener.
const denied = new Set(['127.0.0.2', '192.0.2.1', '2001:db8::1']);

const forbidden = new Message({ status: 403, headers: { 'content-type': 'text/plain' } }, 'Access denied\n');

pipy.listen(8000, ($) =>
  $.demuxHTTP().to(($) =>
    // The condition is checked at each request's first event. A banned client's request is
    // swallowed whole by replaceMessage and the 403 goes back in its place; muxHTTP and
    // connect are never instantiated for it.
    $.branch(
      (ctx) => denied.has(ctx.inbound.remoteAddress),
      ($) => $.replaceMessage(forbidden),
      ($) => $.muxHTTP().to(($) => $.connect('127.0.0.1:8080')),
    ),
  ),
);
