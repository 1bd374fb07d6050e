// The one buffer every socket Sluice reads reads into (net's `onread` option), for accepted
// and upstream sockets alike. A read callback copies its bytes out at their exact size before
// anything else runs, so sharing it is safe: libuv never runs two read callbacks at once, and
// nothing downstream ever holds a view of it. Against the Readable path this saves, per read,
// the push/'data' emit/maybeReadMore nextTick and a 64 KiB allocation (bench/RESULTS.md).

export const READ_BUFFER = Buffer.allocUnsafe(65536);

/** The `n` bytes just read, as a Buffer of their own. */
export function takeRead(n: number): Buffer {
  const copy = Buffer.allocUnsafe(n);
  READ_BUFFER.copy(copy, 0, 0, n);
  return copy;
}
