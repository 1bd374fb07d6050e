// The codec's reason phrases are its own table (node:http would cost the process ~1 MB to
// load); they must say what Node's do, so a status line reads the same either way.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { STATUS_CODES } from 'node:http';
import { REASON_PHRASES } from '../../../../runtime/codecs/http1/reason-phrases.ts';

test('every status Node knows has the same reason phrase', () => {
  for (const [code, text] of Object.entries(STATUS_CODES)) assert.is(REASON_PHRASES.get(Number(code)), text, `status ${code}`);
});

test('no status Node does not know', () => {
  for (const code of REASON_PHRASES.keys()) assert.ok(STATUS_CODES[code] !== undefined, `status ${code}`);
});

test.run();
