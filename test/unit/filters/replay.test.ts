import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { pipeline } from '../../../runtime/api/pipy.ts';
import { configError, feed, messageEvents, run, sleep, Data, Message, StreamEnd } from '../../helpers/flow.ts';

type Ctx = { attempts: number; bodies: string[] };

// A sub-pipeline that fails (Replay) the first `fails` attempts, then echoes the body.
const flaky = (fails: number) =>
  pipeline<Ctx>(($) =>
    $.replaceMessage((m, ctx) => {
      ctx.bodies.push(m.body.toString());
      return ++ctx.attempts <= fails ? new StreamEnd('Replay') : new Message({ status: 200 }, `ok:${m.body.toString()}`);
    }),
  );

test('replay: retries with the same input until the sub-pipeline succeeds', async () => {
  const sub = flaky(2);
  const layout = pipeline<Ctx>(($) => $.replay().to(sub));
  const ctx: Ctx = { attempts: 0, bodies: [] };
  const { p, out } = run(layout, ctx);
  feed(p, messageEvents({ path: '/' }, 'hello'));
  await out.until((c) => c.events.length >= 3);
  assert.is(out.summary, 'MS D(ok:hello) ME');
  assert.is(ctx.attempts, 3);
  assert.equal(ctx.bodies, ['hello', 'hello', 'hello']);
  assert.is(sub.live, 1, 'failed attempts are released');
  p.shutdown();
  assert.is(sub.live, 0);
});

test('replay: delay is waited before each replay', async () => {
  const layout = pipeline<Ctx>(($) => $.replay({ delay: '30ms' }).to(flaky(1)));
  const ctx: Ctx = { attempts: 0, bodies: [] };
  const { p, out } = run(layout, ctx);
  const t0 = performance.now();
  feed(p, messageEvents({}, 'x'));
  await sleep(10);
  assert.is(ctx.attempts, 1);
  await out.until((c) => c.events.length >= 3, 1000);
  const dt = performance.now() - t0;
  assert.ok(dt >= 28, `replayed after ${dt} ms`);
  p.shutdown();
});

test('replay: a delay function gets the context', async () => {
  const delays: number[] = [];
  const layout = pipeline<Ctx>(($) => $.replay({ delay: (ctx) => (delays.push(ctx.attempts), '1ms') }).to(flaky(2)));
  const ctx: Ctx = { attempts: 0, bodies: [] };
  const { p, out } = run(layout, ctx);
  feed(p, messageEvents({}, 'x'));
  await out.until((c) => c.events.length >= 3);
  assert.equal(delays, [1, 2]);
  p.shutdown();
});

test('replay: input arriving while a replay is pending reaches the new attempt', async () => {
  // The sub fails on the head alone; the body comes after the Replay.
  const sub = pipeline<Ctx>(($) =>
    $.handleMessageStart((_, ctx) => void ctx.attempts++)
      .replaceMessageStart((evt, ctx) => (ctx.attempts === 1 ? new StreamEnd('Replay') : evt))
      .replaceMessage((m) => new Message(`got:${m.body.toString()}`)),
  );
  const layout = pipeline<Ctx>(($) => $.replay({ delay: '20ms' }).to(sub));
  const ctx: Ctx = { attempts: 0, bodies: [] };
  const { p, out } = run(layout, ctx);
  const [ms, d, me] = messageEvents({}, 'late-body');
  p.input(ms!);
  await sleep(5);
  p.input(d!);
  p.input(me!);
  await out.until((c) => c.events.length >= 3, 1000);
  assert.is(out.summary, 'MS D(got:late-body) ME');
  p.shutdown();
});

test('replay: beyond maxBufferSize the stream is not replayed', async () => {
  const layout = pipeline<Ctx>(($) => $.replay({ maxBufferSize: 4 }).to(flaky(1)));
  const ctx: Ctx = { attempts: 0, bodies: [] };
  const { p, out } = run(layout, ctx);
  feed(p, messageEvents({}, 'too-long'));
  await sleep(10);
  assert.is(out.summary, 'SE(Replay)');
  assert.match(out.ended!.message, /maxBufferSize/);
  assert.is(ctx.attempts, 1);
  p.shutdown();
});

test('replay: other StreamEnds pass through; shutdown cancels a pending replay', async () => {
  const sub = pipeline(($) => $.replaceMessage(() => new StreamEnd('Replay')));
  const layout = pipeline(($) => $.replay({ delay: '20ms' }).to(sub));
  const { p, out } = run(layout);
  feed(p, messageEvents({}, 'x'));
  p.shutdown();
  await sleep(40);
  assert.is(out.summary, '');
  assert.is(sub.live, 0);
  assert.is(layout.live, 0);

  const sub2 = pipeline(($) => $.replaceMessage(() => new StreamEnd('ConnectionRefused')));
  const r = run(pipeline(($) => $.replay().to(sub2)));
  feed(r.p, messageEvents({}, 'x'));
  assert.is(r.out.summary, 'SE(ConnectionRefused)');
  r.p.shutdown();
});

test('replay: Data consumed by an attempt is intact for the next', async () => {
  let n = 0;
  const sub = pipeline(($) =>
    $.handleData((d) => {
      if (n === 0) d.shift(d.size);
    }).replaceMessage((m) => (n++ === 0 ? new StreamEnd('Replay') : new Message(m.body))),
  );
  const { p, out } = run(pipeline(($) => $.replay().to(sub)));
  feed(p, messageEvents({}, 'abc'));
  await out.until((c) => c.events.length >= 3);
  assert.is(out.text, 'abc');
  p.shutdown();
});

test('replay: bad options are ConfigErrors', async () => {
  let err = await configError("pipeline(($) => $.replay({ delay: 'later' }).to(($) => $));");
  assert.is(err.code, 'ConfigInvalid');
  assert.match(err.message, /replay\(\) at .*script\.mjs:4:.*delay: expected a duration/);
  err = await configError("pipeline(($) => $.replay({ maxBufferSize: '1q' }).to(($) => $));");
  assert.match(err.message, /maxBufferSize: expected a size/);
  err = await configError('pipeline(($) => $.replay({ retries: 3 }).to(($) => $));');
  assert.match(err.message, /unknown option 'retries'/);
  err = await configError('pipeline(($) => $.replay());');
  assert.match(err.message, /replay\(\) needs a sub-pipeline/);
});

void Data;
test.run();
