// Bulk data for the streaming tests: deterministic chunks (a counter in every chunk, so a lost
// or reordered chunk changes the hash) written with back-pressure, and RSS sampling of a
// running Sluice through its /status.

import { createHash } from 'node:crypto';
import type { Writable } from 'node:stream';
import { rss } from './http.ts';

export const CHUNK = 64 * 1024;

export function chunkAt(i: number): Buffer {
  const b = Buffer.allocUnsafe(CHUNK);
  b.fill(i & 0xff);
  b.writeUInt32BE(i, 0);
  b.writeUInt32BE(i ^ 0x5a5a5a5a, CHUNK - 4);
  return b;
}

/** sha256 of `n` chunks, as the writer sends them. */
export function expectedHash(n: number): string {
  const h = createHash('sha256');
  for (let i = 0; i < n; i++) h.update(chunkAt(i));
  return h.digest('hex');
}

/**
 * Writes `n` chunks to `w`, waiting for 'drain' whenever write() returns false. Reports every
 * stall; `stats.written` counts the bytes handed to w.
 */
export async function writeChunks(w: Writable, n: number, stats: { written: number; stalls: number }, end = true): Promise<void> {
  for (let i = 0; i < n; i++) {
    const ok = w.write(chunkAt(i));
    stats.written += CHUNK;
    if (!ok) {
      stats.stalls++;
      await new Promise<void>((resolve, reject) => {
        const onDrain = () => (w.off('close', onClose), resolve());
        const onClose = () => (w.off('drain', onDrain), reject(new Error('closed while writing')));
        w.once('drain', onDrain);
        w.once('close', onClose);
      });
    }
  }
  if (end) w.end();
}

/** Samples a Sluice's RSS every `ms` until stopped; `max` is the peak seen. */
export function sampleRss(adminPort: number, ms = 50): { max: number; samples: number; stop(): Promise<void> } {
  const s = { max: 0, samples: 0, stop: async () => {} };
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        const v = await rss(adminPort);
        s.samples++;
        if (v > s.max) s.max = v;
      } catch {
        /* the admin port may be busy; try again */
      }
      await new Promise((r) => setTimeout(r, ms));
    }
  })();
  s.stop = async () => {
    running = false;
    await loop;
  };
  return s;
}

export const MB = 1 << 20;
