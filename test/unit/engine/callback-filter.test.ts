// CallbackFilter (the base of handle*/replace*): a throw ends the stream with RuntimeError and
// the script's file:line; a promise holds later events, in order, until it settles; a
// rejection is a RuntimeError; nothing is emitted after the pipeline ended.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { pipeline } from '../../../runtime/api/pipy.ts';
import { counters } from '../../../runtime/admin/counters.ts';
import { feed, messageEvents, run, scriptModule, sleep, Data, Message, StreamEnd } from '../../helpers/flow.ts';

test('a throw becomes StreamEnd(RuntimeError) naming the script file:line; later input is dropped', async () => {
  const m = await scriptModule('export function cb() {\n  const x = null;\n  return x.boom;\n}\n');
  const before = counters.scriptErrors;
  const { p, out } = run(pipeline(($) => $.handleData(m.cb)));
  p.input(new Data('a'));
  p.input(new Data('b'));
  assert.is(out.summary, 'SE(RuntimeError)');
  assert.match(out.ended!.message, /^handleData: .*null.* \(at .*script\.mjs:3:\d+\)$/);
  assert.is(counters.scriptErrors, before + 1);
  p.shutdown();
});

test('a promise holds the events behind it and keeps their order', async () => {
  const resolvers: ((v?: unknown) => void)[] = [];
  const { p, out } = run(pipeline(($) => $.handleMessageStart(() => new Promise((r) => resolvers.push(r)))));
  feed(p, messageEvents({ n: 1 }, 'one'));
  feed(p, messageEvents({ n: 2 }, 'two'));
  p.input(new StreamEnd());
  assert.is(out.summary, '', 'the first MessageStart waits, and everything behind it');
  resolvers[0]!();
  await sleep(1);
  assert.is(out.summary, 'MS D(one) ME', 'second head waits on its own promise');
  assert.is(resolvers.length, 2);
  resolvers[1]!();
  await sleep(1);
  assert.is(out.summary, 'MS D(one) ME MS D(two) ME SE');
  p.shutdown();
});

test('a replace* promise: its value replaces the event, in order', async () => {
  const { p, out } = run(pipeline(($) => $.replaceData((d) => sleep(5).then(() => new Data(d.toString().toUpperCase())))));
  p.input(new Data('a'));
  p.input(new Data('b'));
  p.input(new StreamEnd());
  await out.until((c) => c.events.length === 3, 500);
  assert.is(out.summary, 'D(A) D(B) SE');
  p.shutdown();
});

test('a rejection becomes RuntimeError', async () => {
  const { p, out } = run(pipeline(($) => $.replaceMessage(() => Promise.reject(new Error('nope')))));
  feed(p, messageEvents({}, 'x'));
  p.input(new StreamEnd());
  await sleep(2);
  assert.is(out.summary, 'SE(RuntimeError)');
  assert.match(out.ended!.message, /replaceMessage: nope/);
  p.shutdown();
});

test('a promise settling after shutdown emits nothing', async () => {
  let resolve!: (v: unknown) => void;
  const { p, out } = run(pipeline(($) => $.replaceMessage(() => new Promise<any>((r) => (resolve = r)))));
  feed(p, messageEvents({}, 'x'));
  p.shutdown();
  resolve(new Message('late'));
  await sleep(2);
  assert.is(out.summary, '');
});

test.run();
