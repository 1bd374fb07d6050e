// replace* filters: events of one kind are swapped for what the callback (or a constant) gives;
// everything else passes.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { pipeline } from '../../../runtime/api/pipy.ts';
import { feed, messageEvents, run, Data, Message, MessageEnd, MessageStart, StreamEnd } from '../../helpers/flow.ts';

test('replaceMessageStart: a new head; returning nothing drops it', () => {
  const { p, out } = run(pipeline(($) => $.replaceMessageStart((e: any) => (e.head.path === '/drop' ? null : new MessageStart({ path: e.head.path + '!' })))));
  feed(p, messageEvents({ path: '/a' }, 'x'));
  feed(p, messageEvents({ path: '/drop' }, 'y'));
  assert.is(out.summary, 'MS D(x) ME D(y) ME');
  assert.equal((out.events[0] as MessageStart).head, { path: '/a!' });
  p.shutdown();
});

test('replaceMessage: whole messages in, Messages (or anything) out; constant form', () => {
  const { p, out } = run(pipeline(($) => $.replaceMessage((m) => new Message({ n: 1 }, m.body.toString().toUpperCase()))));
  feed(p, messageEvents({}, 'abc'));
  p.input(new StreamEnd());
  assert.is(out.summary, 'MS D(ABC) ME SE');
  assert.is((out.events[0] as MessageStart).length, 3, 'a whole Message has a known length');
  p.shutdown();
  const c = run(pipeline(($) => $.replaceMessage(new Message('fixed'))));
  feed(c.p, messageEvents({}, 'abc'));
  assert.is(c.out.summary, 'MS D(fixed) ME');
  c.p.shutdown();
});

test('replaceMessage: a body over maxBodySize is BufferOverflow', () => {
  const { p, out } = run(pipeline(($) => $.replaceMessage((m) => m, { maxBodySize: 3 })));
  feed(p, messageEvents({}, 'abcd'));
  assert.is(out.summary, 'SE(BufferOverflow)');
  p.shutdown();
});

test('replaceMessage: can answer with a StreamEnd or several messages', () => {
  const { p, out } = run(pipeline(($) => $.replaceMessage((m) => (m.body.size ? [new Message('1'), new Message('2')] : new StreamEnd('Replay')))));
  feed(p, messageEvents({}, 'x'));
  feed(p, messageEvents({}, ''));
  assert.is(out.summary, 'MS D(1) ME MS D(2) ME SE(Replay)');
  p.shutdown();
});

test('replaceMessageEnd, replaceData (string and array results), replaceStreamEnd', () => {
  const l = pipeline(($) =>
    $.replaceMessageEnd(() => new MessageEnd({ t: 'x' }))
      .replaceData((d) => (d.toString() === 'split' ? ['sp', 'lit'] : d.toString() + '+'))
      .replaceStreamEnd((e) => [new Data(`bye ${e.error}`), new StreamEnd()]),
  );
  const { p, out } = run(l);
  feed(p, messageEvents({}, 'a'));
  p.input(new Data('split'));
  p.input(new StreamEnd('IdleTimeout'));
  assert.is(out.summary, 'MS D(a+) ME D(sp) D(lit) D(bye IdleTimeout) SE');
  assert.equal((out.events[2] as MessageEnd).tail, { t: 'x' });
  p.shutdown();
});

test('replace*: a missing replacement is a ConfigError', () => {
  try {
    pipeline(($) => ($ as any).replaceStreamEnd());
    assert.unreachable();
  } catch (err: any) {
    assert.is(err.code, 'ConfigInvalid');
  }
});

test.run();
