// Seeded random tests: streams of valid pipelined messages cut at random points must decode
// to exactly the messages generated; mutated streams must never throw and must be accepted
// or rejected the same way however they are cut.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRequestDecoder, createResponseDecoder } from '../../../../runtime/codecs/http1/decoder.ts';
import { createRequestEncoder } from '../../../../runtime/codecs/http1/encoder.ts';
import type { RequestHead, ResponseHead } from '../../../../runtime/codecs/http1/head.ts';
import { Recorder, rng, type Ev } from './harness.ts';

const TCHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

function word(r: () => number, n: number, chars = TCHARS): string {
  let s = '';
  for (let i = 0; i < n; i++) s += chars[Math.floor(r() * chars.length)];
  return s;
}

/** Field-value text: visible ASCII, inner spaces, some obs-text. */
function value(r: () => number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) {
    const x = r();
    s += x < 0.05 ? ' ' : x < 0.08 ? String.fromCharCode(0x80 + Math.floor(r() * 128)) : String.fromCharCode(0x21 + Math.floor(r() * 94));
  }
  return s.trim() || 'v';
}

function sizes(r: () => number): number {
  const x = r();
  return x < 0.6 ? Math.floor(r() * 20) : x < 0.9 ? Math.floor(r() * 600) : Math.floor(r() * 7000);
}

interface Gen {
  bytes: string;
  events: Ev[];
}

function genRequests(r: () => number, count: number): Gen {
  let bytes = '';
  const events: Ev[] = [];
  for (let m = 0; m < count; m++) {
    const method = pick(r, ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'PURGE']);
    const path = '/' + word(r, Math.floor(r() * 30), TCHARS + '/?=&%');
    const raw: string[] = ['Host', word(r, 1 + Math.floor(r() * 20), 'abcdefghijklmnopqrstuvwxyz0123456789-.') + (r() < 0.5 ? ':' + Math.floor(r() * 65536) : '')];
    const nh = Math.floor(r() * 12);
    for (let i = 0; i < nh; i++) {
      let name = word(r, 1 + Math.floor(r() * 20));
      if (/^(host|content-length|transfer-encoding|connection|upgrade)$/i.test(name)) name = 'x' + name;
      raw.push(name, value(r, sizes(r)));
    }
    const bodyKind = method === 'GET' || method === 'DELETE' || method === 'OPTIONS' ? 0 : 1 + Math.floor(r() * 2);
    const body = bodyKind ? word(r, sizes(r), TCHARS + '\r\n \t') : '';
    if (bodyKind === 1) raw.push('Content-Length', String(body.length));
    if (bodyKind === 2) raw.push('Transfer-Encoding', 'chunked');
    const leading = r() < 0.05 ? '\r\n' : '';
    bytes += leading + `${method} ${path} HTTP/1.1\r\n`;
    for (let i = 0; i < raw.length; i += 2) bytes += `${raw[i]}:${r() < 0.5 ? ' ' : ''}${raw[i + 1]}${r() < 0.2 ? ' \t' : ''}\r\n`;
    bytes += '\r\n';
    events.push({ head: { method, path, protocol: 'HTTP/1.1', raw }, length: bodyKind === 2 ? -1 : body.length });
    if (bodyKind === 2) {
      let rest = body;
      while (rest.length) {
        const n = 1 + Math.floor(r() * rest.length);
        bytes += n.toString(r() < 0.5 ? 16 : 16).toUpperCase() + (r() < 0.2 ? ';ext=' + word(r, 3) : '') + '\r\n' + rest.slice(0, n) + '\r\n';
        rest = rest.slice(n);
      }
      bytes += '0\r\n';
      const trailers: Record<string, string> = {};
      if (r() < 0.5) {
        const tn = 'x-t' + word(r, 3).toLowerCase();
        const tv = value(r, 5);
        trailers[tn] = tv;
        bytes += `${tn}: ${tv}\r\n`;
      }
      bytes += '\r\n';
      if (body.length) events.push({ body });
      events.push({ end: Object.keys(trailers).length ? trailers : null });
    } else {
      bytes += body;
      if (body.length) events.push({ body });
      events.push({ end: null });
    }
  }
  return { bytes, events };
}

function cut(r: () => number, buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let i = 0;
  while (i < buf.length) {
    const x = r();
    const n = x < 0.3 ? 1 + Math.floor(r() * 4) : x < 0.8 ? 1 + Math.floor(r() * 300) : 1 + Math.floor(r() * 20000);
    out.push(buf.subarray(i, i + n));
    i += n;
  }
  return out;
}

function decodeReq(pieces: Buffer[], limits?: { maxHeadSize: number }): Ev[] {
  const rec = new Recorder<RequestHead>();
  const dec = createRequestDecoder(rec, limits);
  for (const p of pieces) dec.write(p);
  dec.end();
  return rec.events;
}

test('random valid pipelined requests decode exactly, however cut', () => {
  const r = rng(12345);
  for (let round = 0; round < 60; round++) {
    const g = genRequests(r, 1 + Math.floor(r() * 25));
    const input = Buffer.from(g.bytes, 'latin1');
    assert.equal(decodeReq([input], { maxHeadSize: 64 * 1024 }), g.events, `round ${round} whole`);
    for (let k = 0; k < 4; k++) {
      assert.equal(decodeReq(cut(r, input), { maxHeadSize: 64 * 1024 }), g.events, `round ${round} cut ${k}`);
    }
  }
});

