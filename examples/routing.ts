// Pipy tutorial 04: routing. A proxy on port 8000 picks an upstream by path (and host) with
// a URLRouter; a request no route matches gets 404 without any upstream being contacted.
//
// Ports: 8000 the proxy; 8081, 8082 and 8083 are three demo upstreams this script starts
// itself (so it runs on its own), each answering with its name and the path it received.
//
//   npx sluice examples/routing.ts
//   curl localhost:8000/hi/there                        ->  hi service: /hi/there
//   curl localhost:8000/echo -d ping                    ->  ping
//   curl -H 'host: api.example.com' localhost:8000/x    ->  api service: /x
//   curl localhost:8000/nothing                         ->  404
import { pipy, Message, URLRouter } from 'sluice';

// Patterns: '/hi/*' matches '/hi' and everything under it; '/echo' only that path;
// 'api.example.com/*' only requests whose Host is api.example.com. An exact host wins over
// any host, then the longest path (see runtime/algo/url-router.ts for the full rules).
const router = new URLRouter<string>({
  '/hi/*': '127.0.0.1:8081',
  '/echo': '127.0.0.1:8082',
  'api.example.com/*': '127.0.0.1:8083',
});

// The context is per-stream state. demuxHTTP gives each request its own copy, so `target`
// set for one request never leaks into the next request on the same connection.
pipy.listen(8000, { context: () => ({ target: '' }) }, ($) =>
  $.demuxHTTP().to(($) =>
    $.handleMessageStart((msg, ctx) => {
      // header() reads one header without building the whole headers object.
      ctx.target = router.find(msg.head.header('host') ?? '', msg.head.path) ?? '';
    })
      // branch() decides once per request, at its first event (after the handler above ran).
      .branch(
        (ctx) => ctx.target === '',
        ($) => $.replaceMessage(new Message({ status: 404 }, 'No route\n')),
        // muxHTTP keyed by target: requests for the same upstream share pooled connections.
        ($) => $.muxHTTP((ctx) => ctx.target).to(($) => $.connect((ctx) => ctx.target)),
      ),
  ),
);

// The demo upstreams.
pipy.listen(8081, ($) => $.serveHTTP((req) => new Message(`hi service: ${req.head.path}\n`)));
pipy.listen(8082, ($) => $.serveHTTP((req) => new Message(req.body)));
pipy.listen(8083, ($) => $.serveHTTP((req) => new Message(`api service: ${req.head.path}\n`)));
