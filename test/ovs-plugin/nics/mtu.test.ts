// A nic's MTU is its own: attaching (and detaching) a container's or a guest's nic with an MTU
// below its bridge's changes no other link's MTU or addresses. A Linux bridge follows its
// smallest port and ovs-vswitchd sets a bridge's internal interfaces (and VLAN bridges made
// later) to its smallest port's; below 1280 the kernel drops their IPv6 addresses. For each
// kind that plugs a host end into a bridge (bridge, default/nat0, vlan in both layouts, vxlan;
// veth and kvm tap), every other host link's MTU and global addresses are compared before the
// small nic, with it, after a VLAN bridge made later, and after its detach.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { ip } from '../../../lib/ip.ts';
import { linkAddresses } from '../../../ovs-plugin/nics/link-addresses.ts';
import { container, nicEnv, type NicEnv } from './helpers.ts';

/** name -> "mtu N addrs" of every host link but lo and the nics' host ends (nh*, kt*). */
async function others(e: NicEnv): Promise<Record<string, string>> {
  const all = JSON.parse(await ip({ name: e.host }, ['-j', 'addr', 'show'])) as {
    ifname: string;
    mtu: number;
    addr_info?: { local: string; prefixlen: number; scope: string }[];
  }[];
  return Object.fromEntries(
    all
      .filter((l) => l.ifname !== 'lo' && !/^(nh|kt)/.test(l.ifname))
      .map((l) => [
        l.ifname,
        `mtu ${l.mtu} ${(l.addr_info ?? [])
          .filter((a) => a.scope === 'global')
          .map((a) => `${a.local}/${a.prefixlen}`)
          .sort()
          .join(' ')}`,
      ]),
  );
}

/** Gives each of `links` on the host a global IPv6 address (and sets it up). */
async function addV6(e: NicEnv, links: string[]): Promise<void> {
  for (const [i, l] of links.entries()) {
    await ip({ name: e.host }, ['link', 'set', l, 'up']);
    await ip({ name: e.host }, ['-6', 'addr', 'add', `fd00:${i + 1}::1/64`, 'dev', l, 'nodad']);
  }
}

/** The subset of `now` naming the links of `before`. */
const same = (before: Record<string, string>, now: Record<string, string>) =>
  Object.fromEntries(Object.keys(before).map((k) => [k, now[k]]));

interface Case {
  kind: string;
  env?: Record<string, string>;
  setup(e: NicEnv, first: string): Promise<string[]>;
  id?: unknown;
  small: number;
  later?: { id: unknown; bridge: string };
}

/**
 * Attaches a small-MTU nic of the case's kind to a container and to a guest, then detaches them, comparing the other
 * links throughout.
 */
async function run(t: TestContext, c: Case, opts: { backplane?: boolean } = {}): Promise<void> {
  const e = await nicEnv(t, opts);
  const call = async (cmd: string, args: unknown) => {
    const r = await e.call(cmd, args, c.env);
    assert.equal(r.exitCode, 0, `${cmd} ${JSON.stringify(args)}: ${r.stdout}`);
    return r.value;
  };
  const [first, c1, c2] = [await container(t), await container(t), await container(t)];
  const bridges = await c.setup(e, first);
  await addV6(e, bridges);
  const before = await others(e);
  for (const b of bridges) assert.match(before[b]!, / fd00:/, `${b} has its IPv6 address`);

  const nic = { type: c.kind, ...(c.id !== undefined ? { id: c.id } : {}), mtu: c.small };
  const r = await call('nic.attach', { target: { netns: c1 }, nic });
  assert.equal((await linkAddresses({ name: c1 }, r.name))?.mtu, c.small, 'the nic has its own MTU');
  assert.deepEqual(
    same(before, await others(e)),
    before,
    `a container's ${c.kind} nic of MTU ${c.small}: no other link's MTU or address changed`,
  );
  const g = await call('nic.attach', { target: { kvm: 'vm1' }, nic });
  assert.equal(g.mtu, c.small);
  assert.deepEqual(
    same(before, await others(e)),
    before,
    `a guest's ${c.kind} nic (tap) of MTU ${c.small}: no other link's MTU or address changed`,
  );
  if (c.later) {
    await call('nic.attach', { target: { netns: c2 }, nic: { type: c.kind, id: c.later.id } });
    const now = await others(e);
    assert.equal(
      now[c.later.bridge]?.split(' ').slice(0, 2).join(' '),
      before[bridges[0]!]!.split(' ').slice(0, 2).join(' '),
      `${c.later.bridge}, made later, is born with the master's MTU`,
    );
    await call('nic.detach', { target: { netns: c2 }, name: 'eth0' });
  }
  await call('nic.detach', { target: { netns: c1 }, name: r.name });
  await call('nic.detach', { target: { kvm: 'vm1' }, name: g.tap });
  assert.deepEqual(same(before, await others(e)), before, 'after detach: every other link as it was');
}

test("mtu: bridge nics (veth and tap) below the bridge's MTU leave the bridge's MTU and IPv6 address", async (t) => {
  await run(
    t,
    {
      kind: 'bridge',
      id: 'br0',
      small: 68,
      async setup(e) {
        await ip({ name: e.host }, ['link', 'add', 'name', 'br0', 'type', 'bridge']);
        return ['br0'];
      },
    },
    { backplane: false },
  );
});

test("mtu: default nics (veth and tap) below nat0's MTU leave nat0's MTU and IPv6 address", async (t) => {
  await run(
    t,
    {
      kind: 'default',
      small: 68,
      async setup(e, first) {
        assert.equal((await e.call('nic.attach', { target: { netns: first }, nic: { type: 'default' } })).exitCode, 0);
        return ['nat0'];
      },
    },
    { backplane: false },
  );
});

for (const layout of ['fake', 'patch']) {
  test(
    `mtu: vlan nics (veth and tap, ${layout} layout) leave backplane and the VLAN bridges; ` +
      "a VLAN bridge made later has backplane's MTU",
    async (t) => {
      const env = { OVS_VLAN_LAYOUT: layout };
      await run(t, {
        kind: 'vlan',
        id: 10,
        small: 600,
        env,
        later: { id: 30, bridge: 'vlbr30' },
        async setup(e, first) {
          assert.equal(
            (await e.call('nic.attach', { target: { netns: first }, nic: { type: 'vlan', id: 10 } }, env)).exitCode,
            0,
          );
          assert.equal(
            (await e.call('nic.attach', { target: { netns: first }, nic: { type: 'vlan', id: 0, name: 'eth1' } }, env))
              .exitCode,
            0,
          );
          return ['backplane', 'vlbr10', 'vlbr0'];
        },
      });
    },
  );
}

test('mtu: vxlan nics (veth and tap) leave vxbackend and the VXLAN bridge', async (t) => {
  await run(
    t,
    {
      kind: 'vxlan',
      id: 100,
      small: 600,
      async setup(e, first) {
        await e.ovs.addBridge('vxbackend');
        await ip({ name: e.host }, ['addr', 'add', '10.20.0.1/24', 'dev', 'vxbackend']);
        await ip({ name: e.host }, ['link', 'set', 'vxbackend', 'up']);
        assert.equal(
          (await e.call('nic.attach', { target: { netns: first }, nic: { type: 'vxlan', id: 100 } })).exitCode,
          0,
        );
        return ['vxbackend', 'vxlbr100'];
      },
    },
    { backplane: false },
  );
});
