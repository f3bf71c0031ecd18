// The v1-compatible exec transport against a private ovsdb-server + ovs-vswitchd: framing, every
// OVS-only command, repeats that change nothing, conflicts that change nothing, owner checks.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { run } from '../../lib/exec.ts';
import { startOvs } from '../helpers/ovs.ts';
import { BUNDLE, ensureBundle, execPlugin, portsOf, unframe } from './helpers.ts';

test('exec framing: missing and unknown commands fail with exit 1 and a framed error', async () => {
  await ensureBundle();
  const none = await run('node', [BUNDLE], { allowFailure: true });
  assert.equal(none.exitCode, 1);
  assert.deepEqual(unframe(none.stdout), { code: 'EUSAGE', message: 'missing command' });
  assert.match(none.stdout, /^20:::.*\n:::\n$/s);
  const unknown = await run('node', [BUNDLE, 'frobnicate', '{}'], { allowFailure: true });
  assert.equal(unknown.exitCode, 1);
  assert.deepEqual(unframe(unknown.stdout), { code: 'EUNKNOWN', message: 'unknown command: frobnicate' });
  // Arguments are checked before connecting: no OVSDB needed to refuse them.
  const t0 = performance.now();
  const bad = await run('node', [BUNDLE, 'ovs.vlan-ensure', '{"master":"b","vlan":9999}'], {
    allowFailure: true,
    env: { ...(process.env as Record<string, string>), OVS_DB: 'unix:/nonexistent.sock' },
  });
  assert.deepEqual(
    [bad.exitCode, unframe(bad.stdout)],
    [1, { code: 'EINVALID', message: 'vlan: 9999 is out of range 0..4094', field: 'vlan' }],
  );
  assert.ok(performance.now() - t0 < 5000);
});

