import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Data, Kind, Message, MessageEnd, MessageStart, StreamEnd, isEvent } from '../../../runtime/engine/event.ts';

test('Data: from string, Buffer, Uint8Array, Data; size and text', () => {
  assert.is(new Data().size, 0);
  assert.is(new Data('héllo').size, 6);
  assert.is(new Data('aGk=', 'base64').toString(), 'hi');
  const u = new Uint8Array([0, 104, 105, 0]).subarray(1, 3);
  assert.is(new Data(u).toString(), 'hi');
  const d = new Data('abc');
  const copy = new Data(d);
  d.push('def');
  assert.is(copy.toString(), 'abc', 'a copy does not see later pushes');
  assert.is(d.kind, Kind.Data);
});

test('Data.of wraps without copying; empty buffers add no chunk', () => {
  const b = Buffer.from('xyz');
  const d = Data.of(b);
  assert.is(d.chunks[0], b);
  assert.is(Data.of(Buffer.alloc(0)).chunks.length, 0);
  assert.is(new Data('').chunks.length, 0);
});

test('Data.push: strings, Buffers and Data, without copying chunks', () => {
  const b1 = Buffer.from('ab');
  const d = new Data();
  d.push(b1).push('cd').push(new Data('ef')).push(Buffer.alloc(0));
  assert.is(d.size, 6);
  assert.is(d.chunks.length, 3);
  assert.is(d.chunks[0], b1);
  assert.is(d.toString(), 'abcdef');
});

test('Data.shift: across chunk boundaries, more than there is, zero', () => {
  const d = new Data();
  d.push('abc').push('def').push('gh');
  assert.is(d.shift(2).toString(), 'ab');
  assert.is(d.size, 6);
  assert.is(d.shift(3).toString(), 'cde');
  assert.is(d.shift(0).size, 0);
  assert.is(d.shift(10).toString(), 'fgh');
  assert.is(d.size, 0);
  assert.is(d.shift(1).size, 0);
});

test('Data.toBuffer: one chunk is returned as is; several are joined once', () => {
  const b = Buffer.from('one');
  assert.is(Data.of(b).toBuffer(), b);
  const d = new Data('a').push('b').push('c');
  const j = d.toBuffer();
  assert.is(j.toString(), 'abc');
  assert.is(d.chunks.length, 1);
  assert.is(d.toBuffer(), j, 'joined once, then reused');
  assert.is(new Data().toBuffer().length, 0);
});

test('Message: head, body, tail; a lone string or Data is the body', () => {
  const m1 = new Message('text');
  assert.equal(m1.head, {});
  assert.is(m1.body.toString(), 'text');
  assert.is(m1.tail, null);
  const m2 = new Message({ status: 404 }, 'nf', { 'x-t': '1' });
  assert.equal(m2.head, { status: 404 });
  assert.is(m2.body.toString(), 'nf');
  assert.equal(m2.tail, { 'x-t': '1' });
  const body = new Data('d');
  assert.is(new Message(null, body).body, body);
  assert.is(new Message(Buffer.from('b')).body.toString(), 'b');
  assert.is(new Message().body.size, 0);
  assert.ok(Message.isMessage(m1));
  assert.not.ok(isEvent(m1));
});

test('events: kinds, defaults, StreamEnd codes', () => {
  const ms = new MessageStart();
  assert.equal(ms.head, {});
  assert.is(ms.length, -1);
  assert.is(new MessageEnd().tail, null);
  const se = new StreamEnd('ConnectionRefused', 'no');
  assert.is(se.error, 'ConnectionRefused');
  assert.is(StreamEnd.OK.error, '');
  assert.equal([ms.kind, new MessageEnd().kind, se.kind], [Kind.MessageStart, Kind.MessageEnd, Kind.StreamEnd]);
  assert.ok(isEvent(se) && isEvent(ms) && isEvent(new Data()));
});

test.run();
