// Reload: SIGHUP or POST /reload switches to the edited script for new connections; a broken
// script is refused with file:line, and the running one keeps serving.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import { freePort, startSluice, tempScript, type Running } from '../../helpers/sluice.ts';
import { request } from '../../helpers/examples.ts';
import { admin, sleep } from '../../helpers/cli.ts';

let sluice: Running;
let port = 0;
let script = '';

const good = (text: string, extra = '') => `import { pipy, Message } from 'sluice';
pipy.listen(${port}, ($) => $.serveHTTP(new Message('${text}\\n')));
${extra}
`;

/** Waits until the log has grown by a line matching `re` after `from`. */
async function logAfter(from: number, re: RegExp): Promise<string> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const text = sluice.log().slice(from);
    if (re.test(text)) return text;
    if (Date.now() > deadline) throw new Error(`no ${re} in:\n${text}`);
    await sleep(20);
  }
}

test.before(async () => {
  port = await freePort();
  script = tempScript('');
  writeFileSync(script, good('v1'));
  sluice = await startSluice([script, '--admin-port=0']);
});
test.after(async () => {
  await sluice?.stop();
});

test('reload: SIGHUP switches new connections to the edited script', async () => {
  assert.is((await request(port, '/')).body, 'v1\n');
  writeFileSync(script, good('v2'));
  const mark = sluice.log().length;
  sluice.proc.kill('SIGHUP');
  await logAfter(mark, /reloaded/);
  assert.is((await request(port, '/')).body, 'v2\n');
});

test('reload: a syntax error is refused with file:line; the old script keeps serving', async () => {
  writeFileSync(script, good('v3').replace("pipy.listen(", "pipy.listen((("));
  const mark = sluice.log().length;
  sluice.proc.kill('SIGHUP');
  const text = await logAfter(mark, /reload failed/);
  assert.match(text, new RegExp(`${script.replace(/[.]/g, '\\.')}:2`), text);
  assert.match(text, /SyntaxError/);
  assert.is((await request(port, '/')).body, 'v2\n');

  const r = await admin(sluice.adminPort, '/reload', 'POST');
  assert.is(r.status, 422);
  const body = JSON.parse(r.body) as { ok: boolean; error: string };
  assert.is(body.ok, false);
  assert.match(body.error, /SyntaxError/);
  assert.match(body.error, /main\.ts:2/);
  assert.is((await request(port, '/')).body, 'v2\n');
});

test('reload: a designer error (a joint filter without .to()) is refused with file:line', async () => {
  writeFileSync(script, `import { pipy } from 'sluice';\n\npipy.listen(${port}, ($) => $.demuxHTTP());\n`);
  const r = await admin(sluice.adminPort, '/reload', 'POST');
  assert.is(r.status, 422);
  const { error } = JSON.parse(r.body) as { error: string };
  assert.match(error, /demuxHTTP\(\) needs a sub-pipeline/);
  assert.match(error, /main\.ts:3/);
  assert.match(sluice.log(), /reload failed, still serving the previous script: .*demuxHTTP\(\) needs a sub-pipeline/);
  assert.is((await request(port, '/')).body, 'v2\n');
});

test('reload: a script that throws while loading is refused with its file:line', async () => {
  writeFileSync(script, `import { pipy } from 'sluice';\nconst x: any = null;\nx.boom();\n`);
  const r = await admin(sluice.adminPort, '/reload', 'POST');
  assert.is(r.status, 422);
  const { error } = JSON.parse(r.body) as { error: string };
  assert.match(error, /TypeError/);
  assert.match(error, /main\.ts:3/);
  assert.is((await request(port, '/')).body, 'v2\n');
});

test('reload: POST /reload with a good script answers 200 and switches', async () => {
  writeFileSync(script, good('v4'));
  const r = await admin(sluice.adminPort, '/reload', 'POST');
  assert.is(r.status, 200);
  assert.is((await request(port, '/')).body, 'v4\n');
});

test('reload: a connection opened before the reload finishes on the old script', async () => {
  const sock = net.connect(port, '127.0.0.1');
  await new Promise((r) => sock.once('connect', r));
  writeFileSync(script, good('v5'));
  assert.is((await admin(sluice.adminPort, '/reload', 'POST')).status, 200);
  const got = new Promise<string>((resolve) => {
    let text = '';
    sock.on('data', (b: Buffer) => {
      text += b.toString();
      if (text.endsWith('\n') && text.includes('\r\n\r\n')) resolve(text);
    });
  });
  sock.write('GET / HTTP/1.1\r\nhost: x\r\n\r\n');
  assert.match(await got, /v4\n$/);
  sock.destroy();
  assert.is((await request(port, '/')).body, 'v5\n');
});

test('reload: the port set can change: a new port is bound, a dropped one closed', async () => {
  const other = await freePort();
  writeFileSync(script, `import { pipy, Message } from 'sluice';
pipy.listen(${other}, ($) => $.serveHTTP(new Message('other\\n')));
`);
  assert.is((await admin(sluice.adminPort, '/reload', 'POST')).status, 200);
  assert.is((await request(other, '/')).body, 'other\n');
  const refused = await request(port, '/').then(() => 'answered', (e: NodeJS.ErrnoException) => e.code);
  assert.is(refused, 'ECONNREFUSED');
  const status = JSON.parse((await admin(sluice.adminPort, '/status')).body) as { listeners: { address: string }[] };
  assert.equal(status.listeners.map((l) => l.address), [`*:${other}`]);

  // And back: both ports, the old one bound again.
  writeFileSync(script, good('v6', `pipy.listen(${other}, ($) => $.serveHTTP(new Message('other2\\n')));`));
  assert.is((await admin(sluice.adminPort, '/reload', 'POST')).status, 200);
  assert.is((await request(port, '/')).body, 'v6\n');
  assert.is((await request(other, '/')).body, 'other2\n');
});

test('reload: a port that cannot be bound fails the reload and keeps the old ports', async () => {
  const blocker = net.createServer();
  const busy = await freePort();
  await new Promise<void>((r) => blocker.listen(busy, '::', r));
  try {
    writeFileSync(script, good('v7', `pipy.listen(${busy}, ($) => $.serveHTTP(new Message('x')));`));
    const r = await admin(sluice.adminPort, '/reload', 'POST');
    assert.is(r.status, 422);
    assert.match(JSON.parse(r.body).error, new RegExp(`cannot listen on \\*:${busy}`));
    assert.is((await request(port, '/')).body, 'v6\n');
  } finally {
    blocker.close();
  }
});

test.run();
