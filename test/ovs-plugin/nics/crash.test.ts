// Crash safety: the plugin SIGKILLed at every step of each kind's attach and detach
// (OVS_PLUGIN_FAILPOINT), then nic.gc: the system is either "attached" or "nothing", never in
// between. Also: a container that dies while attached is cleaned up by gc; nic.check reports
// an OVS port deleted behind our back and repair restores it (traffic flows again).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { run } from '../../../lib/exec.ts';
import { deleteNetns, runIn } from '../../../lib/netns.ts';
import { listLinks } from '../../../lib/ip.ts';
import { BUNDLE, pluginEnv, portsOf } from '../helpers.ts';
import { container, nicEnv, pings, type NicEnv } from './helpers.ts';

const STEPS: Record<string, { attach: string[]; detach: string[] }> = {
  vlan: { attach: ['attach:recorded', 'attach:bridge', 'attach:veth', 'attach:plugged', 'attach:renamed', 'attach:dns', 'attach:done'], detach: ['detach:recorded', 'detach:unplugged', 'detach:deleted', 'detach:done'] },
  vxlan: { attach: ['attach:recorded', 'attach:bridge', 'attach:veth', 'attach:plugged', 'attach:renamed', 'attach:dns', 'attach:done'], detach: ['detach:recorded', 'detach:unplugged', 'detach:deleted', 'detach:done'] },
  default: { attach: ['attach:recorded', 'attach:bridge', 'attach:veth', 'attach:plugged', 'attach:renamed', 'attach:dns', 'attach:done'], detach: ['detach:recorded', 'detach:unplugged', 'detach:deleted', 'detach:done'] },
  bridge: { attach: ['attach:recorded', 'attach:bridge', 'attach:veth', 'attach:plugged', 'attach:renamed', 'attach:dns', 'attach:done'], detach: ['detach:recorded', 'detach:unplugged', 'detach:deleted', 'detach:done'] },
  macvlan: { attach: ['attach:recorded', 'attach:created', 'attach:moved', 'attach:renamed', 'attach:dns', 'attach:done'], detach: ['detach:recorded', 'detach:deleted', 'detach:done'] },
  passthrough: { attach: ['attach:recorded', 'attach:down', 'attach:moved', 'attach:renamed', 'attach:dns', 'attach:done'], detach: ['detach:recorded', 'detach:moved', 'detach:done'] },
};

/** Runs one exec call that is meant to die at `step`: SIGKILL, no answer. */
async function killedAt(e: NicEnv, step: string, cmd: string, args: unknown): Promise<void> {
  const r = await runIn({ name: e.host }, 'node', [BUNDLE, cmd, JSON.stringify(args)], {
    env: { ...pluginEnv(e.ovs), OVS_PLUGIN_STATE: e.state, OVS_PLUGIN_FAILPOINT: step }, allowFailure: true, timeoutMs: 30000,
  }).catch((err) => err);
  assert.equal(r.signal, 'SIGKILL', `${cmd} killed at ${step}: ${JSON.stringify(r.stdout ?? r.message)}`);
}

const nics = async (e: NicEnv) => JSON.parse(await readFile(e.state, 'utf8').catch(() => '{"nics":[]}')).nics as any[];

