// A node that ran the v1 plugin may hold its half-built VLANs (0-core #206: v1 died between
// add-br and the add-ports, and every retry failed). vlan-ensure / vxlan-ensure finish them;
// deleting them is refused because we did not create those rows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startOvs } from '../helpers/ovs.ts';
import { auditVlans } from './audit.ts';
import { ensureBundle, execPlugin, portsOf } from './helpers.ts';

test('half-built v1 VLANs and VXLAN bridges are completed, not refused', async (t) => {
  await ensureBundle();
  const ovs = await startOvs(t);
  const call = (cmd: string, args: unknown) => execPlugin(ovs, cmd, args);
  assert.equal((await call('bridge-add', { bridge: 'backplane' })).exitCode, 0);
  await ovs.addBridge('vlbr300'); // died after add-br
  await ovs.addBridge('vlbr301'); // died after the patch port on the master
  await ovs.vsctl('add-port', 'backplane', 'vlbr301p', 'tag=301', '--', 'set', 'Interface', 'vlbr301p', 'type=patch', 'options:peer=vlbr301in');
  await ovs.addBridge('vxbackend'); // custom name, died after add-br
  assert.deepEqual((await auditVlans(ovs, 'backplane')).problems.length, 2, 'the audit sees the half-built ones');

  assert.equal((await call('vlan-ensure', { master: 'backplane', vlan: 300 })).value, 'vlbr300');
  assert.equal((await call('vlan-ensure', { master: 'backplane', vlan: 301 })).value, 'vlbr301');
  assert.equal((await call('vlan-ensure', { master: 'backplane', vlan: 2313, name: 'vxbackend' })).value, 'vxbackend');
  const a = await auditVlans(ovs, 'backplane');
  assert.deepEqual(a.problems, []);
  assert.deepEqual([...a.complete.entries()].sort(), [[2313, 'vxbackend'], [300, 'vlbr300'], [301, 'vlbr301']]);

  const before = await ovs.snapshot();
  assert.equal((await call('vlan-del', { vlan: 300 })).value.code, 'ENOTOWNED');
  assert.equal((await call('vlan-del', { vlan: 301 })).value.code, 'ENOTOWNED');
  assert.equal(await ovs.snapshot(), before, 'a refused delete removes nothing, not even our own half');

  await ovs.addBridge('busy');
  await ovs.vsctl('add-port', 'busy', 'someport', '--', 'set', 'Interface', 'someport', 'type=internal');
  assert.equal((await call('vlan-ensure', { master: 'backplane', vlan: 302, name: 'busy' })).value.code, 'ECONFLICT', 'a bridge in use is never taken over');

  await call('set', { table: 'Interface', record: 'backplane', values: { mtu_request: '2000' } });
  await ovs.addBridge('vxlbr500');
  assert.equal((await call('vxlan-ensure', { master: 'backplane', vxlan: 500 })).value, 'vxlbr500');
  assert.deepEqual(await portsOf(ovs, 'vxlbr500'), ['vtep500']);
});
