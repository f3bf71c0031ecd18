// network nics: a workload's veth (or a guest's tap) on a network resource's bridge b-<netid>,
// its address the lowest free of the NR's /24 from .2 (or config.cidr), routes to the ip_range
// and the wire range via .1, the ULA, the NR's MTU. The NR's host side is made by hand
// (nr-fixture.ts); OVSDB is never reached (a socket nobody serves).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { getLink, ip, ipJson } from '../../../lib/ip.ts';
import { runIn } from '../../helpers/netns.ts';
import { ulaAddress, ulaNetwork } from '../../../ovs-plugin/overlay/ula.ts';
import { canon6 } from '../../../ovs-plugin/nics/kinds/network.ts';
import { fakeNr, randomNetid, writeNrRecord } from './nr-fixture.ts';
import { container, nicEnv, pings, type NicEnv } from './helpers.ts';

/** No OVSDB: a command that connected would fail. */
const down = (e: NicEnv) => ({ OVS_DB: `unix:${join(e.ovs.dir, 'no-such-db.sock')}` });

/** True when `ns` gets an answer from IPv6 `addr` (three tries of 2 s). */
async function pings6(ns: string, addr: string): Promise<boolean> {
  for (let i = 0; i < 3; i++)
    if (
      (await runIn(ns, 'busybox', ['ping', '-6', '-c', '1', '-W', '2', addr], { allowFailure: true, timeoutMs: 10000 }))
        .exitCode === 0
    )
      return true;
  return false;
}

test(
  'network: two containers get .2 and .3, reach each other and the gateway (IPv4 and ULA); ' +
    'routes, MTU; cidr given; detach frees the address',
  async (t) => {
    const e = await nicEnv(t, { backplane: false });
    const nr = await fakeNr(t, e, { mtu: 1420 });
    const [c1, c2, c3, c4] = [await container(t), await container(t), await container(t), await container(t)];
    const before = await e.snapshot(c1, c2, c3, c4);
    const nic = { type: 'network', id: nr.netid };
    const a1 = await e.call('nic.attach', { target: { netns: c1 }, nic }, down(e));
    assert.equal(a1.exitCode, 0, a1.stdout);
    const a2 = await e.call('nic.attach', { target: { netns: c2 }, nic }, down(e));
    assert.equal(a2.exitCode, 0, a2.stdout);
    const ula = (v4: string) => canon6(ulaAddress(nr.netid, v4));
    assert.deepEqual(
      { ...a1.value, host: undefined, hwaddr: undefined },
      {
        name: 'eth0',
        host: undefined,
        hwaddr: undefined,
        mtu: 1420,
        bridge: `b-${nr.netid}`,
        addresses: ['10.20.1.2/24', `${ula('10.20.1.2')}/64`],
      },
    );
    assert.deepEqual(a2.value.addresses, ['10.20.1.3/24', `${ula('10.20.1.3')}/64`], 'the lowest free address');
    // The host end is a port of the NR's bridge with its MTU; the bridge keeps the NR's MTU.
    const h = await getLink({ name: e.host }, a1.value.host);
    assert.equal(h?.master, `b-${nr.netid}`);
    assert.equal(h?.mtu, 1420);
    assert.equal((await getLink({ name: e.host }, `b-${nr.netid}`))?.mtu, 1420);
    // Routes inside: the network, the wire range and the default (metric 1000) via .1, the ULA /48 via <ula64>::1.
    const r4 = await ipJson<any>({ name: c1 }, ['-4', 'route', 'show']);
    assert.deepEqual(r4.map((r) => `${r.dst} ${r.gateway ?? '-'}${r.metric ? ` ${r.metric}` : ''}`).sort(), [
      '10.20.0.0/16 10.20.1.1',
      '10.20.1.0/24 -',
      '100.64.0.0/16 10.20.1.1',
      'default 10.20.1.1 1000',
    ]);
    const r6 = await ipJson<any>({ name: c1 }, ['-6', 'route', 'show', 'dev', 'eth0']);
    assert.ok(
      r6.some(
        (r) =>
          r.dst === ulaNetwork(nr.netid).replace(/^(.*)::\/48$/, (_m: string, g: string) => `${canon6(`${g}::`)}/48`) &&
          r.gateway === canon6(nr.ulaGateway),
      ),
      JSON.stringify(r6),
    );
    assert.ok(await pings(c1, '10.20.1.3'), 'c1 reaches c2');
    assert.ok(await pings(c2, '10.20.1.1'), 'c2 reaches the gateway');
    assert.ok(await pings6(c1, ula('10.20.1.3')), 'c1 reaches c2 over the ULA');
    assert.ok(await pings6(c2, nr.ulaGateway), 'c2 reaches the IPv6 gateway');
    // A route beyond the /24 goes through the gateway: the NR namespace sees the packet come in.
    const via = await ipJson<any>({ name: c1 }, ['route', 'get', '10.20.7.9']);
    assert.equal(via[0].gateway, '10.20.1.1');

    const a4 = await e.call(
      'nic.attach',
      { target: { netns: c4 }, nic: { ...nic, config: { cidr: '10.20.1.77/24' } } },
      down(e),
    );
    assert.equal(a4.exitCode, 0, a4.stdout);
    assert.equal(a4.value.addresses[0], '10.20.1.77/24', 'config.cidr is the address');
    assert.ok(await pings(c4, '10.20.1.2'));

    // Detach frees .2: the next attach gets it again.
    assert.equal((await e.call('nic.detach', { target: { netns: c1 }, name: 'eth0' }, down(e))).exitCode, 0);
    const a3 = await e.call('nic.attach', { target: { netns: c3 }, nic }, down(e));
    assert.equal(a3.exitCode, 0, a3.stdout);
    assert.equal(a3.value.addresses[0], '10.20.1.2/24', 'the freed address is the lowest free again');
    const listed = (await e.call('nic.list', {}, down(e))).value;
    assert.deepEqual(
      listed.map((n: any) => [n.type, n.id]),
      [
        ['network', nr.netid],
        ['network', nr.netid],
        ['network', nr.netid],
      ],
    );

    for (const c of [c2, c3, c4])
      assert.equal((await e.call('nic.detach', { target: { netns: c }, name: 'eth0' }, down(e))).exitCode, 0);
    assert.equal(await e.snapshot(c1, c2, c3, c4), before, 'nothing left');
  },
);

