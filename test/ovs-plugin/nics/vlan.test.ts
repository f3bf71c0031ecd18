// vlan nics: veth ports on the VLAN bridge of backplane (made by the vlan-ensure planner), two
// containers on one VLAN reach each other (ping and TCP: TX checksum offload is off on the
// netdev datapath), a third on another VLAN does not; repeat, list, detach leaves nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { listLinks } from '../../../lib/ip.ts';
import { container, nicEnv, pings, tcpEchoes } from './helpers.ts';
import { portsOf } from '../helpers.ts';

test('vlan: same VLAN reaches (ping, TCP), another VLAN does not; repeat, list, detach leaves nothing', async (t) => {
  const e = await nicEnv(t);
  const [c1, c2, c3] = [await container(t), await container(t), await container(t)];
  const ovsBefore = await e.ovs.snapshot();
  const attach = async (ns: string, vlan: number | string, ip: string) => {
    const r = await e.call('nic.attach', {
      target: { netns: ns },
      nic: { type: 'vlan', id: vlan, config: { cidr: ip } },
    });
    assert.equal(r.exitCode, 0, r.stdout);
    return r.value;
  };
  const r1 = await attach(c1, 10, '10.9.0.1/24');
  assert.equal(r1.name, 'eth0');
  assert.equal(r1.bridge, 'vlbr10');
  assert.equal(r1.tag, 10);
  assert.deepEqual(r1.addresses, ['10.9.0.1/24']);
  assert.match(r1.host, /^nh[0-9a-f]{10}$/);
  const r2 = await attach(c2, '10', '10.9.0.2/24');
  await attach(c3, 20, '10.9.0.3/24');
  assert.deepEqual(
    await portsOf(e.ovs, 'vlbr10'),
    [r1.host, r2.host].sort(),
    'two nic ports on the VLAN (fake) bridge',
  );
  assert.equal(await e.ovs.vsctl('get', 'Port', r1.host, 'tag'), '10', 'a port of the master with the tag');
  assert.equal(await e.ovs.vsctl('get', 'Port', r1.host, 'external_ids:zos-owner'), 'ovs-plugin');

  assert.ok(await pings(c1, '10.9.0.2'), 'same VLAN: ping');
  assert.ok(await tcpEchoes(c2, '10.9.0.2', c1), 'same VLAN: TCP');
  assert.equal(await pings(c1, '10.9.0.3', 1), false, 'another VLAN: no ping');

  // Repeat: the same answer, nothing changes.
  const mid = await e.snapshot(c1, c2, c3);
  const again = await e.call('nic.attach', {
    target: { netns: c1 },
    nic: { type: 'vlan', id: 10, config: { cidr: '10.9.0.1/24' } },
  });
  assert.deepEqual(again.value, r1);
  assert.equal(await e.snapshot(c1, c2, c3), mid);

  const list = await e.call('nic.list', {});
  assert.equal(list.value.length, 3);
  assert.deepEqual(
    list.value.map((n: any) => n.phase),
    ['attached', 'attached', 'attached'],
  );
  const one = await e.call('nic.list', { target: { netns: c3 } });
  assert.deepEqual(
    one.value.map((n: any) => [n.name, n.type, n.id, n.bridge]),
    [['eth0', 'vlan', 20, 'vlbr20']],
  );

  const chk = await e.call('nic.check', { target: { netns: c1 }, name: 'eth0' });
  assert.deepEqual(chk.value, { ok: true, drift: [], repaired: [] });

  for (const ns of [c1, c2, c3])
    assert.equal((await e.call('nic.detach', { target: { netns: ns }, name: 'eth0' })).exitCode, 0);
  assert.equal((await e.call('nic.detach', { target: { netns: c1 }, name: 'eth0' })).value, null, 'gone is success');
  assert.deepEqual(JSON.parse(await readFile(e.state, 'utf8')).nics, []);
  assert.deepEqual(await portsOf(e.ovs, 'vlbr10'), [], 'only the VLAN bridge stays (v1 never removed it)');
  assert.equal(await e.ovs.vsctl('br-to-parent', 'vlbr10'), 'backplane');
  assert.deepEqual(
    (await listLinks({ name: e.host })).filter((l) => l.ifname.startsWith('nh')),
    [],
  );
  for (const ns of [c1, c2, c3])
    assert.deepEqual(
      (await listLinks({ name: ns })).map((l) => l.ifname),
      ['lo'],
    );
  assert.notEqual(await e.ovs.snapshot(), ovsBefore, 'the VLAN bridges remain');
});
