import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { pipeline } from '../../../runtime/api/pipy.ts';
import { configError, feed, messageEvents, run, scriptModule, sleep, Data, Message } from '../../helpers/flow.ts';

test('onStart: starting events go in ahead of the first input, through the whole pipeline', () => {
  const seen: string[] = [];
  // Written after another filter: it still runs first (it belongs to the pipeline).
  const layout = pipeline(($) => $.handleData((d) => void seen.push(d.toString())).onStart(() => new Data('hello ')));
  const { p, out } = run(layout);
  p.input(new Data('world'));
  assert.is(out.text, 'hello world');
  assert.equal(seen, ['hello ', 'world']);
  p.shutdown();
});

test('onStart: fires without any input, once the creator has returned', async () => {
  let calls = 0;
  const layout = pipeline<{ who: string }>(($) => $.onStart((ctx) => (calls++, new Message({}, `hi ${ctx.who}`))));
  const { p, out } = run(layout, { who: 'you' });
  assert.is(calls, 0);
  await sleep(1);
  assert.is(calls, 1);
  assert.is(out.summary, 'MS D(hi you) ME');
  p.input(new Data('x'));
  assert.is(calls, 1);
  assert.is(out.summary, 'MS D(hi you) ME D(x)');
  p.shutdown();
});

test('onStart: a promise holds the input until it resolves', async () => {
  let resolve!: (v: unknown) => void;
  const layout = pipeline(($) => $.onStart(() => new Promise<any>((r) => (resolve = r))));
  const { p, out } = run(layout);
  feed(p, messageEvents({}, 'x'));
  assert.is(out.summary, '');
  resolve(new Data('first'));
  await sleep(2);
  assert.is(out.summary, 'D(first) MS D(x) ME');
  p.shutdown();
});

test('onStart: returning nothing is fine; returning a non-event is a RuntimeError', () => {
  const ok = run(pipeline(($) => $.onStart(() => undefined)));
  ok.p.input(new Data('x'));
  assert.is(ok.out.summary, 'D(x)');
  ok.p.shutdown();
  const bad = run(pipeline(($) => $.onStart(() => 42 as any)));
  bad.p.input(new Data('x'));
  assert.is(bad.out.summary, 'SE(RuntimeError)');
  bad.p.shutdown();
});

test('onStart: a throw names the script line; twice in one pipeline is a ConfigError', async () => {
  const m = await scriptModule('export const start = () => {\n  throw new Error("s");\n};\n');
  const { p, out } = run(pipeline(($) => $.onStart(m.start)));
  p.input(new Data('x'));
  assert.is(out.summary, 'SE(RuntimeError)');
  assert.match(out.ended!.message, /onStart: s \(at .*script\.mjs:2:/);
  p.shutdown();
  const err = await configError('pipeline(($) => $.onStart(null).onStart(null));');
  assert.is(err.code, 'ConfigInvalid');
  assert.match(err.message, /one onStart\(\)/);
});

test('onEnd: called once, with the context, when the pipeline shuts down', () => {
  const ends: unknown[] = [];
  const layout = pipeline<{ n: number }>(($) => $.onEnd((ctx) => ends.push(ctx.n)));
  const { p, out } = run(layout, { n: 7 });
  feed(p, messageEvents({}, 'x'));
  assert.is(out.summary, 'MS D(x) ME');
  assert.equal(ends, []);
  p.shutdown();
  p.shutdown();
  assert.equal(ends, [7]);
});

test('onEnd: a throw is logged, not fatal', async () => {
  const m = await scriptModule('export const end = () => {\n  throw new Error("e");\n};\n');
  const { p } = run(pipeline(($) => $.onEnd(m.end)));
  p.input(new Data('x'));
  p.shutdown();
  const err = await configError('pipeline(($) => $.onEnd(42));');
  assert.match(err.message, /onEnd\(\) at .*: expected a function/);
});

test.run();
