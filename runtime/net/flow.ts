// Write batching and back-pressure across pipelines (Pipy's InputContext and Tap).
//
// Every event chain starts at an input: a socket read, a timer, a resolved promise. While the
// chain runs, `currentInput` names the socket it started from. Writers do not write at once:
// they queue buffers, remember which inputs produced them, and mark themselves dirty. Dirty
// writers flush once per turn of the event loop, after every socket that was ready has been
// read (setImmediate runs right after libuv's poll phase): one write (or one writev) per socket
// per turn. A writer whose socket refuses more (write() returned false) pauses the inputs that
// produced its data and resumes them on 'drain'. That bounds buffering across demux and mux
// without either knowing of the other.
//
//   socket A read --> dispatch(A, ...) --> pipeline ... --> writer B.write(buf)   (dirty, from A)
//   socket C read --> dispatch(C, ...) --> pipeline ... --> writer D.write(buf)   (dirty, from C)
//   end of the poll phase --> flushAll() --> B.socket.write(buf) === false --> A.pause()
//   B 'drain' --> A.resume()
//
// Why per turn and not per read: on a busy proxy one turn reads many connections, and writing
// them back to back instead of interleaved with the reads lets the peers on the far side be
// woken once for the batch. Measured in bench/RESULTS.md (a plain relay: 0.88-0.96x the CPU per
// request; Sluice's proxy: see there).

import type { Socket } from 'node:net';
import { rawHandleOf, rawWriteError, writeRaw, type RawWriteOwner } from './raw-write.ts';

export interface Pausable {
  pause(): void;
  resume(): void;
}

let currentInput: Pausable | null = null;
let depth = 0;
/** A flush is scheduled (setImmediate from a dispatch, nextTick from outside one). */
let scheduled = false;
/**
 * Some writer holds a full read's worth: flush when the dispatch returns, as if unbatched, so
 * a bulk transfer meets back-pressure after one read, not after a whole turn of reads.
 */
let urgent = false;
const URGENT_BYTES = 65536;
// Writers to flush, dirty[0, dirtyCount). The array is never shrunk: `length = 0` is a runtime
// call that also drops the backing store, so every dispatch would allocate a new one.
const dirty: (SocketWriter | null)[] = [];
let dirtyCount = 0;

/**
 * Runs `fn(arg)` as an input dispatch from `source`, then flushes what it wrote. Methods are
 * passed with their receiver instead of as closures, so a dispatch allocates nothing.
 */
export function dispatch<T, A>(source: Pausable | null, self: T, fn: (this: T, arg: A) => void, arg: A): void {
  const saved = currentInput;
  currentInput = source;
  depth++;
  try {
    fn.call(self, arg);
  } finally {
    depth--;
    currentInput = saved;
    if (depth === 0 && dirtyCount > 0) {
      if (urgent) flushAll();
      else if (!scheduled) {
        scheduled = true;
        setImmediate(flushAll);
      }
    }
  }
}

/**
 * Pauses the input the running dispatch came from and returns it (null outside a socket
 * read), for a filter that cannot take more yet (connect while its handshake is in flight).
 * The caller resumes it.
 */
export function pauseCurrentInput(): Pausable | null {
  const s = currentInput;
  if (s !== null) s.pause();
  return s;
}

/**
 * Whether some writer holds bytes not yet given to its socket (flushed at the end of this turn
 * of the event loop, or on nextTick when written outside a dispatch). A socket's writableLength does not
 * show them, so whoever takes a socket away from Node (offload hand-off) must wait for false.
 */
export function writesPending(): boolean {
  return depth > 0 || dirtyCount > 0;
}

function flushAll(): void {
  scheduled = false;
  urgent = false;
  // A flush can queue more (a write error ends a stream synchronously): loop until quiet.
  for (let i = 0; i < dirtyCount; i++) {
    const w = dirty[i]!;
    dirty[i] = null;
    w.flush();
  }
  dirtyCount = 0;
}

/** Output of a socket: queues per dispatch, writes once, pauses producers when full. */
/** Told when a socket stops taking writes and when it drains (write timeouts). */
export interface WriteWatcher {
  blocked(): void;
  drained(): void;
}

export class SocketWriter implements RawWriteOwner {
  readonly socket: Socket;
  readonly #watcher: WriteWatcher | null;
  // What this turn wrote: most write one Buffer per socket, kept without an array.
  #first: Buffer | null = null;
  #more: Buffer[] | null = null;
  // The inputs that produced it (paused if the socket is full); usually one.
  #source: Pausable | null = null;
  #sources: Pausable[] | null = null;
  #queued = 0;
  #dirty = false;
  #ending = false;
  #blocked: Pausable[] | null = null;
  /** Raw writes (raw-write.ts) libuv has not finished. */
  #inFlight = 0;
  /** Blocked by Node's Writable: released on 'drain'. */
  #awaitingDrain = false;

  constructor(socket: Socket, watcher: WriteWatcher | null) {
    this.socket = socket;
    this.#watcher = watcher;
  }

