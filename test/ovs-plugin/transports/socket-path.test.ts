// `serve --socket`: a path a unix socket cannot hold, a missing directory, a directory another
// user could replace the socket in, a socket of another user: each refused with a clear error
// naming --socket, before anything binds. On SIGTERM only our own socket is removed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { run } from '../../../lib/exec.ts';
import { startOvs } from '../../helpers/ovs.ts';
import { BUNDLE, ensureBundle, startDaemon } from '../helpers.ts';

const serve = (socket: string) => run('node', [BUNDLE, 'serve', '--socket', socket, '--db', 'unix:/nonexistent.sock'], { allowFailure: true, timeoutMs: 20000 });
const listen = (path: string) => new Promise<ReturnType<typeof createServer>>((r) => { const s = createServer(); s.listen(path, () => r(s)); });

test('serve --socket: too long, missing directory, unsafe directory: refused before connecting, naming --socket', async (t) => {
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
  cases.push([join(open, 'p.sock'), 'EUNSAFE', /--socket: directory \S+open is writable by others \(mode 777\) and not sticky/]);
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
  // 107 bytes is fine (it gets as far as OVSDB, which is missing here).
  const r = await serve(long.slice(0, -1));
  assert.doesNotMatch(r.stdout, /--socket/);
});

test('serve --socket: a sticky shared directory is fine, another user\'s socket in it is not touched; SIGTERM removes only our socket', async (t) => {
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
  await assert.rejects(startDaemon(t, ovs, '', {}, { socket: theirs }), /EUNSAFE.*--socket: \S+ is a socket of uid 65534/);
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
});
