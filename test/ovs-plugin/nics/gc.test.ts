// A container that dies while attached is cleaned up by nic.gc (and by nic.detach); nic.check
// reports an OVS port deleted behind our back, or lost with a fresh OVS database, and repair
// restores it (traffic flows again).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { run } from '../../../lib/exec.ts';
import { deleteNetns } from '../../../lib/netns.ts';
import { VSWITCH_SCHEMA } from '../../helpers/ovs.ts';
import { listLinks } from '../../../lib/ip.ts';
import { portsOf } from '../helpers.ts';
import { nics } from './crash.ts';
import { container, nicEnv, pings } from './helpers.ts';

test(
  "gc removes a dead container's host veth and OVS port; " + 'check reports a deleted port, repair restores it',
  async (t) => {
    const e = await nicEnv(t);
    const c1 = await container(t);
    const c2 = await container(t);
    const r1 = await e.call('nic.attach', {
      target: { netns: c1 },
      nic: { type: 'vlan', id: 30, config: { cidr: '10.6.0.1/24' } },
    });
    const r2 = await e.call('nic.attach', {
      target: { netns: c2 },
      nic: { type: 'vlan', id: 30, config: { cidr: '10.6.0.2/24' } },
    });
    assert.ok(await pings(c1, '10.6.0.2'));

    await e.ovs.vsctl('del-port', 'vlbr30', r2.value.host);
    assert.equal(await pings(c1, '10.6.0.2', 1), false, 'the port is gone');
    const chk = await e.call('nic.check', { target: { netns: c2 }, name: 'eth0' });
    assert.equal(chk.value.ok, false);
    assert.deepEqual(
      chk.value.drift.map((d: any) => d.what),
      ['port'],
    );
    const fix = await e.call('nic.check', { target: { netns: c2 }, name: 'eth0', repair: true });
    assert.deepEqual([fix.value.ok, fix.value.repaired.map((d: any) => d.what)], [true, ['port']], fix.stdout);
    assert.ok(await pings(c1, '10.6.0.2'), 'traffic flows again');
    const listed = (await e.call('nic.list', { target: { netns: c2 } })).value[0];
    assert.equal(listed.check.ok, true, 'the last check is kept');

    await deleteNetns(c1);
    const gc = await e.call('nic.gc', {});
    assert.deepEqual(gc.value.removed.length, 1, gc.stdout);
    assert.ok(!(await portsOf(e.ovs, 'vlbr30')).includes(r1.value.host), 'its OVS port is gone');
    assert.ok(!(await listLinks({ name: e.host })).some((l) => l.ifname === r1.value.host), 'its host veth is gone');
    assert.deepEqual(
      (await nics(e)).map((r) => r.name),
      ['eth0'],
    );
    assert.ok((await portsOf(e.ovs, 'vlbr30')).includes(r2.value.host), 'the live one is untouched');

    // nic.detach of a nic whose container died: success, and its leftovers go.
    await deleteNetns(c2);
    assert.equal((await e.call('nic.detach', { target: { netns: c2 }, name: 'eth0' })).exitCode, 0);
    assert.ok(!(await portsOf(e.ovs, 'vlbr30')).includes(r2.value.host));
    assert.ok(!(await listLinks({ name: e.host })).some((l) => l.ifname === r2.value.host));
    assert.deepEqual(await nics(e), []);
  },
);

test(
  'repair after Open vSwitch restarted with a fresh database: ' + 'VLAN bridge and port recreated, traffic again',
  async (t) => {
    const e = await nicEnv(t);
    const [c1, c2] = [await container(t), await container(t)];
    for (const [ns, ip] of [
      [c1, '10.5.5.1/24'],
      [c2, '10.5.5.2/24'],
    ] as const) {
      const r = await e.call('nic.attach', {
        target: { netns: ns },
        nic: { type: 'vlan', id: 40, config: { cidr: ip } },
      });
      assert.equal(r.exitCode, 0, r.stdout);
    }
    assert.ok(await pings(c1, '10.5.5.2'));
    await e.ovs.stopDb();
    await rm(e.ovs.dbFile, { force: true });
    await run('ovsdb-tool', ['create', e.ovs.dbFile, VSWITCH_SCHEMA]);
    await e.ovs.startDb();
    await e.ovs.vsctl('--no-wait', 'init');
    await e.ovs.addBridge('backplane'); // the node's bootstrap makes its master bridge again
    const chk = await e.call('nic.check', { target: { netns: c1 }, name: 'eth0' });
    assert.deepEqual(
      chk.value.drift.map((d: any) => d.what),
      ['port'],
      chk.stdout,
    );
    for (const ns of [c1, c2]) {
      const fix = await e.call('nic.check', { target: { netns: ns }, name: 'eth0', repair: true });
      assert.equal(fix.value.ok, true, fix.stdout);
    }
    assert.equal((await portsOf(e.ovs, 'vlbr40')).length, 2, 'both ports (a fake bridge has no patch)');
    assert.ok(await pings(c1, '10.5.5.2'), 'traffic flows again');
  },
);
