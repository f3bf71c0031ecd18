// lib/rtnl.ts: the agent's link, address and route steps in-process, checked with iproute2.
// The steps run in a child process inside the test's namespace (fixtures/rtnl-steps.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ip, ipJson, listLinks } from '../../lib/ip.ts';
import { netnsNamed, netnsPath, runIn, type NetnsRef } from '../../lib/netns.ts';
import { ipv4Uplinks } from '../../lib/rtnl.ts';
import { kernelHasVlanFiltering, makeNetns } from '../helpers/netns.ts';

test('rtnl: bridge, port, MAC, MTU, up, addresses, routes and a move-and-up, as ip would make them', async (t) => {
  const ns = await makeNetns(t, 'trt');
  const other = await makeNetns(t, 'tro');
  await ip(netnsNamed(ns), ['link', 'add', 'name', 'a', 'type', 'veth', 'peer', 'name', 'b']);
  const r = await runIn(
    netnsNamed(ns),
    process.execPath,
    ['--import', 'tsx', 'test/lib/fixtures/rtnl-steps.ts', netnsPath(other)],
    { timeoutMs: 60_000 },
  );
  const out = JSON.parse(r.stdout.trim());
  // Refused or not, a VLAN-filtering change answers at once (a refused create with it would not).
  assert.equal(out.vlan, (await kernelHasVlanFiltering()) ? 'ok' : 'ERTNL');
  assert.equal(out.vlanFast, true);
  const vf = out.vlan === 'ok';
  delete out.vlan;
  delete out.vlanFast;
  assert.deepEqual(
    { ...out, a: { ...out.a, mac: undefined } },
    {
      inProcess: true,
      missing: 'ELINKNOTFOUND',
      exists: 'ERTNL',
      none: null,
      zbr: { kind: 'bridge', mac: '02:11:22:33:44:55', vlanFiltering: vf, up: true },
      a: { kind: 'veth', master: 'zbr', mac: undefined, vlanFiltering: false, up: true },
    },
  );
  const [br] = await listLinks(netnsNamed(ns), 'zbr');
  assert.equal(br?.linkinfo?.info_kind, 'bridge');
  assert.equal(br?.linkinfo?.info_data?.stp_state, 0);
  assert.equal(br?.address, '02:11:22:33:44:55');
  assert.equal(br?.mtu, 1400);
  assert.ok(br?.flags.includes('UP'));
  const [a] = await listLinks(netnsNamed(ns), 'a');
  assert.equal(a?.master, 'zbr');
  assert.ok(a?.flags.includes('UP'));
  assert.deepEqual(await listLinks(netnsNamed(ns), 'b'), [], 'b has left');
  const [b] = await listLinks(netnsNamed(other), 'b');
  assert.ok(b?.flags.includes('UP'), 'b is up in its new namespace');
  const [addrs] = await ipJson<{
    addr_info: { local: string; prefixlen: number; broadcast?: string; valid_life_time?: number }[];
  }>(netnsNamed(ns), ['addr', 'show', 'dev', 'zbr']);
  const v4 = addrs!.addr_info.filter((x) => x.local === '10.1.2.3');
  assert.deepEqual(
    v4.map((x) => [x.prefixlen, x.broadcast]),
    [[24, '10.1.2.255']],
  );
  const v6 = addrs!.addr_info.find((x) => x.local === '2001:db8:1::5');
  assert.ok(v6 && v6.prefixlen === 64 && v6.valid_life_time! <= 3600 && v6.valid_life_time! > 3000);
  const routes = (await ip(netnsNamed(ns), ['-4', 'route', 'show', 'dev', 'zbr']))
    .trim()
    .split('\n')
    .map((l) => l.trim());
  assert.ok(routes.includes('default via 10.1.2.1'), routes.join('\n'));
  assert.ok(routes.includes('198.51.100.0/24 via 192.0.2.1 onlink'), routes.join('\n'));
  assert.ok(routes.includes('203.0.113.0/24 scope link'), routes.join('\n'));
});

test('rtnl: listLinksFast, linksNamed and linkAt read what `ip -j -d link show` shows of the links', async (t) => {
  const ns = await makeNetns(t, 'trl');
  const ref = netnsNamed(ns);
  await ip(ref, ['link', 'add', 'name', 'v1', 'type', 'veth', 'peer', 'name', 'v2']);
  await ip(ref, ['link', 'add', 'name', 'v3', 'mtu', '1400', 'type', 'veth', 'peer', 'name', 'v4']);
  await ip(ref, ['link', 'add', 'name', 'br0', 'type', 'bridge']);
  await ip(ref, ['link', 'set', 'v1', 'master', 'br0', 'up']);
  await ip(ref, ['link', 'set', 'v3', 'up']); // up, its peer down: NO-CARRIER
  await ip(ref, ['link', 'set', 'br0', 'up']);
  await ip(ref, ['tuntap', 'add', 'dev', 'tp0', 'mode', 'tap']);
  await ip(ref, ['tuntap', 'add', 'dev', 'tn0', 'mode', 'tun']);
  const r = await runIn(ref, process.execPath, ['--import', 'tsx', 'test/lib/fixtures/links-both.ts'], {
    timeoutMs: 60_000,
  });
  const {
    fast,
    named,
    at,
    missing,
    ip: viaIp,
  } = JSON.parse(r.stdout) as {
    fast: Record<string, unknown>[];
    named: Record<string, unknown>[];
    at: Record<string, unknown>[];
    missing: null;
    ip: Record<string, unknown>[];
  };
  assert.deepEqual(named, fast, 'read by name one by one: the same links as the dump');
  assert.deepEqual(at, fast, 'read by index one by one: the same links as the dump');
  assert.equal(missing, null);
  const shape = (l: Record<string, unknown>) => {
    const info = l.linkinfo as { info_kind?: string; info_slave_kind?: string } | undefined;
    return {
      ifindex: l.ifindex,
      ifname: l.ifname,
      mtu: l.mtu,
      max_mtu: l.max_mtu,
      operstate: l.operstate,
      address: l.address,
      master: l.master,
      link_type: l.link_type,
      kind: info?.info_kind,
      slave: info?.info_slave_kind,
      flags: [...(l.flags as string[])].sort(),
    };
  };
  assert.deepEqual(fast.map(shape), viaIp.map(shape));
  assert.deepEqual(fast.map((l) => l.ifname).sort(), ['br0', 'lo', 'tn0', 'tp0', 'v1', 'v2', 'v3', 'v4']);
  assert.ok((fast.find((l) => l.ifname === 'v3')!.flags as string[]).includes('NO-CARRIER'));
});

