// applyChoice / applyStatic on a real zos: the node reaches the gateway at once, no DHCP run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ip, ipJson, listLinks } from '../../../lib/ip.ts';
import { createLogger } from '../../../lib/log.ts';
import { ensureZosBridge } from '../../../internet/zos/bridge.ts';
import { applyChoice, applyStatic } from '../../../internet/zos/apply.ts';
import { runIn } from '../../helpers/netns.ts';
import { addNic, makeTopology, type Topology, startRadvd } from '../../helpers/topology.ts';

const log = createLogger(() => {});

async function zosOn(t: Parameters<typeof makeTopology>[0]): Promise<{ topo: Topology; mac: string; peer: string }> {
  const topo = await makeTopology(t);
  const nic = await addNic(topo, 'eth1');
  await ensureZosBridge({ ns: { name: topo.node }, nic: 'eth1', mac: nic.mac, log });
  return { topo, mac: nic.mac, peer: nic.peer };
}

test('v4 lease: address, option-121 routes, default route, MTU, DNS; gateway answers ping', async (t) => {
  const { topo, mac, peer } = await zosOn(t);
  await ip({ name: topo.sw }, ['addr', 'add', '10.61.1.1/24', 'dev', peer]);
  const resolv = join(topo.dir, 'resolv.conf');
  const applied = await applyChoice(
    { ns: { name: topo.node }, nic: 'eth1', resolvConf: resolv, log },
    {
      nic: 'eth1',
      mac,
      mtu: 1500,
      reason: 'test',
      v4: {
        address: '10.61.1.150',
        prefix: 24,
        router: '10.61.1.1',
        dns: ['10.61.1.1', '9.9.9.9'],
        mtu: 1400,
        domain: 'lan',
        staticRoutes: [{ dest: '10.99.0.0/16', via: '10.61.1.1' }],
      },
    },
  );
  assert.deepEqual(applied, {
    mode: 'dhcp',
    addresses: ['10.61.1.150/24'],
    gateways: ['10.61.1.1'],
    dns: ['10.61.1.1', '9.9.9.9'],
    leasedIp: '10.61.1.150',
  });
  const routes = await ipJson<{ dst: string; gateway?: string; dev: string }>({ name: topo.node }, [
    '-4',
    'route',
    'show',
  ]);
  assert.ok(routes.some((r) => r.dst === 'default' && r.gateway === '10.61.1.1' && r.dev === 'zos'));
  assert.ok(routes.some((r) => r.dst === '10.99.0.0/16' && r.gateway === '10.61.1.1'));
  assert.equal((await listLinks({ name: topo.node }, 'eth1'))[0]?.mtu, 1400);
  assert.equal((await listLinks({ name: topo.node }, 'zos'))[0]?.mtu, 1400);
  assert.equal(
    await readFile(resolv, 'utf8'),
    '# written by internet (DHCP on zos)\nsearch lan\nnameserver 10.61.1.1\nnameserver 9.9.9.9\n',
  );
  await runIn(topo.node, 'busybox', ['ping', '-c1', '-W2', '10.61.1.1']);
  // Applying again changes nothing and does not fail (replace semantics).
  await applyChoice(
    { ns: { name: topo.node }, nic: 'eth1', resolvConf: resolv, log },
    {
      nic: 'eth1',
      mac,
      mtu: 1500,
      reason: 'test',
      v4: { address: '10.61.1.150', prefix: 24, router: '10.61.1.1', dns: [] },
    },
  );
  assert.equal((await ipJson<{ dst: string }>({ name: topo.node }, ['-4', 'route', 'show', 'default'])).length, 1);
});

test("RA only: SLAAC address, the kernel's default route via the link-local router (not ours); RDNSS", async (t) => {
  const { topo, mac, peer } = await zosOn(t);
  await startRadvd(t, topo, { name: 'eth1', peer, mac }, { prefix: 'fd61:2::/64' });
  await ip({ name: topo.sw }, ['-6', 'addr', 'add', 'fd61:2::1/64', 'dev', peer, 'nodad']);
  const ll = (
    await ipJson<{ addr_info: { local: string; scope: string }[] }>({ name: topo.sw }, [
      '-6',
      'addr',
      'show',
      'dev',
      peer,
    ])
  )[0]!.addr_info.find((a) => a.scope === 'link')!.local;
  const resolv = join(topo.dir, 'resolv.conf');
  const applied = await applyChoice(
    { ns: { name: topo.node }, nic: 'eth1', resolvConf: resolv, log },
    {
      nic: 'eth1',
      mac,
      mtu: 1500,
      reason: 'test',
      v6: { address: 'fd61:2::5', prefix: 64, router: ll, dns: ['fd61:2::53'], validLft: 86400, preferredLft: 14400 },
    },
  );
  assert.equal(applied.mode, 'ra');
  assert.deepEqual(applied.gateways, [ll]);
  const def = await ipJson<{ gateway?: string; dev: string; protocol?: string }>({ name: topo.node }, [
    '-6',
    'route',
    'show',
    'default',
  ]);
  assert.deepEqual(
    def.map((d) => [d.gateway, d.dev, d.protocol]),
    [[ll, 'zos', 'ra']],
  );
  assert.match(await readFile(resolv, 'utf8'), /nameserver fd61:2::53/);
  await runIn(topo.node, 'busybox', ['ping6', '-c1', '-W3', 'fd61:2::1']);
});

