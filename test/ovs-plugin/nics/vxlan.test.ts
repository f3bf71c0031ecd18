// vxlan nics between two "nodes": two Open vSwitch instances in two namespaces, each with the
// `vxbackend` bridge joined by a veth underlay, VXLAN with unicast `remotes`. Containers on one
// VNI reach each other across the nodes (ping and TCP), one on another VNI does not; detach
// leaves the VXLAN bridges and nothing else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ip, listLinks } from '../../../lib/ip.ts';
import { portsOf } from '../helpers.ts';
import { netnsNamed } from '../../../lib/netns.ts';
import { txOff } from '../../../ovs-plugin/nics/veth.ts';
import { container, nicEnv, pings, tcpEchoes, type NicEnv } from './helpers.ts';

async function node(e: NicEnv, addr: string): Promise<void> {
  await e.ovs.addBridge('vxbackend');
  await e.ovs.vsctl('set', 'Interface', 'vxbackend', 'mtu_request=2000');
  await ip({ name: e.host }, ['addr', 'add', addr, 'dev', 'vxbackend']);
  await ip({ name: e.host }, ['link', 'set', 'vxbackend', 'up']);
}

test(
  'vxlan: two nodes, same VNI reaches across (ping, ' + 'TCP), another VNI does not; detach leaves nothing',
  async (t) => {
    const [a, b] = [await nicEnv(t, { backplane: false }), await nicEnv(t, { backplane: false })];
    await node(a, '10.20.0.1/24');
    await node(b, '10.20.0.2/24');
    await ip({ name: a.host }, [
      'link',
      'add',
      'name',
      'ua',
      'mtu',
      '2000',
      'type',
      'veth',
      'peer',
      'name',
      'ub',
      'mtu',
      '2000',
      'netns',
      b.host,
    ]);
    for (const [e, u] of [
      [a, 'ua'],
      [b, 'ub'],
    ] as const) {
      await e.ovs.vsctl('add-port', 'vxbackend', u);
      await ip({ name: e.host }, ['link', 'set', u, 'up']);
      await txOff(netnsNamed(e.host), u); // the underlay veth on a netdev bridge, as the plugin does for its own
    }
    for (const [e, peer] of [
      [a, '10.20.0.2'],
      [b, '10.20.0.1'],
    ] as const) {
      for (const vni of [100, 200]) {
        const r = await e.call('ovs.vxlan-ensure', { master: 'vxbackend', vxlan: vni, remotes: [peer] });
        assert.equal(r.exitCode, 0, r.stdout);
      }
    }
    assert.ok(await pings(a.host, '10.20.0.2'), 'underlay');
    const [ca, cb, cx] = [await container(t), await container(t), await container(t)];
    const attach = async (e: NicEnv, ns: string, vni: number, ip: string) => {
      const r = await e.call('nic.attach', {
        target: { netns: ns },
        nic: { type: 'vxlan', id: vni, config: { cidr: ip } },
      });
      assert.equal(r.exitCode, 0, r.stdout);
      return r.value;
    };
    const ra = await attach(a, ca, 100, '10.30.0.1/24');
    assert.deepEqual([ra.bridge, ra.vni], ['vxlbr100', 100]);
    await attach(b, cb, 100, '10.30.0.2/24');
    await attach(b, cx, 200, '10.30.0.3/24');
    assert.ok(await pings(ca, '10.30.0.2'), 'same VNI across nodes: ping');
    assert.ok(await tcpEchoes(cb, '10.30.0.2', ca), 'same VNI across nodes: TCP');
    assert.equal(await pings(ca, '10.30.0.3', 1), false, 'another VNI: no ping');

    assert.equal((await a.call('nic.detach', { target: { netns: ca }, name: 'eth0' })).exitCode, 0);
    assert.equal((await b.call('nic.detach', { target: { netns: cb }, name: 'eth0' })).exitCode, 0);
    assert.equal((await b.call('nic.detach', { target: { netns: cx }, name: 'eth0' })).exitCode, 0);
    assert.deepEqual(await portsOf(a.ovs, 'vxlbr100'), ['vtep100']);
    assert.deepEqual(await portsOf(b.ovs, 'vxlbr200'), ['vtep200']);
    for (const ns of [ca, cb, cx])
      assert.deepEqual(
        (await listLinks({ name: ns })).map((l) => l.ifname),
        ['lo'],
      );
  },
);

test('vxlan: a missing VXLAN bridge is made as vxlan-ensure makes it (multicast group of the VNI)', async (t) => {
  const e = await nicEnv(t, { backplane: false });
  await node(e, '10.21.0.1/24');
  const c = await container(t);
  const r = await e.call('nic.attach', { target: { netns: c }, nic: { type: 'vxlan', id: 1000 } });
  assert.equal(r.exitCode, 0, r.stdout);
  assert.equal(r.value.bridge, 'vxlbr1000');
  const [vtep] = await listLinks({ name: e.host }, 'vtep1000');
  assert.equal(vtep?.linkinfo?.info_data?.group, '239.0.0.4');
  assert.deepEqual(await portsOf(e.ovs, 'vxlbr1000'), [r.value.host, 'vtep1000'].sort());
  const missing = await nicEnv(t, { backplane: false });
  const m = await missing.call('nic.attach', { target: { netns: c }, nic: { type: 'vxlan', id: 1000 } });
  assert.equal(m.value.code, 'ENOTFOUND', 'no vxbackend: nothing made');
});