  write(buf: Buffer): void {
    if (this.#ending || buf.length === 0) return;
    if (this.#first === null) this.#first = buf;
    else (this.#more ??= []).push(buf);
    if ((this.#queued += buf.length) >= URGENT_BYTES) urgent = true;
    const src = currentInput;
    if (src !== null && src !== this.#source) {
      if (this.#source === null) this.#source = src;
      else if (this.#sources === null) this.#sources = [src];
      else if (!this.#sources.includes(src)) this.#sources.push(src);
    }
    this.#markDirty();
  }

  /** Ends the socket after what is queued has been written. */
  end(): void {
    if (this.#ending) return;
    this.#ending = true;
    this.#markDirty();
  }

  get ending(): boolean {
    return this.#ending;
  }

  #markDirty(): void {
    if (this.#dirty) return;
    this.#dirty = true;
    if (dirtyCount < dirty.length) dirty[dirtyCount] = this;
    else dirty.push(this);
    dirtyCount++;
    if (depth === 0 && !scheduled) {
      // Written outside any dispatch (a timer, a promise): flush at the end of this tick.
      scheduled = true;
      process.nextTick(flushAll);
    }
  }

  flush(): void {
    this.#dirty = false;
    const s = this.socket;
    const first = this.#first;
    const more = this.#more;
    const queued = this.#queued;
    const source = this.#source;
    const sources = this.#sources;
    this.#first = null;
    this.#more = null;
    this.#queued = 0;
    this.#source = null;
    this.#sources = null;
    if (s.destroyed) return;
    let ok = true;
    if (more === null || queued <= 16384) {
      let buf = first;
      if (more !== null) {
        // Small pieces (a head and a short body) are cheaper joined than written with writev.
        buf = Buffer.allocUnsafe(queued);
        let off = first!.copy(buf, 0);
        for (let i = 0; i < more.length; i++) off += more[i]!.copy(buf, off);
      }
      if (buf !== null) {
        const h = rawHandleOf(s);
        if (h !== null) {
          const r = writeRaw(s, h, buf, this);
          if (r < 0) return; // the socket is destroyed: 'error' and 'close' follow
          if (r > 0) {
            this.#inFlight++;
            ok = false;
          }
        } else if (!s.write(buf)) {
          ok = false;
          this.#needDrain();
        }
      }
    } else {
      s.cork();
      ok = s.write(first!);
      for (let i = 0; i < more.length; i++) ok = s.write(more[i]!);
      s.uncork();
      if (!ok) this.#needDrain();
    }
    if (this.#ending) {
      s.end();
      return;
    }
    if (!ok) {
      this.#block(source);
      if (sources !== null) for (let i = 0; i < sources.length; i++) this.#block(sources[i]!);
    }
  }

  /**
   * Bytes queued here or handed to the kernel by a raw write not yet finished: what the
   * socket's writableLength does not count.
   */
  get pending(): boolean {
    return this.#inFlight > 0 || this.#dirty;
  }

  rawWriteDone(status: number): void {
    this.#inFlight--;
    if (status < 0) {
      if (!this.socket.destroyed) this.socket.destroy(rawWriteError(status));
      this.release();
      return;
    }
    if (this.#inFlight === 0 && !this.#awaitingDrain) this.release();
  }

  #needDrain(): void {
    if (this.#awaitingDrain) return;
    this.#awaitingDrain = true;
    this.socket.once('drain', onDrain);
  }

  /** Node's Writable drained ('drain'). */
  nodeDrained(): void {
    this.#awaitingDrain = false;
    if (this.#inFlight === 0) this.release();
  }

  #block(src: Pausable | null): void {
    if (this.#blocked === null) {
      this.#blocked = [];
      this.#watcher?.blocked();
    }
    if (src !== null && !this.#blocked.includes(src)) {
      this.#blocked.push(src);
      src.pause();
    }
  }

  /** Called once the socket takes writes again (and when it goes away): resumes every paused producer. */
  release(): void {
    const b = this.#blocked;
    if (b === null) return;
    this.#blocked = null;
    for (const src of b) src.resume();
    this.#watcher?.drained();
  }
}

const kWriter = Symbol('sluice.writer');

function onDrain(this: Socket): void {
  (this as Socket & { [kWriter]?: SocketWriter })[kWriter]?.nodeDrained();
}

/** Whether the writer of `socket` (if any) holds bytes its writableLength does not show. */
export function writerPending(socket: Socket): boolean {
  return (socket as Socket & { [kWriter]?: SocketWriter })[kWriter]?.pending ?? false;
}

/** Creates the writer of a socket and links them for the shared 'drain' handler. */
export function writerFor(socket: Socket, watcher: WriteWatcher | null = null): SocketWriter {
  const w = new SocketWriter(socket, watcher);
  (socket as Socket & { [kWriter]?: SocketWriter })[kWriter] = w;
  return w;
}

/** A socket as a producer: paused while some writer downstream is full. */
export class SocketInput implements Pausable {
  readonly socket: Socket;
  #pauses = 0;
  #detached = false;
  constructor(socket: Socket) {
    this.socket = socket;
  }
  pause(): void {
    if (this.#detached) return;
    if (this.#pauses++ === 0) this.socket.pause();
  }
  resume(): void {
    if (this.#detached) return;
    if (this.#pauses > 0 && --this.#pauses === 0 && !this.socket.destroyed) this.socket.resume();
  }
  /**
   * The socket now belongs to someone else (the kernel relay after a hand-off): a late
   * 'drain' elsewhere must never resume Node's reading of it.
   */
  detach(): void {
    this.#detached = true;
  }
}
