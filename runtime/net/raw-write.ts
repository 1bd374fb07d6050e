// Writing a Buffer straight to a TCP socket's handle, as net.Socket's own write ends up doing,
// without the Writable machinery in between (state, a callback, an afterWrite nextTick per
// write): about 5% of a small proxied exchange's CPU here (bench/RESULTS.md).
//
// It uses the handle API that net.Socket itself sits on (`_handle.writeBuffer` with a
// WriteWrap from the `stream_wrap` binding), unchanged from Node 12 to 24. Where any of it is
// missing the writer uses socket.write() instead, so this is purely a fast path. A raw write
// is only made when Node's Writable holds nothing (it could not overtake Node's own queue);
// later Node writes and end() queue behind it in libuv, in order. A write libuv could not
// finish at once stays in flight until `rawWriteDone`, and is counted in rawWritesInFlight()
// (a socket's writableLength does not show it).

import { getSystemErrorName } from 'node:util';
import type { Socket } from 'node:net';

export interface RawWriteOwner {
  /** An in-flight raw write finished; `status` < 0 is a libuv error (the socket is destroyed). */
  rawWriteDone(status: number): void;
}

interface Handle {
  writeBuffer(req: WriteReq, buf: Buffer): number;
}
interface WriteReq {
  oncomplete: (this: WriteReq, status: number) => void;
  async: boolean;
  bytes: number;
  buffer: Buffer | null;
  owner: RawWriteOwner | null;
}
interface StreamWrapBinding {
  WriteWrap: new () => WriteReq;
  streamBaseState: Int32Array;
  kLastWriteWasAsync: number;
}

function load(): { WriteWrap: new () => WriteReq; state: Int32Array; kAsync: number; TCP: abstract new () => Handle } | null {
  if (process.env.SLUICE_RAW_WRITES === '0') return null;
  try {
    const binding = (process as unknown as { binding(name: string): unknown }).binding;
    const sw = binding('stream_wrap') as Partial<StreamWrapBinding>;
    const tw = binding('tcp_wrap') as { TCP?: abstract new () => Handle };
    if (typeof sw.WriteWrap !== 'function' || !(sw.streamBaseState instanceof Int32Array) || typeof sw.kLastWriteWasAsync !== 'number') return null;
    if (typeof tw.TCP !== 'function' || typeof (tw.TCP.prototype as Partial<Handle>).writeBuffer !== 'function') return null;
    return { WriteWrap: sw.WriteWrap, state: sw.streamBaseState, kAsync: sw.kLastWriteWasAsync, TCP: tw.TCP };
  } catch {
    return null;
  }
}

const api = load();
let inFlight = 0;
/**
 * A request object no write has used yet. Node binds a WriteWrap object to its C++ write
 * request only when the write cannot finish at once (StreamBase::Write tries the write first),
 * so after a write that finished synchronously the same object is as new and is kept for the
 * next one: the common case allocates none.
 */
let spare: WriteReq | null = null;

/** Whether raw writes are in use at all (for /status and tests). */
export const rawWritesAvailable = api !== null;

/** Raw writes libuv has not finished, over all sockets. */
export function rawWritesInFlight(): number {
  return inFlight;
}

/** A socket's TCP handle, as rawHandleOf() finds it. */
export type RawHandle = Handle;

/**
 * The handle to write `s` through now, or null when a raw write may not be made (not a
 * connected TCP socket, or its Writable holds something).
 */
export function rawHandleOf(s: Socket): RawHandle | null {
  if (api === null) return null;
  const h = (s as unknown as { _handle: Handle | null })._handle;
  return h instanceof api.TCP && !s.connecting && s.writableLength === 0 && !s.writableEnded && !s.destroyed ? h : null;
}

function onComplete(this: WriteReq, status: number): void {
  inFlight--;
  const owner = this.owner!;
  this.owner = null;
  this.buffer = null;
  owner.rawWriteDone(status);
}

/**
 * Writes `buf` to `s` through `h`, its rawHandleOf(s). Returns 0 when the kernel took it all, 1 when
 * the rest is in flight (owner.rawWriteDone follows; until then `buf` must not change), or a
 * negative errno when the write failed, in which case the socket has been destroyed with it.
 */
export function writeRaw(s: Socket, h: RawHandle, buf: Buffer, owner: RawWriteOwner): number {
  const a = api!;
  let req = spare;
  spare = null;
  if (req === null) {
    req = new a.WriteWrap();
    req.oncomplete = onComplete;
    req.async = false;
    req.bytes = 0;
    req.buffer = null;
    req.owner = null;
  }
  const err = h.writeBuffer(req, buf);
  if (err !== 0) {
    s.destroy(rawWriteError(err));
    return err;
  }
  if (a.state[a.kAsync] === 0) {
    spare = req;
    return 0;
  }
  req.async = true;
  req.buffer = buf; // kept alive until libuv is done with it
  req.owner = owner;
  inFlight++;
  return 1;
}

/** The error a failed raw write ends its socket with. */
export function rawWriteError(status: number): Error {
  const code = getSystemErrorName(status);
  return Object.assign(new Error(`write ${code}`), { code, errno: status, syscall: 'write' });
}
