// fleet nics on two chassis (each its own Open vSwitch, plugin and ovn-controller) and a central
// (NB, SB, northd), all in namespaces made for the test: containers on different chassis reach
// each other over Geneve and over VXLAN (ping and TCP, at the MTU the plugin chose), two networks
// are isolated, port security drops a spoofed source address and MAC, nic.check sees NB, SB and
// the interface agree, detach removes the logical port.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { ip } from '../../../lib/ip.ts';
import { runIn } from '../../helpers/netns.ts';
import { joinedChassis, startCentral, type Central, type Chassis } from '../../helpers/ovn-world.ts';
import { container, pings, tcpEchoes } from '../nics/helpers.ts';

async function attach(ch: Chassis, ns: string, network: string, cidr: string) {
  const r = await ch.call('nic.attach', {
    target: { netns: ns },
    nic: { type: 'fleet', id: network, config: { cidr } },
  });
  assert.equal(r.exitCode, 0, r.stdout);
  return r.value;
}

async function twoChassis(t: TestContext, encap: 'geneve' | 'vxlan'): Promise<[Central, Chassis, Chassis]> {
  const c = await startCentral(t);
  const [a, b] = await Promise.all([joinedChassis(t, c, 1, encap), joinedChassis(t, c, 2, encap)]);
  return [c, a, b];
}

for (const encap of ['geneve', 'vxlan'] as const) {
  test(`fleet nics over ${encap}: reach across chassis, isolated networks, port security, check, detach`, async (t) => {
    const [c, a, b] = await twoChassis(t, encap);
    for (const n of ['blue', 'red']) assert.equal((await a.call('fleet.network-ensure', { name: n })).exitCode, 0);
    const [c1, c2, c3] = [await container(t), await container(t), await container(t)];
    const r1 = await attach(a, c1, 'blue', '10.50.0.1/24');
    const r2 = await attach(b, c2, 'blue', '10.50.0.2/24');
    await attach(b, c3, 'red', '10.50.0.3/24');
    // The underlay is 1500: the tunnel's overhead (IPv4: Geneve 58, VXLAN 50) comes off.
    assert.equal(r1.mtu, encap === 'geneve' ? 1442 : 1450);
    assert.equal(r2.mtu, r1.mtu);
    assert.equal(r1.bridge, 'br-int');
    assert.equal(await a.ovs.vsctl('get', 'Interface', r1.host, 'external_ids:ovn-installed'), '"true"');

    assert.ok(await pings(c1, '10.50.0.2'), 'same network across chassis: ping');
    assert.ok(await tcpEchoes(c2, '10.50.0.2', c1), 'same network across chassis: TCP');
    assert.equal(await pings(c1, '10.50.0.3', 1), false, 'another network: isolated');

    // Port security: a source address or MAC the logical port was not given is dropped.
    await ip({ name: c1 }, ['addr', 'add', '10.50.0.9/24', 'dev', 'eth0']);
    const spoofed = await runIn(c1, 'busybox', ['ping', '-c', '2', '-W', '1', '-I', '10.50.0.9', '10.50.0.2'], {
      allowFailure: true,
      timeoutMs: 10000,
    });
    assert.notEqual(spoofed.exitCode, 0, 'a spoofed source address is dropped');
    await ip({ name: c1 }, ['addr', 'del', '10.50.0.9/24', 'dev', 'eth0']);
    await ip({ name: c1 }, ['link', 'set', 'eth0', 'address', '02:00:00:aa:bb:cc']);
    await ip({ name: c1 }, ['neigh', 'flush', 'dev', 'eth0']);
    assert.equal(await pings(c1, '10.50.0.2', 1), false, 'a spoofed source MAC is dropped');
    await ip({ name: c1 }, ['link', 'set', 'eth0', 'address', r1.hwaddr]);
    assert.ok(await pings(c1, '10.50.0.2'), 'its own MAC again: reaches');

    const chk = await a.call('nic.check', { target: { netns: c1 }, name: 'eth0' });
    assert.deepEqual(chk.value, { ok: true, drift: [], repaired: [] });
    const lport = (await a.ovs.vsctl('get', 'Interface', r1.host, 'external_ids:iface-id')).replace(/"/g, '');
    assert.equal(await c.nbctl('get', 'Logical_Switch_Port', lport, 'port_security'), `["${r1.hwaddr} 10.50.0.1"]`);
    assert.ok(lport, 'the logical port is in the NB');
    assert.equal(
      await c.sbctl('--bare', '--columns=chassis', 'find', 'Port_Binding', `logical_port="${lport}"`).then(Boolean),
      true,
    );

    assert.equal((await a.call('nic.detach', { target: { netns: c1 }, name: 'eth0' })).exitCode, 0);
    assert.equal(await c.nbctl('--bare', '--columns=name', 'find', 'Logical_Switch_Port', `name="${lport}"`), '');
    assert.equal(await a.ovs.vsctl('list-ports', 'br-int').then((p) => p.split('\n').includes(r1.host)), false);
    assert.equal(await pings(c2, '10.50.0.1', 1), false);
  });
}
