// A VLAN fleet network meets the node-local VLAN of its tag: the chassis maps physnet onto its
// `backplane` bridge (fleet.join bridge_mappings), the network's localnet port carries tag 30,
// and a container's fleet nic reaches a container's node-local `vlan` nic of tag 30 (ping, TCP).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NB, SB, startCentral, startChassis, until } from '../../helpers/ovn-world.ts';
import { container, pings, tcpEchoes } from '../nics/helpers.ts';

test('a VLAN fleet network reaches a node-local vlan nic of the same tag through its localnet port', async (t) => {
  const c = await startCentral(t);
  const ch = await startChassis(t, c, 1);
  await ch.ovs.addBridge('backplane');
  const j = await ch.call('fleet.join', {
    nb: NB,
    sb: SB,
    encap_ip: ch.encapIp,
    bridge_mappings: 'physnet:backplane',
    hostname: 'ch1',
  });
  assert.equal(j.exitCode, 0, j.stdout);
  await ch.startController();
  await until('the SB sees the chassis', async () => (await ch.call('fleet.status', {})).value.sb_seen === true);
  assert.equal((await ch.call('fleet.network-ensure', { name: 'red', vlan: 30 })).exitCode, 0);

  const [c1, c2] = [await container(t), await container(t)];
  const f = await ch.call('nic.attach', {
    target: { netns: c1 },
    nic: { type: 'fleet', id: 'red', config: { cidr: '10.90.0.1/24' } },
  });
  assert.equal(f.exitCode, 0, f.stdout);
  assert.equal(f.value.mtu, 1500, 'a VLAN network is not tunnelled: the underlay MTU');
  const v = await ch.call('nic.attach', {
    target: { netns: c2 },
    nic: { type: 'vlan', id: 30, config: { cidr: '10.90.0.2/24' } },
  });
  assert.equal(v.exitCode, 0, v.stdout);
  assert.ok(await pings(c1, '10.90.0.2'), 'fleet nic -> node-local vlan nic: ping');
  assert.ok(await tcpEchoes(c2, '10.90.0.2', c1), 'fleet nic -> node-local vlan nic: TCP');
});
