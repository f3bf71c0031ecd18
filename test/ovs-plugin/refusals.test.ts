// Refusals that need the switch's state (issue 8): name clashes answered at once, cross-wired
// patches, foreign rows and foreign temporary links left alone, datapath types the switch does
// not have. Each refusal leaves the OVSDB dump (and the links) as they were.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bridge, ip, listLinks } from '../../lib/ip.ts';
import { netnsNamed } from '../../lib/netns.ts';
import { OvsPluginClient } from '../../ovs-plugin/transports/client.ts';
import { startOvs } from '../helpers/ovs.ts';
import { ensureBundle, startDaemon } from './helpers.ts';

/** A daemon on a fresh switch with our `backplane`, and a helper asserting a refusal changes nothing. */
async function setup(t: Parameters<typeof startOvs>[0]) {
  await ensureBundle();
  const ovs = await startOvs(t);
  const d = await startDaemon(t, ovs);
  const c = await OvsPluginClient.connect(d.socket);
  t.after(() => c.close());
  await c.bridgeAdd({ bridge: 'backplane' });
  const links = async () =>
    (await listLinks(netnsNamed(ovs.ns)))
      .map((l) => `${l.ifname}:${l.linkinfo?.info_kind ?? ''}`)
      .sort()
      .join(' ');
  /** Calls `method`, expects `code` (and `field`), and that neither OVSDB nor the links changed. */
  const refused = async (method: string, params: object, code: string, field?: string) => {
    const [before, linksBefore] = [await ovs.snapshot(), await links()];
    const err = await c.call(method, params).then(
      () => undefined,
      (e: unknown) => e as { code: string; details: { field?: string }; message: string },
    );
    assert.ok(err, `${method} ${JSON.stringify(params)} succeeded`);
    assert.equal(err.code, code, `${method} ${JSON.stringify(params)}: ${err.message}`);
    if (field !== undefined) assert.equal(err.details.field, field, err.message);
    assert.equal(await ovs.snapshot(), before, `${method} ${JSON.stringify(params)} changed OVSDB`);
    assert.equal(await links(), linksBefore, `${method} changed the links`);
    return err;
  };
  return { ovs, c, refused };
}

test(
  'a name that is taken is EEXIST, naming the field (planned from the cache), ' + 'not ECONTENDED after 8 transactions',
  async (t) => {
    const { c, refused } = await setup(t);
    await c.portAdd({ bridge: 'backplane', port: 'p1' });
    await c.bondAdd({ bridge: 'backplane', port: 'bond0', links: ['l1', 'l2'] });
    await refused('ovs.bond-add', { bridge: 'backplane', port: 'bond1', links: ['l3', 'p1'] }, 'EEXIST', 'links[1]');
    await refused(
      'ovs.bond-add',
      { bridge: 'backplane', port: 'bond1', links: ['l3', 'backplane'] },
      'EEXIST',
      'links[1]',
    );
    await refused('ovs.bond-add', { bridge: 'backplane', port: 'l1', links: ['l3', 'l4'] }, 'EEXIST', 'port');
    await refused('ovs.port-add', { bridge: 'backplane', port: 'l2' }, 'EEXIST', 'port');
    await refused('ovs.bridge-add', { bridge: 'l2' }, 'EEXIST', 'bridge');
    await refused('ovs.vlan-ensure', { master: 'backplane', vlan: 303, name: 'p1' }, 'EEXIST', 'name');
    await refused('ovs.vlan-ensure', { master: 'backplane', vlan: 304, name: 'l1' }, 'EEXIST', 'name');
  },
);

test('cross-wiring: our patch forms are refused as names, and a peer must be a patch to our port', async (t) => {
  const { ovs, c, refused } = await setup(t);
  await refused('ovs.vlan-ensure', { master: 'backplane', vlan: 303, name: 'vlbr300in' }, 'EINVALID', 'name');
  assert.equal(await c.vlanEnsure({ master: 'backplane', vlan: 300 }), 'vlbr300');
  // Someone else made an internal interface under the peer name of VLAN 301: never patch to it.
  await ovs.addBridge('other');
  await ovs.vsctl('add-port', 'other', 'vlbr301in', '--', 'set', 'Interface', 'vlbr301in', 'type=internal');
  await refused('ovs.vlan-ensure', { master: 'backplane', vlan: 301 }, 'ECONFLICT');
  // A patch port of the right name whose peer is not ours.
  await ovs.vsctl(
    'add-port',
    'backplane',
    'vlbr302p',
    'tag=302',
    '--',
    'set',
    'Interface',
    'vlbr302p',
    'type=patch',
    'options:peer=elsewhere',
  );
  await refused('ovs.vlan-ensure', { master: 'backplane', vlan: 302 }, 'ECONFLICT');
});

