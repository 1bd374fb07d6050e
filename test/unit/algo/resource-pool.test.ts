import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ResourcePool } from '../../../runtime/algo/resource-pool.ts';

interface Conn {
  pool: string;
  n: number;
}

function pool() {
  let made = 0;
  const destroyed: Conn[] = [];
  const p = new ResourcePool<Conn>((name) => ({ pool: name, n: ++made }), (c) => destroyed.push(c));
  return { p, destroyed, made: () => made };
}

test('a freed resource is reused by the next allocate of the same pool', () => {
  const { p, made } = pool();
  const a = p.allocate('db');
  p.free(a);
  assert.is(p.idle('db'), 1);
  assert.is(p.allocate('db'), a);
  assert.is(made(), 1);
  assert.is(p.idle('db'), 0);
});

test('pools are separate', () => {
  const { p } = pool();
  const a = p.allocate('db');
  p.free(a);
  const b = p.allocate('cache');
  assert.is.not(b, a);
  assert.is(b.pool, 'cache');
  assert.is(p.allocate('db'), a);
});

test('the default pool name is the empty string', () => {
  const { p } = pool();
  const a = p.allocate();
  assert.is(a.pool, '');
  p.free(a);
  assert.is(p.idle(), 1);
});

test('free(tenant) returns everything the tenant holds, across pools', () => {
  const { p, made } = pool();
  const tenant = {};
  const other = {};
  const a = p.allocate('db', tenant);
  const b = p.allocate('db', tenant);
  const c = p.allocate('cache', tenant);
  const d = p.allocate('db', other);
  p.free(tenant);
  assert.is(p.idle('db'), 2);
  assert.is(p.idle('cache'), 1);
  const again = [p.allocate('db'), p.allocate('db')];
  assert.ok(again.includes(a) && again.includes(b));
  assert.is(p.allocate('cache'), c);
  assert.is(made(), 4);
  p.free(other);
  assert.is(p.allocate('db'), d);
});

test('free is idempotent and ignores unknown tenants', () => {
  const { p } = pool();
  const t = {};
  p.allocate('x', t);
  p.free(t);
  p.free(t);
  p.free({});
  assert.is(p.idle('x'), 1, 'a second free does not return the resource twice');
});

test('clear destroys idle resources only', () => {
  const { p, destroyed } = pool();
  const a = p.allocate('x');
  const b = p.allocate('x');
  p.free(a);
  p.clear();
  assert.equal(destroyed, [a]);
  assert.is(p.idle('x'), 0);
  p.free(b);
  assert.is(p.allocate('x'), b, 'a resource still held at clear() comes back to the pool');
});

test.run();
