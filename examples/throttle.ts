// Per-client rate limiting: a proxy on port 8000 in front of 127.0.0.1:8080 that lets each
// client IP make 5 requests per second (a token bucket per address) and answers the excess
// with 429 Too Many Requests, without contacting the upstream.
//
// Ports: 8000 the proxy; the upstream is 127.0.0.1:8080 (run examples/hello.ts).
//
//   npx sluice examples/throttle.ts
//   for i in $(seq 8); do curl -s -o /dev/null -w '%{http_code} ' localhost:8000/; done
//   ->  200 200 200 200 200 429 429 429
//
// Rejecting (429) tells a client to back off and costs the proxy nothing. The other way is to
// delay: `$.throttleMessageRate(quota)` (as in Pipy) holds requests until the bucket has a
// token again, which smooths bursts but keeps connections (and memory) waiting; use it for
// traffic you trust, and 429 for traffic you don't.
import { pipy, Message, KeyedQuota } from 'sluice';

const RATE = 5; // requests per second per client address

// One bucket per remote address: starts full (RATE tokens), gets RATE tokens back every
// 1000 ms, never holds more than RATE. Buckets are computed lazily, so idle clients cost no
// timer; at most maxKeys addresses are tracked (least recently seen are forgotten first).
const quota = new KeyedQuota<string>(RATE, { per: 1000, produce: RATE, maxKeys: 100_000 });

const tooMany = new Message(
  { status: 429, headers: { 'retry-after': '1', 'content-type': 'text/plain' } },
  'Too many requests\n',
);

pipy.listen(8000, { context: () => ({ limited: false }) }, ($) =>
  $.demuxHTTP().to(($) =>
    $.handleMessageStart((_msg, ctx) => {
      // Every request takes a token from its client's bucket; none left means limited.
      ctx.limited = quota.consume(ctx.inbound.remoteAddress) < 1;
    }).branch(
      (ctx) => ctx.limited,
      ($) => $.replaceMessage(tooMany),
      ($) => $.muxHTTP().to(($) => $.connect('127.0.0.1:8080')),
    ),
  ),
);
