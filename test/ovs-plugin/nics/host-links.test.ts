// macvlan and passthrough: traffic to a peer behind the parent link, the NIC given back with
// its name, MAC, MTU and up state; refusals of parents that are bridges, OVS-owned, virtual
// (macvlan, vxlan, tun), zos's NIC, or already attached, each changing nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ip } from '../../../lib/ip.ts';
import { container, nicEnv, pings } from './helpers.ts';

/** A veth vh0 on the host (stand-in for a physical NIC) whose peer sits in `peer` with 10.4.0.1/24. */
async function uplink(host: string, peer: string): Promise<void> {
  await ip({ name: host }, [
    'link',
    'add',
    'name',
    'vh0',
    'address',
    '02:00:00:00:0e:01',
    'mtu',
    '1400',
    'type',
    'veth',
    'peer',
    'name',
    'vp0',
    'netns',
    peer,
  ]);
  await ip({ name: host }, ['link', 'set', 'vh0', 'up']);
  await ip({ name: peer }, ['addr', 'add', '10.4.0.1/24', 'dev', 'vp0']);
  await ip({ name: peer }, ['link', 'set', 'vp0', 'up']);
}

test('macvlan: reaches a peer behind its parent; detach leaves nothing', async (t) => {
  const e = await nicEnv(t);
  const [c1, peer] = [await container(t), await container(t)];
  await uplink(e.host, peer);
  const before = await e.snapshot(c1, peer);
  const r = await e.call('nic.attach', {
    target: { netns: c1 },
    nic: { type: 'macvlan', id: 'vh0', config: { cidr: '10.4.0.2/24' } },
  });
  assert.equal(r.exitCode, 0, r.stdout);
  assert.equal(r.value.name, 'eth0');
  assert.equal(r.value.mtu, 1400, "the parent's MTU");
  assert.ok(await pings(c1, '10.4.0.1'));
  const big = await e.call('nic.attach', { target: { netns: c1 }, nic: { type: 'macvlan', id: 'vh0', mtu: 1500 } });
  assert.deepEqual([big.value.code, big.value.field], ['EINVALID', 'nic.mtu']);
  assert.equal((await e.call('nic.detach', { target: { netns: c1 }, name: 'eth0' })).exitCode, 0);
  const after = JSON.parse(await e.snapshot(c1, peer));
  assert.deepEqual({ ...after, state: undefined }, { ...JSON.parse(before), state: undefined });
});

test(
  'macvlan and passthrough with Open vSwitch down: ' + 'attached (the kernel view of the parent) and detached',
  async (t) => {
    const e = await nicEnv(t);
    const [c1, c2, peer] = [await container(t), await container(t), await container(t)];
    await uplink(e.host, peer);
    const down = { OVS_DB: `unix:${e.ovs.dir}/no-such-db.sock` };
    const m = await e.call(
      'nic.attach',
      { target: { netns: c1 }, nic: { type: 'macvlan', id: 'vh0', config: { cidr: '10.4.0.2/24' } } },
      down,
    );
    assert.equal(m.exitCode, 0, m.stdout);
    assert.ok(await pings(c1, '10.4.0.1'));
    assert.equal((await e.call('nic.detach', { target: { netns: c1 }, name: 'eth0' }, down)).exitCode, 0);
    const p = await e.call('nic.attach', { target: { netns: c2 }, nic: { type: 'passthrough', id: 'vh0' } }, down);
    assert.equal(p.exitCode, 0, p.stdout);
    assert.equal((await e.call('nic.detach', { target: { netns: c2 }, name: 'eth0' }, down)).exitCode, 0);
    assert.deepEqual((await e.call('nic.list', {}, down)).value, []);
  },
);

