// --threads 2: two worker processes share one port; the primary's /metrics adds them up;
// SIGHUP reloads both; SIGTERM stops all.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { freePort, startSluice, tempScript, type Running } from '../../helpers/sluice.ts';
import { request } from '../../helpers/examples.ts';
import { admin, metric, sleep } from '../../helpers/cli.ts';

let sluice: Running;
let port = 0;
let script = '';

const version = (v: string) => `import { pipy, Message } from 'sluice';
pipy.listen(${port}, ($) => $.serveHTTP(() => new Message(\`${v} \${process.pid}\`)));
`;

/** Requests on fresh connections until both workers answered (or `max` tries). */
async function pids(max = 200): Promise<{ pids: Set<string>; bodies: string[] }> {
  const seen = new Set<string>();
  const bodies: string[] = [];
  for (let i = 0; i < max && seen.size < 2; i++) {
    const r = await request(port, '/');
    assert.is(r.status, 200);
    bodies.push(r.body);
    seen.add(r.body.split(' ')[1]!);
  }
  return { pids: seen, bodies };
}

test.before(async () => {
  port = await freePort();
  script = tempScript('');
  writeFileSync(script, version('v1'));
  sluice = await startSluice([script, '--threads', '2', '--admin-port=0'], { ready: /2 workers serving/ });
});
test.after(async () => {
  await sluice?.stop();
});

test('threads: both worker processes serve the one port', async () => {
  const { pids: seen, bodies } = await pids();
  assert.is(seen.size, 2, bodies.slice(0, 5).join(', '));
  assert.not.ok(seen.has(String(sluice.proc.pid)), 'the primary does not serve');
  assert.ok(bodies.every((b) => b.startsWith('v1 ')));
});

test('threads: /status lists both workers; /metrics adds up their counters', async () => {
  const status = JSON.parse((await admin(sluice.adminPort, '/status')).body) as { primary: number; workers: { pid: number }[] };
  assert.is(status.primary, sluice.proc.pid);
  assert.is(status.workers.length, 2);
  const before = metric((await admin(sluice.adminPort, '/metrics')).body, 'sluice_requests_total');
  for (let i = 0; i < 20; i++) await request(port, '/');
  const text = (await admin(sluice.adminPort, '/metrics')).body;
  assert.is(metric(text, 'sluice_requests_total') - before, 20);
  // One series per name (added up), not one per worker.
  assert.is(text.split('\n').filter((l) => l.startsWith('sluice_requests_total ')).length, 1);
});

test('threads: SIGHUP reloads both workers', async () => {
  writeFileSync(script, version('v2'));
  const mark = sluice.log().length;
  sluice.proc.kill('SIGHUP');
  const deadline = Date.now() + 10_000;
  while ((sluice.log().slice(mark).match(/reloaded/g) ?? []).length < 2) {
    if (Date.now() > deadline) throw new Error(`both workers did not reload:\n${sluice.log().slice(mark)}`);
    await sleep(20);
  }
  const { pids: seen, bodies } = await pids();
  assert.is(seen.size, 2);
  assert.ok(bodies.every((b) => b.startsWith('v2 ')), bodies.join(', '));
});

test('threads: SIGTERM stops the primary and every worker', async () => {
  const { pids: seen } = await pids();
  const code = await sluice.stop('SIGTERM');
  assert.is(code, 0);
  await sleep(200);
  for (const pid of seen) {
    let alive = true;
    try {
      process.kill(Number(pid), 0);
    } catch {
      alive = false;
    }
    assert.not.ok(alive, `worker ${pid} still running`);
  }
  const refused = await request(port, '/').then(() => 'answered', (e: NodeJS.ErrnoException) => e.code);
  assert.is(refused, 'ECONNREFUSED');
});

test.run();
