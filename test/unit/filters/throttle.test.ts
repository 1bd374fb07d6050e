import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { pipeline } from '../../../runtime/api/pipy.ts';
import { Quota } from '../../../runtime/algo/quota.ts';
import { configError, feed, messageEvents, run, sleep, Data } from '../../helpers/flow.ts';
import type { Pausable } from '../../../runtime/net/flow.ts';

test('throttleMessageRate: messages beyond the quota wait for refills', async () => {
  const quota = new Quota(2, { per: 50, produce: 1 });
  const layout = pipeline(($) => $.throttleMessageRate(quota));
  const { p, out } = run(layout);
  const t0 = performance.now();
  for (let i = 0; i < 4; i++) feed(p, messageEvents({}, `m${i}`));
  assert.is(out.text, 'm0m1', 'two tokens: two messages at once');
  await out.until((c) => c.text === 'm0m1m2m3', 1000);
  const dt = performance.now() - t0;
  assert.ok(dt >= 90, `4 messages at 2 + 1/50ms took ${dt} ms`);
  assert.is(out.summary, 'MS D(m0) ME MS D(m1) ME MS D(m2) ME MS D(m3) ME');
  p.shutdown();
});

test('throttleMessageRate: streams sharing a quota are served in arrival order', async () => {
  const quota = new Quota(0, { per: 20, produce: 1 });
  const layout = pipeline(($) => $.throttleMessageRate(quota));
  const order: number[] = [];
  const runs = [0, 1, 2].map((i) => {
    const r = run(layout);
    r.out.until(() => r.out.events.length > 0, 2000).then(() => order.push(i));
    feed(r.p, messageEvents({}, `s${i}`));
    return r;
  });
  await Promise.all(runs.map((r) => r.out.until((c) => c.events.length === 3, 2000)));
  await sleep(1);
  assert.equal(order, [0, 1, 2]);
  for (const r of runs) r.p.shutdown();
});

test('throttleMessageRate: a quota function picks the quota per stream', async () => {
  const quotas: Record<string, Quota> = { a: new Quota(1, { per: 10_000, produce: 1 }), b: new Quota(5, { per: 10_000, produce: 1 }) };
  const layout = pipeline<{ key: string }>(($) => $.throttleMessageRate((ctx) => quotas[ctx.key]!));
  const a = run(layout, { key: 'a' });
  const b = run(layout, { key: 'b' });
  for (let i = 0; i < 3; i++) {
    feed(a.p, messageEvents({}, 'x'));
    feed(b.p, messageEvents({}, 'y'));
  }
  assert.is(a.out.text, 'x');
  assert.is(b.out.text, 'yyy');
  a.p.shutdown();
  b.p.shutdown();
  assert.is(quotas.a!.available, 0);
});

test('throttleMessageRate: a quota function not returning a Quota is a RuntimeError', () => {
  const layout = pipeline(($) => $.throttleMessageRate((() => 42) as any));
  const { p, out } = run(layout);
  feed(p, messageEvents({}, 'x'));
  assert.is(out.summary, 'SE(RuntimeError)');
  p.shutdown();
});

test('throttle: the client is paused while events are held (blockInput), resumed after', async () => {
  const quota = new Quota(0, { per: 30, produce: 1 });
  const calls: string[] = [];
  const source: Pausable = { pause: () => calls.push('pause'), resume: () => calls.push('resume') };
  const layout = pipeline(($) => $.throttleMessageRate(quota));
  const { p, out } = run(layout, { inbound: { source } } as any);
  feed(p, messageEvents({}, 'x'));
  assert.equal(calls, ['pause']);
  await out.until((c) => c.events.length === 3, 1000);
  assert.equal(calls, ['pause', 'resume']);
  p.shutdown();

  const noBlock = pipeline(($) => $.throttleMessageRate(new Quota(0, { per: 30, produce: 1 }), { blockInput: false }));
  const calls2: string[] = [];
  const r = run(noBlock, { inbound: { source: { pause: () => calls2.push('p'), resume: () => calls2.push('r') } } } as any);
  feed(r.p, messageEvents({}, 'x'));
  assert.equal(calls2, []);
  r.p.shutdown();
});

