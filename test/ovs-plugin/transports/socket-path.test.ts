// `serve --socket`: a path a unix socket cannot hold, a missing directory, a directory another
// user could replace the socket in, a socket of another user: each refused with a clear error
// naming --socket, before anything binds. On SIGTERM only our own socket is removed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { run } from '../../../lib/exec.ts';
import { startOvs } from '../../helpers/ovs.ts';
import { BUNDLE, ensureBundle, startDaemon } from '../helpers.ts';

const serve = (socket: string) =>
  run('node', [BUNDLE, 'serve', '--socket', socket, '--db', 'unix:/nonexistent.sock'], {
    allowFailure: true,
    timeoutMs: 20000,
  });
const listen = (path: string) =>
  new Promise<ReturnType<typeof createServer>>((r) => {
    const s = createServer();
    s.listen(path, () => r(s));
  });

test(
  'serve --socket: too long, missing directory, unsafe directory: refused ' + 'before connecting, naming --socket',
  async (t) => {
    await ensureBundle();
    const ovs = await startOvs(t, { vswitchd: false });
    const long = join(ovs.dir, 'x'.repeat(107 - ovs.dir.length));
    assert.equal(Buffer.byteLength(long), 108);
    const cases: [string, string, RegExp][] = [
      [long, 'EINVALID', /--socket: 108 bytes is longer than a unix socket path can be \(107\)/],
      [join(ovs.dir, 'nodir', 'p.sock'), 'EINVALID', /--socket: directory \S+nodir does not exist/],
    ];
    const open = join(ovs.dir, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    cases.push([
      join(open, 'p.sock'),
      'EUNSAFE',
      /--socket: directory \S+open is writable by others \(mode 777\) and not sticky/,
    ]);
    const foreign = join(ovs.dir, 'foreign');
    mkdirSync(foreign);
    chownSync(foreign, 65534, 65534);
    cases.push([join(foreign, 'p.sock'), 'EUNSAFE', /--socket: directory \S+foreign belongs to uid 65534/]);
    for (const [path, code, message] of cases) {
      const r = await serve(path);
      assert.equal(r.exitCode, 1, path);
      assert.match(r.stdout, new RegExp(`code=${code} `), path);
      assert.match(r.stdout, message);
      assert.doesNotMatch(r.stdout, /chmod|EACCES|ENOENT/);
    }
    // 107 bytes is fine: it binds and serves (OVSDB, missing here, is not waited for).
    const d = await startDaemon(
      t,
      { ns: ovs.ns, dir: ovs.dir, url: 'unix:/nonexistent.sock' },
      'p.sock',
      { OVS_PLUGIN_STATE: join(ovs.dir, 'nics.json') },
      { socket: long.slice(0, -1) },
    );
    assert.doesNotMatch(d.output(), /--socket/);
    d.proc.kill('SIGTERM');
    assert.equal(await d.exited, 0, d.output());
  },
);

test(
  "serve --socket: a sticky shared directory is fine, another user's socket in it is " +
    'not touched; SIGTERM removes only our socket',
  async (t) => {
    await ensureBundle();
    const ovs = await startOvs(t, { vswitchd: false });
    const shared = join(ovs.dir, 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o1777);
    // Another user's socket where ours should go: refused, left alone.
    const theirs = join(shared, 'theirs.sock');
    const impostor = await listen(theirs);
    t.after(() => impostor.close());
    chownSync(theirs, 65534, 65534);
    const ino = lstatSync(theirs).ino;
    await assert.rejects(
      startDaemon(t, ovs, '', {}, { socket: theirs }),
      /EUNSAFE.*--socket: \S+ is a socket of uid 65534/,
    );
    assert.equal(lstatSync(theirs).ino, ino);

    const d = await startDaemon(t, ovs, '', {}, { socket: join(shared, 'plugin.sock') });
    assert.equal(lstatSync(d.socket).mode & 0o777, 0o600);
    // Someone replaces our socket; on SIGTERM we must not remove theirs.
    unlinkSync(d.socket);
    const replacement = await listen(d.socket);
    t.after(() => replacement.close());
    const replaced = lstatSync(d.socket).ino;
    d.proc.kill('SIGTERM');
    assert.equal(await d.exited, 0, d.output());
    assert.equal(lstatSync(d.socket).ino, replaced, 'the other socket is still there');
    assert.match(d.output(), /ovs-plugin-socket-not-ours/);
  },
);

// The handlers come first: a SIGTERM during start-up, OVSDB never reached (the daemon no longer
// waits for it before binding), ends it with exit 0, not the signal's default death. The test
// waits for the `starting` line, which comes after the handlers (Node's own start-up handlers
// would look the same in /proc).
test('serve: SIGTERM during start-up (OVSDB not reached yet) ends it cleanly, exit 0, nothing left', async (t) => {
  await ensureBundle();
  const dir = await mkdtemp(join(tmpdir(), 'ovs-start-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const socket = join(dir, 'p.sock');
  // Its start-up nic gc runs at once now: the state file in the test's dir, not the node's /run.
  const env = { ...process.env, OVS_PLUGIN_STATE: join(dir, 'nics.json') };
  const proc = spawn('node', [BUNDLE, 'serve', '--socket', socket, '--db', `unix:${join(dir, 'no-db.sock')}`], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout.on('data', (d) => {
    out += d;
  });
  proc.stderr.on('data', (d) => {
    out += d;
  });
  const exited = new Promise<number | string>((r) => proc.once('exit', (code, sig) => r(code ?? sig ?? -1)));
  t.after(() => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  });
  const end = Date.now() + 30000;
  while (!out.includes('ovs-plugin-starting')) {
    assert.ok(Date.now() < end, `the daemon did not start: ${out}`);
    assert.equal(proc.exitCode, null, out);
    await new Promise((r) => setTimeout(r, 20));
  }
  proc.kill('SIGTERM');
  assert.equal(await exited, 0, out);
  assert.match(out, /ovs-plugin-stopped/);
  assert.doesNotMatch(out, /ovsdb-connected/);
  assert.equal(existsSync(socket), false);
});
