import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Cache } from '../../../runtime/algo/cache.ts';

function clock() {
  const c = { t: 0, now: () => c.t };
  return c;
}

test('LRU: the least recently used entry is evicted first; get refreshes recency', () => {
  const freed: string[] = [];
  const c = new Cache<string, number>({ size: 3, free: (k, v) => freed.push(`${k}=${v}`) });
  c.set('a', 1);
  c.set('b', 2);
  c.set('c', 3);
  assert.is(c.get('a'), 1); // order now b, c, a
  c.set('d', 4); // evicts b
  assert.equal(freed, ['b=2']);
  assert.not.ok(c.has('b'));
  c.set('e', 5); // evicts c
  assert.equal(freed, ['b=2', 'c=3']);
  assert.is(c.size, 3);
  assert.ok(c.has('a') && c.has('d') && c.has('e'));
});

test('has() does not refresh recency', () => {
  const c = new Cache<string, number>({ size: 2 });
  c.set('a', 1);
  c.set('b', 2);
  c.has('a');
  c.set('c', 3);
  assert.not.ok(c.has('a'));
});

test('set on an existing key replaces, refreshes, and frees the old value', () => {
  const freed: number[] = [];
  const c = new Cache<string, number>({ size: 2, free: (_, v) => freed.push(v) });
  c.set('a', 1);
  c.set('b', 2);
  c.set('a', 10); // a is now the most recent
  assert.equal(freed, [1]);
  c.set('c', 3); // evicts b
  assert.equal(freed, [1, 2]);
  assert.is(c.get('a'), 10);
  c.set('a', 10);
  assert.equal(freed, [1, 2], 'setting the same value frees nothing');
});

test('TTL: entries expire lazily on get and has', () => {
  const clk = clock();
  const freed: string[] = [];
  const c = new Cache<string, string>({ ttl: 100, now: clk.now, free: (k) => freed.push(k) });
  c.set('a', 'A');
  clk.t = 99;
  assert.is(c.get('a'), 'A');
  c.set('b', 'B'); // expires at 199
  clk.t = 100;
  assert.is(c.get('a'), undefined);
  assert.equal(freed, ['a']);
  assert.ok(c.has('b'));
  clk.t = 199;
  assert.not.ok(c.has('b'));
  assert.equal(freed, ['a', 'b']);
  assert.is(c.size, 0);
});

test('TTL counts from set, not from the last get', () => {
  const clk = clock();
  const c = new Cache<string, number>({ ttl: 100, now: clk.now });
  c.set('a', 1);
  clk.t = 60;
  c.get('a');
  clk.t = 100;
  assert.is(c.get('a'), undefined);
});

test('allocate fills a miss (and an expired entry), then caches it', () => {
  const clk = clock();
  let calls = 0;
  const c = new Cache<string, string>({ ttl: 50, now: clk.now, allocate: (k) => `${k}#${++calls}` });
  assert.is(c.get('x'), 'x#1');
  assert.is(c.get('x'), 'x#1');
  assert.is(calls, 1);
  clk.t = 50;
  assert.is(c.get('x'), 'x#2');
  assert.not.ok(c.has('y'), 'has() never allocates');
});

test('remove and clear call free', () => {
  const freed: string[] = [];
  const c = new Cache<string, number>({ free: (k) => freed.push(k) });
  c.set('a', 1);
  c.set('b', 2);
  c.set('c', 3);
  assert.ok(c.remove('b'));
  assert.not.ok(c.remove('b'));
  c.clear();
  assert.equal(freed, ['b', 'a', 'c']);
  assert.is(c.size, 0);
  assert.is(c.get('a'), undefined);
});

test('bad options are ConfigErrors', () => {
  for (const f of [() => new Cache({ size: 0 }), () => new Cache({ ttl: 0 }), () => new Cache({ ttl: -5 })]) {
    try {
      f();
      assert.unreachable('accepted');
    } catch (err) {
      assert.is((err as { code?: string }).code, 'ConfigInvalid');
    }
  }
});

test.run();