test('bridge, port, bond, set: results as v1, repeats change nothing, only our rows are deleted', async (t) => {
  await ensureBundle();
  const ovs = await startOvs(t);
  const ok = async (cmd: string, args: unknown, want: unknown) => {
    const r = await execPlugin(ovs, cmd, args);
    assert.equal(r.exitCode, 0, `${cmd} ${JSON.stringify(args)}: ${r.stdout}${r.stderr}`);
    assert.deepEqual(r.value, want);
  };
  const fails = async (cmd: string, args: unknown, code: string) => {
    const before = await ovs.snapshot();
    const r = await execPlugin(ovs, cmd, args);
    assert.equal(r.exitCode, 1, r.stdout);
    assert.equal(r.value.code, code, r.stdout);
    assert.equal(await ovs.snapshot(), before, `${cmd} changed OVSDB although it failed`);
  };
  const unchangedBy = async (cmd: string, args: unknown, want: unknown) => {
    const before = await ovs.snapshot();
    await ok(cmd, args, want);
    assert.equal(await ovs.snapshot(), before, `repeating ${cmd} changed OVSDB`);
  };

  await ok(
    'bridge-add',
    { bridge: 'backplane', options: { stp_enable: 'false', 'other_config:hwaddr': '02:00:00:00:00:01' } },
    null,
  );
  assert.equal(await ovs.vsctl('get', 'Bridge', 'backplane', 'datapath_type'), 'netdev');
  assert.equal(await ovs.vsctl('get', 'Bridge', 'backplane', 'external_ids:zos-owner'), 'ovs-plugin');
  assert.equal(await ovs.vsctl('get', 'Bridge', 'backplane', 'other_config:hwaddr'), '"02:00:00:00:00:01"');
  await fails('ovs.bridge-add', { bridge: 'backplane' }, 'EEXIST');
  await unchangedBy('ovs.bridge-add', { bridge: 'backplane', may_exist: true }, null);

  await ok('port-add', { bridge: 'backplane', port: 'p1', vlan: 10, options: { type: 'internal' } }, null);
  assert.equal(await ovs.vsctl('get', 'Port', 'p1', 'tag'), '10');
  assert.equal(await ovs.vsctl('get', 'Interface', 'p1', 'type'), 'internal');
  await fails('port-add', { bridge: 'backplane', port: 'p1', vlan: 10 }, 'EEXIST');
  await unchangedBy(
    'port-add',
    { bridge: 'backplane', port: 'p1', vlan: 10, options: { type: 'internal' }, may_exist: true },
    null,
  );
  await fails('port-add', { bridge: 'nosuch', port: 'p2' }, 'ENOTFOUND');

  await ok(
    'bond-add',
    { bridge: 'backplane', port: 'bond0', links: ['bl1', 'bl2'], lacp: true, mode: 'balance-tcp' },
    null,
  );
  assert.equal(await ovs.vsctl('get', 'Port', 'bond0', 'bond_mode'), 'balance-tcp');
  assert.equal(await ovs.vsctl('get', 'Port', 'bond0', 'lacp'), 'active');
  await unchangedBy(
    'bond-add',
    { bridge: 'backplane', port: 'bond0', links: ['bl2', 'bl1'], lacp: true, mode: 'balance-tcp' },
    null,
  );
  await fails('bond-add', { bridge: 'backplane', port: 'bond0', links: ['bl1', 'bl3'] }, 'EEXIST');

  await ok('set', { table: 'Interface', record: 'p1', values: { mtu_request: '1400', 'external_ids:k': 'v' } }, null);
  assert.equal(await ovs.vsctl('get', 'Interface', 'p1', 'mtu_request'), '1400');
  assert.equal(await ovs.vsctl('get', 'Interface', 'p1', 'external_ids:zos-owner'), 'ovs-plugin');
  await unchangedBy(
    'set',
    { table: 'Interface', record: 'p1', values: { mtu_request: '1400', 'external_ids:k': 'v' } },
    null,
  );
  await fails('set', { table: 'Port', record: 'nosuch', values: { tag: '3' } }, 'ENOTFOUND');
  await ok('set', { table: 'Open_vSwitch', record: '.', values: { 'external_ids:system-id': 'node-1' } }, null);
  assert.equal(await ovs.vsctl('get', 'Open_vSwitch', '.', 'external_ids:system-id'), 'node-1');
  await ok('set', { table: 'Port', record: 'p1', values: { tag: '[]', trunks: '[1,2,3]' } }, null);
  assert.deepEqual(
    [await ovs.vsctl('get', 'Port', 'p1', 'tag'), await ovs.vsctl('get', 'Port', 'p1', 'trunks')],
    ['[]', '[1, 2, 3]'],
  );
  await ok('set', { table: 'Port', record: 'p1', values: { tag: '10', trunks: '' } }, null);

  await ovs.vsctl('add-port', 'backplane', 'foreign', '--', 'set', 'Interface', 'foreign', 'type=internal');
  await ovs.addBridge('theirs');
  await fails('port-del', { port: 'foreign' }, 'ENOTOWNED');
  await fails('bridge-del', { bridge: 'theirs' }, 'ENOTOWNED');
  await fails('port-del', { port: 'p1', bridge: 'theirs' }, 'ECONFLICT');

  await ok('port-del', { port: 'p1', bridge: 'backplane' }, null);
  assert.deepEqual(await portsOf(ovs, 'backplane'), ['bond0', 'foreign']);
  await unchangedBy('port-del', { port: 'p1' }, null);
  await ok('bridge-del', { bridge: 'backplane' }, '');
  assert.equal(await ovs.vsctl('list-br'), 'theirs');
  await unchangedBy('bridge-del', { bridge: 'backplane' }, '');
});

