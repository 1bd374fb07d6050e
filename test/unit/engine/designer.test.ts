// Load-time mistakes are ConfigErrors (code 'ConfigInvalid') naming the filter, the option and
// the script's file:line. The layouts are built from a script file outside the build, as a
// user's script would be.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { configError } from '../../helpers/flow.ts';
import { pipeline } from '../../../runtime/api/pipy.ts';
import { ConfigError } from '../../../runtime/engine/errors.ts';

async function expectError(body: string, re: RegExp, line = 4) {
  const err = await configError(body);
  assert.is(err.code, 'ConfigInvalid', `code of ${err}`);
  assert.match(err.message, re);
  assert.match(err.message, new RegExp(`script\\.mjs:${line}:`), `location in: ${err.message}`);
  return err;
}

test('a joint filter without .to()', async () => {
  const err = await configError('pipeline(($) => $.demuxHTTP());');
  assert.is(err.code, 'ConfigInvalid');
  assert.match(err.message, /demuxHTTP\(\) needs a sub-pipeline: add \.to/);
  await expectError('pipeline(($) => $.muxHTTP().connect("127.0.0.1:1"));', /muxHTTP\(\) needs a sub-pipeline/);
});

test('.to() after a filter that takes no sub-pipeline', async () => {
  await expectError('pipeline(($) => $.handleData(() => {}).to(($) => $));', /to\(\) at .*\.to\(\) must follow a filter that takes a sub-pipeline/);
  await expectError('pipeline(($) => $.demuxHTTP().to(($) => $).to(($) => $));', /\.to\(\) must follow/);
});

test('.to() with something that is not a pipeline', async () => {
  await expectError('pipeline(($) => $.demuxHTTP().to(42));', /expected a pipeline/);
});

test('unknown option names', async () => {
  await expectError("pipeline(($) => $.connect('127.0.0.1:80', { conectTimeout: 1 }));", /connect\(\) at .*unknown option 'conectTimeout'/);
  await expectError('pipeline(($) => $.demuxHTTP({ maxPipeline: 2 }).to(($) => $));', /unknown option 'maxPipeline'/);
  await expectError('pipeline(($) => $.handleMessage(() => {}, { maxBody: 1 }));', /unknown option 'maxBody'/);
});

test('bad durations and sizes', async () => {
  await expectError("pipeline(($) => $.connect('127.0.0.1:80', { connectTimeout: '5 parsecs' }));", /connectTimeout: expected a duration/);
  await expectError("pipeline(($) => $.connect('127.0.0.1:80', { idleTimeout: -1 }));", /idleTimeout: expected a duration/);
  await expectError("pipeline(($) => $.connect('127.0.0.1:80', { bufferLimit: 'lots' }));", /bufferLimit: expected a size/);
  await expectError("pipeline(($) => $.replaceMessage(null, { maxBodySize: 1.5 }));", /maxBodySize: expected a size/);
  await expectError("pipeline(($) => $.connect('127.0.0.1:80', { retryCount: 1.5 }));", /retryCount: expected a whole number/);
  await expectError("pipeline(($) => $.connect('127.0.0.1:80', { offload: 'always' }));", /offload: expected one of 'auto', 'never'/);
});

test('bad connect targets', async () => {
  await expectError("pipeline(($) => $.connect('no-port'));", /connect\(\) at /);
  await expectError("pipeline(($) => $.connect('127.0.0.1:99999'));", /connect\(\) at /);
  await expectError('pipeline(($) => $.connect(42));', /connect\(\) at .*expected a function/);
});

test('callbacks that are not functions; branch conditions', async () => {
  await expectError('pipeline(($) => $.handleMessageStart("x"));', /handleMessageStart\(\) at .*expected a function, got string/);
  await expectError('pipeline(($) => $.branch("yes", ($) => $));', /branch\(\) at .*argument 1 must be a condition/);
  await expectError('pipeline(($) => $.pipe([42]));', /pipe\(\) at .*plug-in chain/);
  await expectError('pipeline(($) => $.replaceData());', /replaceData\(\) at .*expected a replacement/);
});

test('the error on a multi-line script names the line of the call', async () => {
  await expectError("pipeline(($) =>\n  $.handleData(() => {})\n    .connect('x:1', { bad: 1 }));", /unknown option 'bad'/, 6);
});

test('ConfigError: code, path, message; pipeline() outside a load scope works', () => {
  const e = new ConfigError('oops', 'a.b');
  assert.is(e.code, 'ConfigInvalid');
  assert.is(e.path, 'a.b');
  assert.is(e.message, 'a.b: oops');
  const l = pipeline(($) => $.dump());
  assert.is(l.filters.length, 1);
  assert.is(l.filters[0]!.describe(), 'dump');
});

test('pipe() with a one-parameter chooser is refused, not built as an empty pipeline', async () => {
  const err = await configError('const a = pipeline(($) => $.dump()); pipeline(($) => $.pipe((evt) => a));');
  assert.is(err.code, 'ConfigInvalid');
  assert.match(err.message, /returned a pipeline: to choose one per stream, take two parameters/);
  // The two-parameter form is a chooser and is accepted.
  const a = pipeline(($) => $.dump());
  const l = pipeline(($) => $.pipe((_evt, _ctx) => a));
  assert.is(l.filters[0]!.describe(), 'pipe');
});

test.run();
