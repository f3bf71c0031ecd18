// A container's root is hostile: nic.root with config.dns never follows a link the container
// planted (etc -> elsewhere, resolv.conf -> a host file or /dev/zero), never reads anything but
// a regular file (a FIFO neither blocks the attach nor the node's lock), and a root that is the
// host's own (`/`, a root whose etc is the host's /etc, `/etc` itself) is refused with nothing
// changed. Every link points at scratch files of the test, asserted unchanged; the real host
// files are only ever compared, never written.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, rmdir, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ip } from '../../../lib/ip.ts';
import { container, nicEnv, type NicEnv } from './helpers.ts';

/** A scratch "host" directory with a victim file, and an empty container root beside it. */
async function scratch(t: TestContext): Promise<{ outside: string; victim: string; root: string }> {
  const d = await mkdtemp(join(tmpdir(), 'hostile-'));
  t.after(() => rm(d, { recursive: true, force: true }));
  const outside = join(d, 'outside');
  await mkdir(outside);
  await writeFile(join(outside, 'victim'), 'nameserver 192.0.2.1\nhost file\n');
  const root = join(d, 'root');
  await mkdir(root);
  return { outside, victim: join(outside, 'victim'), root };
}

/** The plugin with a Linux bridge br0 on its host, and one container. */
async function env(t: TestContext): Promise<{ e: NicEnv; c: string }> {
  const e = await nicEnv(t, { backplane: false });
  await ip({ name: e.host }, ['link', 'add', 'name', 'br0', 'type', 'bridge']);
  await ip({ name: e.host }, ['link', 'set', 'br0', 'up']);
  return { e, c: await container(t) };
}

const nic = (root: string, dns = ['10.8.0.53']) => ({
  type: 'bridge',
  id: 'br0',
  root,
  config: { cidr: '10.8.0.2/24', dns },
});

/** Attaches with `root`; asserts EINVALID naming nic.root and that nothing changed. */
async function refused(e: NicEnv, c: string, root: string, dns?: string[]): Promise<string> {
  const before = await e.snapshot(c);
  const r = await e.call('nic.attach', { target: { netns: c }, nic: nic(root, dns) });
  assert.equal(r.exitCode, 1, r.stdout);
  assert.equal(r.value.code, 'EINVALID', r.stdout);
  assert.equal(r.value.field, 'nic.root', r.stdout);
  assert.equal(await e.snapshot(c), before, 'nothing changed');
  return r.value.message;
}

test('root: etc planted as a link out of the root is refused; the file it points at is untouched', async (t) => {
  const { e, c } = await env(t);
  const s = await scratch(t);
  await symlink(s.outside, join(s.root, 'etc'));
  assert.match(await refused(e, c, s.root), /etc is a symbolic link/);
  assert.deepEqual(await readdir(s.outside), ['victim'], 'no resolv.conf made outside the root');
});

test('root: etc/resolv.conf planted as a link to a host file is neither read nor written', async (t) => {
  const { e, c } = await env(t);
  const s = await scratch(t);
  await mkdir(join(s.root, 'etc'));
  await symlink(s.victim, join(s.root, 'etc', 'resolv.conf'));
  assert.match(await refused(e, c, s.root), /resolv\.conf is a symbolic link/);
  assert.ok((await lstat(join(s.root, 'etc', 'resolv.conf'))).isSymbolicLink(), 'the link is left as it was');
  assert.equal(await readFile(s.victim, 'utf8'), 'nameserver 192.0.2.1\nhost file\n');
});

test('root: a FIFO as resolv.conf is refused at once, and the node lock stays free meanwhile', async (t) => {
  const { e, c } = await env(t);
  const s = await scratch(t);
  await mkdir(join(s.root, 'etc'));
  const fifo = join(s.root, 'etc', 'resolv.conf');
  execFileSync('mkfifo', [fifo]);
  // Whatever happens, release a reader blocked on the FIFO (an O_NONBLOCK writer needs a reader).
  t.after(() => {
    try {
      execFileSync('sh', ['-c', `exec 3<>'${fifo}'`], { timeout: 5000, stdio: 'ignore' });
    } catch {
      /* no reader */
    }
  });
  const attach = e.call('nic.attach', { target: { netns: c }, nic: nic(s.root) });
  await new Promise((r) => setTimeout(r, 1000));
  // A command that takes the node-wide lock, meanwhile (ELOCKED if the attach held it).
  const detach = await e.call('nic.detach', { target: { netns: c }, name: 'eth9' });
  assert.equal(detach.exitCode, 0, detach.stdout);
  const r = await attach;
  assert.equal(r.value.code, 'EINVALID', r.stdout);
  assert.match(r.value.message, /resolv\.conf is not a regular file/);
});

