// A response cache: a proxy on port 8000 in front of 127.0.0.1:8080 that keeps successful GET
// responses for 10 seconds and answers repeats from memory, without reaching the upstream.
// Every response says which it was in `x-cache: hit` or `x-cache: miss`.
//
// Ports: 8000 the proxy; the upstream is 127.0.0.1:8080 (run examples/hello.ts).
//
//   npx sluice examples/cache.ts
//   curl -i localhost:8000/     ->  x-cache: miss
//   curl -i localhost:8000/     ->  x-cache: hit   (for 10 s)
//
// A teaching cache, not an RFC 9111 one: it ignores Cache-Control, Vary and validators.
import { pipy, Message, Data, Cache } from 'sluice';

interface Entry {
  status: number;
  headers: Record<string, string>;
  body: Data;
}

// LRU with a TTL (ms): at most 1000 entries, each valid 10 s after it was stored.
const cache = new Cache<string, Entry>({ size: 1000, ttl: 10_000 });

// Headers that describe one connection, not the response (RFC 9110 §7.6.1), and framing
// the encoder sets again from the stored body.
const NOT_STORED = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length']);

interface CacheContext {
  /** The cache key of a cacheable request ('' = don't cache). */
  key: string;
  /** What the cache had for it. */
  hit: Entry | undefined;
}

pipy.listen(8000, { context: (): CacheContext => ({ key: '', hit: undefined }) }, ($) =>
  $.demuxHTTP().to(($) =>
    $.handleMessageStart((msg, ctx) => {
      const { method, path } = msg.head;
      ctx.key = method === 'GET' ? `${msg.head.header('host') ?? ''}${path}` : '';
      ctx.hit = ctx.key ? cache.get(ctx.key) : undefined;
    }).branch(
      (ctx) => ctx.hit !== undefined,
      // Hit: answer from memory. `new Data(body)` shares the stored chunks without copying.
      ($) =>
        $.replaceMessage((_req, ctx) => {
          const e = ctx.hit!;
          return new Message({ status: e.status, headers: { ...e.headers, 'x-cache': 'hit' } }, new Data(e.body));
        }),
      // Miss: go upstream, label the response, and store it if it is a 200.
      ($) =>
        $.muxHTTP()
          .to(($) => $.connect('127.0.0.1:8080'))
          .handleMessageStart((msg) => {
            msg.head.headers['x-cache'] = 'miss';
          })
          .handleMessage((msg, ctx) => {
            if (ctx.key === '' || msg.head.status !== 200) return;
            const headers: Record<string, string> = {};
            for (const [k, v] of Object.entries(msg.head.headers)) {
              if (!NOT_STORED.has(k) && k !== 'x-cache') headers[k] = v;
            }
            cache.set(ctx.key, { status: msg.head.status, headers, body: msg.body });
          }),
    ),
  ),
);