test('decode → encode → decode keeps every message', () => {
  const r = rng(777);
  for (let round = 0; round < 20; round++) {
    const g = genRequests(r, 1 + Math.floor(r() * 10));
    const outs: Buffer[] = [];
    const enc = createRequestEncoder((b) => outs.push(b), { bufferSize: Math.floor(r() * 100) });
    const dec = createRequestDecoder({
      onHead: (h, len) => enc.start(h, len),
      onBody: (c) => enc.body(c),
      onEnd: (t) => enc.end(t),
      onError: (s, reason) => assert.unreachable(`${s} ${reason}`),
      onTunnel: () => assert.unreachable('tunnel'),
    }, { maxHeadSize: 64 * 1024 });
    for (const p of cut(r, Buffer.from(g.bytes, 'latin1'))) dec.write(p);
    const again = decodeReq(outs, { maxHeadSize: 64 * 1024 });
    // Same messages; framing headers are the encoder's own now, so compare without them.
    const strip = (evs: Ev[]) =>
      evs.map((e) => {
        if (!('head' in e)) return e;
        const raw = (e.head['raw'] as string[]).slice();
        const kept: string[] = [];
        for (let i = 0; i < raw.length; i += 2) if (!/^(content-length|transfer-encoding)$/i.test(raw[i]!)) kept.push(raw[i]!, raw[i + 1]!);
        return { head: { ...e.head, raw: kept }, body: e.length !== 0 };
      });
    const merged = (evs: Ev[]) => strip(evs).filter((e) => !('body' in e && typeof e.body === 'string'));
    const a = merged(again);
    const x = merged(g.events);
    const bad = a.findIndex((e, i) => JSON.stringify(e) !== JSON.stringify(x[i]));
    assert.is(bad, -1, `round ${round}: ${JSON.stringify(a[bad])} vs ${JSON.stringify(x[bad])}`);
    assert.is(a.length, x.length);
    const bodies = (evs: Ev[]) => evs.filter((e) => 'body' in e).map((e) => (e as { body: string }).body).join('|');
    assert.is(bodies(again), bodies(g.events));
  }
});

test('mutated streams never throw and get the same verdict however cut', () => {
  const r = rng(4242);
  const verdict = (evs: Ev[]) => evs.map((e) => ('error' in e ? 'error' : JSON.stringify(e)));
  for (let round = 0; round < 300; round++) {
    const g = genRequests(r, 1 + Math.floor(r() * 4));
    const input = Buffer.from(g.bytes, 'latin1');
    const muts = 1 + Math.floor(r() * 3);
    for (let i = 0; i < muts; i++) {
      const at = Math.floor(r() * input.length);
      input[at] = pick(r, [0x0a, 0x0d, 0x20, 0x09, 0x00, 0x3a, 0x3b, 0x30, 0x41, 0x7f, 0xff, Math.floor(r() * 256)]);
    }
    const whole = verdict(decodeReq([input]));
    for (let k = 0; k < 3; k++) assert.equal(verdict(decodeReq(cut(r, input))), whole, `round ${round}`);
    const bytes: Buffer[] = [];
    for (let i = 0; i < input.length; i++) bytes.push(input.subarray(i, i + 1));
    assert.equal(verdict(decodeReq(bytes)), whole, `round ${round} bytes`);
  }
});

test('random responses with a method FIFO decode the same however cut', () => {
  const r = rng(99);
  for (let round = 0; round < 40; round++) {
    let bytes = '';
    const methods: string[] = [];
    const n = 1 + Math.floor(r() * 10);
    for (let i = 0; i < n; i++) {
      const method = pick(r, ['GET', 'HEAD', 'POST']);
      methods.push(method);
      if (r() < 0.2) bytes += 'HTTP/1.1 100 Continue\r\n\r\n';
      const status = pick(r, [200, 201, 204, 304, 404, 500]);
      const body = status === 204 || status === 304 ? '' : word(r, sizes(r));
      if (r() < 0.5 || method === 'HEAD' || status === 204 || status === 304) {
        bytes += `HTTP/1.1 ${status} X\r\nContent-Length: ${body.length}\r\n\r\n`;
        if (method !== 'HEAD') bytes += body;
      } else {
        bytes += `HTTP/1.1 ${status} X\r\nTransfer-Encoding: chunked\r\n\r\n`;
        if (body.length) bytes += body.length.toString(16) + '\r\n' + body + '\r\n';
        bytes += '0\r\n\r\n';
      }
    }
    const input = Buffer.from(bytes, 'latin1');
    const run = (pieces: Buffer[]) => {
      const rec = new Recorder<ResponseHead>();
      const dec = createResponseDecoder(rec);
      for (const m of methods) dec.expect(m);
      for (const p of pieces) dec.write(p);
      dec.end();
      return rec.events;
    };
    const whole = run([input]);
    assert.not.ok(whole.some((e) => 'error' in e), JSON.stringify(whole.find((e) => 'error' in e)));
    assert.is(whole.filter((e) => 'end' in e).length, n + (bytes.split('100 Continue').length - 1));
    for (let k = 0; k < 4; k++) assert.equal(run(cut(r, input)), whole, `round ${round}`);
  }
});

test.run();