for (const [kind, steps] of Object.entries(STEPS)) {
  test(`${kind}: SIGKILL at every attach and detach step, then gc -> attached or nothing`, async (t) => {
    const e = await nicEnv(t);
    const c1 = await container(t);
    const peer = await container(t);
    await run('ip', ['-n', e.host, 'link', 'add', 'name', 'br0', 'address', '02:00:00:00:0d:01', 'type', 'bridge']);
    await run('ip', ['-n', e.host, 'link', 'set', 'br0', 'up']);
    await run('ip', ['-n', e.host, 'link', 'add', 'name', 'vh0', 'address', '02:00:00:00:0d:02', 'type', 'veth', 'peer', 'name', 'vp0', 'netns', peer]);
    await run('ip', ['-n', e.host, 'link', 'set', 'vh0', 'up']);
    await run('ip', ['-n', peer, 'link', 'set', 'vp0', 'up']);
    const root = e.ovs.dir;
    await run('mkdir', ['-p', `${root}/etc`]);
    if (kind === 'vxlan') {
      await e.ovs.addBridge('vxbackend');
      await run('ip', ['-n', e.host, 'link', 'set', 'vxbackend', 'up']);
    }
    const id = kind === 'vlan' ? 10 : kind === 'vxlan' ? 100 : kind === 'bridge' ? 'br0' : kind === 'default' ? undefined : 'vh0';
    const veth = ['vlan', 'vxlan', 'bridge', 'default'].includes(kind);
    const nic = { type: kind, id, root, config: { ...(kind === 'default' ? {} : { cidr: '10.7.0.1/24' }), dns: ['10.7.0.53'] } };
    if (veth) {
      // A peer attached throughout (it must survive every crash and gc untouched); it also makes
      // the VLAN bridge exist, which a rolled-back attach legitimately leaves.
      await run('ip', ['-n', peer, 'link', 'del', 'vp0']);
      const pr = await e.call('nic.attach', { target: { netns: peer }, nic: { type: kind, id, ...(kind === 'default' ? {} : { config: { cidr: '10.7.0.2/24' } }) } });
      assert.equal(pr.exitCode, 0, pr.stdout);
    } else {
      await run('ip', ['-n', peer, 'addr', 'add', '10.7.0.2/24', 'dev', 'vp0']);
    }
    const nothing = await e.snapshot(c1, peer);
    const target = { netns: c1 };
    for (const step of steps.attach) {
      await killedAt(e, step, 'nic.attach', { target, nic });
      const gc = await e.call('nic.gc', {});
      assert.equal(gc.exitCode, 0, gc.stdout);
      assert.equal(gc.value.undone.length, 1, `${step}: gc undid the cut-short attach: ${gc.stdout}`);
      assert.equal(await e.snapshot(c1, peer), nothing, `${step}: nothing left`);
      assert.equal((await e.call('nic.gc', {})).value.undone.length, 0, 'a second gc finds nothing');
    }
    for (const step of steps.detach) {
      const a = await e.call('nic.attach', { target, nic });
      assert.equal(a.exitCode, 0, a.stdout);
      assert.ok(await pings(c1, kind === 'default' ? '172.18.0.2' : '10.7.0.2'), `${step}: attached nic carries traffic`);
      await killedAt(e, step, 'nic.detach', { target, name: 'eth0' });
      const gc = await e.call('nic.gc', {});
      assert.equal(gc.value.finished.length, 1, `${step}: gc finished the detach: ${gc.stdout}`);
      assert.equal(await e.snapshot(c1, peer), nothing, `${step}: nothing left`);
    }
    assert.equal((await nics(e)).length, veth ? 1 : 0, 'only the peer is still attached');
  });
}

test('gc removes a dead container\'s host veth and OVS port; check reports a deleted port, repair restores it', async (t) => {
  const e = await nicEnv(t);
  const c1 = await container(t);
  const c2 = await container(t);
  const r1 = await e.call('nic.attach', { target: { netns: c1 }, nic: { type: 'vlan', id: 30, config: { cidr: '10.6.0.1/24' } } });
  const r2 = await e.call('nic.attach', { target: { netns: c2 }, nic: { type: 'vlan', id: 30, config: { cidr: '10.6.0.2/24' } } });
  assert.ok(await pings(c1, '10.6.0.2'));

  await e.ovs.vsctl('del-port', 'vlbr30', r2.value.host);
  assert.equal(await pings(c1, '10.6.0.2', 1), false, 'the port is gone');
  const chk = await e.call('nic.check', { target: { netns: c2 }, name: 'eth0' });
  assert.equal(chk.value.ok, false);
  assert.deepEqual(chk.value.drift.map((d: any) => d.what), ['port']);
  const fix = await e.call('nic.check', { target: { netns: c2 }, name: 'eth0', repair: true });
  assert.deepEqual([fix.value.ok, fix.value.repaired.map((d: any) => d.what)], [true, ['port']], fix.stdout);
  assert.ok(await pings(c1, '10.6.0.2'), 'traffic flows again');
  const listed = (await e.call('nic.list', { target: { netns: c2 } })).value[0];
  assert.equal(listed.check.ok, true, 'the last check is kept');

  await deleteNetns(c1);
  const gc = await e.call('nic.gc', {});
  assert.deepEqual(gc.value.removed.length, 1, gc.stdout);
  assert.ok(!(await portsOf(e.ovs, 'vlbr30')).includes(r1.value.host), 'its OVS port is gone');
  assert.ok(!(await listLinks({ name: e.host })).some((l) => l.ifname === r1.value.host), 'its host veth is gone');
  assert.deepEqual((await nics(e)).map((r) => r.name), ['eth0']);
  assert.ok((await portsOf(e.ovs, 'vlbr30')).includes(r2.value.host), 'the live one is untouched');

  // nic.detach of a nic whose container died: success, and its leftovers go.
  await deleteNetns(c2);
  assert.equal((await e.call('nic.detach', { target: { netns: c2 }, name: 'eth0' })).exitCode, 0);
  assert.ok(!(await portsOf(e.ovs, 'vlbr30')).includes(r2.value.host));
  assert.ok(!(await listLinks({ name: e.host })).some((l) => l.ifname === r2.value.host));
  assert.deepEqual(await nics(e), []);
});
