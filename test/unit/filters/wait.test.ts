import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { pipeline } from '../../../runtime/api/pipy.ts';
import { configError, feed, messageEvents, run, scriptModule, sleep, Data } from '../../helpers/flow.ts';

test('wait: passes at once when the condition holds', () => {
  const layout = pipeline(($) => $.wait(() => true));
  const { p, out } = run(layout);
  feed(p, messageEvents({}, 'x'));
  assert.is(out.summary, 'MS D(x) ME');
  p.shutdown();
});

test('wait: holds until the condition holds at a later event, then releases in order', () => {
  let open = false;
  const layout = pipeline(($) => $.wait(() => open, { interval: 0 }));
  const { p, out } = run(layout);
  p.input(new Data('a'));
  p.input(new Data('b'));
  assert.is(out.summary, '');
  open = true;
  p.input(new Data('c'));
  assert.is(out.summary, 'D(a) D(b) D(c)');
  open = false;
  p.input(new Data('d'));
  assert.is(out.summary, 'D(a) D(b) D(c) D(d)', 'checked no more once open');
  p.shutdown();
});

test('wait: re-checks every interval while holding (a flip elsewhere releases it)', async () => {
  let open = false;
  let checks = 0;
  const layout = pipeline<{ id: number }>(($) => $.wait((ctx) => (checks++, open && ctx.id === 7), { interval: '10ms' }));
  const { p, out } = run(layout, { id: 7 });
  p.input(new Data('a'));
  await sleep(35);
  assert.is(out.summary, '');
  assert.ok(checks >= 3, `checks=${checks}`);
  open = true;
  await out.until((c) => c.events.length === 1, 500);
  assert.is(out.summary, 'D(a)');
  p.shutdown();
});

test('wait: with interval 0, a flip without new events does not release', async () => {
  let open = false;
  const layout = pipeline(($) => $.wait(() => open, { interval: 0 }));
  const { p, out } = run(layout);
  p.input(new Data('a'));
  open = true;
  await sleep(30);
  assert.is(out.summary, '');
  p.shutdown();
});

test('wait: a promise is waited for', async () => {
  let resolve!: () => void;
  const layout = pipeline(($) => $.wait(() => new Promise<void>((r) => (resolve = r))));
  const { p, out } = run(layout);
  p.input(new Data('a'));
  p.input(new Data('b'));
  await sleep(5);
  assert.is(out.summary, '');
  resolve();
  await sleep(5);
  assert.is(out.summary, 'D(a) D(b)');
  p.input(new Data('c'));
  assert.is(out.summary, 'D(a) D(b) D(c)');
  p.shutdown();
});

test('wait: a rejected promise is a RuntimeError', async () => {
  const layout = pipeline(($) => $.wait(() => Promise.reject(new Error('no'))));
  const { p, out } = run(layout);
  p.input(new Data('a'));
  await sleep(5);
  assert.is(out.summary, 'SE(RuntimeError)');
  p.shutdown();
});

test('wait: timeout lets the events go (Pipy)', async () => {
  const layout = pipeline(($) => $.wait(() => false, { timeout: 0.04, interval: 0 }));
  const { p, out } = run(layout);
  const t0 = performance.now();
  p.input(new Data('a'));
  await out.until((c) => c.events.length === 1, 1000);
  const dt = performance.now() - t0;
  assert.ok(dt >= 35 && dt < 300, `released after ${dt} ms`);
  p.shutdown();
});

test('wait: a throwing condition is a RuntimeError with the script location', async () => {
  const m = await scriptModule('export const cond = () => {\n  throw new Error("bad");\n};\n');
  const layout = pipeline(($) => $.wait(m.cond));
  const { p, out } = run(layout);
  p.input(new Data('a'));
  assert.is(out.summary, 'SE(RuntimeError)');
  assert.match(out.ended!.message, /script\.mjs:2:/);
  p.shutdown();
});

test('wait: shutdown cancels the timer (process exits, nothing emitted)', async () => {
  const layout = pipeline(($) => $.wait(() => false, { timeout: 0.02 }));
  const { p, out } = run(layout);
  p.input(new Data('a'));
  p.shutdown();
  await sleep(40);
  assert.is(out.summary, '');
  assert.is(layout.live, 0);
});

test('wait: bad options are ConfigErrors naming the script line', async () => {
  for (const [opts, re] of [
    ["{ timeout: 'soon' }", /timeout: expected a duration/],
    ['{ intervall: 1 }', /unknown option 'intervall'/],
  ] as const) {
    const err = await configError(`pipeline(($) =>\n  $.wait(() => true, ${opts}));`);
    assert.is(err.code, 'ConfigInvalid');
    assert.match(err.message, re);
    assert.match(err.message, /wait\(\) at .*script\.mjs:5:/);
  }
});

test.run();
