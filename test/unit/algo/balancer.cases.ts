// One case table for every balancer (style.md: "one shared case table per interface").
// Each balancer test file adapts its balancer to `BalancerUnderTest` and calls
// `runBalancerCases`; a balancer that cannot meet a case says why in `skip`.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

export interface BalancerUnderTest {
  /** One pick; `i` is the pick number, which hashing balancers turn into a key. */
  pick(i: number): string | undefined;
  setHealthy(target: string, healthy: boolean): void;
}

export interface BalancerSubject {
  name: string;
  make(weights: Record<string, number>): BalancerUnderTest;
  /** Allowed relative error of each target's share in the weights case. */
  tolerance: number;
  /** Case name -> reason it does not apply. */
  skip?: Record<string, string>;
}

interface Case {
  name: string;
  run(s: BalancerSubject): void;
}

function counts(b: BalancerUnderTest, picks: number): Map<string | undefined, number> {
  const m = new Map<string | undefined, number>();
  for (let i = 0; i < picks; i++) {
    const t = b.pick(i);
    m.set(t, (m.get(t) ?? 0) + 1);
  }
  return m;
}

export const cases: Case[] = [
  {
    name: 'weights are respected over 12k picks',
    run(s) {
      const weights = { a: 3, b: 2, c: 1 };
      const picks = 12000;
      const c = counts(s.make(weights), picks);
      for (const [t, w] of Object.entries(weights)) {
        const expected = (picks * w) / 6;
        const got = c.get(t) ?? 0;
        assert.ok(
          Math.abs(got - expected) <= expected * s.tolerance + 1,
          `${t}: ${got} picks, expected ${expected} ±${(s.tolerance * 100).toFixed(0)}%`,
        );
      }
      assert.is(c.get(undefined), undefined);
    },
  },
  {
    name: 'weight 0 is never picked',
    run(s) {
      const c = counts(s.make({ a: 1, b: 0, c: 1 }), 2000);
      assert.is(c.get('b'), undefined);
      assert.ok((c.get('a') ?? 0) > 0 && (c.get('c') ?? 0) > 0);
    },
  },
  {
    name: 'unhealthy targets are skipped, and come back',
    run(s) {
      const b = s.make({ a: 1, b: 1, c: 1 });
      b.setHealthy('b', false);
      const c = counts(b, 3000);
      assert.is(c.get('b'), undefined);
      assert.ok((c.get('a') ?? 0) > 0 && (c.get('c') ?? 0) > 0);
      b.setHealthy('b', true);
      assert.ok((counts(b, 3000).get('b') ?? 0) > 0);
    },
  },
  {
    name: 'a single target is always picked',
    run(s) {
      const c = counts(s.make({ only: 2 }), 100);
      assert.is(c.get('only'), 100);
    },
  },
  {
    name: 'no targets gives undefined',
    run(s) {
      assert.is(s.make({}).pick(0), undefined);
    },
  },
  {
    name: 'all weights 0 gives undefined',
    run(s) {
      assert.is(s.make({ a: 0, b: 0 }).pick(0), undefined);
    },
  },
  {
    name: 'all unhealthy gives undefined',
    run(s) {
      const b = s.make({ a: 1, b: 1 });
      b.setHealthy('a', false);
      b.setHealthy('b', false);
      assert.is(b.pick(0), undefined);
      assert.is(b.pick(1), undefined);
    },
  },
  {
    name: 'unknown targets in setHealthy are ignored',
    run(s) {
      const b = s.make({ a: 1 });
      b.setHealthy('nope', false);
      assert.is(b.pick(0), 'a');
    },
  },
];

export function runBalancerCases(subject: BalancerSubject): void {
  const t = suite(`balancer cases: ${subject.name}`);
  for (const c of cases) {
    const reason = subject.skip?.[c.name];
    if (reason !== undefined) {
      t.skip(`${c.name} (skipped: ${reason})`, () => {});
      continue;
    }
    t(c.name, () => c.run(subject));
  }
  t.run();
}
