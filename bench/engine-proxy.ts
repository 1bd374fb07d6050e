// In-process benchmark of the proxy's JavaScript path: examples/proxy.ts's pipeline
// (demuxHTTP -> muxHTTP -> upstream) with the sockets replaced by in-memory ends, so what is
// measured is the engine, the filters and the codec per request, without the kernel and
// without the noise of a shared machine's network stack.
//
//   node dist/bench/engine-proxy.js [requests per run, default 300000] [connections, default 50]
//
// Each request is one client read (wrk's GET) dispatched into the listener pipeline; the
// upstream end records the request bytes and answers, in a dispatch of its own as a socket
// read would, with nginx's `return 200 "hello\n"` response. Prints CPU ns per request, best
// of three runs (CPU time, not wall time: the machine may be shared).

import { Designer } from '../runtime/api/designer.ts';
import { Data, Kind, type Event } from '../runtime/engine/event.ts';
import { Filter, type EventTarget } from '../runtime/engine/filter.ts';
import { PipelineLayout, type Pipeline } from '../runtime/engine/pipeline.ts';
import { dispatch } from '../runtime/net/flow.ts';

const N = Number(process.argv[2] ?? 300_000);
const CONNS = Number(process.argv[3] ?? 50);

const REQUEST = Buffer.from('GET / HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n\r\n', 'latin1');
const RESPONSE = Buffer.from(
  'HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Sun, 22 Nov 2026 03:00:00 GMT\r\n' +
    'Content-Type: text/plain\r\nContent-Length: 6\r\nConnection: keep-alive\r\n\r\nhello\n',
  'latin1',
);

/** The upstream end: remembers that a request arrived, answers when the harness says so. */
class FakeUpstream extends Filter {
  static pending: FakeUpstream[] = [];
  bytes = 0;
  clone(): FakeUpstream {
    return new FakeUpstream();
  }
  describe(): string {
    return 'fakeUpstream';
  }
  input(evt: Event): void {
    if (evt.kind === Kind.Data) {
      this.bytes += evt.size;
      FakeUpstream.pending.push(this);
    }
  }
  respond(buf: Buffer): void {
    this.output.input(Data.of(buf));
  }
}

/** The client end: counts response bytes (a socket writer would queue them). */
class FakeClient implements EventTarget {
  received = 0;
  pipeline!: Pipeline;
  input(evt: Event): void {
    if (evt.kind === Kind.Data) this.received += evt.size;
  }
  send(buf: Buffer): void {
    this.pipeline.input(Data.of(buf));
  }
}

const up = new PipelineLayout('upstream');
up.filters.push(new FakeUpstream());
const root = new PipelineLayout('listen');
const d = new Designer(root);
d.demuxHTTP().to(($) => $.muxHTTP().to(up));
d.finish();

const clients: FakeClient[] = [];
for (let i = 0; i < CONNS; i++) {
  const c = new FakeClient();
  const ctx = root.newContext() as { inbound?: object };
  ctx.inbound = { id: i, remoteAddress: '127.0.0.1', remotePort: 40000 + i, localAddress: '127.0.0.1', localPort: 8000, socket: null, source: null, httpBusy: null };
  c.pipeline = root.instantiate(ctx, c);
  clients.push(c);
}

function run(n: number): void {
  const pending = FakeUpstream.pending;
  for (let i = 0; i < n; i += CONNS) {
    for (let k = 0; k < CONNS; k++) dispatch(null, clients[k]!, clients[k]!.send, REQUEST);
    // Every connection's request is now upstream: answer them, one read each.
    for (let k = 0; k < pending.length; k++) dispatch(null, pending[k]!, pending[k]!.respond, RESPONSE);
    pending.length = 0;
  }
}

run(Math.min(N, 50_000)); // warm up
let best = Infinity;
for (let r = 0; r < 3; r++) {
  const before = clients.reduce((s, c) => s + c.received, 0);
  const c0 = process.cpuUsage();
  run(N);
  const c = process.cpuUsage(c0);
  const got = clients.reduce((s, c) => s + c.received, 0) - before;
  const perResponse = got / N;
  if (Math.abs(perResponse - (RESPONSE.length - 30)) > 100) throw new Error(`unexpected response size ${perResponse}`);
  best = Math.min(best, ((c.user + c.system) * 1000) / N);
}
const mem = process.memoryUsage();
console.log(`proxy pipeline, in process: ${best.toFixed(0)} ns/request (${(1e9 / best / 1000).toFixed(0)}k requests per CPU-second), heap ${(mem.heapUsed / 1048576).toFixed(1)} MB`);
