// A vlan nic sees its own VLAN only, whatever layout its VLAN bridge has. VLAN 0 is the hard
// case: v1's patch bridge of VLAN 0 is patched to the master by an untagged (trunk) port and
// so carries every tag, and a fake bridge of tag 0 sits on the master itself. With real frames
// (python3 raw sockets: this kernel has no vlan links): a VLAN-0 container neither receives
// VLAN 10's broadcasts nor gets an answer to an ARP request it tags 10; its untagged peer
// answers, and on VLAN 10 the probe is answered (so the silence is the port, not the probe).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runIn } from '../../helpers/netns.ts';
import { arpProbe } from './frames.ts';
import { container, nicEnv, pings, type NicEnv } from './helpers.ts';

const LAYOUTS = [
  ['default layout (VLAN 0 a v1 patch bridge, VLAN 10 a fake bridge)', {}, false],
  ['OVS_VLAN_LAYOUT=patch (both v1 patch bridges)', { OVS_VLAN_LAYOUT: 'patch' }, false],
  ['VLAN 0 a fake bridge of tag 0 (ovs-vsctl add-br vlbr0 backplane 0)', {}, true],
] as const;

for (const [label, env, fake0] of LAYOUTS) {
  test(`vlan 0 nic: untagged frames only, no VLAN 10 frames in or out: ${label}`, async (t) => {
    const e = await nicEnv(t);
    if (fake0) await e.ovs.vsctl('add-br', 'vlbr0', 'backplane', '0');
    const attach = async (ns: string, id: number, cidr: string, hwaddr: string) => {
      const r = await e.call(
        'nic.attach',
        { target: { netns: ns }, nic: { type: 'vlan', id, hwaddr, config: { cidr } } },
        env,
      );
      assert.equal(r.exitCode, 0, r.stdout);
      return r.value;
    };
    const [c0, c0b, c10, c10b] = [await container(t), await container(t), await container(t), await container(t)];
    const r0 = await attach(c0, 0, '10.6.0.1/24', '02:00:00:00:06:01');
    await attach(c0b, 0, '10.6.0.2/24', '02:00:00:00:06:02');
    await attach(c10, 10, '10.7.0.10/24', '02:00:00:00:07:0a');
    await attach(c10b, 10, '10.7.0.11/24', '02:00:00:00:07:0b');
    assert.ok(await pings(c0, '10.6.0.2'), 'VLAN 0: the untagged peer answers');

    // VLAN 10 is live: its member's untagged ARP request is answered.
    const control = await arpProbe(c10b, 'eth0', '02:00:00:00:07:0b', '10.7.0.11', '10.7.0.10', -1);
    assert.ok(control.replies > 0, `VLAN 10 answers its own member: ${JSON.stringify(control)}`);

    // While c10 broadcasts on VLAN 10, c0 asks for c10 in frames it tags 10.
    const noise = runIn(c10, 'busybox', ['arping', '-c', '6', '-I', 'eth0', '10.7.0.99'], {
      allowFailure: true,
      timeoutMs: 30000,
    });
    const seen = await arpProbe(c0, 'eth0', '02:00:00:00:06:01', '10.7.0.1', '10.7.0.10', 10);
    await noise;
    assert.deepEqual(
      seen,
      { requests: 0, replies: 0 },
      'the VLAN-0 nic neither receives VLAN 10 frames nor gets an answer to a frame it tags 10',
    );
    assert.deepEqual((await checkOf(e, c0)).drift, []);
    assert.equal(await e.ovs.vsctl('get', 'Port', r0.host, 'vlan_mode'), 'access');

    // A port made a trunk behind our back (or by an older plugin) is drift, and repair fixes it.
    await e.ovs.vsctl('clear', 'Port', r0.host, 'vlan_mode', 'tag');
    assert.deepEqual((await checkOf(e, c0)).drift, [
      { what: 'port-vlan-mode', want: 'access', got: 'trunk', repairable: true },
    ]);
    const fixed = (await e.call('nic.check', { target: { netns: c0 }, name: 'eth0', repair: true })).value;
    assert.equal(fixed.ok, true, JSON.stringify(fixed));
    assert.equal(await e.ovs.vsctl('get', 'Port', r0.host, 'vlan_mode'), 'access');
  });
}

const checkOf = async (e: NicEnv, ns: string) =>
  (await e.call('nic.check', { target: { netns: ns }, name: 'eth0' })).value;
