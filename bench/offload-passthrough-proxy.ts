// bench/offload-passthrough-proxy.ts: a TCP passthrough proxy for
// bench/offload-passthrough.sh.
//   node offload-passthrough-proxy.js <handoff|node> <listenPort> <upstreamPort>
// handoff: runtime/offload handOff() right after the upstream connects (the
//          client socket is created paused, so Node has read nothing);
// node:    Node's own relay, a.pipe(b); b.pipe(a).
import * as net from 'node:net';
import { handOff } from '../runtime/offload/index.ts';

const [mode = 'handoff', listenArg = '7000', upArg = '5201'] = process.argv.slice(2);
let refused = 0;

net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (client) => {
  const upstream = net.connect({ port: Number(upArg), host: '127.0.0.1', allowHalfOpen: true }, () => {
    if (mode === 'handoff') {
      const h = handOff(client, upstream);
      if (h) return;
      refused++;
    }
    client.pipe(upstream);
    upstream.pipe(client);
    client.resume();
  });
  client.on('error', () => upstream.destroy());
  upstream.on('error', () => client.destroy());
}).listen(Number(listenArg), '127.0.0.1', () => console.log('ready'));

process.on('SIGTERM', () => {
  if (refused) console.error(`handOff refused ${refused} connections (relayed in user space)`);
  process.exit(0);
});
