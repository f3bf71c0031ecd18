// zinit/client.ts against the fake of both socket generations, plus the raw gen-1 bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { checkSocket, waitForSocket, ZinitClient, type ZinitError } from '../../zinit/client.ts';
import { run } from '../../lib/exec.ts';
import { startFakeZinit } from '../helpers/fake-zinit.ts';

async function scratch(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'zinit-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function raw(path: string, payload: string, halfClose = false): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(path, () => {
      s.write(payload);
      if (halfClose) s.end();
    });
    let buf = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => {
      buf += d;
    });
    s.on('close', () => resolve(buf));
    s.on('error', reject);
  });
}

test('fake gen 1 answers byte for byte like zinit v0.2.14', async (t) => {
  const dir = await scratch(t);
  const z = await startFakeZinit(t, { dir, generation: 1, services: { b: 'Running', a: 'Success' } });
  assert.equal(await raw(z.path, 'list\n'), '{"body":{"a":"Success","b":"Running"},"state":"ok"}');
  assert.equal(
    await raw(z.path, 'status b\n'),
    '{"body":{"after":{},"name":"b","pid":100,"state":"Running","target":"Up"},"state":"ok"}',
  );
  assert.equal(
    await raw(z.path, 'list\r\n'),
    `{"body":"unknown command 'list\\r' or wrong arguments count","state":"error"}`,
  );
  assert.equal(await raw(z.path, '\n'), '{"body":"unknown command","state":"error"}');
  assert.equal(await raw(z.path, 'status "b\n'), '{"body":"invalid command syntax","state":"error"}');
  assert.equal(await raw(z.path, 'status nosuch\n'), '{"body":"service name \\"nosuch\\" unknown","state":"error"}');
  assert.equal(await raw(z.path, 'monitor e\n'), '{"body":"failed to load service config","state":"error"}');
  assert.equal(await raw(z.path, 'forget b\n'), '{"body":"service \\"b\\" is up","state":"error"}');
  assert.equal(await raw(z.path, 'list', true), '{"body":{"a":"Success","b":"Running"},"state":"ok"}');
});

for (const generation of [1, 2] as const) {
  test(`client speaks generation ${generation}: detects it, monitors, stops, forgets`, async (t) => {
    const dir = await scratch(t);
    const z = await startFakeZinit(t, { dir, generation, services: { internet: 'Running' } });
    const c = new ZinitClient(z.path);
    assert.equal(await c.generation(), generation);
    assert.equal(await checkSocket(z.path), generation);
    assert.deepEqual(await c.list(), { internet: 'Running' });
    assert.equal(await c.status('dhcp-zos'), null);
    await assert.rejects(
      c.monitor('dhcp-zos'),
      (e: ZinitError) => e.code === 'EZINIT' && /failed to load/.test(e.message),
    );
    await writeFile(join(dir, 'dhcp-zos.yaml'), 'exec: udhcpc -f -i zos\n');
    await c.monitor('dhcp-zos');
    await c.monitor('dhcp-zos'); // already monitored is success
    assert.equal((await c.status('dhcp-zos'))?.state, 'Running');
    await c.stop('dhcp-zos');
    await c.forget('dhcp-zos'); // retries while the fake still reports it up
    assert.equal(await c.status('dhcp-zos'), null);
    await c.forget('dhcp-zos'); // unknown is success
    assert.ok(z.commands.includes('monitor dhcp-zos'));
    assert.equal(z.loaded.get('dhcp-zos'), 'exec: udhcpc -f -i zos\n');
  });
}

test('checkSocket names the path: missing, not a socket, refused, silent', async (t) => {
  const dir = await scratch(t);
  const missing = join(dir, 'nope.sock');
  await assert.rejects(
    checkSocket(missing),
    (e: ZinitError) => e.code === 'EZINITSOCKET' && e.message.includes(missing) && /does not exist/.test(e.message),
  );
  const file = join(dir, 'file.sock');
  await writeFile(file, '');
  await assert.rejects(
    checkSocket(file),
    (e: ZinitError) => e.code === 'EZINITSOCKET' && /is not a socket/.test(e.message),
  );
  // A socket file nobody listens on (bound, never listening): connect gets ECONNREFUSED.
  const stale = join(dir, 'stale.sock');
  await run('python3', ['-c', 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])', stale]);
  await assert.rejects(
    checkSocket(stale),
    (e: ZinitError) => e.code === 'EZINITSOCKET' && /refuses connections/.test(e.message),
  );
  const silent = join(dir, 'silent.sock');
  const mute = createServer((s) => {
    s.resume();
  });
  await new Promise<void>((r) => mute.listen(silent, () => r()));
  t.after(
    () =>
      new Promise<void>((r) => {
        mute.close(() => r());
      }),
  );
  await assert.rejects(
    checkSocket(silent, 300),
    (e: ZinitError) => e.code === 'EZINITTIMEOUT' && e.message.includes(silent),
  );
});

test(
  'waitForSocket: a socket zinit binds late is waited for (told once); ' +
    'missing past the bound, or not a socket, fails',
  async (t) => {
    const dir = await scratch(t);
    const path = join(dir, 'late.sock');
    const waits: string[] = [];
    const late = waitForSocket(path, {
      timeoutMs: 5000,
      pollMs: 20,
      onWait: (e) => waits.push(String(e.details.errno)),
    });
    await new Promise((r) => setTimeout(r, 300));
    const z = await startFakeZinit(t, { dir, generation: 1 });
    await rm(path, { force: true });
    await symlink(z.path, path); // the fake picks its own name; zinit's own socket would be at `path`
    assert.equal(await late, 1);
    assert.deepEqual(waits, ['ENOENT']);
    const t0 = Date.now();
    await assert.rejects(
      waitForSocket(join(dir, 'never.sock'), { timeoutMs: 300, pollMs: 20 }),
      (e: ZinitError) => e.code === 'EZINITSOCKET' && /does not exist/.test(e.message),
    );
    assert.ok(Date.now() - t0 >= 300);
    const file = join(dir, 'plain');
    await writeFile(file, '');
    const t1 = Date.now();
    await assert.rejects(
      waitForSocket(file, { timeoutMs: 5000 }),
      (e: ZinitError) => e.code === 'EZINITSOCKET' && /not a socket/.test(e.message),
    );
    assert.ok(Date.now() - t1 < 1000, 'not a socket: no wait');
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('stop')), 100);
    await assert.rejects(
      waitForSocket(join(dir, 'never.sock'), { timeoutMs: 5000, pollMs: 20, signal: ac.signal }),
      /stop/,
    );
  },
);
