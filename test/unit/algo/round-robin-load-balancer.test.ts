import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RoundRobinLoadBalancer } from '../../../runtime/algo/round-robin-load-balancer.ts';
import { runBalancerCases } from './balancer.cases.ts';

runBalancerCases({
  name: 'RoundRobinLoadBalancer',
  make: (weights) => {
    const b = new RoundRobinLoadBalancer(weights);
    return { pick: () => b.next(), setHealthy: (t, h) => b.setHealthy(t, h) };
  },
  tolerance: 0,
});

function sequence(b: RoundRobinLoadBalancer, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += b.next() ?? '-';
  return s;
}

test('weights {a:5,b:1,c:1} give nginx smooth sequence a a b a c a a, repeating', () => {
  const b = new RoundRobinLoadBalancer({ a: 5, b: 1, c: 1 });
  assert.is(sequence(b, 14), 'aabacaa' + 'aabacaa');
});

test('equal weights rotate in order', () => {
  const b = new RoundRobinLoadBalancer(['x', 'y', 'z']);
  assert.is(sequence(b, 6), 'xyzxyz');
});

test('a repeated target in an array adds to its weight', () => {
  const b = new RoundRobinLoadBalancer(['a', 'a', 'b']);
  const s = sequence(b, 300);
  assert.is(s.split('a').length - 1, 200);
  assert.is(s.split('b').length - 1, 100);
});

test('non-string targets work with an array', () => {
  const x = { host: 'x' };
  const y = { host: 'y' };
  const b = new RoundRobinLoadBalancer([x, y]);
  assert.is(b.next(), x);
  assert.is(b.next(), y);
  b.setHealthy(x, false);
  assert.not.ok(b.isHealthy(x));
  assert.is(b.next(), y);
  assert.is(b.next(), y);
});

test('restoring health restarts a smooth sequence', () => {
  const b = new RoundRobinLoadBalancer({ a: 5, b: 1, c: 1 });
  b.next();
  b.setHealthy('b', false);
  b.setHealthy('b', true);
  assert.is(sequence(b, 7), 'aabacaa');
});

test('bad weights are ConfigErrors at construction', () => {
  for (const w of [-1, NaN, Infinity]) {
    try {
      new RoundRobinLoadBalancer({ a: 1, b: w });
      assert.unreachable(`weight ${w} accepted`);
    } catch (err) {
      assert.is((err as { code?: string }).code, 'ConfigInvalid');
      assert.match((err as Error).message, 'targets.b');
    }
  }
});

test.run();
