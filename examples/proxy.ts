// Pipy tutorial 03: a reverse proxy on port 8000 in front of 127.0.0.1:8080.
//
//   npx sluice examples/hello.ts &      (the upstream, on 8080)
//   npx sluice examples/proxy.ts
//   curl localhost:8000/            ->  Hi, there!
//
// demuxHTTP splits the client connection into one stream per request; muxHTTP merges those
// streams onto pooled upstream connections (one per client connection by default, as in
// Pipy); connect is the TCP connection to the upstream. If the upstream cannot be reached,
// the client gets 502.
import { pipy } from 'sluice';

pipy.listen(8000, ($) =>
  $.demuxHTTP().to(($) =>
    $.muxHTTP().to(($) =>
      $.connect('127.0.0.1:8080'),
    ),
  ),
);
