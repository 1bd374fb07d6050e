import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { pipeline } from '../../../runtime/api/pipy.ts';
import { configError, feed, messageEvents, run, sleep, Data, Message, MessageStart, StreamEnd } from '../../helpers/flow.ts';

test('insert: a constant goes out ahead of the first event, once', () => {
  const layout = pipeline(($) => $.insert(new Data('hello ')));
  const { p, out } = run(layout);
  p.input(new Data('a'));
  p.input(new Data('b'));
  assert.is(out.summary, 'D(hello ) D(a) D(b)');
  p.shutdown();
});

test('insert: a function gets the context; Messages and arrays become events', () => {
  const layout = pipeline<{ name: string }>(($) => $.insert((ctx) => [new Message({ n: 1 }, ctx.name), 'x']));
  const { p, out } = run(layout, { name: 'bob' });
  p.input(new StreamEnd());
  assert.is(out.summary, 'MS D(bob) ME D(x) SE');
  assert.equal((out.events[0] as MessageStart).head, { n: 1 });
  p.shutdown();
});

test('insert: a promise does not hold the stream; its events come when it resolves', async () => {
  let resolve!: (v: unknown) => void;
  const layout = pipeline(($) => $.insert(() => new Promise<any>((r) => (resolve = r))));
  const { p, out } = run(layout);
  p.input(new Data('a'));
  assert.is(out.summary, 'D(a)');
  resolve(new Data('late'));
  await sleep(5);
  assert.is(out.summary, 'D(a) D(late)');
  p.shutdown();
});

test('insert: a rejected promise ends the stream with RuntimeError', async () => {
  const layout = pipeline(($) => $.insert(() => Promise.reject(new Error('nope'))));
  const { p, out } = run(layout);
  p.input(new Data('a'));
  await sleep(5);
  assert.is(out.summary, 'D(a) SE(RuntimeError)');
  p.input(new Data('b'));
  assert.is(out.summary, 'D(a) SE(RuntimeError)');
  p.shutdown();
});

test('insert: something that is not an event is a RuntimeError', () => {
  const layout = pipeline(($) => $.insert(() => ({ not: 'an event' }) as any));
  const { p, out } = run(layout);
  feed(p, messageEvents({}, 'x'));
  assert.is(out.summary, 'SE(RuntimeError)');
  p.shutdown();
});

test('insert: no argument is a ConfigError', async () => {
  const err = await configError('pipeline(($) => $.insert());');
  assert.is(err.code, 'ConfigInvalid');
  assert.match(err.message, /insert\(\) at .*script\.mjs:4:/);
});

test.run();
