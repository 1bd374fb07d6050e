import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KeyedQuota } from '../../../runtime/algo/keyed-quota.ts';

function clock() {
  const c = { t: 0, now: () => c.t };
  return c;
}

test('each key has its own bucket', () => {
  const c = clock();
  const q = new KeyedQuota(2, { per: 1000, produce: 2, now: c.now });
  assert.is(q.consume('a', 2), 2);
  assert.is(q.consume('a'), 0);
  assert.is(q.consume('b'), 1);
  assert.is(q.available('b'), 1);
  assert.is(q.available('never-seen'), 2);
  assert.is(q.size, 2, 'available() does not create keys');
  c.t += 1000;
  assert.is(q.consume('a', 5), 2);
});

test('memory is bounded: the least recently used key is evicted', () => {
  const c = clock();
  const q = new KeyedQuota<number>(1, { per: 1000, produce: 1, maxKeys: 3, now: c.now });
  q.consume(1);
  q.consume(2);
  q.consume(3);
  q.consume(1); // 1 is now the most recent; 2 is the least
  q.consume(4); // evicts 2
  assert.is(q.size, 3);
  assert.is(q.consume(1), 0, 'key 1 kept its empty bucket');
  assert.is(q.consume(3), 0, 'key 3 kept its empty bucket');
  assert.is(q.consume(2), 1, 'key 2 was evicted and starts full');
  assert.is(q.size, 3);
});

test('delete forgets a key', () => {
  const q = new KeyedQuota(1, { per: 1000, produce: 1 });
  q.consume('a');
  assert.ok(q.delete('a'));
  assert.is(q.consume('a'), 1);
});

test('bad options are ConfigErrors at construction', () => {
  for (const f of [
    () => new KeyedQuota(1, { per: 1, produce: 1, maxKeys: 0 }),
    () => new KeyedQuota(1, { per: 0, produce: 1 }),
  ]) {
    try {
      f();
      assert.unreachable('accepted');
    } catch (err) {
      assert.is((err as { code?: string }).code, 'ConfigInvalid');
    }
  }
});

test.run();
