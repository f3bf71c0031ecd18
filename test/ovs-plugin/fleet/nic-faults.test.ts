// fleet nics on one chassis, what goes wrong: bad input refused naming the field with nothing
// changed (before fleet.join, a network that does not exist, a MAC or address already on the
// switch, dhcp); no ovn-controller: EPORTDOWN after OVS_PLUGIN_PORT_UP_MS with every step
// undone; nic.check repairs a deleted logical port; gc removes the nic of a dead container and
// this chassis's orphan logical ports, never another chassis's; a KVM guest's tap.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { listLinks } from '../../../lib/ip.ts';
import { deleteNetns } from '../../../lib/netns.ts';
import {
  joinedChassis,
  NB,
  SB,
  startCentral,
  startChassis,
  type Central,
  type Chassis,
} from '../../helpers/ovn-world.ts';
import { container } from '../nics/helpers.ts';

/** Everything a refused attach must leave as it was: host links, OVSDB, the NB, the records. */
async function snapshot(c: Central, ch: Chassis, ns: string): Promise<string> {
  const links = async (n: string) => (await listLinks({ name: n })).map((l) => `${l.ifname} ${l.address}`).sort();
  return JSON.stringify({
    host: await links(ch.ns),
    target: await links(ns),
    ovsdb: await ch.ovs.snapshot(),
    nb: await c.nbctl('show'),
    lsps: await c.nbctl('--bare', '--columns=name,addresses', 'list', 'Logical_Switch_Port'),
    state: JSON.parse(await readFile(ch.state, 'utf8').catch(() => '{"nics":[]}')).nics,
  });
}

const nic = (id: string, extra: object = {}) => ({ type: 'fleet', id, ...extra });

test('fleet nic refusals change nothing; no ovn-controller is EPORTDOWN with everything undone', async (t) => {
  const c = await startCentral(t);
  const ch = await startChassis(t, c, 1);
  const c1 = await container(t);
  const early = await ch.call('nic.attach', { target: { netns: c1 }, nic: nic('blue') });
  assert.deepEqual([early.value.code, early.value.field], ['ENOTJOINED', 'nic.type']);
  assert.equal((await ch.call('fleet.join', { nb: NB, sb: SB, encap_ip: ch.encapIp })).exitCode, 0);
  assert.equal((await ch.call('fleet.network-ensure', { name: 'blue' })).exitCode, 0);
  await c.nbctl('lsp-add', 'blue', 'other', '--', 'lsp-set-addresses', 'other', '02:00:00:00:00:99 10.60.0.9');

  const before = await snapshot(c, ch, c1);
  for (const [n, code, field] of [
    [nic('nosuch'), 'ENOTFOUND', 'nic.id'],
    [nic('bad/name'), 'EINVALID', 'nic.id'],
    [nic('blue', { hwaddr: '02:00:00:00:00:99' }), 'EEXIST', 'nic.hwaddr'],
    [nic('blue', { config: { cidr: '10.60.0.9/24' } }), 'EEXIST', 'nic.config.cidr'],
    [nic('blue', { config: { dhcp: true } }), 'EINVALID', 'nic.config.dhcp'],
  ] as const) {
    const r = await ch.call('nic.attach', { target: { netns: c1 }, nic: n });
    assert.deepEqual([r.value.code, r.value.field], [code, field], JSON.stringify(n));
  }
  // No ovn-controller runs on this chassis: the port is never installed.
  const down = await ch.call(
    'nic.attach',
    { target: { netns: c1 }, nic: nic('blue', { config: { cidr: '10.60.0.1/24' } }) },
    { OVS_PLUGIN_PORT_UP_MS: '1500' },
  );
  assert.equal(down.value.code, 'EPORTDOWN', down.stdout);
  assert.equal(await snapshot(c, ch, c1), before, 'nothing changed, nothing left');
});

test('fleet nic: check repairs a lost logical port; gc removes dead and orphan ports of this chassis', async (t) => {
  const c = await startCentral(t);
  const ch = await joinedChassis(t, c, 1);
  assert.equal((await ch.call('fleet.network-ensure', { name: 'blue' })).exitCode, 0);
  const [c1, c2] = [await container(t), await container(t)];
  const r1 = await ch.call('nic.attach', {
    target: { netns: c1 },
    nic: nic('blue', { config: { cidr: '10.60.0.1/24' } }),
  });
  assert.equal(r1.exitCode, 0, r1.stdout);
  const lport = (await ch.ovs.vsctl('get', 'Interface', r1.value.host, 'external_ids:iface-id')).replace(/"/g, '');

  await c.nbctl('lsp-del', lport);
  const drift = await ch.call('nic.check', { target: { netns: c1 }, name: 'eth0' });
  assert.equal(drift.value.ok, false);
  assert.ok(
    drift.value.drift.some((d: { what: string }) => d.what === 'logical-port'),
    JSON.stringify(drift.value),
  );
  const fixed = await ch.call('nic.check', { target: { netns: c1 }, name: 'eth0', repair: true });
  assert.equal(fixed.value.ok, true, JSON.stringify(fixed.value));
  assert.equal(await c.nbctl('get', 'Logical_Switch_Port', lport, 'port_security'), `["${r1.value.hwaddr} 10.60.0.1"]`);

  // An orphan of this chassis (its record lost) and another chassis's port, both tagged as ours.
  const chassis = (await ch.call('fleet.status', {})).value.chassis;
  for (const [name, on] of [
    ['orphan1', chassis],
    ['theirs1', 'another-chassis'],
  ])
    await c.nbctl(
      'lsp-add',
      'blue',
      name,
      '--',
      'set',
      'Logical_Switch_Port',
      name,
      'external_ids:zos-owner=ovs-plugin',
      'external_ids:zos-nic=gone/eth0',
      `external_ids:zos-chassis=${on}`,
    );
  const r2 = await ch.call('nic.attach', { target: { netns: c2 }, nic: nic('blue') });
  assert.equal(r2.exitCode, 0, r2.stdout);
  assert.deepEqual(r2.value.addresses, [], 'no cidr: no address');
  await deleteNetns(c2); // the container is gone
  const gc = await ch.call('nic.gc', {});
  assert.equal(gc.exitCode, 0, gc.stdout);
  assert.equal(gc.value.removed.length, 1, JSON.stringify(gc.value));
  assert.deepEqual(gc.value.orphans, ['orphan1']);
  const left = (await c.nbctl('--bare', '--columns=name', 'list', 'Logical_Switch_Port')).split('\n').filter(Boolean);
  assert.deepEqual(left.sort(), [lport, 'theirs1'].sort(), 'the live nic and the other chassis keep theirs');

  // A KVM guest: its tap on br-int, bound the same way; detach takes both.
  const g = await ch.call('nic.attach', { target: { kvm: 'vm1' }, nic: nic('blue', { hwaddr: '02:00:00:00:00:42' }) });
  assert.equal(g.exitCode, 0, g.stdout);
  assert.equal(g.value.bridge, 'br-int');
  assert.equal(await ch.ovs.vsctl('get', 'Interface', g.value.tap, 'external_ids:ovn-installed'), '"true"');
  assert.equal((await ch.call('nic.detach', { target: { kvm: 'vm1' }, name: g.value.tap })).exitCode, 0);
  assert.equal((await ch.call('nic.detach', { target: { netns: c1 }, name: 'eth0' })).exitCode, 0);
  assert.equal(await c.nbctl('--bare', '--columns=name', 'list', 'Logical_Switch_Port'), 'theirs1');
  assert.equal((await ch.call('fleet.network-del', { name: 'blue' })).value.code, 'EBUSY', 'theirs1 remains');
});
