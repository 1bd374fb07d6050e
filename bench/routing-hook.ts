// Routing with a per-request hook (bench/http-proxy.sh --mode hook): the request's host and
// path pick a route, the hook records it in the stream's context and adds a header, and
// muxHTTP/connect use the route's target. The same work the nginx side of the benchmark does
// with `location` blocks and `proxy_set_header` (bench/nginx/proxy-hook.conf).
import { pipy, URLRouter } from 'sluice';

interface Route {
  readonly name: string;
  readonly target: string;
}

const upstream = '127.0.0.1:8080';
const router = new URLRouter<Route>({
  '/api/*': { name: 'api', target: upstream },
  'static.example.com/*': { name: 'static', target: upstream },
  '/*': { name: 'default', target: upstream },
});

pipy.listen(8000, { context: () => ({ route: null as Route | null }) }, ($) =>
  $.demuxHTTP().to(($) =>
    $.handleMessageStart((msg, ctx) => {
      const head = msg.head;
      const route = router.find(head.header('host') ?? '', head.path) ?? null;
      ctx.route = route;
      head.headers['x-route'] = route ? route.name : 'none';
    })
      .muxHTTP((ctx) => ctx.route?.target ?? '')
      .to(($) => $.connect((ctx) => ctx.route?.target ?? upstream)),
  ),
);
