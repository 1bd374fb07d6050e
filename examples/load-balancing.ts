// Pipy tutorial 05: round-robin load balancing. A proxy on port 8000 spreads requests over
// three upstreams.
//
// Ports: 8000 the proxy; 8081, 8082 and 8083 are demo upstreams this script starts itself,
// each answering with its own port so you can watch the rotation.
//
//   npx sluice examples/load-balancing.ts
//   for i in 1 2 3 4; do curl localhost:8000/; done   ->  8081 8082 8083 8081
import { pipy, Message, RoundRobinLoadBalancer } from 'sluice';

// Smooth weighted round robin (nginx's): an array gives every target weight 1; an object
// such as { '127.0.0.1:8081': 2, '127.0.0.1:8082': 1 } sets weights.
const balancer = new RoundRobinLoadBalancer(['127.0.0.1:8081', '127.0.0.1:8082', '127.0.0.1:8083']);

pipy.listen(8000, { context: () => ({ target: '' }) }, ($) =>
  $.demuxHTTP().to(($) =>
    $.handleMessageStart((_msg, ctx) => {
      // One pick per request, not per connection: keep-alive clients are spread too.
      ctx.target = balancer.next() ?? '';
    })
      .branch(
        (ctx) => ctx.target === '',
        ($) => $.replaceMessage(new Message({ status: 503 }, 'No healthy upstream\n')),
        // Keyed by target, muxHTTP keeps one pool of upstream connections per upstream
        // (shared by all clients) instead of one per client connection.
        ($) => $.muxHTTP((ctx) => ctx.target).to(($) => $.connect((ctx) => ctx.target)),
      ),
  ),
);

for (const port of [8081, 8082, 8083]) {
  pipy.listen(port, ($) => $.serveHTTP(new Message(`${port}\n`)));
}
