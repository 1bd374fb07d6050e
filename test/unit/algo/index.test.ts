import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as algo from '../../../runtime/algo/index.ts';

test('index re-exports every algo class', () => {
  for (const name of [
    'URLRouter',
    'RoundRobinLoadBalancer',
    'LoadBalancer',
    'Allocation',
    'Quota',
    'KeyedQuota',
    'Cache',
    'ResourcePool',
  ]) {
    assert.type((algo as Record<string, unknown>)[name], 'function', name);
  }
});

test.run();
