// Whether kernel offload is available is said at start-up, as before, but found out by a
// short-lived child: a proxy that never offloads does not load the native addon (libbpf)
// until /status asks.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { startSluice, tempScript, freePort } from '../../helpers/sluice.ts';

const loadedAddon = (pid: number) => readFileSync(`/proc/${pid}/maps`, 'utf8').includes('sluice_native.node');

test('the start-up line says whether offload is available, without the addon in the proxy', async () => {
  const port = await freePort();
  const s = await startSluice([tempScript(`import { pipy, Message } from 'sluice';
pipy.listen('127.0.0.1:${port}', ($) => $.serveHTTP(new Message('ok')));
`), '--admin-port=0']);
  try {
    const m = await s.waitFor(/kernel offload (available|off: [^\n]+)/);
    assert.ok(m[1]!.length > 0);
    assert.not.ok(loadedAddon(s.proc.pid!), 'the proxy loaded the native addon at start-up');
    const status = (await (await fetch(`http://127.0.0.1:${s.adminPort}/status`)).json()) as { offload: { available: boolean; reasons?: string[] } };
    assert.is(status.offload.available, m[1] === 'available', 'the start-up line and /status agree');
  } finally {
    await s.stop();
  }
});

test.run();