test('passthrough: the NIC moves in, carries traffic, comes back with name, MAC, MTU and up state', async (t) => {
  const e = await nicEnv(t);
  const [c1, peer] = [await container(t), await container(t)];
  await uplink(e.host, peer);
  const before = await e.snapshot(c1, peer);
  const r = await e.call('nic.attach', {
    target: { netns: c1 },
    nic: {
      type: 'passthrough',
      id: 'vh0',
      name: 'lan0',
      hwaddr: '02:00:00:00:0e:99',
      mtu: 1300,
      config: { cidr: '10.4.0.2/24' },
    },
  });
  assert.equal(r.exitCode, 0, r.stdout);
  assert.deepEqual([r.value.name, r.value.hwaddr, r.value.mtu], ['lan0', '02:00:00:00:0e:99', 1300]);
  assert.ok(await pings(c1, '10.4.0.1'));
  const twice = await e.call('nic.attach', { target: { netns: c1 }, nic: { type: 'passthrough', id: 'vh0' } });
  assert.deepEqual([twice.value.code, twice.value.field], ['EBUSY', 'nic.id'], 'already attached');
  assert.equal((await e.call('nic.detach', { target: { netns: c1 }, name: 'lan0' })).exitCode, 0);
  const after = JSON.parse(await e.snapshot(c1, peer));
  assert.deepEqual(
    { ...after, state: undefined },
    { ...JSON.parse(before), state: undefined },
    'vh0 is back as it was',
  );
});

test(
  'macvlan/passthrough refuse bridges, OVS-owned, ' + "virtual links, zos's NIC and attached links; nothing changed",
  async (t) => {
    const e = await nicEnv(t);
    const [c1, peer] = [await container(t), await container(t)];
    await uplink(e.host, peer);
    const ipn = (...a: string[]) => ip({ name: e.host }, a);
    await ipn('link', 'add', 'name', 'br0', 'address', '02:00:00:00:0f:01', 'type', 'bridge');
    await ipn('link', 'add', 'name', 'zos', 'address', '02:00:00:00:0f:02', 'type', 'bridge');
    await ipn('link', 'add', 'name', 'vz0', 'type', 'veth', 'peer', 'name', 'vz1');
    await ipn('link', 'set', 'vz0', 'master', 'zos');
    await ipn('link', 'add', 'name', 'vo0', 'type', 'veth', 'peer', 'name', 'vo1');
    await e.ovs.vsctl('add-port', 'backplane', 'vo0');
    await ipn('link', 'add', 'link', 'vh0', 'name', 'mv0', 'type', 'macvlan', 'mode', 'bridge');
    await ipn('link', 'add', 'name', 'vx0', 'type', 'vxlan', 'id', '42', 'dstport', '4789', 'dev', 'vh0');
    await ipn('tuntap', 'add', 'dev', 'tap0', 'mode', 'tap');
    const bridged = await e.call('nic.attach', { target: { netns: c1 }, nic: { type: 'vlan', id: 5 } });
    assert.equal(bridged.exitCode, 0, bridged.stdout);
    const before = await e.snapshot(c1, peer);
    const cases: [string, string, string][] = [
      ['br0', 'EINVALID', 'a Linux bridge'],
      ['backplane', 'EINVALID', 'an OVS bridge (its port is a tap under netdev)'],
      ['vo0', 'EINVALID', 'an OVS port'],
      ['mv0', 'EINVALID', 'a macvlan'],
      ['vx0', 'EINVALID', 'a vxlan'],
      ['tap0', 'EINVALID', 'a tun'],
      ['vz0', 'EBUSY', "zos's NIC"],
      [bridged.value.host, 'EBUSY', 'the host end of an attached nic'],
      ['nosuch', 'EINVALID', 'missing'],
    ];
    for (const type of ['macvlan', 'passthrough']) {
      for (const [id, code, what] of cases) {
        const r = await e.call('nic.attach', { target: { netns: c1 }, nic: { type, id } });
        assert.deepEqual([r.value.code, r.value.field], [code, 'nic.id'], `${type} on ${what}: ${r.stdout}`);
        assert.equal(await e.snapshot(c1, peer), before, `${type} on ${what}: nothing changed`);
      }
    }
  },
);
