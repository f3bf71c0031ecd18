// config.dhcp: a renewing udhcpc inside the container (dnsmasq on the host's bridge serves it),
// started detached with its pid file recorded: address, default route and DNS applied; check
// sees a killed client and repair restarts it; detach and gc (dead container) stop it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ip } from '../../../lib/ip.ts';
import { deleteNetns } from '../../../lib/netns.ts';
import { runIn } from '../../helpers/netns.ts';
import { BUNDLE, pluginEnv } from '../helpers.ts';
import { container, dhcpOnBridge, nicEnv, pings } from './helpers.ts';

const clientPid = async (state: string) => {
  const rec = JSON.parse(await readFile(state, 'utf8')).nics.at(-1);
  return Number((await readFile(rec.dhcp.pidfile, 'utf8')).trim());
};
const running = async (pid: number) =>
  (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).includes('udhcpc');

test('dhcp: lease applied inside, client keeps running (renews); check/repair; detach and gc stop it', async (t) => {
  const e = await nicEnv(t, { backplane: false });
  await dhcpOnBridge(t, e, '10.8.0', '02:00:00:00:10:01');
  const [c1, c2] = [await container(t), await container(t)];
  const root = join(e.ovs.dir, 'root');
  await mkdir(join(root, 'etc'), { recursive: true });

  const r = await e.call('nic.attach', {
    target: { netns: c1 },
    nic: { type: 'bridge', id: 'br0', root, config: { dhcp: true } },
  });
  assert.equal(r.exitCode, 0, r.stdout);
  assert.match(r.value.addresses[0] ?? '', /^10\.8\.0\.(1\d\d|200)\/24$/, r.stdout);
  const route = JSON.parse(await ip({ name: c1 }, ['-j', 'route', 'show', 'default']));
  assert.equal(route[0]?.gateway, '10.8.0.1');
  assert.match(await readFile(join(root, 'etc', 'resolv.conf'), 'utf8'), /^nameserver 10\.8\.0\.53$/m);
  assert.ok(await pings(c1, '10.8.0.1'));
  const pid = await clientPid(e.state);
  assert.ok(await running(pid), 'the client keeps running after the lease (it renews; not -q)');

  process.kill(pid, 'SIGKILL');
  await new Promise((res) => setTimeout(res, 200));
  const chk = await e.call('nic.check', { target: { netns: c1 }, name: 'eth0' });
  assert.deepEqual(
    chk.value.drift.map((d: any) => d.what),
    ['dhcp'],
  );
  const fix = await e.call('nic.check', { target: { netns: c1 }, name: 'eth0', repair: true });
  assert.deepEqual([fix.value.ok, fix.value.repaired.map((d: any) => d.what)], [true, ['dhcp']], fix.stdout);
  const pid2 = await clientPid(e.state);
  assert.ok(await running(pid2));

  assert.equal((await e.call('nic.detach', { target: { netns: c1 }, name: 'eth0' })).exitCode, 0);
  assert.equal(await running(pid2), false, 'detach stopped the client');

  const r2 = await e.call('nic.attach', {
    target: { netns: c2 },
    nic: { type: 'bridge', id: 'br0', config: { dhcp: true } },
  });
  assert.equal(r2.exitCode, 0, r2.stdout);
  const pid3 = await clientPid(e.state);
  assert.ok(await running(pid3));
  await deleteNetns(c2);
  const gc = await e.call('nic.gc', {});
  assert.equal(gc.value.removed.length, 1, gc.stdout);
  assert.equal(await running(pid3), false, "gc stopped the dead container's client");
  assert.deepEqual(JSON.parse(await readFile(e.state, 'utf8')).nics, []);

  // Killed after the client started: gc undoes the attach and stops the client by its pid file.
  const c3 = await container(t);
  const killed = await runIn(
    e.host,
    'node',
    [
      BUNDLE,
      'nic.attach',
      JSON.stringify({ target: { netns: c3 }, nic: { type: 'bridge', id: 'br0', config: { dhcp: true } } }),
    ],
    { env: { ...pluginEnv(e.ovs), OVS_PLUGIN_STATE: e.state, OVS_PLUGIN_FAILPOINT: 'attach:done' }, timeoutMs: 30000 },
  ).catch((err) => err);
  assert.equal(killed.signal, 'SIGKILL');
  const pid4 = await clientPid(e.state);
  assert.ok(await running(pid4));
  assert.equal((await e.call('nic.gc', {})).value.undone.length, 1);
  assert.equal(await running(pid4), false, 'gc stopped the client of the undone attach');
});
