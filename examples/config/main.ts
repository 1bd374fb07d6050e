// Pipy tutorial 06: configuration from a file. The listen port, the routes and the upstreams
// come from config.yaml beside this script; the code only wires them into a pipeline.
//
// Ports: the proxy listens where config.yaml says (8000); the services there point at
// 127.0.0.1:8081 and 127.0.0.1:8082, which you start yourself (any HTTP servers will do).
//
//   npx sluice examples/config          (a folder runs its main.ts)
//   curl localhost:8000/hi              ->  answered by 8081 or 8082, in turn
import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { pipy, Message, URLRouter, RoundRobinLoadBalancer } from 'sluice';

interface Config {
  listen: number;
  routes: Record<string, string>;
  services: Record<string, string[]>;
}

// Relative to this file, not to the directory Sluice was started from. The script is
// evaluated afresh on every reload, so this read picks up an edited config.
const config = YAML.parse(readFileSync(new URL('./config.yaml', import.meta.url), 'utf8')) as Config;

// Everything derived from the config is built once here, at load time; the per-request code
// below only looks things up. A route naming an unknown service is a load error, so a bad
// config is rejected by a reload and the running one keeps serving.
const balancers = new Map<string, RoundRobinLoadBalancer>();
for (const [name, targets] of Object.entries(config.services)) {
  balancers.set(name, new RoundRobinLoadBalancer(targets));
}
const router = new URLRouter<RoundRobinLoadBalancer>();
for (const [pattern, service] of Object.entries(config.routes)) {
  const balancer = balancers.get(service);
  if (!balancer) throw new Error(`config.yaml: route '${pattern}' names unknown service '${service}'`);
  router.add(pattern, balancer);
}

pipy.listen(config.listen, { context: () => ({ target: '' }) }, ($) =>
  $.demuxHTTP().to(($) =>
    $.handleMessageStart((msg, ctx) => {
      const balancer = router.find(msg.head.header('host') ?? '', msg.head.path);
      ctx.target = balancer?.next() ?? '';
    }).branch(
      (ctx) => ctx.target === '',
      ($) => $.replaceMessage(new Message({ status: 404 }, 'No route\n')),
      ($) => $.muxHTTP((ctx) => ctx.target).to(($) => $.connect((ctx) => ctx.target)),
    ),
  ),
);