test('throttleDataRate: bytes are paid for; a Data is split at the quota', async () => {
  const quota = new Quota(4, { per: 20, produce: 4 });
  const layout = pipeline(($) => $.throttleDataRate(quota));
  const { p, out } = run(layout);
  const t0 = performance.now();
  p.input(new Data('0123456789ab'));
  assert.is(out.text, '0123');
  await out.until((c) => c.text === '0123456789ab', 1000);
  const dt = performance.now() - t0;
  assert.ok(dt >= 35, `12 bytes at 4 + 4/20ms took ${dt} ms`);
  p.shutdown();
});

test('throttleDataRate: non-Data events keep their place behind held bytes', async () => {
  const quota = new Quota(2, { per: 10, produce: 2 });
  const { p, out } = run(pipeline(($) => $.throttleDataRate(quota)));
  feed(p, messageEvents({}, 'abcd'));
  await out.until((c) => c.events.some((e) => e.kind === 2), 1000);
  assert.is(out.summary, 'MS D(ab) D(cd) ME');
  p.shutdown();
});

test('throttleConcurrency: at most N streams at once; the next starts when one ends', async () => {
  const quota = new Quota(2, { per: 1000, produce: 0 });
  const layout = pipeline(($) => $.throttleConcurrency(quota));
  const rs = [0, 1, 2, 3].map(() => run(layout));
  rs.forEach((r, i) => feed(r.p, messageEvents({}, `s${i}`)));
  assert.equal(rs.map((r) => r.out.events.length), [3, 3, 0, 0]);
  rs[0]!.p.shutdown();
  await rs[2]!.out.until((c) => c.events.length === 3, 500);
  assert.is(rs[3]!.out.events.length, 0);
  rs[1]!.p.shutdown();
  await rs[3]!.out.until((c) => c.events.length === 3, 500);
  rs[2]!.p.shutdown();
  rs[3]!.p.shutdown();
  assert.is(quota.available, 2, 'every token given back');
});

test('throttleConcurrency: a waiting stream that ends gives nothing back and leaves the queue', async () => {
  const quota = new Quota(1, { per: 1000, produce: 0 });
  const layout = pipeline(($) => $.throttleConcurrency(quota));
  const a = run(layout);
  const b = run(layout);
  const c = run(layout);
  feed(a.p, messageEvents({}, 'a'));
  feed(b.p, messageEvents({}, 'b'));
  feed(c.p, messageEvents({}, 'c'));
  b.p.shutdown();
  a.p.shutdown();
  await c.out.until((x) => x.events.length === 3, 500);
  assert.is(b.out.events.length, 0);
  c.p.shutdown();
  assert.is(quota.available, 1);
  assert.is(layout.live, 0);
});

test('throttleMessageRate: a stream ended by what it outputs while draining leaves the queue cleanly', async () => {
  const quota = new Quota(0, { per: 15, produce: 1 });
  // The first stream's output shuts it down (as a finished response would); the second must
  // still get its turn.
  const layout = pipeline(($) => $.throttleMessageRate(quota));
  const a = run(layout);
  const b = run(layout);
  a.p.output = { input: () => a.p.shutdown() };
  feed(a.p, messageEvents({}, 'a'));
  feed(b.p, messageEvents({}, 'b'));
  await b.out.until((c) => c.events.length === 3, 1000);
  assert.ok(a.p.ended);
  b.p.shutdown();
});

test('throttle*: bad arguments are ConfigErrors', async () => {
  let err = await configError('pipeline(($) => $.throttleMessageRate(10));');
  assert.is(err.code, 'ConfigInvalid');
  assert.match(err.message, /throttleMessageRate\(\) at .*script\.mjs:4:.*expected an algo\.Quota/);
  err = await configError('pipeline(($) => $.throttleDataRate(new Quota(1, { per: 1, produce: 1 }), { block: true }));');
  assert.match(err.message, /unknown option 'block'/);
  err = await configError("pipeline(($) => $.throttleConcurrency(new Quota(1, { per: 1, produce: 0 }), { blockInput: 'yes' }));");
  assert.match(err.message, /blockInput: expected true or false/);
});

test.run();
