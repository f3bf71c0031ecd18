// default nics: a veth to the NAT bridge nat0 the plugin makes, an address from the pool kept
// in the state file, masquerade (nft) so a network with no route back to the pool answers. The
// isolation (own MAC and address only, the outside only) and check/repair of the NAT: nat-guard.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ip, listLinks } from '../../../lib/ip.ts';
import { container, nicEnv, pings } from './helpers.ts';

test(
  'default: NAT bridge, pool addresses, ' + 'reaches a network beyond the host through masquerade; one per target',
  async (t) => {
    const e = await nicEnv(t, { backplane: false });
    const [c1, c2, world] = [await container(t), await container(t), await container(t)];
    await ip({ name: e.host }, ['link', 'add', 'name', 'w0', 'type', 'veth', 'peer', 'name', 'w1', 'netns', world]);
    await ip({ name: e.host }, ['addr', 'add', '10.99.0.1/24', 'dev', 'w0']);
    await ip({ name: e.host }, ['link', 'set', 'w0', 'up']);
    await ip({ name: world }, ['addr', 'add', '10.99.0.2/24', 'dev', 'w1']);
    await ip({ name: world }, ['link', 'set', 'w1', 'up']);
    await ip({ name: e.host }, ['route', 'add', 'default', 'via', '10.99.0.2', 'dev', 'w0']);

    const r1 = await e.call('nic.attach', { target: { netns: c1 }, nic: { type: 'default' } });
    assert.equal(r1.exitCode, 0, r1.stdout);
    assert.deepEqual([r1.value.bridge, r1.value.addresses], ['nat0', ['172.18.0.2/16']]);
    const r2 = await e.call('nic.attach', { target: { netns: c2 }, nic: { type: 'default' } });
    assert.deepEqual(r2.value.addresses, ['172.18.0.3/16'], 'the next free pool address');
    assert.ok(await pings(c1, '172.18.0.1'), 'the host through nat0');
    assert.ok(await pings(c1, '10.99.0.2'), 'beyond the host: the world has no route to the pool, so this is NAT');
    assert.ok(!(await pings(c2, '172.18.0.2', 2)), 'default nics are isolated from each other');
    const twice = await e.call('nic.attach', { target: { netns: c1 }, nic: { type: 'default', name: 'eth1' } });
    assert.deepEqual([twice.value.code, twice.value.field], ['EEXIST', 'nic.type']);
    const cidr = await e.call('nic.attach', {
      target: { netns: c1 },
      nic: { type: 'default', config: { cidr: '10.0.0.2/24' } },
    });
    assert.deepEqual([cidr.value.code, cidr.value.field], ['EINVALID', 'nic.config.cidr']);

    assert.equal((await e.call('nic.detach', { target: { netns: c1 }, name: 'eth0' })).exitCode, 0);
    const r3 = await e.call('nic.attach', { target: { netns: c1 }, nic: { type: 'default' } });
    assert.deepEqual(r3.value.addresses, ['172.18.0.2/16'], 'a freed address is given again');
    for (const ns of [c1, c2])
      assert.equal((await e.call('nic.detach', { target: { netns: ns }, name: 'eth0' })).exitCode, 0);
    for (const ns of [c1, c2])
      assert.deepEqual(
        (await listLinks({ name: ns })).map((l) => l.ifname),
        ['lo'],
      );
    assert.ok(
      (await listLinks({ name: e.host })).some((l) => l.ifname === 'nat0'),
      'nat0 stays, as v1 kept core0',
    );
  },
);

test('default: the pool runs out -> EEXHAUSTED, nothing changed', async (t) => {
  const e = await nicEnv(t, { backplane: false });
  const [c1, c2] = [await container(t), await container(t)];
  const env = { OVS_PLUGIN_NAT_POOL: '10.97.0.0/30' };
  const r = await e.call('nic.attach', { target: { netns: c1 }, nic: { type: 'default' } }, env);
  assert.deepEqual(r.value.addresses, ['10.97.0.2/30'], r.stdout);
  const before = await e.snapshot(c1, c2);
  const full = await e.call('nic.attach', { target: { netns: c2 }, nic: { type: 'default' } }, env);
  assert.equal(full.value.code, 'EEXHAUSTED', full.stdout);
  assert.equal(await e.snapshot(c1, c2), before);
});