test(
  'network: refusals change nothing (cidr outside, .0, .1, .255, in use; ' +
    'no such NR; bad netid; gateway, dns, dhcp, mtu)',
  async (t) => {
    const e = await nicEnv(t, { backplane: false });
    const nr = await fakeNr(t, e);
    const c1 = await container(t);
    const c2 = await container(t);
    const held = await e.call(
      'nic.attach',
      { target: { netns: c2 }, nic: { type: 'network', id: nr.netid, config: { cidr: '10.20.1.9/24' } } },
      down(e),
    );
    assert.equal(held.exitCode, 0, held.stdout);
    const before = await e.snapshot(c1, c2);
    const cases: [unknown, string, string][] = [
      [{ cidr: '10.20.2.5/24' }, 'EINVALID', 'nic.config.cidr'],
      [{ cidr: '10.21.1.5/24' }, 'EINVALID', 'nic.config.cidr'],
      [{ cidr: '10.20.1.0/24' }, 'EINVALID', 'nic.config.cidr'],
      [{ cidr: '10.20.1.1/24' }, 'EINVALID', 'nic.config.cidr'],
      [{ cidr: '10.20.1.255/24' }, 'EINVALID', 'nic.config.cidr'],
      [{ cidr: '10.20.1.5/16' }, 'EINVALID', 'nic.config.cidr'],
      [{ cidr: 'fd00::5/64' }, 'EINVALID', 'nic.config.cidr'],
      [{ cidr: '10.20.1.9/24' }, 'EEXIST', 'nic.config.cidr'],
      [{ gateway: '10.20.1.1' }, 'EINVALID', 'nic.config.gateway'],
      [{ dhcp: true }, 'EINVALID', 'nic.config.dhcp'],
      [{ dns: ['10.20.1.1'] }, 'EINVALID', 'nic.config.dns'],
    ];
    for (const [config, code, field] of cases) {
      const r = await e.call(
        'nic.attach',
        { target: { netns: c1 }, nic: { type: 'network', id: nr.netid, config } },
        down(e),
      );
      assert.equal(r.exitCode, 1, `${JSON.stringify(config)}: ${r.stdout}`);
      assert.equal(r.value.code, code, `${JSON.stringify(config)}: ${r.stdout}`);
      assert.equal(r.value.field, field, `${JSON.stringify(config)}: ${r.stdout}`);
    }
    const others: [unknown, string, string, RegExp?][] = [
      [{ type: 'network', id: 'nosuchnr' }, 'ENOTFOUND', 'nic.id', /no network resource nosuchnr/],
      [{ type: 'network', id: 'bad-netid' }, 'EINVALID', 'nic.id'],
      [{ type: 'network', id: 'a234567890abcd' }, 'EINVALID', 'nic.id'],
      [{ type: 'network' }, 'EINVALID', 'nic.id'],
      [{ type: 'network', id: nr.netid, mtu: 1400 }, 'EINVALID', 'nic.mtu'],
    ];
    for (const [nic, code, field, msg] of others) {
      const r = await e.call('nic.attach', { target: { netns: c1 }, nic }, down(e));
      assert.equal(r.exitCode, 1, `${JSON.stringify(nic)}: ${r.stdout}`);
      assert.equal(r.value.code, code, `${JSON.stringify(nic)}: ${r.stdout}`);
      assert.equal(r.value.field, field, `${JSON.stringify(nic)}: ${r.stdout}`);
      if (msg) assert.match(r.value.message, msg);
    }
    // An NR being deleted takes no new nic.
    await writeNrRecord(e.state, {
      netid: nr.netid,
      subnet: nr.subnet,
      ipRange: nr.ipRange,
      mtu: nr.mtu,
      phase: 'deleting',
    });
    const gone = await e.call('nic.attach', { target: { netns: c1 }, nic: { type: 'network', id: nr.netid } }, down(e));
    assert.equal(gone.value.code, 'EBUSY', gone.stdout);
    assert.equal(await e.snapshot(c1, c2), before, 'nothing changed');
  },
);