test('foreign rows: their columns are not ours to change; our ports on their bridge stay allowed', async (t) => {
  const { ovs, c, refused } = await setup(t);
  await ovs.addBridge('theirs');
  await refused(
    'ovs.bridge-add',
    { bridge: 'theirs', may_exist: true, options: { datapath_type: 'system' } },
    'ENOTOWNED',
  );
  await refused('ovs.set', { table: 'Bridge', record: 'theirs', values: { 'other_config:x': 'y' } }, 'ENOTOWNED');
  await refused('ovs.set', { table: 'Interface', record: 'theirs', values: { mtu_request: '1400' } }, 'ENOTOWNED');
  await ovs.vsctl('add-port', 'theirs', 'fp1', '--', 'set', 'Interface', 'fp1', 'type=internal');
  await refused('ovs.port-add', { bridge: 'theirs', port: 'fp1', may_exist: true, vlan: 5 }, 'ENOTOWNED');
  await refused(
    'ovs.port-add',
    { bridge: 'theirs', port: 'fp1', may_exist: true, options: { mtu_request: '1400' } },
    'ENOTOWNED',
  );
  assert.equal(
    await c.portAdd({ bridge: 'theirs', port: 'fp1', may_exist: true }),
    null,
    'what already holds is no change',
  );
  assert.equal(
    await c.bridgeAdd({ bridge: 'theirs', may_exist: true, options: { datapath_type: 'netdev' } }),
    null,
    'what already holds is no change',
  );
  assert.equal(await c.vlanEnsure({ master: 'theirs', vlan: 5 }), 'vlbr5');
  assert.equal(await c.portAdd({ bridge: 'theirs', port: 'tap1' }), null);
  assert.equal(await c.set({ table: 'Interface', record: 'tap1', values: { mtu_request: '1400' } }), null);
  assert.equal(await c.set({ table: 'Open_vSwitch', record: '.', values: { 'external_ids:k': 'v' } }), null);
});

test('datapath_type: only what ovs-vswitchd reports in Open_vSwitch.datapath_types', async (t) => {
  const { ovs, c, refused } = await setup(t);
  const types = (await ovs.vsctl('get', 'Open_vSwitch', '.', 'datapath_types')).replace(/[[\]\s]/g, '').split(',');
  assert.ok(types.includes('netdev'), types.join(','));
  await refused(
    'ovs.set',
    { table: 'Bridge', record: 'backplane', values: { datapath_type: 'bogus' } },
    'EINVALID',
    'values.datapath_type',
  );
  await refused(
    'ovs.bridge-add',
    { bridge: 'b2', options: { datapath_type: 'bogus' } },
    'EINVALID',
    'options.datapath_type',
  );
  assert.equal(await c.set({ table: 'Bridge', record: 'backplane', values: { datapath_type: 'netdev' } }), null);
  // Interface.type likewise, from Open_vSwitch.iface_types.
  await refused(
    'ovs.port-add',
    { bridge: 'backplane', port: 'tap1', options: { type: 'bogus' } },
    'EINVALID',
    'options.type',
  );
  assert.equal(await c.portAdd({ bridge: 'backplane', port: 'tap1', options: { type: 'internal' } }), null);
  await refused(
    'ovs.set',
    { table: 'Interface', record: 'tap1', values: { type: 'bogus' } },
    'EINVALID',
    'values.type',
  );
});

test('vtep: a foreign link under our temporary name is never deleted', async (t) => {
  const { ovs, c, refused } = await setup(t);
  const add = (name: string, ...a: string[]) => ip(netnsNamed(ovs.ns), ['link', 'add', name, ...a]);
  await add('vtmp9', 'type', 'veth', 'peer', 'name', 'peer9');
  await refused('ovs.vtep-del', { vnid: 9 }, 'ECONFLICT');
  await refused('ovs.vtep-ensure', { bridge: 'backplane', vnid: 9 }, 'ECONFLICT');
  await refused('ovs.vxlan-ensure', { master: 'backplane', vxlan: 9 }, 'ECONFLICT');
  // A vxlan device of another VNI under the temporary name of 10 is not a left-over of 10 either.
  await add('vtmp10', 'type', 'vxlan', 'id', '11', 'dev', 'backplane', 'dstport', '4789');
  await refused('ovs.vtep-del', { vnid: 10 }, 'ECONFLICT');
  // A master named like a temporary device: refused before anything is looked at or deleted.
  await refused('ovs.vtep-ensure', { bridge: 'vtmp10', vnid: 10 }, 'EINVALID', 'bridge');
  assert.ok(
    (await listLinks(netnsNamed(ovs.ns), 'vtmp9')).length === 1 &&
      (await listLinks(netnsNamed(ovs.ns), 'vtmp10')).length === 1,
  );
  // A real left-over of our own (vxlan, same VNI) is still cleaned up.
  await add('vtmp12', 'type', 'vxlan', 'id', '12', 'dev', 'backplane', 'dstport', '4789');
  assert.equal(await c.vtepEnsure({ bridge: 'backplane', vnid: 12 }), 'vtep12');
  assert.equal((await listLinks(netnsNamed(ovs.ns), 'vtmp12')).length, 0);
});

test('vxlan remotes: IPv6 peers get an IPv6 device; a change of family is ECONFLICT saying what holds', async (t) => {
  const { ovs, c, refused } = await setup(t);
  await c.set({ table: 'Interface', record: 'backplane', values: { mtu_request: '2000' } });
  assert.equal(await c.vxlanEnsure({ master: 'backplane', vxlan: 70, remotes: ['fd00::2', 'fd00::1'] }), 'vxlbr70');
  const fdb = async () =>
    (
      JSON.parse(await bridge(netnsNamed(ovs.ns), ['-j', 'fdb', 'show', 'dev', 'vtep70'])) as {
        mac: string;
        dst?: string;
      }[]
    )
      .filter((e) => e.mac === '00:00:00:00:00:00')
      .map((e) => e.dst)
      .sort();
  assert.deepEqual(await fdb(), ['fd00::1', 'fd00::2']);
  const err = await refused('ovs.vxlan-ensure', { master: 'backplane', vxlan: 70, remotes: ['10.0.0.1'] }, 'ECONFLICT');
  assert.match(err.message, /floods to fd00::1, fd00::2/);
  assert.deepEqual(await fdb(), ['fd00::1', 'fd00::2']);
});
