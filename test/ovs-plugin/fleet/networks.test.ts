// fleet.network-ensure / fleet.network-del through our OVSDB client against a real NB: one
// logical switch of ours per network (a localnet port on physnet with the VLAN's tag), a repeat
// changes nothing, a different VLAN is ECONFLICT, del refuses while ports remain and gone is
// success; before fleet.join both are ENOTJOINED.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NB, SB, startCentral, startChassis } from '../../helpers/ovn-world.ts';

test('fleet networks: ensure, repeat, vlan localnet, conflicts, busy, del', async (t) => {
  const c = await startCentral(t);
  const ch = await startChassis(t, c, 1);
  const early = await ch.call('fleet.network-ensure', { name: 'blue' });
  assert.equal(early.value.code, 'ENOTJOINED');
  assert.equal((await ch.call('fleet.join', { nb: NB, sb: SB, encap_ip: ch.encapIp })).exitCode, 0);

  const r = await ch.call('fleet.network-ensure', { name: 'blue' });
  assert.deepEqual(r.value, { name: 'blue', changed: true });
  assert.equal(await c.nbctl('get', 'Logical_Switch', 'blue', 'external_ids:zos-owner'), 'ovs-plugin');
  const nb = await c.nbctl('show');
  assert.deepEqual((await ch.call('fleet.network-ensure', { name: 'blue' })).value, { name: 'blue', changed: false });
  assert.equal(await c.nbctl('show'), nb, 'a repeat changes nothing');

  const v = await ch.call('fleet.network-ensure', { name: 'red', vlan: 30 });
  assert.deepEqual(v.value, { name: 'red', vlan: 30, changed: true });
  assert.equal(await c.nbctl('get', 'Logical_Switch_Port', 'ln-red', 'type'), 'localnet');
  assert.equal(await c.nbctl('get', 'Logical_Switch_Port', 'ln-red', 'tag'), '30');
  assert.equal(await c.nbctl('get', 'Logical_Switch_Port', 'ln-red', 'options:network_name'), 'physnet');

  const clash = await ch.call('fleet.network-ensure', { name: 'red', vlan: 31 });
  assert.equal(clash.value.code, 'ECONFLICT');
  assert.equal(clash.value.field, 'vlan');
  await c.nbctl('ls-add', 'theirs');
  assert.equal((await ch.call('fleet.network-ensure', { name: 'theirs' })).value.code, 'ECONFLICT');
  assert.equal((await ch.call('fleet.network-del', { name: 'theirs' })).value.code, 'ENOTOWNED');

  await c.nbctl('lsp-add', 'blue', 'p1');
  const busy = await ch.call('fleet.network-del', { name: 'blue' });
  assert.equal(busy.value.code, 'EBUSY');
  await c.nbctl('lsp-del', 'p1');
  assert.equal((await ch.call('fleet.network-del', { name: 'blue' })).value, null);
  assert.equal((await ch.call('fleet.network-del', { name: 'red' })).value, null, 'its localnet port goes with it');
  assert.equal((await ch.call('fleet.network-del', { name: 'red' })).value, null, 'gone is success');
  assert.equal(await c.nbctl('ls-list').then((l) => l.includes('blue') || l.includes('red')), false);
  assert.equal(await c.nbctl('--columns=name', 'list', 'Logical_Switch_Port'), '', 'no port left');

  for (const [args, field] of [
    [{ name: 'a/b' }, 'name'],
    [{ name: 'x'.repeat(33) }, 'name'],
    [{ name: 'ok', vlan: 0 }, 'vlan'],
    [{ name: 'ok', vlan: 4095 }, 'vlan'],
    [{ name: 'ok', extra: 1 }, 'extra'],
  ] as const) {
    const bad = await ch.call('fleet.network-ensure', args);
    assert.equal(bad.value.code, 'EINVALID', JSON.stringify(args));
    assert.equal(bad.value.field, field);
  }
});