// The v1 contract of vlan-ensure / port-add onto its name / vlan-del, in each layout a new VLAN can take.
async function vlanContract(t: TestContext, layout: 'fake' | 'patch'): Promise<void> {
  await ensureBundle();
  const ovs = await startOvs(t);
  const call = (cmd: string, args: unknown) => execPlugin(ovs, cmd, args, { OVS_VLAN_LAYOUT: layout });
  assert.equal((await call('vlan-ensure', { master: 'backplane', vlan: 5 })).value.code, 'ENOTFOUND');
  await call('bridge-add', { bridge: 'backplane' });
  await call('bridge-add', { bridge: 'other' });

  const r = await call('ovs.vlan-ensure', { master: 'backplane', vlan: 100 });
  assert.equal(r.exitCode, 0, r.stdout);
  assert.equal(r.value, 'vlbr100');
  if (layout === 'patch') {
    assert.deepEqual(await portsOf(ovs, 'backplane'), ['vlbr100p']);
    assert.deepEqual(await portsOf(ovs, 'vlbr100'), ['vlbr100in']);
    assert.equal(await ovs.vsctl('get', 'Port', 'vlbr100p', 'tag'), '100');
    assert.equal(await ovs.vsctl('get', 'Interface', 'vlbr100p', 'options:peer'), 'vlbr100in');
    assert.equal(await ovs.vsctl('get', 'Interface', 'vlbr100in', 'options:peer'), 'vlbr100p');
    assert.equal(await ovs.vsctl('get', 'Bridge', 'vlbr100', 'datapath_type'), 'netdev');
  } else {
    // What ovs-vsctl itself makes of `add-br vlbr100 backplane 100`.
    assert.deepEqual(
      [await ovs.vsctl('br-to-parent', 'vlbr100'), await ovs.vsctl('br-to-vlan', 'vlbr100')],
      ['backplane', '100'],
    );
    assert.deepEqual(await portsOf(ovs, 'backplane'), []);
    assert.equal(await ovs.vsctl('get', 'Interface', 'vlbr100', 'type'), 'internal');
  }

  const before = await ovs.snapshot();
  assert.equal((await call('vlan-ensure', { master: 'backplane', vlan: 100 })).value, 'vlbr100');
  assert.equal((await call('vlan-ensure', { master: 'backplane', vlan: 100, name: 'vlbr100' })).value, 'vlbr100');
  for (const [args, code] of [
    [{ master: 'backplane', vlan: 100, name: 'vxbackend' }, 'ECONFLICT'], // tag already bound to vlbr100
    [{ master: 'other', vlan: 100 }, 'ECONFLICT'], // tag patched into another master
    [{ master: 'backplane', vlan: 200, name: 'vlbr100' }, 'ECONFLICT'], // name bound to another tag (#207)
    [{ master: 'backplane', vlan: 201, name: 'other' }, 'ECONFLICT'], // name is an unrelated bridge
    [{ master: 'backplane', vlan: 202, name: 'backplane' }, 'ECONFLICT'],
  ] as const) {
    const c = await call('vlan-ensure', args);
    assert.equal(c.exitCode, 1, JSON.stringify(args));
    assert.equal(c.value.code, code, `${JSON.stringify(args)}: ${c.stdout}`);
  }
  assert.equal(await ovs.snapshot(), before, 'repeats and conflicts changed OVSDB');

  assert.equal((await call('vlan-ensure', { master: 'backplane', vlan: 0, name: 'untagged' })).value, 'untagged');
  assert.equal(await ovs.vsctl('get', 'Port', 'vlbr0p', 'tag'), '[]');
  const untagged = await ovs.snapshot();
  assert.equal(
    (await call('vlan-ensure', { master: 'backplane', vlan: 0 })).value,
    'untagged',
    'v1: no name returns the existing bridge',
  );
  assert.equal(await ovs.snapshot(), untagged);
  assert.equal((await call('vlan-ensure', { master: 'backplane', vlan: 2313, name: 'vxbackend' })).value, 'vxbackend');

  assert.equal((await call('port-add', { bridge: 'vlbr100', port: 'c1' })).value, null);
  assert.equal(await ovs.vsctl('port-to-br', 'c1'), 'vlbr100', 'ovs-vsctl sees c1 on the VLAN bridge');
  assert.deepEqual(await portsOf(ovs, 'vlbr100'), layout === 'patch' ? ['c1', 'vlbr100in'] : ['c1']);
  assert.equal((await call('port-add', { bridge: 'vlbr100', port: 'c1', may_exist: true })).value, null);
  assert.equal((await call('vlan-del', { vlan: 100 })).value.code, 'EBUSY');
  assert.equal((await call('port-del', { port: 'c1', bridge: 'vlbr100' })).value, null);
  assert.equal((await call('vlan-del', { vlan: 100, master: 'other' })).value.code, 'ECONFLICT');
  const del = await call('vlan-del', { vlan: 100, master: 'backplane' });
  assert.equal(del.exitCode, 0, del.stdout);
  assert.deepEqual(await portsOf(ovs, 'backplane'), layout === 'patch' ? ['vlbr0p', 'vlbr2313p'] : ['vlbr0p']);
  assert.equal((await ovs.vsctl('list-br')).split('\n').sort().join(','), 'backplane,other,untagged,vxbackend');
  const gone = await ovs.snapshot();
  assert.equal((await call('vlan-del', { vlan: 100 })).exitCode, 0);
  assert.equal(await ovs.snapshot(), gone);
  assert.equal(
    (await call('vlan-ensure', { master: 'backplane', vlan: 100 })).value,
    'vlbr100',
    'recreate after delete',
  );
}

test(
  'vlan-ensure makes a fake bridge (the default layout); ' +
    'conflicts (#207) change nothing; port-add onto it; vlan-del undoes it',
  (t) => vlanContract(t, 'fake'),
);
test('vlan-ensure with OVS_VLAN_LAYOUT=patch builds the v1 patch pair in one go; same contract', (t) =>
  vlanContract(t, 'patch'));
