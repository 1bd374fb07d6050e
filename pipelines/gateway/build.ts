// Declares the gateway's listeners from a checked model: one pipy.listen per address:port.
//
//   HTTP   demuxHTTP -> replaceMessage(HttpGateway.handle)
//   TLS    (Passthrough) pipe(choose by SNI) -> connect(endpoint)
//   TCP    pipe(choose by TCPRoute) -> connect(endpoint)
//
// Health checks start here and stop when this load is retired (pipy.exit), so a reload
// replaces them along with the routes.

import { pipy, pipeline, log, Kind, StreamEnd, type Event, type PipelineLayout, type RequestHead } from '../api/index.ts';
import { AccessLog } from '../modules/access-log.ts';
import { parseSNI } from '../modules/sni.ts';
import { ensureFront, relayedClient, relayedServername, retireFronts } from '../modules/tls-front.ts';
import { BackendRuntime, policyFor } from './backends.ts';
import { compileRule, type CompileEnv, type PipelineModuleExports } from './compile.ts';
import type { GatewayModel, GatewaySpec, L4RouteSpec, ListenerSpec } from './config.ts';
import { HttpGateway, type CompiledRule, type GatewayCtx } from './http-gateway.ts';
import { gatewayMetrics, type GatewayMetrics } from './metrics.ts';
import { HostRouter, attaches, effectiveHostnames, hostMatches } from './router.ts';

export interface BuiltGateway {
  /** One line per port: what it serves. */
  summary: string[];
}

interface PortGroup {
  address: string;
  port: number;
  listeners: { gw: GatewaySpec; l: ListenerSpec }[];
}

let generations = 0;

// Keep-alive connections outlive a reload, and the engine keeps them on the layout they began
// with. So that a new configuration reaches their next requests too (as route updates do in
// Envoy), each request asks which gateway is newest for its port. A load only offers its
// gateways (`offered`); they become `newest` when the previous load is retired, which the
// engine does only after the new one has fully taken over. A failed load is never promoted.
const offered = new Map<string, HttpGateway>();
const newest = new Map<string, HttpGateway>();

export async function buildGateway(model: GatewayModel, modules: Map<string, PipelineModuleExports>): Promise<BuiltGateway> {
  const generation = ++generations;
  const metrics = gatewayMetrics();
  const al = model.settings.accessLog;
  const accessLog = al.enabled ? new AccessLog(al.fields, al.path) : null;
  const backends = new Map<string, BackendRuntime>();
  for (const [key, spec] of model.backends) backends.set(key, new BackendRuntime(spec, policyFor(model.backendPolicies, key), metrics));

  // Spec: a reference to a missing backend is not a configuration error; its share gets 500.
  for (const r of model.httpRoutes) {
    r.rules.forEach((rule) => {
      rule.backendRefs.forEach((b, i) => {
        if (!backends.has(b.key)) log.warn(`gateway: HTTPRoute ${r.meta.key} ${rule.path}.backendRefs[${i}]: no Backend '${b.key}'; requests sent its way get 500`);
      });
    });
  }

  // A route no listener admits is not an error in the spec (its status says why): warn.
  for (const r of [...model.httpRoutes, ...model.l4Routes]) {
    const any = model.gateways.some((gw) => gw.listeners.some((l) => attaches(r, gw, l)));
    if (!any) log.warn(`gateway: route ${r.meta.key} is attached to no listener (allowedRoutes.namespaces.from is Same by default)`);
  }

  const groups = new Map<string, PortGroup>();
  for (const gw of model.gateways) {
    for (const l of gw.listeners) {
      const k = `${gw.address}:${l.port}`;
      let g = groups.get(k);
      if (!g) groups.set(k, (g = { address: gw.address, port: l.port, listeners: [] }));
      g.listeners.push({ gw, l });
    }
  }

  const summary: string[] = [];
  const ports: string[] = [];
  for (const g of groups.values()) {
    const proto = g.listeners[0]!.l.protocol;
    const target = g.address.includes(':') ? `[${g.address}]:${g.port}` : `${g.address}:${g.port}`;
    if (proto === 'HTTP' || proto === 'HTTPS') {
      const https = proto === 'HTTPS';
      let listenOn = target;
      if (https) {
        const certs = g.listeners.flatMap((x) => x.l.tls?.certificates ?? []);
        const inner = await ensureFront(g.address, g.port, certs, generation);
        listenOn = `127.0.0.1:${inner}`;
      }
      const router = new HostRouter<CompiledRule>();
      for (const { gw, l } of g.listeners) {
        const env: CompileEnv = { model, backends, modules, metrics, scheme: https ? 'https' : 'http', port: l.port };
        for (const route of model.httpRoutes) {
          if (!attaches(route, gw, l)) continue;
          const hosts = effectiveHostnames(route.hostnames, l.hostname);
          if (hosts === null) continue;
          router.add(route, hosts, (ri) => compileRule(route, route.rules[ri]!, gw, env));
        }
      }
      const gateway = new HttpGateway(router, {
        scheme: https ? 'https' : 'http',
        port: g.port,
        tracing: model.settings.tracing,
        metrics,
        accessLog,
        relayedClient: https ? relayedClient : null,
        maxBodyBytes: model.settings.maxBodyBytes,
        countIn: al.enabled && al.fields.includes('bytes_in'),
        countOut: al.enabled && al.fields.includes('bytes_out'),
      }, backends.values());
      offered.set(target, gateway);
      ports.push(target);
      pipy.listen(listenOn, { context: (): GatewayCtx => ({ x: null }), idleTimeout: `${model.settings.clientIdleTimeout}ms` }, ($) =>
        $.demuxHTTP().to(($) =>
          $.handleMessageStart((evt, ctx) => (newest.get(target) ?? gateway).onRequest(evt.head as unknown as RequestHead, ctx)).pipe((_evt: Event, ctx: GatewayCtx) => ctx.x!.layout),
        ),
      );
      summary.push(`${https ? 'https' : 'http'}://${target} (${router.size} route matches)`);
    } else {
      const routes = model.l4Routes.filter((r) => r.kind === (proto === 'TLS' ? 'TLSRoute' : 'TCPRoute') && g.listeners.some(({ gw, l }) => attaches(r, gw, l)));
      // TLS Terminate: the front decrypts and relays; routes match the SNI it saw.
      const terminate = proto === 'TLS' && g.listeners.some((x) => x.l.tls?.mode === 'Terminate');
      let listenOn = target;
      if (terminate) {
        const certs = g.listeners.flatMap((x) => x.l.tls?.certificates ?? []);
        listenOn = `127.0.0.1:${await ensureFront(g.address, g.port, certs, generation, false)}`;
      }
      const choose = l4Chooser(routes, proto === 'TLS' ? (terminate ? 'relayed' : 'peek') : 'none', g.listeners.map((x) => x.l.hostname), backends, metrics);
      pipy.listen(listenOn, { context: () => ({ target: '' }), idleTimeout: `${model.settings.clientIdleTimeout}ms` }, ($) => $.pipe((evt: Event, ctx: L4Ctx) => choose(evt, ctx)));
      summary.push(`${terminate ? 'tls+terminate' : proto.toLowerCase()}://${target} (${routes.length} ${proto === 'TLS' ? 'TLSRoute' : 'TCPRoute'}s)`);
    }
  }

  for (const b of backends.values()) b.start();
  pipy.exit(() => {
    // Retired: the load that replaced this one (if any) takes over its connections.
    for (const p of ports) {
      const next = offered.get(p);
      if (next) newest.set(p, next);
      else newest.delete(p);
    }
    for (const b of backends.values()) b.stop();
    accessLog?.close();
    retireFronts(generation);
  });
  return { summary };
}

