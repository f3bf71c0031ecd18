// A chassis that comes back without its nic records (a node rebooted onto an empty state
// directory, its containers gone with the reboot, its Open vSwitch database kept): it rejoins as
// the same chassis, and nic.gc removes the logical ports and br-int ports its lost nics left,
// and nothing of the other chassis's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { run } from '../../../lib/exec.ts';
import { deleteNetns } from '../../../lib/netns.ts';
import { joinedChassis, startCentral } from '../../helpers/ovn-world.ts';
import { container } from '../nics/helpers.ts';

const nic = (cidr: string) => ({ type: 'fleet', id: 'blue', config: { cidr } });

test('fleet: a chassis that rejoins without its records: gc removes its stale ports and only those', async (t) => {
  const c = await startCentral(t);
  const [a, b] = [await joinedChassis(t, c, 1), await joinedChassis(t, c, 2)];
  assert.equal((await a.call('fleet.network-ensure', { name: 'blue' })).exitCode, 0);
  const [a1, a2, b1] = [await container(t), await container(t), await container(t)];
  const attached = [];
  for (const [ch, ns, cidr] of [
    [a, a1, '10.61.0.1/24'],
    [a, a2, '10.61.0.2/24'],
    [b, b1, '10.61.0.3/24'],
  ] as const) {
    const r = await ch.call('nic.attach', { target: { netns: ns }, nic: nic(cidr) });
    assert.equal(r.exitCode, 0, r.stdout);
    attached.push(r.value as { host: string });
  }
  const ports = async () =>
    (await c.nbctl('--bare', '--columns=name', 'list', 'Logical_Switch_Port')).split('\n').filter(Boolean).sort();
  const lport = async (ch: typeof a, host: string) =>
    (await ch.ovs.vsctl('get', 'Interface', host, 'external_ids:iface-id')).replace(/"/g, '');
  const bPort = await lport(b, attached[2]!.host);
  const aPorts = [await lport(a, attached[0]!.host), await lport(a, attached[1]!.host)];
  const before = await ports();
  assert.equal(before.length, 3);
  const chassisA = (await a.call('fleet.status', {})).value.chassis;

  // A's reboot: its containers are gone (their veths with them), its records too.
  await deleteNetns(a1);
  await deleteNetns(a2);
  await rm(a.state, { force: true });
  const again = await a.call('fleet.join', { nb: c.nb, sb: c.sb, encap_ip: a.encapIp, hostname: 'ch1' });
  assert.equal(again.exitCode, 0, again.stdout);
  assert.equal((await a.call('fleet.status', {})).value.chassis, chassisA, 'the same chassis');

  const gc = await a.call('nic.gc', {});
  assert.equal(gc.exitCode, 0, gc.stdout);
  // Its two logical ports in the NB and their two ports left on br-int (their links went with the containers).
  assert.deepEqual(
    [...gc.value.orphans].sort(),
    [...aPorts, attached[0]!.host, attached[1]!.host].sort(),
    JSON.stringify(gc.value),
  );
  assert.deepEqual(await ports(), [bPort], "only B's logical port is left");
  const brInt = (await a.ovs.vsctl('list-ports', 'br-int')).split('\n').filter(Boolean);
  for (const x of attached.slice(0, 2)) assert.ok(!brInt.includes(x.host), `${x.host} is gone from A's br-int`);
  const again2 = await a.call('nic.gc', {});
  assert.deepEqual(again2.value.orphans, [], 'a second gc finds nothing');

  // B's nic still works: a new container on A reaches it.
  const a3 = await container(t);
  const r = await a.call('nic.attach', { target: { netns: a3 }, nic: nic('10.61.0.4/24') });
  assert.equal(r.exitCode, 0, r.stdout);
  const ping = await run('ip', ['netns', 'exec', a3, 'ping', '-c', '3', '-i', '0.2', '-W', '2', '10.61.0.3'], {
    allowFailure: true,
    timeoutMs: 20_000,
  });
  assert.equal(ping.exitCode, 0, ping.stdout);
});