/** Veths `name` (peer `<name>p`) up in `ref`, each with its IPv4 address. */
async function upLinks(ref: NetnsRef, links: readonly (readonly [string, string])[]): Promise<void> {
  for (const [l, a] of links) {
    await ip(ref, ['link', 'add', 'name', l, 'type', 'veth', 'peer', 'name', `${l}p`]);
    await ip(ref, ['link', 'set', `${l}p`, 'up']);
    await ip(ref, ['addr', 'add', a, 'dev', l]);
    await ip(ref, ['link', 'set', l, 'up']);
  }
}

test('rtnl: ipv4Uplinks names the links of the main IPv4 default routes, in-process as through ip', async (t) => {
  const ns = await makeNetns(t, 'tru');
  const ref = netnsNamed(ns);
  await upLinks(ref, [
    ['u1', '10.9.1.2/24'],
    ['u2', '10.9.2.2/24'],
    ['u3', '10.9.3.2/24'],
  ]);
  await ip(ref, ['addr', 'add', '2001:db8:9::2/64', 'dev', 'u3', 'nodad']);
  // Two IPv4 defaults (metrics), an IPv6 default and a default in another table: u2 and u1 count.
  await ip(ref, ['route', 'add', 'default', 'via', '10.9.2.1', 'dev', 'u2']);
  await ip(ref, ['route', 'add', 'default', 'via', '10.9.1.1', 'dev', 'u1', 'metric', '50']);
  await ip(ref, ['-6', 'route', 'add', 'default', 'via', '2001:db8:9::1', 'dev', 'u3']);
  await ip(ref, ['route', 'add', 'default', 'via', '10.9.3.1', 'dev', 'u3', 'table', '100']);
  const r = await runIn(ref, process.execPath, ['--import', 'tsx', 'test/lib/fixtures/uplinks.ts'], {
    timeoutMs: 60_000,
  });
  assert.deepEqual(JSON.parse(r.stdout), { inProcess: true, uplinks: ['u1', 'u2'] });
  assert.deepEqual(await ipv4Uplinks(ref), ['u1', 'u2'], 'through ip (another namespace)');
});

test('rtnl: routesTo gives the link and MTU metric ip route get does, null where there is no route', async (t) => {
  const ns = await makeNetns(t, 'trr');
  const ref = netnsNamed(ns);
  await upLinks(ref, [
    ['r1', '10.9.1.2/24'],
    ['r2', '10.9.2.2/24'],
  ]);
  await ip(ref, ['addr', 'add', '2001:db8:9::2/64', 'dev', 'r2', 'nodad']);
  await ip(ref, ['route', 'add', 'default', 'via', '10.9.1.1', 'dev', 'r1']);
  await ip(ref, ['route', 'add', '10.50.0.0/16', 'via', '10.9.2.1', 'dev', 'r2', 'mtu', 'lock', '1300']);
  const dsts = ['192.0.2.7', '10.50.3.4', '2001:db8:9::77', '2001:db8:aa::1'];
  const r = await runIn(ref, process.execPath, ['--import', 'tsx', 'test/lib/fixtures/routes-to.ts', ...dsts], {
    timeoutMs: 60_000,
  });
  const { inProcess, routes } = JSON.parse(r.stdout) as {
    inProcess: boolean;
    routes: ({ oif: number; mtu?: number } | null)[];
  };
  assert.equal(inProcess, true);
  const index = new Map((await listLinks(ref)).map((l) => [l.ifname, l.ifindex]));
  const via = (dev: string) => ({ oif: index.get(dev), dev, linkMtu: 1500 });
  assert.deepEqual(routes, [via('r1'), { ...via('r2'), mtu: 1300 }, via('r2'), null]);
  // What ip says of the same (no IPv6 default: the last has no route).
  const viaIp = await ipJson<{ dev: string; metrics?: { mtu?: number }[] }>(ref, ['route', 'get', '10.50.3.4']);
  assert.deepEqual([viaIp[0]?.dev, viaIp[0]?.metrics?.[0]?.mtu], ['r2', 1300]);
});
