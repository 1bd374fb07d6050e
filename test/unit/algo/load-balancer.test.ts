import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LoadBalancer, type LoadBalancerAlgorithm } from '../../../runtime/algo/load-balancer.ts';
import { runBalancerCases } from './balancer.cases.ts';

function subject(algorithm: LoadBalancerAlgorithm, tolerance: number) {
  return {
    name: `LoadBalancer ${algorithm}`,
    make: (weights: Record<string, number>) => {
      const b = new LoadBalancer(Object.keys(weights), { algorithm, weight: (t) => weights[t]! });
      // Allocations are never freed here, so least-load spreads by weight.
      return {
        pick: (i: number) => b.allocate(algorithm === 'hash' ? `key-${i}` : undefined)?.target,
        setHealthy: (t: string, h: boolean) => b.setHealthy(t, h),
      };
    },
    tolerance,
  };
}

runBalancerCases(subject('round-robin', 0));
runBalancerCases(subject('least-load', 0));
// The ring gives each target a share near, not at, its weight: 160 points per unit.
runBalancerCases(subject('hash', 0.15));

test('round-robin: the smooth nginx sequence', () => {
  const w: Record<string, number> = { a: 5, b: 1, c: 1 };
  const b = new LoadBalancer(['a', 'b', 'c'], { weight: (t) => w[t]! });
  let s = '';
  for (let i = 0; i < 7; i++) s += b.allocate()!.target;
  assert.is(s, 'aabacaa');
});

test('least-load: picks the least allocated, and free() makes room', () => {
  const b = new LoadBalancer(['a', 'b', 'c'], { algorithm: 'least-load' });
  const a1 = b.allocate()!;
  const a2 = b.allocate()!;
  const a3 = b.allocate()!;
  assert.equal([a1.target, a2.target, a3.target].sort(), ['a', 'b', 'c']);
  a2.free();
  assert.is(b.allocate()!.target, a2.target);
  assert.is(b.connections(a2.target), 1);
});

test('least-load: ties rotate, so short-lived allocations spread over idle targets', () => {
  const b = new LoadBalancer(['a', 'b', 'c'], { algorithm: 'least-load' });
  const seen: string[] = [];
  for (let i = 0; i < 6; i++) {
    const x = b.allocate()!;
    seen.push(x.target);
    x.free();
  }
  assert.equal(seen, ['a', 'b', 'c', 'a', 'b', 'c']);
});

test('least-load: load is divided by weight', () => {
  const b = new LoadBalancer(['a', 'b'], { algorithm: 'least-load', weight: (t) => (t === 'a' ? 2 : 1) });
  // Without frees, load per unit of weight stays level: a ends up holding twice b's share.
  for (let i = 0; i < 30; i++) b.allocate();
  assert.is(b.connections('a'), 20);
  assert.is(b.connections('b'), 10);
});

test('free() is idempotent', () => {
  const b = new LoadBalancer(['a', 'b'], { algorithm: 'least-load' });
  const x = b.allocate()!;
  const y = b.allocate()!;
  assert.is(b.connections(x.target) + b.connections(y.target), 2);
  x.free();
  x.free();
  x.free();
  assert.ok(x.freed);
  assert.is(b.connections(x.target), 0);
  assert.is(b.connections(y.target), 1);
});

test('connections() counts outstanding allocations per target in every algorithm', () => {
  for (const algorithm of ['round-robin', 'least-load', 'hash'] as const) {
    const b = new LoadBalancer(['a'], { algorithm });
    const xs = [b.allocate('k'), b.allocate('k'), b.allocate('k')];
    assert.is(b.connections('a'), 3, algorithm);
    xs[0]!.free();
    assert.is(b.connections('a'), 2, algorithm);
    assert.is(b.connections('zzz'), 0, algorithm);
  }
});

test('capacity: a full target is skipped; all full gives undefined', () => {
  const b = new LoadBalancer(['a', 'b'], { capacity: (t) => (t === 'a' ? 1 : 2) });
  const got = [b.allocate(), b.allocate(), b.allocate()].map((x) => x!.target).sort();
  assert.equal(got, ['a', 'b', 'b']);
  assert.is(b.allocate(), undefined);
});

test('hash: the same key always gives the same target', () => {
  const b = new LoadBalancer(['a', 'b', 'c', 'd', 'e'], { algorithm: 'hash' });
  for (let i = 0; i < 200; i++) {
    const first = b.allocate(`user-${i}`)!.target;
    for (let k = 0; k < 5; k++) assert.is(b.allocate(`user-${i}`)!.target, first);
  }
  const n = b.allocate(12345)!.target;
  assert.is(b.allocate(12345)!.target, n);
});

