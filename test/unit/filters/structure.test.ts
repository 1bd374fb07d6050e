// branch, pipe and pipeNext (plug-in chains), and dump.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { pipeline } from '../../../runtime/api/pipy.ts';
import { feed, messageEvents, run, Data, Message, StreamEnd } from '../../helpers/flow.ts';

const tag = (t: string) => pipeline(($) => $.replaceData((d) => `${t}:${d.toString()}`));

test('branch: the first condition that holds picks the sub-pipeline, at the first event', () => {
  const l = pipeline<{ k: string }>(($) =>
    $.branch(
      (ctx) => ctx.k === 'a', tag('A'),
      (ctx, evt) => ctx.k === 'b' && evt.kind === 0, ($) => $.replaceData((d) => `B:${d.toString()}`),
      tag('default'),
    ),
  );
  for (const [k, want] of [['a', 'A:x'], ['b', 'B:x'], ['z', 'default:x']]) {
    const ctx = { k: k! };
    const { p, out } = run(l, ctx);
    p.input(new Data('x'));
    ctx.k = 'a';
    p.input(new Data('y'));
    assert.is(out.text, want! + want!.split(':')[0] + ':y', `k=${k}`);
    p.shutdown();
  }
});

test('branch: no default passes through; constant conditions; thrown condition is a RuntimeError', () => {
  const pass = run(pipeline(($) => $.branch(false, tag('no'))));
  pass.p.input(new Data('x'));
  assert.is(pass.out.text, 'x');
  pass.p.shutdown();
  const yes = run(pipeline(($) => $.branch(true, tag('yes'))));
  yes.p.input(new Data('x'));
  assert.is(yes.out.text, 'yes:x');
  yes.p.shutdown();
  const bad = run(pipeline(($) => $.branch(() => { throw new Error('c'); }, tag('no'))));
  bad.p.input(new Data('x'));
  assert.is(bad.out.summary, 'SE(RuntimeError)');
  bad.p.shutdown();
});

test('branch: the chosen sub-pipeline shares the context and is released at shutdown', () => {
  const sub = pipeline<{ seen?: boolean }>(($) => $.handleData((_, ctx) => void (ctx.seen = true)));
  const l = pipeline(($) => $.branch(() => true, sub));
  const ctx: { seen?: boolean } = {};
  const { p } = run(l, ctx);
  p.input(new Data('x'));
  assert.ok(ctx.seen);
  assert.is(sub.live, 1);
  p.shutdown();
  assert.is(sub.live, 0);
});

test('pipe: a layout, a builder, a chooser function', () => {
  const a = run(pipeline(($) => $.pipe(tag('L'))));
  a.p.input(new Data('x'));
  assert.is(a.out.text, 'L:x');
  a.p.shutdown();
  const b = run(pipeline(($) => $.pipe(($: any) => $.replaceData(() => 'built'))));
  b.p.input(new Data('x'));
  assert.is(b.out.text, 'built');
  b.p.shutdown();
  const A = tag('A');
  const B = tag('B');
  const c = run(pipeline<{ which: string }>(($) => $.pipe((_evt, ctx) => (ctx.which === 'a' ? A : ctx.which === 'b' ? B : null))), { which: 'b' });
  c.p.input(new Data('x'));
  assert.is(c.out.text, 'B:x');
  c.p.shutdown();
  const d = run(pipeline<{ which: string }>(($) => $.pipe((_evt, ctx) => (ctx.which === 'a' ? A : null))), { which: 'none' });
  d.p.input(new Data('x'));
  assert.is(d.out.text, 'x', 'null passes through');
  d.p.shutdown();
});

test('pipe + pipeNext: a plug-in chain runs each plug-in in turn; the last pipeNext passes through', () => {
  const order: string[] = [];
  const plugin = (name: string, answer = false) =>
    pipeline(($) =>
      answer
        ? $.handleMessageStart(() => void order.push(name)).replaceMessage(() => new Message(`answered by ${name}`))
        : $.handleMessageStart(() => void order.push(name)).pipeNext(),
    );
  const chain = [plugin('auth'), plugin('log'), plugin('route', true)];
  const { p, out } = run(pipeline(($) => $.pipe(chain)));
  feed(p, messageEvents({}, 'x'));
  assert.equal(order, ['auth', 'log', 'route']);
  assert.is(out.text, 'answered by route');
  p.shutdown();
  for (const l of chain) assert.is(l.live, 0);

  const passAll = run(pipeline(($) => $.pipe([plugin('one'), plugin('two')])));
  feed(passAll.p, messageEvents({}, 'y'));
  assert.is(passAll.out.summary, 'MS D(y) ME');
  passAll.p.shutdown();

  const lone = run(pipeline(($) => $.pipeNext()));
  lone.p.input(new Data('z'));
  assert.is(lone.out.text, 'z', 'outside a chain, pipeNext passes through');
  lone.p.shutdown();
});

test('pipe: an empty chain passes through; bad targets are ConfigErrors', () => {
  const e = run(pipeline(($) => $.pipe([])));
  e.p.input(new Data('x'));
  assert.is(e.out.text, 'x');
  e.p.shutdown();
  for (const bad of [42, [tag('a'), 'b']]) {
    try {
      pipeline(($) => $.pipe(bad as any));
      assert.unreachable();
    } catch (err: any) {
      assert.is(err.code, 'ConfigInvalid');
    }
  }
});

test('dump: prints every event with its tag to stderr and passes it on', () => {
  const lines: string[] = [];
  const orig = process.stderr.write.bind(process.stderr);
  (process.stderr as any).write = (s: string) => (lines.push(String(s)), true);
  let summary = '';
  try {
    const { p, out } = run(pipeline(($) => $.dump('T')));
    feed(p, messageEvents({ path: '/d' }, 'body'));
    p.input(new StreamEnd('ReadError', 'gone'));
    summary = out.summary;
    p.shutdown();
  } finally {
    (process.stderr as any).write = orig;
  }
  assert.is(summary, 'MS D(body) ME SE(ReadError)');
  assert.equal(lines, [
    '[dump T] MessageStart {"path":"/d"}\n',
    '[dump T] Data(4) "body"\n',
    '[dump T] MessageEnd \n',
    '[dump T] StreamEnd ReadError gone\n',
  ]);
});

test.run();
