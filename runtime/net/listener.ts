// A listening port and the pipeline layout it feeds. The layout can be swapped at reload: the
// server socket stays bound (no refused connections), new connections get the new layout, and
// connections already open finish on the old one.

import net from 'node:net';
import type { PipelineLayout } from '../engine/pipeline.ts';
import { ConfigError } from '../engine/errors.ts';
import { count, duration, known } from '../api/options.ts';
import { log } from '../engine/log.ts';
import { Inbound, inboundOf, onInboundRead, type ListenerStats } from './inbound.ts';
import { acceptConnections } from './accept.ts';
import { enableLocalHop, offloadStatus } from '../offload/index.ts';

export interface ListenOptions {
  /** Address to bind; default '::' (IPv4 and IPv6), or '0.0.0.0' where IPv6 is missing. */
  host?: string;
  /** Bind IPv6 only (no IPv4-mapped addresses). */
  ipv6Only?: boolean;
  /** Close a connection idle this long (seconds, or '30s'); 0 disables. Default 60 s. */
  idleTimeout?: number | string;
  /** Refuse connections beyond this many at once; 0 = no limit. */
  maxConnections?: number;
  /**
   * Ask the kernel companion to accelerate local TCP hops to and from this port (sockops +
   * sk_msg). Needs `sluice kernel up`; without it the port works as usual and the log says why.
   */
  localHop?: boolean;
}

export interface ListenerConfig {
  readonly host: string;
  readonly port: number;
  readonly ipv6Only: boolean;
  readonly idleTimeout: number;
  readonly maxConnections: number;
  readonly localHop: boolean;
}

/** Parses `8080`, `'8080'`, `'127.0.0.1:8080'` or `'[::1]:8080'` plus options, once. */
export function parseListen(target: number | string, opts: ListenOptions = {}, where = 'listen'): ListenerConfig {
  let host = opts.host ?? '';
  let port: number;
  if (typeof target === 'number') port = target;
  else {
    const m = /^(?:\[([^\]]+)\]|([^:\[\]]+)):(\d+)$/.exec(target);
    if (m) {
      host = m[1] ?? m[2] ?? '';
      port = Number(m[3]);
    } else port = Number(target);
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(`invalid port ${JSON.stringify(target)} (expected 0-65535 or 'host:port')`, where);
  }
  known(opts, where, ['host', 'ipv6Only', 'idleTimeout', 'maxConnections', 'localHop']);
  const idleTimeout = duration(opts.idleTimeout, `${where}: idleTimeout`, 60_000);
  return Object.freeze({
    host,
    port,
    ipv6Only: opts.ipv6Only ?? false,
    idleTimeout,
    maxConnections: count(opts.maxConnections, `${where}: maxConnections`, 0),
    localHop: opts.localHop ?? false,
  });
}

export class Listener {
  readonly config: ListenerConfig;
  readonly stats: ListenerStats = { connections: 0, active: 0, bytesIn: 0, bytesOut: 0 };
  layout: PipelineLayout;
  #server: net.Server | null = null;
  #sockets = new Set<net.Socket>();

  constructor(config: ListenerConfig, layout: PipelineLayout) {
    this.config = config;
    this.layout = layout;
  }

  get key(): string {
    return `${this.config.host}:${this.config.port}`;
  }

  /** The bound port (useful with port 0). */
  get port(): number {
    const a = this.#server?.address();
    return a && typeof a === 'object' ? a.port : this.config.port;
  }

  get server(): net.Server | null {
    return this.#server;
  }

  async start(): Promise<void> {
    const { host, port, ipv6Only, maxConnections } = this.config;
    const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: false });
    if (maxConnections > 0) server.maxConnections = maxConnections;
    // Connections accepted before acceptConnections takes over (none expected) read via 'data'.
    server.on('connection', (socket) => this.#accept(socket, false));
    const bind = (h: string) =>
      new Promise<void>((resolve, reject) => {
        const onError = (err: Error) => reject(err);
        server.once('error', onError);
        server.listen({ host: h, port, ipv6Only, exclusive: false }, () => {
          server.off('error', onError);
          resolve();
        });
      });
    try {
      if (host) await bind(host);
      else {
        try {
          await bind('::');
        } catch (err) {
          // A host without IPv6 cannot bind '::'; fall back to IPv4 only.
          if ((err as NodeJS.ErrnoException).code !== 'EAFNOSUPPORT' && (err as NodeJS.ErrnoException).code !== 'EADDRNOTAVAIL') throw err;
          await bind('0.0.0.0');
        }
      }
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw new ConfigError(`cannot listen on ${host || '*'}:${port}: ${e.code ?? ''} ${e.message}`, 'listen');
    }
    server.on('error', (err) => log.error(`listener ${this.key}: ${err.message}`));
    acceptConnections(server, onInboundRead, (socket, viaOnread) => this.#accept(socket, viaOnread));
    this.#server = server;
    log.info(`listening on ${host || '[::]'}:${this.port}`);
    if (this.config.localHop) {
      if (enableLocalHop(this.port)) log.info(`local hop acceleration on for port ${this.port}`);
      else log.warn(`local hop acceleration requested for port ${this.port} but unavailable: ${offloadStatus().localHop.reason ?? 'unknown reason'}`);
    }
  }

  #accept(socket: net.Socket, viaOnread: boolean): void {
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
    new Inbound(socket, this.layout, this.stats, this.config.idleTimeout, viaOnread);
  }

  /** Stops accepting; open connections go on. */
  stopAccepting(): Promise<void> {
    const s = this.#server;
    if (!s) return Promise.resolve();
    this.#server = null;
    return new Promise((resolve) => s.close(() => resolve()));
  }

  get openConnections(): number {
    return this.#sockets.size;
  }

  /**
   * Stops accepting, closes HTTP connections as soon as they have no request in flight (the
   * busy ones answer with `connection: close`), and after `graceMs` destroys what is left.
   */
  async drain(graceMs: number): Promise<void> {
    const closing = this.stopAccepting();
    const deadline = Date.now() + graceMs;
    while (this.#sockets.size > 0 && Date.now() < deadline) {
      for (const s of this.#sockets) {
        if (inboundOf(s)?.httpBusy === false && !s.writableEnded) s.end();
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    for (const s of this.#sockets) s.destroy();
    await closing;
  }
}
