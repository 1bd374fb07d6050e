// handle* filters: each calls back with its kind of event and passes every event on unchanged.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { pipeline } from '../../../runtime/api/pipy.ts';
import { feed, messageEvents, run, sleep, Data, StreamEnd } from '../../helpers/flow.ts';
import type { Event } from '../../../runtime/engine/event.ts';

function stream(): Event[] {
  return [...messageEvents({ path: '/a' }, 'ab', { t: '1' }), ...messageEvents({ path: '/b' }, ''), new StreamEnd('ReadTimeout')];
}
const PASSED = 'MS D(ab) ME MS ME SE(ReadTimeout)';

test('handleStreamStart: the first event, once, with the context', () => {
  const got: string[] = [];
  const { p, out } = run(pipeline<{ id: number }>(($) => $.handleStreamStart((e, ctx) => void got.push(`${e.kind}:${ctx.id}`))), { id: 9 });
  feed(p, stream());
  assert.equal(got, ['1:9']);
  assert.is(out.summary, PASSED);
  p.shutdown();
});

test('handleMessageStart: each head', () => {
  const got: string[] = [];
  const { p, out } = run(pipeline(($) => $.handleMessageStart((e: any) => void got.push(e.head.path))));
  feed(p, stream());
  assert.equal(got, ['/a', '/b']);
  assert.is(out.summary, PASSED);
  p.shutdown();
});

test('handleMessage: the whole message (head, body, tail) at its end; maxBodySize bounds what is kept', () => {
  const got: string[] = [];
  const { p, out } = run(pipeline(($) => $.handleMessage((m: any) => void got.push(`${m.head.path}|${m.body.toString()}|${JSON.stringify(m.tail)}`))));
  feed(p, stream());
  assert.equal(got, ['/a|ab|{"t":"1"}', '/b||null']);
  assert.is(out.summary, PASSED);
  p.shutdown();
  const bodies: number[] = [];
  const small = run(pipeline(($) => $.handleMessage((m) => void bodies.push(m.body.size), { maxBodySize: 4 })));
  feed(small.p, [...messageEvents({}, '').slice(0, 1), new Data('abcd'), new Data('efgh'), ...messageEvents({}, '').slice(1)]);
  assert.equal(bodies, [4]);
  assert.is(small.out.text, 'abcdefgh', 'the rest still flows');
  small.p.shutdown();
});

test('handleMessageEnd, handleData, handleStreamEnd', () => {
  const got: string[] = [];
  const l = pipeline(($) =>
    $.handleMessageEnd((e) => void got.push(`ME:${JSON.stringify(e.tail)}`))
      .handleData((d) => void got.push(`D:${d.toString()}`))
      .handleStreamEnd((e) => void got.push(`SE:${e.error}`)),
  );
  const { p, out } = run(l);
  feed(p, stream());
  assert.equal(got, ['D:ab', 'ME:{"t":"1"}', 'ME:null', 'SE:ReadTimeout']);
  assert.is(out.summary, PASSED);
  p.shutdown();
});

test('handle*: the return value is ignored unless a promise (which holds)', async () => {
  const { p, out } = run(pipeline(($) => $.handleData(() => new Data('ignored') as any).handleMessageEnd(() => sleep(5))));
  feed(p, stream());
  assert.is(out.summary, 'MS D(ab)');
  await out.until((c) => c.events.length === 6, 500);
  assert.is(out.summary, PASSED);
  p.shutdown();
});

test.run();
