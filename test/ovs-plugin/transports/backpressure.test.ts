// A client that pipelines bad requests and never reads its replies: the daemon stops reading it
// once its queued replies pass the bound (so its memory stays flat), its warnings are
// rate-limited (a "suppressed N" line instead of one line per request), and once the client
// reads, every request is answered: nothing was dropped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { startOvs } from '../../helpers/ovs.ts';
import { ensureBundle, startDaemon } from '../helpers.ts';

const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

test('daemon: 200k pipelined bad requests, replies unread: memory flat, log bounded, all answered after', async (t) => {
  await ensureBundle();
  const ovs = await startOvs(t, { vswitchd: false });
  const d = await startDaemon(t, ovs);
  const n = 200_000;
  const before = rssMb(d.proc.pid!);
  const s = createConnection(d.socket);
  t.after(() => s.destroy());
  s.pause();
  await new Promise((r) => s.once('connect', r));
  s.write('{"jsonrpc":"2.0","id":1,"method":"ovs.nope"}\n'.repeat(n));
  await new Promise((r) => setTimeout(r, 3000));
  const stalled = rssMb(d.proc.pid!);
  assert.ok(
    stalled - before < 40,
    `RSS ${before.toFixed(0)} -> ${stalled.toFixed(0)} MB while the client does not read`,
  );
  let lines = 0;
  s.setEncoding('utf8');
  s.on('data', (c: string) => {
    for (let i = c.indexOf('\n'); i >= 0; i = c.indexOf('\n', i + 1)) lines++;
  });
  s.resume();
  const end = Date.now() + 120000;
  while (lines < n && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  assert.equal(lines, n, 'every request answered once the client reads');
  const warns = (d.output().match(/^warn /gm) ?? []).length;
  assert.ok(warns < 50, `${warns} warn lines for ${n} bad requests`);
  s.destroy();
  while (!/log-suppressed/.test(d.output()) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  assert.match(
    d.output(),
    /log-suppressed event=ovs-command-failed n=\d+/,
    'the rest is counted once the client is gone',
  );
  assert.equal(d.proc.exitCode, null);
});
