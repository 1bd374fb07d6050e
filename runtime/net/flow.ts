// Write batching and back-pressure across pipelines (Pipy's InputContext and Tap).
//
// Every event chain starts at an input: a socket read, a timer, a resolved promise. While the
// chain runs, `currentInput` names the socket it started from. Writers do not write at once:
// they queue buffers and mark themselves dirty; when the outermost dispatch returns, every dirty
// writer flushes once (one write, or one writev for several buffers). A writer whose socket
// refuses more (write() returned false) pauses the input that produced the data and resumes it
// on 'drain'. That bounds buffering across demux and mux without either knowing of the other.
//
//   socket A 'data' --> dispatch(A, ...) --> pipeline ... --> writer B.queue(buf)
//                                                              (dirty)
//   dispatch returns  --> flushAll() --> B.socket.write(buf) === false --> A.pause()
//   B 'drain'         --> A.resume()

import type { Socket } from 'node:net';

export interface Pausable {
  pause(): void;
  resume(): void;
}

let currentInput: Pausable | null = null;
let depth = 0;
let scheduled = false;
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
    // Flush before restoring: a full writer pauses `currentInput`, which must still be the
    // source whose data filled it (restored first, it was always null here: no back-pressure).
    if (depth === 0) flushAll();
    currentInput = saved;
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
 * Whether some writer holds bytes not yet given to its socket: inside a dispatch (flushed when
 * it returns) or written outside one (flushed on nextTick). A socket's writableLength does not
 * show them, so whoever takes a socket away from Node (offload hand-off) must wait for false.
 */
export function writesPending(): boolean {
  return depth > 0 || dirtyCount > 0;
}

function flushAll(): void {
  scheduled = false;
  // A flush can queue more (a write error ends a stream synchronously): loop until quiet.
  for (let i = 0; i < dirtyCount; i++) {
    const w = dirty[i]!;
    dirty[i] = null;
    w.flush();
  }
  dirtyCount = 0;
}

function scheduledFlush(): void {
  if (depth === 0) flushAll();
}

/** Output of a socket: queues per dispatch, writes once, pauses producers when full. */
/** Told when a socket stops taking writes and when it drains (write timeouts). */
export interface WriteWatcher {
  blocked(): void;
  drained(): void;
}

export class SocketWriter {
  readonly socket: Socket;
  readonly #watcher: WriteWatcher | null;
  // What this dispatch wrote: most write one Buffer per socket, kept without an array.
  #first: Buffer | null = null;
  #more: Buffer[] | null = null;
  #queued = 0;
  #dirty = false;
  #ending = false;
  #blocked: Pausable[] | null = null;

  constructor(socket: Socket, watcher: WriteWatcher | null) {
    this.socket = socket;
    this.#watcher = watcher;
  }

  write(buf: Buffer): void {
    if (this.#ending || buf.length === 0) return;
    if (this.#first === null) this.#first = buf;
    else (this.#more ??= []).push(buf);
    this.#queued += buf.length;
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
      process.nextTick(scheduledFlush);
    }
  }

  flush(): void {
    this.#dirty = false;
    const s = this.socket;
    const first = this.#first;
    const more = this.#more;
    const queued = this.#queued;
    this.#first = null;
    this.#more = null;
    this.#queued = 0;
    if (s.destroyed) return;
    let ok = true;
    if (more === null) {
      if (first !== null) ok = s.write(first);
    } else if (queued <= 16384) {
      // Small pieces (a head and a short body) are cheaper joined than written with writev.
      const all = Buffer.allocUnsafe(queued);
      let off = first!.copy(all, 0);
      for (let i = 0; i < more.length; i++) off += more[i]!.copy(all, off);
      ok = s.write(all);
    } else {
      s.cork();
      ok = s.write(first!);
      for (let i = 0; i < more.length; i++) ok = s.write(more[i]!);
      s.uncork();
    }
    if (this.#ending) {
      s.end();
      return;
    }
    if (!ok) this.#block(currentInput);
  }

  #block(src: Pausable | null): void {
    if (this.#blocked === null) {
      this.#blocked = [];
      this.socket.once('drain', onDrain);
      this.#watcher?.blocked();
    }
    if (src !== null && !this.#blocked.includes(src)) {
      this.#blocked.push(src);
      src.pause();
    }
  }

  /** Called on 'drain' (and when the socket goes away): resumes every paused producer. */
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
  (this as Socket & { [kWriter]?: SocketWriter })[kWriter]?.release();
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
