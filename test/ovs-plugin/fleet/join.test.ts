// fleet.join / fleet.status / fleet.leave against a real central (NB, SB, northd) and a chassis
// namespace: the external_ids ovn-controller reads, br-int made with our datapath, a repeat
// changes nothing, the SB sees the chassis once ovn-controller runs, leave undoes it and a rejoin
// is the same chassis.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NB, SB, startCentral, startChassis, until } from '../../helpers/ovn-world.ts';

test('fleet.join sets the chassis up idempotently; the SB sees it; leave undoes; a rejoin keeps it', async (t) => {
  const c = await startCentral(t);
  const ch = await startChassis(t, c, 1);
  assert.deepEqual((await ch.call('fleet.status', {})).value, { joined: false });
  const args = { nb: NB, sb: SB, encap_ip: ch.encapIp, hostname: 'ch1' };
  const r = await ch.call('fleet.join', args);
  assert.equal(r.exitCode, 0, r.stdout);
  assert.equal(r.value.changed, true);
  assert.equal(r.value.encap, 'geneve');
  const chassis = r.value.chassis as string;
  const id = async (k: string) =>
    (await ch.ovs.vsctl('get', 'Open_vSwitch', '.', `external_ids:${k}`)).replace(/"/g, '');
  assert.equal(await id('system-id'), chassis);
  assert.equal(await id('ovn-remote'), SB);
  assert.equal(await id('ovn-encap-type'), 'geneve');
  assert.equal(await id('ovn-encap-ip'), ch.encapIp);
  assert.equal(await id('ovn-bridge-datapath-type'), 'netdev');
  assert.equal(await id('hostname'), 'ch1');
  assert.equal(await ch.ovs.vsctl('get', 'Bridge', 'br-int', 'datapath_type'), 'netdev');
  assert.equal(await ch.ovs.vsctl('get', 'Bridge', 'br-int', 'external_ids:zos-owner'), 'ovs-plugin');

  const before = await ch.ovs.snapshot();
  const again = await ch.call('fleet.join', args);
  assert.equal(again.value.changed, false);
  assert.equal(again.value.chassis, chassis);
  assert.equal(await ch.ovs.snapshot(), before, 'a repeat changes nothing');

  const st = (await ch.call('fleet.status', {})).value;
  assert.equal(st.joined, true);
  assert.equal(st.sb_seen, false, 'no ovn-controller yet');
  await ch.startController();
  await until('the SB sees the chassis', async () => (await ch.call('fleet.status', {})).value.sb_seen === true);
  assert.match(await c.sbctl('--columns=hostname', 'list', 'Chassis', chassis), /ch1/);

  await ch.stopController();
  const left = await ch.call('fleet.leave', {});
  assert.equal(left.exitCode, 0, left.stdout);
  assert.equal(await ch.ovs.vsctl('--if-exists', 'get', 'Open_vSwitch', '.', 'external_ids:ovn-remote'), '');
  assert.equal(await ch.ovs.vsctl('list-br').then((b) => b.split('\n').includes('br-int')), false);
  assert.deepEqual((await ch.call('fleet.status', {})).value, { joined: false, chassis });
  assert.equal((await ch.call('fleet.leave', {})).exitCode, 0, 'not joined is success');
  const re = await ch.call('fleet.join', args);
  assert.equal(re.value.chassis, chassis, 'a rejoin is the same chassis');
});

test('fleet.join refuses bad input naming the field, and changes nothing', async (t) => {
  const c = await startCentral(t);
  const ch = await startChassis(t, c, 2);
  const ok = { nb: NB, sb: SB, encap_ip: ch.encapIp };
  const before = await ch.ovs.snapshot();
  for (const [args, code, field] of [
    [{ ...ok, nb: 'http://x:1' }, 'EINVALID', 'nb'],
    [{ ...ok, nb: 'tcp:1.2.3.4' }, 'EINVALID', 'nb'],
    [{ ...ok, nb: 'ssl:1.2.3.4:6641' }, 'EINVALID', 'nb'],
    [{ ...ok, sb: 'tcp:1.2.3.4:6642,bogus' }, 'EINVALID', 'sb'],
    [{ ...ok, sb: '' }, 'EINVALID', 'sb'],
    [{ ...ok, encap_ip: '10.99.99.99' }, 'EINVALID', 'encap_ip'],
    [{ ...ok, encap_ip: 'nope' }, 'EINVALID', 'encap_ip'],
    [{ ...ok, encap: 'gre' }, 'EINVALID', 'encap'],
    [{ ...ok, bridge_mappings: 'physnet:br-none' }, 'EINVALID', 'bridge_mappings'],
    [{ ...ok, bridge_mappings: 'physnet' }, 'EINVALID', 'bridge_mappings'],
    [{ ...ok, bridge_mappings: 'physnet:br-phy,physnet:br-phy' }, 'EINVALID', 'bridge_mappings'],
    [{ ...ok, hostname: 'a b' }, 'EINVALID', 'hostname'],
    [{ nb: NB, sb: SB }, 'EINVALID', 'encap_ip'],
  ] as const) {
    const r = await ch.call('fleet.join', args);
    assert.equal(r.exitCode, 1, JSON.stringify(args));
    assert.deepEqual([r.value.code, r.value.field], [code, field], JSON.stringify(args));
  }
  assert.equal(await ch.ovs.snapshot(), before, 'nothing changed');
  const mapped = await ch.call('fleet.join', { ...ok, encap: 'vxlan', bridge_mappings: 'physnet:br-phy' });
  assert.equal(mapped.exitCode, 0, mapped.stdout);
  assert.equal(await ch.ovs.vsctl('get', 'Open_vSwitch', '.', 'external_ids:ovn-bridge-mappings'), '"physnet:br-phy"');
  assert.equal(await ch.ovs.vsctl('get', 'Open_vSwitch', '.', 'external_ids:ovn-encap-type'), 'vxlan');
});
