// runtime/offload/native.ts: finds and loads the addon and the BPF objects.
// Nothing here throws at import time: a missing piece is a reason string.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type * as net from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONST } from './layout.gen.ts';

export interface MapInfo {
  id: number;
  name: string;
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
}

export interface LinkInfo {
  id: number;
  type: number;
  progId: number;
  progName?: string;
  cgroupId?: bigint;
  attachType?: number;
}

export interface SpliceRelayHandle {
  cancel(): void;
  /** [a -> b, b -> a] bytes so far */
  stats(): [number, number];
}

/** What native/src/*.cc exports (errors carry .errno, .code, .syscall). */
export interface NativeAddon {
  loadObject(path: string, pinRoot: string, knobs: Record<string, number>): { id: number; programs: string[] };
  closeObject(id: number): void;
  attachCgroup(id: number, prog: string, cgroupPath: string, linkPinPath: string): void;
  attachToMap(id: number, prog: string, mapPinPath: string, attachType: number): void;
  objGet(path: string): number;
  closeFd(fd: number): void;
  mapInfo(fd: number): MapInfo;
  mapLookup(fd: number, key: Buffer, valueSize: number): Buffer | null;
  mapUpdate(fd: number, key: Buffer, value: Buffer, flags: number): void;
  mapDelete(fd: number, key: Buffer): boolean;
  mapKeys(fd: number, keySize: number, limit: number): Buffer[];
  mapUpdateSocket(fd: number, key: Buffer, socketFd: number, flags: number): void;
  possibleCpus(): number;
  socketCookie(fd: number): bigint;
  linkInfo(path: string): LinkInfo;
  probe(): { sockOps: boolean; skMsg: boolean; skSkb: boolean; cgroupSockAddr: boolean };
  attachTypes: { skMsgVerdict: number; skSkbVerdict: number; skSkbStreamVerdict: number };
  SpliceRelay: new (
    fdA: number,
    fdB: number,
    pipeBytes: number,
    onDone: (err: (Error & { code?: string; errno?: number }) | null, aToB: number, bToA: number) => void,
  ) => SpliceRelayHandle;
}

/** The repository root: the nearest ancestor holding kernel/include/sluice.h. */
function findRoot(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(dir, 'kernel', 'include', 'sluice.h'))) return dir;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return null;
}

const root = findRoot();

/** Where `npm run build:kernel` puts the objects (SLUICE_BPF_OBJ_DIR overrides). */
export const objectDir: string = process.env.SLUICE_BPF_OBJ_DIR ?? (root ? join(root, 'kernel', 'build') : '');

/** The bpffs directory of the pinned maps and links (SLUICE_BPF_DIR overrides). */
export function pinDir(): string {
  return process.env.SLUICE_BPF_DIR ?? CONST.PIN_DIR;
}

let addon: NativeAddon | null | undefined;
let addonError = '';

/** The addon, or null with addonProblem() saying why. Loaded once. */
export function nativeAddon(): NativeAddon | null {
  if (addon !== undefined) return addon;
  const path = process.env.SLUICE_NATIVE_ADDON ??
    (root ? join(root, 'native', 'build', 'Release', 'sluice_native.node') : '');
  if (!path || !existsSync(path)) {
    addonError = 'native addon not built (npm run build:native; needs libbpf-dev)';
    addon = null;
    return addon;
  }
  try {
    addon = createRequire(import.meta.url)(path) as NativeAddon;
  } catch (err) {
    addonError = `native addon failed to load: ${(err as Error).message}`;
    addon = null;
  }
  return addon;
}

export function addonProblem(): string {
  nativeAddon();
  return addonError;
}

interface TcpHandle {
  fd?: unknown;
  reading?: boolean;
  readStop?: () => number;
  readStart?: () => number;
}

function tcpHandle(socket: net.Socket): TcpHandle | null {
  return (socket as unknown as { _handle?: TcpHandle | null })._handle ?? null;
}

/**
 * The file descriptor of a connected Node TCP socket, or -1.
 *
 * Node has no public API for it. On Linux a net.Socket's libuv handle
 * (TCPWrap) exposes the descriptor as `_handle.fd`; this and claimSocket()
 * below are the only places in Sluice that reach into that internal, so a
 * Node change breaks exactly here (and hand-off then falls back to user
 * space instead of misbehaving).
 */
export function socketFd(socket: net.Socket): number {
  const fd = tcpHandle(socket)?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : -1;
}

const kClaim = Symbol('sluice.claim');

/** What claimSocket() changed, so releaseSocket() can put it back. */
interface Claim {
  wasReading: boolean;
  wasFlowing: boolean;
}

type Claimed = net.Socket & { [kClaim]?: Claim };

function refuseReadStart(): number {
  return 0;
}

/**
 * Stops libuv reading a socket whose bytes someone else will move now, for good.
 *
 * socket.pause() is not enough: it only pauses the JS stream, and libuv keeps
 * reading into it until the high-water mark (anchors.md: "pause() does not
 * stop libuv's polling"). readStop() takes the fd out of epoll, but Node may
 * call readStart() again on its own: Socket#_read (net.js tryReadStart) runs
 * on any read(0), on a resume() scheduled before the pause, and from the
 * once('connect') listener _read() leaves on a socket that was still
 * connecting. That last one read exactly one 64 KiB chunk into the paused
 * readable buffer of an upstream handed off from inside its own 'connect'
 * dispatch: the chunk never reached the client. So the handle's readStart is
 * shadowed by a no-op until releaseSocket(): Node cannot read a claimed socket
 * whatever its stream bookkeeping believes.
 */
export function claimSocket(socket: net.Socket): boolean {
  const h = tcpHandle(socket);
  if (!h || typeof h.readStop !== 'function' || typeof h.readStart !== 'function') return false;
  const s = socket as Claimed;
  if (s[kClaim]) return true;
  const claim: Claim = { wasReading: h.reading === true, wasFlowing: socket.readableFlowing === true };
  socket.pause();
  if (h.readStop() !== 0) {
    // Nothing changed on the handle: leave Node's reading as it was.
    if (claim.wasFlowing) socket.resume();
    return false;
  }
  h.reading = false;
  h.readStart = refuseReadStart;
  s[kClaim] = claim;
  return true;
}

/** Undoes claimSocket() when the hand-off is refused after all: Node reads again as before. */
export function releaseSocket(socket: net.Socket): void {
  const s = socket as Claimed;
  const claim = s[kClaim];
  if (!claim) return;
  s[kClaim] = undefined;
  const h = tcpHandle(socket);
  if (!h) return;
  // Drop the own property: the prototype's readStart shows through again.
  delete h.readStart;
  if (s.destroyed) return;
  // Node's bookkeeping says reading when it was before the claim, or when tryReadStart ran
  // against the no-op meanwhile: either way it waits for bytes and will not ask again.
  if (claim.wasReading || h.reading === true) {
    h.reading = true;
    if (h.readStart!() !== 0) s.destroy(new Error('cannot restart reading after a refused hand-off'));
  }
  if (claim.wasFlowing) s.resume();
}