test('network: check finds a route and the ULA deleted behind our back, repair puts them back', async (t) => {
  const e = await nicEnv(t, { backplane: false });
  const nr = await fakeNr(t, e);
  const c1 = await container(t);
  const target = { netns: c1 };
  assert.equal((await e.call('nic.attach', { target, nic: { type: 'network', id: nr.netid } }, down(e))).exitCode, 0);
  const ok = await e.call('nic.check', { target, name: 'eth0' }, down(e));
  assert.equal(ok.value.ok, true, ok.stdout);
  await ip({ name: c1 }, ['route', 'del', '10.20.0.0/16']);
  await ip({ name: c1 }, ['addr', 'del', `${canon6(ulaAddress(nr.netid, '10.20.1.2'))}/64`, 'dev', 'eth0']);
  const c = await e.call('nic.check', { target, name: 'eth0' }, down(e));
  assert.equal(c.value.ok, false);
  // The /48's route stays when the /64 address goes (the kernel keeps a route whose gateway left).
  assert.deepEqual(c.value.drift.map((d: any) => d.what).sort(), ['route-ip-range', 'ula']);
  const r = await e.call('nic.check', { target, name: 'eth0', repair: true }, down(e));
  assert.equal(r.value.ok, true, r.stdout);
  assert.deepEqual(r.value.repaired.map((d: any) => d.what).sort(), ['route-ip-range', 'ula']);
  await ip({ name: c1 }, ['-6', 'route', 'del', ulaNetwork(nr.netid)]);
  const u = await e.call('nic.check', { target, name: 'eth0', repair: true }, down(e));
  assert.deepEqual(
    u.value.repaired.map((d: any) => d.what),
    ['route-ula'],
    u.stdout,
  );
  assert.equal((await ipJson<any>({ name: c1 }, ['route', 'get', '10.20.9.9']))[0].gateway, '10.20.1.1');
  assert.ok(await pings6(c1, nr.ulaGateway));
  assert.equal((await e.call('nic.detach', { target, name: 'eth0' }, down(e))).exitCode, 0);
});

test('network: a kvm guest: a tap on the NR bridge, its addresses (IPv4, ULA), gateways in the answer', async (t) => {
  const e = await nicEnv(t, { backplane: false });
  const nr = await fakeNr(t, e, { netid: randomNetid(), mtu: 1380 });
  const c1 = await container(t);
  assert.equal(
    (await e.call('nic.attach', { target: { netns: c1 }, nic: { type: 'network', id: nr.netid } }, down(e))).exitCode,
    0,
  );
  const before = await e.snapshot(c1);
  const g = await e.call('nic.attach', { target: { kvm: 'vm1' }, nic: { type: 'network', id: nr.netid } }, down(e));
  assert.equal(g.exitCode, 0, g.stdout);
  assert.equal(g.value.bridge, `b-${nr.netid}`);
  assert.equal(g.value.address, '10.20.1.3/24');
  assert.equal(g.value.gateway, '10.20.1.1');
  assert.equal(g.value.address6, `${canon6(ulaAddress(nr.netid, '10.20.1.3'))}/64`, 'its ULA, for the guest');
  assert.equal(g.value.gateway6, canon6(nr.ulaGateway));
  assert.equal(g.value.mtu, 1380);
  assert.match(g.value.qemu.join(' '), /host_mtu=1380/);
  const tap = await getLink({ name: e.host }, g.value.tap);
  assert.equal(tap?.linkinfo?.info_kind, 'tun');
  assert.equal(tap?.master, `b-${nr.netid}`);
  assert.equal(tap?.mtu, 1380);
  const c = await e.call('nic.check', { target: { kvm: 'vm1' }, name: g.value.tap }, down(e));
  assert.equal(c.value.ok, true, c.stdout);
  assert.equal((await e.call('nic.detach', { target: { kvm: 'vm1' }, name: g.value.tap }, down(e))).exitCode, 0);
  assert.equal(await e.snapshot(c1), before, 'the tap and its record are gone, the container nic stays');
});

test('network: attaches at once to one NR get distinct addresses (allocated under the state lock)', async (t) => {
  const e = await nicEnv(t, { backplane: false });
  const nr = await fakeNr(t, e);
  const cs = [await container(t), await container(t), await container(t), await container(t)];
  const rs = await Promise.all(
    cs.map((c) => e.call('nic.attach', { target: { netns: c }, nic: { type: 'network', id: nr.netid } }, down(e))),
  );
  for (const r of rs) assert.equal(r.exitCode, 0, r.stdout);
  assert.deepEqual(rs.map((r) => r.value.addresses[0]).sort(), [
    '10.20.1.2/24',
    '10.20.1.3/24',
    '10.20.1.4/24',
    '10.20.1.5/24',
  ]);
  for (const c of cs)
    assert.equal((await e.call('nic.detach', { target: { netns: c }, name: 'eth0' }, down(e))).exitCode, 0);
});
