import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { pipeline } from '../../../runtime/api/pipy.ts';
import { Collector, scriptModule, feed, messageEvents, run, sleep, Data, StreamEnd } from '../../helpers/flow.ts';

test('fork: main stream passes unchanged, fork output is discarded', () => {
  const seen: string[] = [];
  const layout = pipeline(($) =>
    $.fork().to(($) =>
      $.handleMessage((m) => {
        seen.push(m.body.toString());
      }).replaceMessage(() => new Data('FROM-FORK')),
    ),
  );
  const { p, out } = run(layout);
  feed(p, messageEvents({ path: '/' }, 'hello'));
  assert.is(out.summary, 'MS D(hello) ME');
  assert.equal(seen, ['hello']);
  p.shutdown();
});

test('fork: each fork gets a copy of the context; writes stay in the fork', () => {
  const ctxs: any[] = [];
  const layout = pipeline<{ who: string; n?: number }>(($) =>
    $.fork().to(($) =>
      $.handleMessageStart((_, ctx) => {
        ctx.who = 'fork';
        ctxs.push(ctx);
      }),
    ).handleMessageStart((_, ctx) => ctxs.push({ ...ctx })),
  );
  const ctx = { who: 'main' };
  const { p } = run(layout, ctx);
  feed(p, messageEvents({}, 'x'));
  assert.is(ctx.who, 'main');
  assert.is(ctxs.length, 2);
  assert.is(ctxs[0].who, 'fork');
  assert.is(ctxs[1].who, 'main');
  assert.is.not(ctxs[0], ctx);
  p.shutdown();
});

test('fork: an array init starts one fork per element, merged into each context', () => {
  const got: string[] = [];
  const layout = pipeline<{ base: string; target?: string }>(($) =>
    $.fork((ctx) => [{ target: 'a' }, { target: 'b' }, { target: ctx.base }]).to(($) =>
      $.handleMessageEnd((_, ctx) => {
        got.push(ctx.target!);
      }),
    ),
  );
  const { p, out } = run(layout, { base: 'c' });
  feed(p, messageEvents({}, 'x'));
  assert.equal(got, ['a', 'b', 'c']);
  assert.is(out.summary, 'MS D(x) ME');
  p.shutdown();
});

test('fork: an empty array starts no fork; the stream still passes', () => {
  let n = 0;
  const layout = pipeline(($) => $.fork([]).to(($) => $.handleMessageStart(() => n++)));
  const { p, out } = run(layout);
  feed(p, messageEvents({}, 'x'));
  assert.is(n, 0);
  assert.is(out.summary, 'MS D(x) ME');
  p.shutdown();
});

test('fork: a fork consuming Data does not eat the main stream\'s bytes', () => {
  const layout = pipeline(($) => $.fork().to(($) => $.handleData((d) => void d.shift(3))));
  const { p, out } = run(layout);
  p.input(new Data('abcdef'));
  assert.is(out.text, 'abcdef');
  p.shutdown();
});

test('fork: inline pipeline() layout with init', () => {
  const got: unknown[] = [];
  const mirror = pipeline<{ tag?: string }>(($) => $.handleMessageStart((_, ctx) => got.push(ctx.tag)));
  const layout = pipeline(($) => $.fork(mirror, { tag: 'm' }).dump('x'.slice(1) || '').handleStreamStart(() => {}));
  const { p } = run(layout);
  // dump writes to stderr; only the fork matters here
  const orig = process.stderr.write;
  (process.stderr as any).write = () => true;
  try {
    feed(p, messageEvents({}, ''));
  } finally {
    (process.stderr as any).write = orig;
  }
  assert.equal(got, ['m']);
  p.shutdown();
});

test('fork: fork pipelines are released with the stream (no leak)', async () => {
  const sub = pipeline(($) => $.handleMessageStart(() => {}));
  const layout = pipeline(($) => $.fork([1, 2]).to(sub));
  for (let i = 0; i < 5; i++) {
    const { p } = run(layout);
    feed(p, messageEvents({}, 'x'));
    p.shutdown();
  }
  assert.is(sub.live, 0);
  assert.is(layout.live, 0);
});

test('fork: a busy fork outlives its stream until it answers', async () => {
  // The fork answers 30 ms later (like a mirrored upstream): it must not be cut off.
  let answered = false;
  const sub = pipeline(($) =>
    $.replaceMessage(() => new Promise((r) => setTimeout(() => ((answered = true), r({ status: 200 } as any)), 30)).then(() => messageEvents({}, 'ok') as any)),
  );
  const layout = pipeline(($) => $.fork().to(sub));
  const { p } = run(layout);
  feed(p, messageEvents({}, 'x'));
  p.shutdown();
  assert.is(sub.live, 1);
  await sleep(80);
  assert.ok(answered);
  assert.is(sub.live, 0);
});

test('fork: an init function that throws ends the stream with RuntimeError', async () => {
  const m = await scriptModule('export const boom = () => {\n  throw new Error("boom");\n};\n');
  const layout = pipeline(($) => $.fork(m.boom).to(($) => $));
  const { p, out } = run(layout);
  feed(p, messageEvents({}, 'x'));
  assert.is(out.summary, 'SE(RuntimeError)');
  assert.match(out.ended!.message, /script\.mjs:2:/);
  p.shutdown();
});

test('fork: without .to() is a ConfigError', () => {
  try {
    pipeline(($) => $.fork());
    assert.unreachable();
  } catch (err: any) {
    assert.is(err.code, 'ConfigInvalid');
    assert.match(err.message, /fork\(\) needs a sub-pipeline/);
  }
});

void Collector;
void StreamEnd;
test.run();
