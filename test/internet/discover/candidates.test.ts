// Which links count as physical NICs when --nics is not given, and which links are selected.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isPhysical, selectLinks } from '../../../internet/discover/candidates.ts';
import type { AppError } from '../../../lib/errors.ts';
import type { IpLink } from '../../../lib/ip.ts';

const link = (x: Partial<IpLink>): IpLink => ({
  ifindex: 2,
  ifname: 'eth0',
  flags: [],
  mtu: 1500,
  operstate: 'UP',
  link_type: 'ether',
  ...x,
});

test('a NIC with a bus device behind it is physical; virtual kinds, lo and wireless are not', () => {
  assert.equal(isPhysical(link({ parentbus: 'virtio', parentdev: 'virtio0' }), undefined), true);
  assert.equal(isPhysical(link({}), { device: true, wireless: false }), true);
  assert.equal(isPhysical(link({}), undefined), false);
  assert.equal(isPhysical(link({ parentbus: 'pci', linkinfo: { info_kind: 'veth' } }), undefined), false);
  assert.equal(isPhysical(link({ ifname: 'lo', link_type: 'loopback' }), undefined), false);
  assert.equal(isPhysical(link({ parentbus: 'pci' }), { device: true, wireless: true }), false);
  assert.equal(isPhysical(link({ parentbus: 'usb', link_type: 'none' }), undefined), false);
});

test(
  'selection: --nics exactly (never lo or zos), else physical ones; ' +
    'a pin by name admits a virtual link, by MAC any case',
  () => {
    const eth1 = link({ ifname: 'eth1', address: '02:00:00:00:00:01', parentbus: 'pci' });
    const veth = link({ ifname: 've0', address: '02:00:00:00:00:02', linkinfo: { info_kind: 'veth' } });
    const zos = link({ ifname: 'zos', address: '02:00:00:00:00:01', linkinfo: { info_kind: 'bridge' } });
    const lo = link({ ifname: 'lo', link_type: 'loopback' });
    const all = [lo, eth1, veth, zos];
    const names = (o: Parameters<typeof selectLinks>[1]) => selectLinks(all, o).map((l) => l.ifname);
    assert.deepEqual(names({}), ['eth1']);
    assert.deepEqual(names({ nics: ['ve0', 'eth1'] }), ['ve0', 'eth1']);
    assert.deepEqual(names({ pin: 've0' }), ['ve0']);
    assert.deepEqual(names({ pin: '02:00:00:00:00:01' }), ['eth1']); // not zos, which has the NIC's MAC
    const bad = (o: Parameters<typeof selectLinks>[1], field: string, re: RegExp) =>
      assert.throws(
        () => selectLinks(all, o),
        (e: AppError) => ['EINVALID', 'ENONIC'].includes(e.code) && e.details.field === field && re.test(e.message),
      );
    bad({ nics: ['lo'] }, '--nics', /"lo" cannot carry/);
    bad({ nics: ['zos'] }, '--nics', /"zos" is the bridge/);
    bad({ nics: ['eth9'] }, '--nics', /no link named "eth9"/);
    bad({ pin: 'eth9' }, 'zos.nic', /matches no candidate/);
    bad({ pin: '02:00:00:00:00:02' }, 'zos.nic', /matches no candidate/); // a virtual link's MAC: only by name
    bad({ nics: ['eth1'], pin: 've0' }, 'zos.nic', /matches no candidate/);
  },
);