test('hash: removing one of 5 targets remaps only the removed target\'s keys (~1/5)', () => {
  const targets = ['a', 'b', 'c', 'd', 'e'];
  const b = new LoadBalancer(targets, { algorithm: 'hash' });
  const keys = 10000;
  const before: string[] = [];
  for (let i = 0; i < keys; i++) before.push(b.allocate(`k${i}`)!.target);
  b.provision(['a', 'b', 'd', 'e']);
  let moved = 0;
  for (let i = 0; i < keys; i++) {
    const now = b.allocate(`k${i}`)!.target;
    if (now !== before[i]) {
      moved++;
      assert.is(before[i], 'c', `key k${i} moved off a surviving target`);
    }
  }
  assert.ok(moved > keys * 0.15 && moved < keys * 0.25, `moved ${moved} of ${keys}`);
});

test('hash: adding a 6th target takes ~1/6 of keys, all onto the new one', () => {
  const b = new LoadBalancer(['a', 'b', 'c', 'd', 'e'], { algorithm: 'hash' });
  const before: string[] = [];
  for (let i = 0; i < 10000; i++) before.push(b.allocate(i)!.target);
  b.provision(['a', 'b', 'c', 'd', 'e', 'f']);
  let moved = 0;
  for (let i = 0; i < 10000; i++) {
    const now = b.allocate(i)!.target;
    if (now !== before[i]) {
      moved++;
      assert.is(now, 'f');
    }
  }
  assert.ok(moved > 1000 && moved < 2400, `moved ${moved}`);
});

test('hash: an unhealthy target\'s keys move, others stay, and come back when healthy', () => {
  const b = new LoadBalancer(['a', 'b', 'c'], { algorithm: 'hash' });
  const before: string[] = [];
  for (let i = 0; i < 3000; i++) before.push(b.allocate(`k${i}`)!.target);
  b.setHealthy('b', false);
  for (let i = 0; i < 3000; i++) {
    const now = b.allocate(`k${i}`)!.target;
    if (before[i] !== 'b') assert.is(now, before[i]);
    else assert.is.not(now, 'b');
  }
  b.setHealthy('b', true);
  for (let i = 0; i < 3000; i++) assert.is(b.allocate(`k${i}`)!.target, before[i]);
});

test('hash: no key falls back to round robin', () => {
  const b = new LoadBalancer(['a', 'b'], { algorithm: 'hash' });
  assert.equal([b.allocate()!.target, b.allocate()!.target], ['a', 'b']);
});

test('hash: object targets need distinct keys', () => {
  const x = { id: 'x' };
  const y = { id: 'y' };
  try {
    new LoadBalancer([x, y], { algorithm: 'hash' });
    assert.unreachable('two "[object Object]" keys accepted');
  } catch (err) {
    assert.is((err as { code?: string }).code, 'ConfigInvalid');
  }
  const b = new LoadBalancer([x, y], { algorithm: 'hash', key: (t) => t.id });
  assert.is(b.allocate('k')!.target, b.allocate('k')!.target);
});

test('provision keeps the counts of retained targets and drops removed ones', () => {
  const b = new LoadBalancer(['a', 'b'], { algorithm: 'least-load' });
  const xa = b.allocate()!;
  const xb = b.allocate()!;
  const held = xa.target;
  const gone = xb.target;
  b.provision([held, 'c']);
  assert.is(b.connections(held), 1);
  assert.is(b.connections(gone), 0);
  assert.equal(b.targets, [held, 'c']);
  // c is idle, so least-load prefers it over the retained, loaded target.
  assert.is(b.allocate()!.target, 'c');
  // Freeing an allocation of a removed target is harmless.
  xb.free();
  assert.is(b.connections('c'), 1);
});

test('provision keeps health of retained targets', () => {
  const b = new LoadBalancer(['a', 'b']);
  b.setHealthy('a', false);
  b.provision(['a', 'b', 'c']);
  for (let i = 0; i < 10; i++) assert.is.not(b.allocate()!.target, 'a');
});

test('bad options are ConfigErrors', () => {
  const bad: Array<() => unknown> = [
    () => new LoadBalancer(['a'], { algorithm: 'random' as LoadBalancerAlgorithm }),
    () => new LoadBalancer(['a'], { weight: () => -1 }),
    () => new LoadBalancer(['a'], { weight: () => NaN }),
    () => new LoadBalancer(['a'], { capacity: () => -2 }),
    () => new LoadBalancer(['a', 'a']),
  ];
  for (const f of bad) {
    try {
      f();
      assert.unreachable('accepted');
    } catch (err) {
      assert.is((err as { code?: string }).code, 'ConfigInvalid', String(err));
    }
  }
});

test.run();