test('root: resolv.conf as a link to /dev/zero is refused, nothing read', async (t) => {
  const { e, c } = await env(t);
  const s = await scratch(t);
  await mkdir(join(s.root, 'etc'));
  await symlink('/dev/zero', join(s.root, 'etc', 'resolv.conf'));
  assert.match(await refused(e, c, s.root), /resolv\.conf is a symbolic link/);
});

test('root: a resolv.conf larger than 64 KiB is refused', async (t) => {
  const { e, c } = await env(t);
  const s = await scratch(t);
  await mkdir(join(s.root, 'etc'));
  await writeFile(join(s.root, 'etc', 'resolv.conf'), '#'.repeat(65 * 1024));
  assert.match(await refused(e, c, s.root), /larger than 65536 bytes/);
});

test("root: the host's / is refused with nothing changed (its resolv.conf untouched)", async (t) => {
  const { e, c } = await env(t);
  const hostResolv = await readFile('/etc/resolv.conf', 'utf8').catch(() => '');
  // A server the host file lists already: even a plugin that took `/` would have nothing to write.
  const have = /^nameserver (\S+)/m.exec(hostResolv)?.[1];
  if (!have) return t.skip('the host resolv.conf lists no nameserver');
  assert.match(await refused(e, c, '/', [have]), /is the host's root/);
  assert.equal(await readFile('/etc/resolv.conf', 'utf8'), hostResolv);
});

test('root: /etc as a root is refused (no etc is created there)', async (t) => {
  const { e, c } = await env(t);
  const hostResolv = await readFile('/etc/resolv.conf', 'utf8').catch(() => '');
  assert.match(await refused(e, c, '/etc'), /has no etc directory/);
  await assert.rejects(lstat('/etc/etc'), { code: 'ENOENT' });
  assert.equal(await readFile('/etc/resolv.conf', 'utf8').catch(() => ''), hostResolv);
});

test("root: a root whose etc is the host's /etc (a read-only bind mount) is refused", async (t) => {
  const { e, c } = await env(t);
  const root = await mkdtemp(join(tmpdir(), 'hostile-'));
  const etc = join(root, 'etc');
  await mkdir(etc);
  // One hook, in this order: unmount, then remove the two empty directories (never recursively:
  // the host's /etc is mounted there).
  t.after(async () => {
    try {
      execFileSync('umount', [etc]);
    } catch {
      /* not mounted */
    }
    await rmdir(etc);
    await rmdir(root);
  });
  // Read-only: whatever the plugin did, it could not write the host's /etc through it.
  execFileSync('mount', ['--bind', '/etc', etc]);
  execFileSync('mount', ['-o', 'remount,bind,ro', etc]);
  assert.match(await refused(e, c, root), /etc is the host's \/etc/);
});

test('root: a regular root still gets its lines, written in place of the file (no temporary left)', async (t) => {
  const { e, c } = await env(t);
  const s = await scratch(t);
  await mkdir(join(s.root, 'etc'));
  await writeFile(join(s.root, 'etc', 'resolv.conf'), 'nameserver 10.8.0.1');
  const r = await e.call('nic.attach', { target: { netns: c }, nic: nic(s.root, ['10.8.0.53']) });
  assert.equal(r.exitCode, 0, r.stdout);
  assert.equal(
    await readFile(join(s.root, 'etc', 'resolv.conf'), 'utf8'),
    'nameserver 10.8.0.1\nnameserver 10.8.0.53\n',
  );
  assert.deepEqual(await readdir(join(s.root, 'etc')), ['resolv.conf']);
  // The container swaps the file for a link to a host file holding our line: detach leaves both
  // alone (it neither rewrites the host file nor copies its text into the container).
  await writeFile(s.victim, 'nameserver 10.8.0.53\nhost file\n');
  await rm(join(s.root, 'etc', 'resolv.conf'));
  await symlink(s.victim, join(s.root, 'etc', 'resolv.conf'));
  assert.equal((await e.call('nic.detach', { target: { netns: c }, name: 'eth0' })).exitCode, 0);
  assert.equal(await readFile(s.victim, 'utf8'), 'nameserver 10.8.0.53\nhost file\n');
  assert.ok((await lstat(join(s.root, 'etc', 'resolv.conf'))).isSymbolicLink());
});
