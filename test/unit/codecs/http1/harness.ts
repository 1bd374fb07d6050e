// Shared helpers for the HTTP/1.1 codec tests: a recording sink and fixture loading.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequestDecoder, createResponseDecoder } from '../../../../runtime/codecs/http1/decoder.ts';
import type { RequestHead, ResponseHead } from '../../../../runtime/codecs/http1/head.ts';
import type { DecoderSink, Http1Limits, RequestDecoder, ResponseDecoder } from '../../../../runtime/codecs/http1/types.ts';

export type Ev =
  | { head: Record<string, unknown>; length: number }
  | { body: string }
  | { end: Record<string, string> | null }
  | { error: [number, string] }
  | { tunnel: string };

export interface Fixture {
  name: string;
  input: Buffer;
  decoder: 'request' | 'response';
  limits?: Partial<Http1Limits>;
  expect?: string[];
  acceptTunnel?: boolean;
  end?: boolean;
  events: Ev[];
}

/** Finds the repository root from the compiled test's location (dist-codec or dist, or the sources). */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'test', 'fixtures', 'http1'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('test/fixtures/http1 not found');
    dir = up;
  }
  return dir;
}

export function loadFixtures(): Fixture[] {
  const dir = join(repoRoot(), 'test', 'fixtures', 'http1');
  const out: Fixture[] = [];
  for (const f of readdirSync(dir).sort()) {
    if (!f.endsWith('.in')) continue;
    const name = f.slice(0, -3);
    const desc = JSON.parse(readFileSync(join(dir, name + '.out'), 'utf8'));
    out.push({ name, input: readFileSync(join(dir, f)), ...desc });
  }
  return out;
}

function headJson(h: RequestHead | ResponseHead): Record<string, unknown> {
  const raw = h.rawHeaders() ? [...h.rawHeaders()!] : null;
  if ('method' in h) return { method: h.method, path: h.path, protocol: h.protocol, raw };
  return { status: h.status, statusText: h.statusText, protocol: h.protocol, raw };
}

/**
 * Records decoder events, merging adjacent body / tunnel pieces (how bytes are split into
 * views depends on how the input was split; the bytes do not). Also asserts the contract:
 * nothing after an error.
 */
export class Recorder<H extends RequestHead | ResponseHead> implements DecoderSink<H> {
  events: Ev[] = [];
  views: Buffer[] = [];
  onEndHook: (() => void) | null = null;
  #dead = false;
  #check(): void {
    if (this.#dead) throw new Error('event after onError');
  }
  onHead(head: H, length: number): void {
    this.#check();
    this.events.push({ head: headJson(head), length });
  }
  onBody(chunk: Buffer): void {
    this.#check();
    if (chunk.length === 0) throw new Error('empty body chunk');
    this.views.push(chunk);
    const last = this.events[this.events.length - 1];
    if (last && 'body' in last) last.body += chunk.toString('latin1');
    else this.events.push({ body: chunk.toString('latin1') });
  }
  onEnd(trailers: Record<string, string> | null): void {
    this.#check();
    this.events.push({ end: trailers });
    this.onEndHook?.();
  }
  onError(status: number, reason: string): void {
    this.#check();
    this.#dead = true;
    this.events.push({ error: [status, reason] });
  }
  onTunnel(chunk: Buffer): void {
    this.#check();
    if (chunk.length === 0) throw new Error('empty tunnel chunk');
    const last = this.events[this.events.length - 1];
    if (last && 'tunnel' in last) last.tunnel += chunk.toString('latin1');
    else this.events.push({ tunnel: chunk.toString('latin1') });
  }
}

/**
 * Runs a fixture with the input cut into `pieces`. `acceptInCallback` answers acceptTunnel
 * synchronously from onEnd (as a filter that already knows may), else after each write.
 */
export function runFixture(fx: Fixture, pieces: Buffer[], acceptInCallback: boolean): Ev[] {
  if (fx.decoder === 'request') {
    const rec = new Recorder<RequestHead>();
    const dec: RequestDecoder = createRequestDecoder(rec, fx.limits);
    if (acceptInCallback) {
      rec.onEndHook = () => {
        if (dec.awaitingTunnel) dec.acceptTunnel(fx.acceptTunnel ?? false);
      };
    }
    for (const p of pieces) {
      dec.write(p);
      if (dec.awaitingTunnel) dec.acceptTunnel(fx.acceptTunnel ?? false);
    }
    if (fx.end) dec.end();
    return rec.events;
  }
  const rec = new Recorder<ResponseHead>();
  const dec: ResponseDecoder = createResponseDecoder(rec, fx.limits);
  for (const m of fx.expect ?? []) dec.expect(m);
  for (const p of pieces) dec.write(p);
  if (fx.end) dec.end();
  return rec.events;
}

/** All the ways the fixture tests cut an input: whole, every 2-way split, byte by byte. */
export function* splits(input: Buffer): Generator<[string, Buffer[]]> {
  yield ['whole', [input]];
  for (let i = 1; i < input.length; i++) yield [`split@${i}`, [input.subarray(0, i), input.subarray(i)]];
  const bytes: Buffer[] = [];
  for (let i = 0; i < input.length; i++) bytes.push(input.subarray(i, i + 1));
  yield ['bytes', bytes];
}

/** mulberry32: small, seeded, good enough to pick sizes and cases. */
export function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
