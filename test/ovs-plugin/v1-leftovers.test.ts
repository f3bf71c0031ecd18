// A node that ran the v1 plugin may hold its half-built VLANs (0-core #206: v1 died between
// add-br and the add-ports, and every retry failed). vlan-ensure / vxlan-ensure finish them;
// vlan-del then removes what we added and leaves v1's rows as they were found; a VLAN of which
// nothing is ours is refused (ENOTOWNED).
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
  await ovs.vsctl(
    'add-port',
    'backplane',
    'vlbr301p',
    'tag=301',
    '--',
    'set',
    'Interface',
    'vlbr301p',
    'type=patch',
    'options:peer=vlbr301in',
  );
  await ovs.addBridge('vxbackend'); // custom name, died after add-br
  assert.deepEqual((await auditVlans(ovs, 'backplane')).problems.length, 2, 'the audit sees the half-built ones');
  const found = await ovs.snapshot();

  assert.equal((await call('vlan-ensure', { master: 'backplane', vlan: 300 })).value, 'vlbr300');
  assert.equal((await call('vlan-ensure', { master: 'backplane', vlan: 301 })).value, 'vlbr301');
  assert.equal((await call('vlan-ensure', { master: 'backplane', vlan: 2313, name: 'vxbackend' })).value, 'vxbackend');
  const a = await auditVlans(ovs, 'backplane');
  assert.deepEqual(a.problems, []);
  assert.deepEqual([...a.complete.entries()].sort(), [
    [2313, 'vxbackend'],
    [300, 'vlbr300'],
    [301, 'vlbr301'],
  ]);

  // Adopted: the delete takes away our patch pair (and nothing of v1's), so it can be deleted.
  assert.equal((await call('vlan-del', { vlan: 300 })).value, null);
  assert.equal((await call('vlan-del', { vlan: 301 })).value, null);
  assert.equal((await call('vlan-del', { vlan: 2313, name: 'vxbackend' })).value, null);
  assert.equal(await ovs.snapshot(), found, 'the switch is as it was found: v1 rows kept, ours gone');
  assert.equal((await call('vlan-del', { vlan: 300 })).value, null, 'gone is success');
  assert.equal(
    (await call('vlan-ensure', { master: 'backplane', vlan: 300 })).value,
    'vlbr300',
    'and it can be adopted again',
  );
  assert.equal((await call('vlan-ensure', { master: 'backplane', vlan: 2313, name: 'vxbackend' })).value, 'vxbackend');

  await ovs.addBridge('busy');
  await ovs.vsctl('add-port', 'busy', 'someport', '--', 'set', 'Interface', 'someport', 'type=internal');
  assert.equal(
    (await call('vlan-ensure', { master: 'backplane', vlan: 302, name: 'busy' })).value.code,
    'ECONFLICT',
    'a bridge in use is never taken over',
  );

  await call('set', { table: 'Interface', record: 'backplane', values: { mtu_request: '2000' } });
  await ovs.addBridge('vxlbr500');
  assert.equal((await call('vxlan-ensure', { master: 'backplane', vxlan: 500 })).value, 'vxlbr500');
  assert.deepEqual(await portsOf(ovs, 'vxlbr500'), ['vtep500']);
  assert.equal(
    (await call('vxlan-del', { vxlan: 500 })).value,
    null,
    'an adopted VXLAN bridge loses our port, and stays',
  );
  assert.deepEqual(await portsOf(ovs, 'vxlbr500'), []);
});

test('a VLAN wholly made by v1 is used as it is and never deleted (ENOTOWNED, nothing changes)', async (t) => {
  await ensureBundle();
  const ovs = await startOvs(t);
  const call = (cmd: string, args: unknown) => execPlugin(ovs, cmd, args);
  await ovs.addBridge('backplane');
  await ovs.addBridge('vlbr8');
  await ovs.vsctl(
    'add-port',
    'backplane',
    'vlbr8p',
    'tag=8',
    '--',
    'set',
    'Interface',
    'vlbr8p',
    'type=patch',
    'options:peer=vlbr8in',
  );
  await ovs.vsctl(
    'add-port',
    'vlbr8',
    'vlbr8in',
    '--',
    'set',
    'Interface',
    'vlbr8in',
    'type=patch',
    'options:peer=vlbr8p',
  );
  const before = await ovs.snapshot();
  assert.equal((await call('vlan-ensure', { master: 'backplane', vlan: 8 })).value, 'vlbr8');
  const r = await call('vlan-del', { vlan: 8 });
  assert.equal(r.value.code, 'ENOTOWNED', r.stdout);
  assert.equal(await ovs.snapshot(), before);
  assert.deepEqual((await auditVlans(ovs, 'backplane')).complete.get(8), 'vlbr8');
});
