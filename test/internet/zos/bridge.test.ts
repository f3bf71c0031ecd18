// ensureZosBridge in a fresh namespace: shape of zos, idempotency, refusals that leave nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bridge, ip, listLinks } from '../../../lib/ip.ts';
import { createLogger } from '../../../lib/log.ts';
import type { AppError } from '../../../lib/errors.ts';
import { dismantleZos, ensureZosBridge } from '../../../internet/zos/bridge.ts';
import { getSysctl } from '../../../lib/sysctl.ts';
import { addNic, makeTopology } from '../../helpers/topology.ts';
import { kernelHasVlanFiltering } from '../../helpers/netns.ts';

const quiet = () => {
  const lines: string[] = [];
  return { lines, log: createLogger((l) => lines.push(l)) };
};

test('zos: bridge with the NIC MAC, STP off, NIC enslaved, IPv6 off on NIC and on for zos; idempotent', async (t) => {
  const topo = await makeTopology(t);
  const nic = await addNic(topo, 'eth1');
  const { lines, log } = quiet();
  const r = await ensureZosBridge({ ns: { name: topo.node }, nic: 'eth1', mac: nic.mac, log });
  assert.equal(r.created, true);
  const [zos] = await listLinks({ name: topo.node }, 'zos');
  assert.equal(zos?.linkinfo?.info_kind, 'bridge');
  assert.equal(zos?.address, nic.mac);
  assert.equal(zos?.linkinfo?.info_data?.stp_state, 0);
  assert.ok(zos?.flags.includes('UP'));
  assert.equal((await listLinks({ name: topo.node }, 'eth1'))[0]?.master, 'zos');
  assert.equal(await getSysctl({ name: topo.node }, 'net/ipv6/conf/eth1/disable_ipv6'), '1');
  assert.equal(await getSysctl({ name: topo.node }, 'net/ipv6/conf/zos/disable_ipv6'), '0');
  assert.equal(await getSysctl({ name: topo.node }, 'net/ipv6/conf/zos/accept_ra'), '2');
  if (!r.vlanFiltering) assert.ok(lines.some((l) => l.startsWith('warn bridge.no-vlan-filtering')));
  const shape = async () =>
    (await listLinks({ name: topo.node })).map((l) =>
      [l.ifname, l.master, l.address, l.mtu, l.flags.join(',')].join(' '),
    );
  const before = await shape();
  const again = await ensureZosBridge({ ns: { name: topo.node }, nic: 'eth1', mac: nic.mac, log });
  assert.equal(again.created, false);
  assert.deepEqual(await shape(), before);
  assert.deepEqual(await dismantleZos({ name: topo.node }, log), ['eth1']);
  assert.deepEqual(await listLinks({ name: topo.node }, 'zos'), []);
  assert.equal((await listLinks({ name: topo.node }, 'eth1'))[0]?.master, undefined);
});

test(
  'vlan:priv and vlan:pub on a kernel with VLAN filtering: ' + 'zos untagged in vlan:priv, the NIC tagged in both',
  async (t) => {
    if (!(await kernelHasVlanFiltering())) return t.skip('kernel refuses vlan_filtering');
    const topo = await makeTopology(t);
    const nic = await addNic(topo, 'eth1');
    const { log } = quiet();
    const r = await ensureZosBridge({
      ns: { name: topo.node },
      nic: 'eth1',
      mac: nic.mac,
      vlanPriv: 12,
      vlanPub: 20,
      log,
    });
    assert.equal(r.vlanFiltering, true);
    assert.equal((await listLinks({ name: topo.node }, 'zos'))[0]?.linkinfo?.info_data?.vlan_filtering, 1);
    const vlans = JSON.parse(await bridge({ name: topo.node }, ['-j', 'vlan', 'show'])) as {
      ifname: string;
      vlans: { vlan: number; flags?: string[] }[];
    }[];
    const of = (dev: string) => vlans.find((v) => v.ifname === dev)?.vlans ?? [];
    assert.deepEqual(
      of('zos').map((v) => v.vlan),
      [12],
      'vid 1 replaced by vlan:priv on zos itself',
    );
    assert.ok(of('zos')[0]?.flags?.includes('PVID'));
    assert.deepEqual(
      of('eth1')
        .map((v) => v.vlan)
        .filter((v) => v !== 1)
        .sort(),
      [12, 20],
    );
  },
);

test('vlan:priv asked on a kernel that refuses VLAN filtering: EVLANFILTER, nothing left', async (t) => {
  if (await kernelHasVlanFiltering()) return t.skip('kernel has vlan_filtering: nothing to refuse');
  const topo = await makeTopology(t);
  const nic = await addNic(topo, 'eth1');
  const { log } = quiet();
  await assert.rejects(
    ensureZosBridge({ ns: { name: topo.node }, nic: 'eth1', mac: nic.mac, vlanPriv: 12, log }),
    (err: AppError) => err.code === 'EVLANFILTER' && /vlan:priv/.test(err.message),
  );
  assert.deepEqual(await listLinks({ name: topo.node }, 'zos'), []);
  assert.equal((await listLinks({ name: topo.node }, 'eth1'))[0]?.master, undefined);
});

test('"zos" exists but is not a bridge: EZOSNOTBRIDGE, NIC untouched', async (t) => {
  const topo = await makeTopology(t);
  const nic = await addNic(topo, 'eth1');
  await ip({ name: topo.node }, ['link', 'add', 'zos', 'type', 'veth', 'peer', 'name', 'zosp']);
  const { log } = quiet();
  await assert.rejects(
    ensureZosBridge({ ns: { name: topo.node }, nic: 'eth1', mac: nic.mac, log }),
    (e: AppError) => e.code === 'EZOSNOTBRIDGE' && /"zos" exists but is not a bridge/.test(e.message),
  );
  assert.equal((await listLinks({ name: topo.node }, 'eth1'))[0]?.master, undefined);
  assert.equal((await listLinks({ name: topo.node }, 'zos'))[0]?.linkinfo?.info_kind, 'veth');
});

test('unknown NIC: ENONIC, no zos created', async (t) => {
  const topo = await makeTopology(t);
  const { log } = quiet();
  await assert.rejects(
    ensureZosBridge({ ns: { name: topo.node }, nic: 'nosuch', mac: '02:00:00:00:00:01', log }),
    (e: AppError) => e.code === 'ENONIC',
  );
  assert.deepEqual(await listLinks({ name: topo.node }, 'zos'), []);
});

test('dismantleZos where the namespace is gone: ENETNSGONE, and nothing logged as dismantled', async () => {
  const { lines, log } = quiet();
  await assert.rejects(dismantleZos({ name: 'zz-no-such-ns' }, log), (e: AppError) => e.code === 'ENETNSGONE');
  assert.ok(!lines.some((l) => l.includes('bridge.dismantled')), lines.join('\n'));
});
