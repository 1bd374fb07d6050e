import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Quota } from '../../../runtime/algo/quota.ts';

function clock() {
  const c = { t: 1000, now: () => c.t };
  return c;
}

test('consume grants up to what is available, partially when short', () => {
  const c = clock();
  const q = new Quota(10, { per: 1000, produce: 5, now: c.now });
  assert.is(q.available, 10);
  assert.is(q.consume(), 1);
  assert.is(q.consume(4), 4);
  assert.is(q.consume(8), 5);
  assert.is(q.consume(1), 0);
  assert.is(q.available, 0);
});

test('refills in whole periods, lazily, keeping the partial period', () => {
  const c = clock();
  const q = new Quota(10, { per: 1000, produce: 5, now: c.now });
  q.consume(10);
  c.t += 999;
  assert.is(q.available, 0);
  c.t += 1;
  assert.is(q.available, 5);
  assert.is(q.consume(10), 5);
  c.t += 1500; // one period and half of the next
  assert.is(q.consume(10), 5);
  c.t += 500; // completes that period: the 500 ms already counted were not lost
  assert.is(q.available, 5);
  c.t += 2000;
  assert.is(q.available, 10, 'capped at max (default: initial)');
});

test('max caps the refill; default max is max(initial, produce)', () => {
  const c = clock();
  const q = new Quota(0, { per: 100, produce: 3, max: 7, now: c.now });
  assert.is(q.available, 0);
  c.t += 10_000;
  assert.is(q.available, 7);
  const d = new Quota(0, { per: 100, produce: 3, now: c.now });
  c.t += 10_000;
  assert.is(d.available, 3);
});

test('a full bucket does not bank time towards later refills', () => {
  const c = clock();
  const q = new Quota(4, { per: 100, produce: 4, now: c.now });
  c.t += 10_000; // idle while full
  assert.is(q.consume(4), 4);
  assert.is(q.consume(4), 0, 'no burst beyond max from the idle time');
});

test('reset restores initial and restarts the period', () => {
  const c = clock();
  const q = new Quota(3, { per: 100, produce: 1, now: c.now });
  q.consume(3);
  c.t += 50;
  q.reset();
  assert.is(q.available, 3);
  q.consume(3);
  c.t += 99;
  assert.is(q.available, 0, 'the period restarted at reset');
  c.t += 1;
  assert.is(q.available, 1);
});

test('produce adds tokens by hand, capped at max', () => {
  const c = clock();
  const q = new Quota(2, { per: 100, produce: 0, max: 5, now: c.now });
  q.produce(2);
  assert.is(q.available, 4);
  q.produce(10);
  assert.is(q.available, 5);
});

test('the default clock is monotonic performance.now', () => {
  const q = new Quota(1, { per: 20, produce: 1 });
  assert.is(q.consume(), 1);
  assert.is(q.consume(), 0);
  const until = performance.now() + 25;
  while (performance.now() < until) { /* spin */ }
  assert.is(q.consume(), 1);
});

test('bad options are ConfigErrors', () => {
  const bad: Array<() => unknown> = [
    () => new Quota(-1, { per: 1, produce: 1 }),
    () => new Quota(1, { per: 0, produce: 1 }),
    () => new Quota(1, { per: NaN, produce: 1 }),
    () => new Quota(1, { per: 1, produce: -1 }),
    () => new Quota(1, { per: 1, produce: 1, max: -1 }),
  ];
  for (const f of bad) {
    try {
      f();
      assert.unreachable('accepted');
    } catch (err) {
      assert.is((err as { code?: string }).code, 'ConfigInvalid');
    }
  }
});

test.run();
