// vxlan-ensure / vxlan-del / vtep-ensure / vtep-del through exec, run inside the test namespace
// (where the master's tap and the vtep devices live), checked in OVSDB and with `ip -d link`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run } from '../../lib/exec.ts';
import { listLinks } from '../../lib/ip.ts';
import { startOvs } from '../helpers/ovs.ts';
import { ensureBundle, execPlugin, portsOf } from './helpers.ts';
import { vxlanGroup } from '../../ovs-plugin/vtep.ts';

test('vxlan group derives from the vni as v1 does', () => {
  assert.equal(vxlanGroup(1), '239.0.0.1');
  assert.equal(vxlanGroup(1000), '239.0.0.4');
  assert.equal(vxlanGroup(16777215), '239.1.0.0');
});

test('vxlan: kernel vtep on the master, in vxlbr<vni>; repeat, conflicts, remotes, leftovers, delete', async (t) => {
  await ensureBundle();
  const ovs = await startOvs(t);
  const ns = ovs.ns;
  const call = (cmd: string, args: unknown) => execPlugin(ovs, cmd, args);
  const link = async (name: string) => (await listLinks({ name: ns }, name))[0];
  const fdb = async (dev: string) =>
    (
      JSON.parse((await run('bridge', ['-n', ns, '-j', 'fdb', 'show', 'dev', dev])).stdout) as {
        mac: string;
        dst?: string;
      }[]
    )
      .filter((e) => e.mac === '00:00:00:00:00:00')
      .map((e) => e.dst)
      .sort();
  assert.equal((await call('bridge-add', { bridge: 'backplane' })).exitCode, 0);
  assert.ok(await link('backplane'), 'netdev datapath makes the bridge port a tap in the namespace');
  // As v1's bootstrap does for vxbackend: room for 1500-byte frames plus the VXLAN header.
  assert.equal(
    (await call('set', { table: 'Interface', record: 'backplane', values: { mtu_request: '2000' } })).exitCode,
    0,
  );
  assert.equal((await link('backplane'))!.mtu, 2000);

  const r = await call('vxlan-ensure', { master: 'backplane', vxlan: 1000 });
  assert.equal(r.exitCode, 0, r.stdout);
  assert.equal(r.value, 'vxlbr1000');
  const l = await link('vtep1000');
  assert.ok(l, 'vtep1000 exists');
  const d = l.linkinfo!.info_data!;
  assert.deepEqual(
    [l.linkinfo!.info_kind, d.id, d.group, d.link, d.port, d.learning, l.mtu],
    ['vxlan', 1000, '239.0.0.4', 'backplane', 4789, true, 1500],
  );
  assert.ok(l.flags.includes('UP'));
  assert.deepEqual(await portsOf(ovs, 'vxlbr1000'), ['vtep1000']);

  const before = await ovs.snapshot();
  assert.equal((await call('ovs.vxlan-ensure', { master: 'backplane', vxlan: 1000 })).value, 'vxlbr1000');
  assert.equal((await link('vtep1000'))!.ifindex, l.ifindex, 'repeat keeps the device');
  const c = await call('vxlan-ensure', { master: 'backplane', vxlan: 1000, name: 'elsewhere' });
  assert.equal(c.value.code, 'ECONFLICT', c.stdout);
  const m = await call('vxlan-ensure', { master: 'nosuch', vxlan: 1001 });
  assert.equal(m.value.code, 'ENOTFOUND', m.stdout);
  assert.equal(await link('vtep1001'), undefined, 'no device left by a failed ensure');
  assert.equal(await ovs.snapshot(), before);

  // Unicast peers instead of multicast: static flood entries, made exactly the given set.
  assert.equal(
    (await call('vxlan-ensure', { master: 'backplane', vxlan: 2000, remotes: ['10.9.0.2', '10.9.0.1'] })).value,
    'vxlbr2000',
  );
  assert.equal((await link('vtep2000'))!.linkinfo!.info_data!.group, undefined);
  assert.deepEqual(await fdb('vtep2000'), ['10.9.0.1', '10.9.0.2']);
  assert.equal(
    (await call('vxlan-ensure', { master: 'backplane', vxlan: 2000, remotes: ['10.9.0.3', '10.9.0.1'] })).exitCode,
    0,
  );
  assert.deepEqual(await fdb('vtep2000'), ['10.9.0.1', '10.9.0.3']);
  assert.equal(
    (await call('vxlan-ensure', { master: 'backplane', vxlan: 2000 })).value.code,
    'ECONFLICT',
    'multicast wanted, unicast device there',
  );

  // A temporary device left by a killed attempt would hold the VNI: the next attempt clears it.
  await run('ip', [
    '-n',
    ns,
    'link',
    'add',
    'vtmp3000',
    'type',
    'vxlan',
    'id',
    '3000',
    'dev',
    'backplane',
    'dstport',
    '4789',
  ]);
  assert.equal((await call('vxlan-ensure', { master: 'backplane', vxlan: 3000 })).value, 'vxlbr3000');
  assert.equal(await link('vtmp3000'), undefined);
  // A renamed but still down device (killed before `up`) is adopted and brought up.
  await run('ip', [
    '-n',
    ns,
    'link',
    'add',
    'vtep3001',
    'mtu',
    '1500',
    'type',
    'vxlan',
    'id',
    '3001',
    'group',
    vxlanGroup(3001),
    'dev',
    'backplane',
    'dstport',
    '4789',
    'learning',
  ]);
  assert.equal((await call('vxlan-ensure', { master: 'backplane', vxlan: 3001 })).value, 'vxlbr3001');
  assert.ok((await link('vtep3001'))!.flags.includes('UP'));

  assert.equal((await call('vtep-ensure', { bridge: 'backplane', vnid: 4000 })).value, 'vtep4000');
  assert.equal((await call('vtep-ensure', { bridge: 'backplane', vnid: 4000 })).value, 'vtep4000');
  assert.equal((await call('vtep-del', { vnid: 4000 })).exitCode, 0);
  assert.equal(await link('vtep4000'), undefined);
  assert.equal((await call('vtep-del', { vnid: 4000 })).exitCode, 0, 'deleting what is gone is success');
  assert.equal((await call('vtep-del', { vnid: 1000 })).value.code, 'EBUSY', 'still an OVS port');

  const del = await call('vxlan-del', { vxlan: 1000 });
  assert.equal(del.exitCode, 0, del.stdout);
  assert.equal(await link('vtep1000'), undefined);
  assert.ok(!(await ovs.vsctl('list-br')).split('\n').includes('vxlbr1000'));
  const gone = await ovs.snapshot();
  assert.equal((await call('vxlan-del', { vxlan: 1000 })).exitCode, 0);
  assert.equal(await ovs.snapshot(), gone);
});

