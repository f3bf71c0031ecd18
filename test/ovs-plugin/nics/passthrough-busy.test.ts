// Passthrough refuses a host link something else uses (EBUSY naming nic.id, nothing changed):
// the parent of another container's macvlan, the lower link of a macvlan or vxlan on the host, a link
// carrying a host address or a default route (IPv4, IPv6, multipath). A macvlan may still share
// its parent with all of these.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ip } from '../../../lib/ip.ts';
import { container, nicEnv } from './helpers.ts';

test(
  'passthrough refuses links in use: macvlan parents, ' + 'host addresses, default routes; nothing changed',
  async (t) => {
    const e = await nicEnv(t, { backplane: false });
    const [c1, c2] = [await container(t), await container(t)];
    const ipn = (...a: string[]) => ip({ name: e.host }, a);
    for (let i = 0; i < 7; i++) {
      await ipn('link', 'add', 'name', `vh${i}`, 'type', 'veth', 'peer', 'name', `vp${i}`);
      await ipn('link', 'set', `vh${i}`, 'up');
    }
    // vh0: the parent of c1's macvlan; vh1: of a macvlan on the host; vh2: a host address;
    // vh3: the IPv4 default route; vh4: the IPv6 default route; vh5: a nexthop of a multipath one;
    // vh6: a vxlan's underlay.
    const m = await e.call('nic.attach', { target: { netns: c1 }, nic: { type: 'macvlan', id: 'vh0' } });
    assert.equal(m.exitCode, 0, m.stdout);
    await ipn('link', 'add', 'link', 'vh1', 'name', 'mv1', 'type', 'macvlan', 'mode', 'bridge');
    await ipn('link', 'add', 'name', 'vx6', 'type', 'vxlan', 'id', '42', 'dstport', '4789', 'dev', 'vh6');
    await ipn('addr', 'add', '10.7.0.1/24', 'dev', 'vh2');
    await ipn('route', 'add', 'default', 'dev', 'vh3');
    await ipn('-6', 'route', 'add', 'default', 'dev', 'vh4');
    await ipn('route', 'add', 'default', 'table', '100', 'nexthop', 'dev', 'vh5', 'nexthop', 'dev', 'vh2');
    const before = await e.snapshot(c1, c2);
    for (const [id, what] of [
      ['vh0', "c1's macvlan parent"],
      ['vh1', "a host macvlan's parent"],
      ['vh2', 'a host address'],
      ['vh3', 'the IPv4 default route'],
      ['vh4', 'the IPv6 default route'],
      ['vh5', 'a multipath default route'],
      ['vh6', "a vxlan's underlay"],
    ]) {
      const r = await e.call('nic.attach', { target: { netns: c2 }, nic: { type: 'passthrough', id } });
      assert.deepEqual([r.exitCode, r.value.code, r.value.field], [1, 'EBUSY', 'nic.id'], `${what}: ${r.stdout}`);
      assert.equal(await e.snapshot(c1, c2), before, `${what}: nothing changed`);
    }
    // A macvlan on the link carrying the host's address and default route is normal.
    await ipn('route', 'replace', 'default', 'via', '10.7.0.254', 'dev', 'vh2');
    const ok = await e.call('nic.attach', { target: { netns: c2 }, nic: { type: 'macvlan', id: 'vh2' } });
    assert.equal(ok.exitCode, 0, ok.stdout);
  },
);
