// The link-event fallback, end to end: the bundle without its netlink addon (prebuilds/ gone)
// falls back to `ip -o monitor link`, and an image whose `sh` is busybox-static (which runs its
// own `ip` applet, without `monitor`, whatever $PATH says) must not matter: a NIC whose carrier
// comes late is still seen and the node comes online.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { ipJson } from '../../lib/ip.ts';
import { addNic, makeTopology, plug, startDnsmasq, unplug } from '../helpers/topology.ts';
import { AGENT, agentEnv, probeNamespacesOf, startAgent, waitFor } from '../helpers/agent-run.ts';
import { candidatesFor, findTool, IP_PLACES } from '../../lib/tools.ts';

const BUSYBOX = '/bin/busybox';

test("the resolver takes iproute2's ip and util-linux's setpriv, never a busybox applet of that name", async (t) => {
  const dir = join((await makeTopology(t)).dir, 'bb');
  await mkdir(dir);
  for (const n of ['ip', 'setpriv']) await symlink(BUSYBOX, join(dir, n));
  assert.deepEqual(candidatesFor('ip', ['/usr/sbin/ip'], `${dir}:/usr/sbin:/bin`), [
    '/usr/sbin/ip',
    join(dir, 'ip'),
    '/bin/ip',
  ]);
  assert.equal(
    await findTool([join(dir, 'ip'), ...IP_PLACES], '-V', /iproute2/),
    IP_PLACES.find((p) => p !== join(dir, 'ip')),
  );
  assert.equal(await findTool([join(dir, 'ip')], '-V', /iproute2/), undefined);
  assert.equal(
    await findTool([join(dir, 'setpriv'), '/usr/bin/setpriv'], '--version', /util-linux/),
    '/usr/bin/setpriv',
  );
  assert.equal(await findTool([join(dir, 'nosuch')], '-V', /iproute2/), undefined);
});

test('without the netlink addon and with busybox as sh: a NIC whose carrier comes late is seen, online', async (t) => {
  const topo = await makeTopology(t);
  const nic = await addNic(topo, 'eth1');
  await startDnsmasq(t, topo, nic, { net: '10.67.5' });
  await unplug(topo, nic);
  // A copy of the bundle without prebuilds/: the addon cannot load.
  const bundleDir = join(topo.dir, 'dist');
  await mkdir(bundleDir);
  await copyFile(AGENT, join(bundleDir, 'internet.js'));
  await copyFile(join(AGENT, '..', 'package.json'), join(bundleDir, 'package.json'));
  // busybox-static as the first `sh` on $PATH, as in an image.
  const bb = join(topo.dir, 'bb');
  await mkdir(bb);
  await symlink(BUSYBOX, join(bb, 'sh'));
  const env = await agentEnv(t, topo, 'zos-debug');
  const run = startAgent(env, ['eth1'], [], {
    bundle: join(bundleDir, 'internet.js'),
    env: { PATH: `${bb}:${process.env.PATH}` },
  });
  t.after(() => {
    run.proc.kill('SIGKILL');
  });
  await waitFor('the fallback', () => /link-events via=ip-monitor/.test(run.output()), 30_000);
  assert.match(run.output(), /warn netlink-unavailable/);
  await new Promise((r) => setTimeout(r, 1500));
  await plug(topo, nic);
  const timer = setTimeout(() => run.proc.kill('SIGKILL'), 60_000);
  const r = await run.done;
  clearTimeout(timer);
  assert.equal(r.code, 0, r.out);
  assert.doesNotMatch(r.out, /ip-monitor-(failed|exited|untied)/);
  const def = await ipJson<{ gateway?: string; dev: string }>({ name: topo.node }, ['-4', 'route', 'show', 'default']);
  assert.deepEqual(
    def.map((d) => `${d.gateway} ${d.dev}`),
    ['10.67.5.1 zos'],
  );
  assert.deepEqual(await probeNamespacesOf(topo.node), []);
});