test('v1 bootstrap, fake-bridge layout: vxbackend is VLAN 2313 of backplane, a link; a VXLAN on it', async (t) => {
  await ensureBundle();
  const ovs = await startOvs(t);
  const call = (cmd: string, args: unknown) => execPlugin(ovs, cmd, args);
  const link = async (name: string) => (await listLinks({ name: ovs.ns }, name))[0];
  assert.equal((await call('bridge-add', { bridge: 'backplane' })).exitCode, 0);
  assert.equal((await call('vlan-ensure', { master: 'backplane', vlan: 2313, name: 'vxbackend' })).value, 'vxbackend');
  assert.equal(await ovs.vsctl('br-to-vlan', 'vxbackend'), '2313');
  assert.equal(
    (await call('set', { table: 'Interface', record: 'vxbackend', values: { mtu_request: '2000' } })).value,
    null,
  );
  assert.equal((await link('vxbackend'))!.mtu, 2000, 'the fake bridge is a link callers configure');
  const r = await call('vxlan-ensure', { master: 'vxbackend', vxlan: 1000 });
  assert.equal(r.value, 'vxlbr1000', r.stdout);
  assert.equal((await link('vtep1000'))!.linkinfo!.info_data!.link, 'vxbackend');
  assert.equal((await call('vxlan-ensure', { master: 'vxbackend', vxlan: 1000 })).value, 'vxlbr1000', 'a repeat');
  assert.equal((await call('vxlan-del', { vxlan: 1000 })).value, null);
  assert.equal((await call('vlan-del', { vlan: 2313, name: 'vxbackend' })).value, null);
  assert.equal(await ovs.vsctl('list-br'), 'backplane');
});
