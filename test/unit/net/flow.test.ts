// Write batching per event-loop turn and back-pressure to the inputs that fed a writer
// (runtime/net/flow.ts), with a stand-in socket that records writes.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { dispatch, writerFor, writesPending, type Pausable } from '../../../runtime/net/flow.ts';

class FakeSocket extends EventEmitter {
  writes: Buffer[] = [];
  accept = true;
  destroyed = false;
  write(b: Buffer): boolean {
    this.writes.push(Buffer.from(b));
    return this.accept;
  }
  cork(): void {}
  uncork(): void {}
  end(): void {}
}

class Source implements Pausable {
  paused = 0;
  pause(): void {
    this.paused++;
  }
  resume(): void {
    this.paused--;
  }
}

function run<A>(src: Pausable | null, fn: (a: A) => void, arg: A): void {
  dispatch(src, null, function (this: null, a: A) {
    fn(a);
  }, arg);
}

const turn = () => new Promise<void>((r) => setImmediate(r));

test('writes from several dispatches in one turn leave as one socket write, after the reads', async () => {
  const sock = new FakeSocket();
  const w = writerFor(sock as unknown as Socket);
  run(new Source(), (b: Buffer) => w.write(b), Buffer.from('one '));
  assert.is(sock.writes.length, 0, 'not written when the first dispatch returns');
  assert.ok(writesPending());
  run(new Source(), (b: Buffer) => w.write(b), Buffer.from('two'));
  assert.is(sock.writes.length, 0);
  await turn();
  assert.is(sock.writes.length, 1);
  assert.is(sock.writes[0]!.toString(), 'one two');
  assert.not.ok(writesPending());
});

test('a writer holding a full read (64 KiB) is written when its dispatch returns', () => {
  const sock = new FakeSocket();
  const w = writerFor(sock as unknown as Socket);
  run(new Source(), (b: Buffer) => w.write(b), Buffer.alloc(65536, 1));
  assert.is(sock.writes.length, 1);
  assert.is(sock.writes[0]!.length, 65536);
  assert.not.ok(writesPending());
});

test('a full socket pauses every input that wrote into it this turn, and drain resumes them', async () => {
  const sock = new FakeSocket();
  sock.accept = false;
  const w = writerFor(sock as unknown as Socket);
  const a = new Source();
  const b = new Source();
  run(a, (x: Buffer) => w.write(x), Buffer.from('a'));
  run(b, (x: Buffer) => w.write(x), Buffer.from('b'));
  run(a, (x: Buffer) => w.write(x), Buffer.from('a'));
  await turn();
  assert.is(a.paused, 1, 'a paused once');
  assert.is(b.paused, 1, 'b paused once');
  sock.emit('drain');
  assert.is(a.paused, 0);
  assert.is(b.paused, 0);
});

test('a write outside any dispatch (a timer) is flushed within the same tick', async () => {
  const sock = new FakeSocket();
  const w = writerFor(sock as unknown as Socket);
  w.write(Buffer.from('late'));
  await Promise.resolve();
  await new Promise<void>((r) => process.nextTick(r));
  assert.is(sock.writes.length, 1);
});

test.run();
