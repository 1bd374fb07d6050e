// Golden fixtures: test/fixtures/http1/<case>.in (raw bytes) against <case>.out (events),
// fed whole, split at every byte boundary, and byte by byte. The events must not depend on
// how the bytes arrive.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadFixtures, runFixture, splits } from './harness.ts';

const fixtures = loadFixtures();

test('fixtures are present', () => {
  assert.ok(fixtures.length >= 80, `only ${fixtures.length} fixtures`);
});

for (const fx of fixtures) {
  test(`fixture ${fx.name}`, () => {
    for (const [how, pieces] of splits(fx.input)) {
      for (const inCallback of [false, true]) {
        if (inCallback && fx.acceptTunnel === undefined) continue;
        const got = runFixture(fx, pieces, inCallback);
        assert.equal(got, fx.events, `${fx.name} (${how}${inCallback ? ', accept in onEnd' : ''})`);
      }
    }
  });
}

test.run();