type L4Ctx = { target: string; inbound?: { remoteAddress: string; remotePort: number } };

function l4Chooser(routes: L4RouteSpec[], sniFrom: 'peek' | 'relayed' | 'none', listenerHosts: (string | null)[], backends: Map<string, BackendRuntime>, m: GatewayMetrics): (evt: Event, ctx: L4Ctx) => PipelineLayout {
  const connect = pipeline<L4Ctx>(($) => $.connect((ctx) => ctx.target));
  const refuse = pipeline(($) => $.replaceData(() => new StreamEnd('ConnectionRefused', 'no route')).replaceStreamEnd(() => new StreamEnd('ConnectionRefused', 'no route')));
  // Most specific hostname first (exact, then longer wildcards, then routes without hostnames).
  const table = routes
    .flatMap((r) => (r.hostnames.length ? r.hostnames : ['*']).map((h) => ({ h, r })))
    .sort((a, b) => spec(b.h) - spec(a.h) || a.r.meta.created - b.r.meta.created || a.r.meta.order - b.r.meta.order);
  return (evt, ctx) => {
    let sni: string | null = null;
    if (sniFrom === 'peek') {
      if (evt.kind !== Kind.Data) return refuse;
      sni = parseSNI(evt.toBuffer());
    } else if (sniFrom === 'relayed') sni = relayedServername(ctx.inbound?.remotePort ?? 0);
    if (sni !== null && !listenerHosts.some((h) => h === null || hostMatches(h, sni!))) {
      m.l4Connections.increase(1, '', '', 'no-route');
      return refuse;
    }
    const hit = table.find((t) => t.h === '*' || (sni !== null && hostMatches(t.h, sni)));
    if (!hit) {
      m.l4Connections.increase(1, '', '', 'no-route');
      return refuse;
    }
    const route = `${hit.r.kind}/${hit.r.meta.key}`;
    const refs = hit.r.backendRefs.filter((r) => r.weight > 0);
    let total = 0;
    for (const r of refs) total += r.weight;
    let x = Math.random() * total;
    const ref = refs.find((r) => (x -= r.weight) < 0) ?? refs[refs.length - 1];
    const b = ref ? backends.get(ref.key) : undefined;
    const client = (sniFrom === 'relayed' ? relayedClient(ctx.inbound?.remotePort ?? 0) : undefined) ?? ctx.inbound?.remoteAddress ?? '';
    const ep = b?.pickL4(client);
    if (!ep) {
      m.l4Connections.increase(1, route, ref?.key ?? '', 'no-endpoint');
      return refuse;
    }
    m.l4Connections.increase(1, route, b!.key, 'forwarded');
    ctx.target = ep.target;
    return connect;
  };
}

function spec(h: string): number {
  return h === '*' ? 0 : h.startsWith('*.') ? h.length : 1000 + h.length;
}
