// config.dhcp with a hostile root: the hook (root, host mount namespace, every lease) writes the
// nic's own file beside the state and copies it into <root>/etc/resolv.conf without following
// what the container planted there (resolv.conf.tmp -> a host file, etc swapped for a link on a
// renewal); its deconfig mark goes with the client. Links point at scratch files only.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { lstat, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { deleteNetns } from '../../../lib/netns.ts';
import { container, dhcpOnBridge, nicEnv, type NicEnv } from './helpers.ts';

const VICTIM = 'nameserver 192.0.2.1\nhost file\n';

/** The plugin with bridge br0 (10.9.0.1/24) on its host and dnsmasq serving it (DNS 10.9.0.53). */
async function dhcpEnv(t: TestContext): Promise<NicEnv> {
  const e = await nicEnv(t, { backplane: false });
  await dhcpOnBridge(t, e, '10.9.0');
  return e;
}

test('dhcp root: the hook never follows a planted link (resolv.conf.tmp at the lease, etc on a renewal)', async (t) => {
  const e = await dhcpEnv(t);
  const c = await container(t);
  const d = await mkdtemp(join(tmpdir(), 'hostile-'));
  t.after(() => rm(d, { recursive: true, force: true }));
  const outside = join(d, 'outside');
  await mkdir(outside);
  await writeFile(join(outside, 'victim'), VICTIM);
  const root = join(d, 'root');
  await mkdir(join(root, 'etc'), { recursive: true });
  await symlink(join(outside, 'victim'), join(root, 'etc', 'resolv.conf.tmp'));

  const r = await e.call('nic.attach', {
    target: { netns: c },
    nic: { type: 'bridge', id: 'br0', root, config: { dhcp: true } },
  });
  assert.equal(r.exitCode, 0, r.stdout);
  assert.match(r.value.addresses[0] ?? '', /^10\.9\.0\.(1\d\d|200)\/24$/, r.stdout);
  // The lease's DNS reaches the root as a regular file (the hook's copy runs after the address).
  const resolv = join(root, 'etc', 'resolv.conf');
  for (let i = 0; i < 100 && !(await lstat(resolv).catch(() => undefined)); i++)
    await new Promise((res) => setTimeout(res, 100));
  assert.ok((await lstat(resolv)).isFile());
  assert.match(await readFile(resolv, 'utf8'), /^nameserver 10\.9\.0\.53$/m);
  assert.equal(
    await readFile(join(outside, 'victim'), 'utf8'),
    VICTIM,
    'the planted resolv.conf.tmp was not written through',
  );
  assert.ok((await lstat(join(root, 'etc', 'resolv.conf.tmp'))).isSymbolicLink());

  // The container swaps etc for a link out of its root; a renewal (SIGUSR1) must not follow it.
  const rec = JSON.parse(await readFile(e.state, 'utf8')).nics.at(-1);
  const pid = Number((await readFile(rec.dhcp.pidfile, 'utf8')).trim());
  const own = rec.dhcp.resolv as string;
  const before = (await stat(own)).mtimeMs;
  await rename(join(root, 'etc'), join(root, 'etc.real'));
  await symlink(outside, join(root, 'etc'));
  process.kill(pid, 'SIGUSR1');
  // Until the renewal rewrote the nic's own file (or, wrongly, something appeared outside).
  for (let i = 0; i < 200; i++) {
    if ((await readdir(outside)).length > 1 || (await stat(own).catch(() => undefined))?.mtimeMs !== before) break;
    await new Promise((res) => setTimeout(res, 100));
  }
  assert.notEqual((await stat(own)).mtimeMs, before, 'the client renewed');
  await new Promise((res) => setTimeout(res, 500)); // the copy runs after the rewrite
  assert.deepEqual(await readdir(outside), ['victim'], 'nothing written through the planted etc');
  assert.equal(await readFile(join(outside, 'victim'), 'utf8'), VICTIM);
});

/** The nic files left beside the state: hook marks, pid and resolv files. */
const leftovers = async (e: NicEnv) =>
  (await readdir(dirname(e.state))).filter((f) => /^udhcpc-nic\.sh\.\d+$|\.mark$|^dhcp-/.test(f));

test("dhcp: the hook's marks go with their client (detach, and gc of a dead container)", async (t) => {
  const e = await dhcpEnv(t);
  const c1 = await container(t);
  const r = await e.call('nic.attach', {
    target: { netns: c1 },
    nic: { type: 'bridge', id: 'br0', config: { dhcp: true } },
  });
  assert.equal(r.exitCode, 0, r.stdout);
  assert.ok((await leftovers(e)).length > 0, 'the client has its files while it runs');
  assert.equal((await e.call('nic.detach', { target: { netns: c1 }, name: 'eth0' })).exitCode, 0);
  assert.deepEqual(await leftovers(e), [], 'nothing of the nic is left in the state directory after detach');

  const c2 = await container(t);
  assert.equal(
    (await e.call('nic.attach', { target: { netns: c2 }, nic: { type: 'bridge', id: 'br0', config: { dhcp: true } } }))
      .exitCode,
    0,
  );
  await deleteNetns(c2);
  assert.equal((await e.call('nic.gc', {})).value.removed.length, 1);
  assert.deepEqual(await leftovers(e), [], 'nothing of the nic is left in the state directory after gc');
});