test('static ip=: address and gateway on zos, resolv.conf untouched without dns', async (t) => {
  const { topo, peer } = await zosOn(t);
  await ip({ name: topo.sw }, ['addr', 'add', '10.61.3.1/24', 'dev', peer]);
  const resolv = join(topo.dir, 'resolv.conf');
  const applied = await applyStatic(
    { ns: { name: topo.node }, nic: 'eth1', resolvConf: resolv, log },
    { family: 4, address: '10.61.3.7', prefix: 24, gateway: '10.61.3.1', device: 'eth1', dns: [] },
  );
  assert.deepEqual(applied.gateways, ['10.61.3.1']);
  await assert.rejects(readFile(resolv, 'utf8'), { code: 'ENOENT' });
  await runIn(topo.node, 'busybox', ['ping', '-c1', '-W2', '10.61.3.1']);
});

test('dual stack: v4 lease and RA both applied; the lease owns MTU and DNS', async (t) => {
  const { topo, mac, peer } = await zosOn(t);
  await ip({ name: topo.sw }, ['addr', 'add', '10.61.4.1/24', 'dev', peer]);
  await ip({ name: topo.sw }, ['link', 'set', peer, 'up']);
  const resolv = join(topo.dir, 'resolv.conf');
  const applied = await applyChoice(
    { ns: { name: topo.node }, nic: 'eth1', resolvConf: resolv, log },
    {
      nic: 'eth1',
      mac,
      mtu: 1500,
      reason: 'test',
      v4: { address: '10.61.4.150', prefix: 24, router: '10.61.4.1', dns: ['10.61.4.53'], mtu: 1400 },
      v6: { address: 'fd61:4::5', prefix: 64, router: 'fe80::1', dns: ['fd61:4::53'], mtu: 1500 },
    },
  );
  assert.deepEqual(applied.addresses, ['10.61.4.150/24', 'fd61:4::5/64']);
  assert.deepEqual(applied.gateways, ['10.61.4.1', 'fe80::1']);
  assert.equal(applied.leasedIp, '10.61.4.150');
  assert.equal((await listLinks({ name: topo.node }, 'zos'))[0]?.mtu, 1400);
  assert.equal(await readFile(resolv, 'utf8'), '# written by internet (DHCP on zos)\nnameserver 10.61.4.53\n');
  // The v6 default route is left to the kernel's RA handling (no router here: none), never made static.
  assert.deepEqual(await ipJson({ name: topo.node }, ['-6', 'route', 'show', 'default']), []);
});

test('RA only, no router advertisement reaches zos: ERA6ROUTE after the bound, no static route left', async (t) => {
  const { topo, mac } = await zosOn(t);
  const t0 = Date.now();
  await assert.rejects(
    applyChoice(
      { ns: { name: topo.node }, nic: 'eth1', resolvConf: join(topo.dir, 'resolv.conf'), log, raRouteWaitMs: 1500 },
      {
        nic: 'eth1',
        mac,
        mtu: 1500,
        reason: 'test',
        v6: { address: 'fd61:6::5', prefix: 64, router: 'fe80::1', dns: [] },
      },
    ),
    { code: 'ERA6ROUTE' },
  );
  assert.ok(Date.now() - t0 >= 1500);
  assert.deepEqual(await ipJson({ name: topo.node }, ['-6', 'route', 'show', 'default']), []);
});

test(
  'odd lease values (an MTU the NIC refuses, ' + 'an off-subnet option-121 gateway) do not keep the node offline',
  async (t) => {
    const { topo, mac, peer } = await zosOn(t);
    await ip({ name: topo.sw }, ['addr', 'add', '10.61.5.1/24', 'dev', peer]);
    const lines: string[] = [];
    const { createLogger: mk } = await import('../../../lib/log.ts');
    const applied = await applyChoice(
      {
        ns: { name: topo.node },
        nic: 'eth1',
        resolvConf: join(topo.dir, 'resolv.conf'),
        log: mk((l) => lines.push(l)),
      },
      {
        nic: 'eth1',
        mac,
        mtu: 1500,
        reason: 'test',
        v4: {
          address: '10.61.5.150',
          prefix: 24,
          router: '10.61.5.1',
          dns: [],
          mtu: 40,
          staticRoutes: [{ dest: '10.98.0.0/16', via: '192.0.2.1' }],
        },
      },
    );
    assert.deepEqual(applied.gateways, ['10.61.5.1']);
    assert.ok(
      lines.some((l) => l.startsWith('warn apply.mtu-refused')),
      lines.join('\n'),
    );
    await runIn(topo.node, 'busybox', ['ping', '-c1', '-W2', '10.61.5.1']);
  },
);
