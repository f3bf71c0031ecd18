// Which links count as physical NICs when --nics is not given.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isPhysical } from '../../../internet/discover/candidates.ts';
import type { IpLink } from '../../../lib/ip.ts';

const link = (x: Partial<IpLink>): IpLink => ({ ifindex: 2, ifname: 'eth0', flags: [], mtu: 1500, operstate: 'UP', link_type: 'ether', ...x });

test('a NIC with a bus device behind it is physical; virtual kinds, lo and wireless are not', () => {
  assert.equal(isPhysical(link({ parentbus: 'virtio', parentdev: 'virtio0' }), undefined), true);
  assert.equal(isPhysical(link({}), { device: true, wireless: false }), true);
  assert.equal(isPhysical(link({}), undefined), false);
  assert.equal(isPhysical(link({ parentbus: 'pci', linkinfo: { info_kind: 'veth' } }), undefined), false);
  assert.equal(isPhysical(link({ ifname: 'lo', link_type: 'loopback' }), undefined), false);
  assert.equal(isPhysical(link({ parentbus: 'pci' }), { device: true, wireless: true }), false);
  assert.equal(isPhysical(link({ parentbus: 'usb', link_type: 'none' }), undefined), false);
});
