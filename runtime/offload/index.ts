// runtime/offload/index.ts: the only file the runtime imports from offload/.
//
//   offloadStatus()        what works, and why not (cached, cheap)
//   handOff(c, u)          post-L7 hand-off of a byte-transparent pair
//   originalDestination(s) where a connect4-redirected client meant to go
//   enableLocalHop(port)   ask sockops/sk_msg to accelerate a local port
//   kernelCommand(argv)    `sluice kernel up | down | status | service`
import type * as net from 'node:net';
import { MAP } from './layout.gen.ts';
import { decodeOrig, encodeTuple } from './codec.ts';
import { startHandOff } from './hand-off.ts';
import type { HandOff } from './hand-off.ts';
import { pinnedMap } from './maps.ts';
import { setHopPort } from './control.ts';
import { invalidateStatus } from './status.ts';

export { offloadStatus } from './status.ts';
export type { OffloadStatus } from './status.ts';
export type { HandOff, HandOffResult } from './hand-off.ts';
export { kernelCommand } from './command.ts';
export { kernelUp, kernelDown, kernelReport, setService, deleteService, listServices, hopPorts } from './control.ts';
export type { ServiceSpec, UpOptions, KernelReport } from './control.ts';

/**
 * Hands a byte-transparent connection pair to the kernel (splice(2) relay on
 * a native thread). Precondition: both sockets ESTABLISHED, everything user
 * space held is written, and the client is quiescent (right after our
 * 200/101). Returns null, changing nothing, when offload is unavailable or
 * the pair can't be handed off: the caller keeps relaying in user space.
 * SLUICE_HANDOFF=off disables it process-wide.
 */
export function handOff(client: net.Socket, upstream: net.Socket): HandOff | null {
  if (process.env.SLUICE_HANDOFF === 'off') return null;
  const h = startHandOff(client, upstream);
  if (h) invalidateStatus();
  return h;
}

/**
 * For a socket the proxy accepted from a connect4-redirected (L7) client:
 * the VIP:port the client connected to. null when not redirected or when
 * the pinned maps are unavailable.
 */
export function originalDestination(socket: net.Socket): { address: string; port: number } | null {
  const { map } = pinnedMap(MAP.ORIG_TUPLE);
  if (!map) return null;
  const { remoteAddress, remotePort, localAddress, localPort } = socket;
  if (!remoteAddress || !remotePort || !localAddress || !localPort) return null;
  // The kernel keyed it from the client's side: mirror our view.
  const key = encodeTuple({ address: remoteAddress, port: remotePort }, { address: localAddress, port: localPort });
  if (!key) return null;
  const v = map.lookup(key);
  if (!v) return null;
  const o = decodeOrig(v);
  return { address: o.address, port: o.port };
}

/**
 * Adds a port to the local-hop policy map (both ends of local connections to
 * or from it are then accelerated by sockops + sk_msg). Needs only access to
 * the pinned map; false when it is not available.
 */
export function enableLocalHop(port: number): boolean {
  const ok = setHopPort(port, true);
  if (ok) invalidateStatus();
  return ok;
}

export function disableLocalHop(port: number): boolean {
  const ok = setHopPort(port, false);
  if (ok) invalidateStatus();
  return ok;
}
