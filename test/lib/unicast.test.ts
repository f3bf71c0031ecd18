// Which addresses can be a host's address or gateway: the one rule ip=, DHCP leases and nic config share.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { broadcastOf, inSubnet, networkOf, notHostInSubnet, notUnicastV4, notUnicastV6 } from '../../lib/unicast.ts';

test(
  'IPv4: unicast host addresses pass; 0/8, loopback, ' + 'multicast, 240/4, broadcast do not; link-local on request',
  () => {
    for (const a of ['10.0.0.1', '192.0.2.7', '8.8.8.8', '223.255.255.254'])
      assert.equal(notUnicastV4(a), undefined, a);
    for (const a of [
      '0.0.0.0',
      '0.1.2.3',
      '127.0.0.1',
      '127.255.0.9',
      '224.0.0.1',
      '239.1.1.1',
      '240.0.0.1',
      '255.255.255.255',
      '169.254.1.1',
      'x',
      '010.1.2.3',
    ]) {
      assert.ok(notUnicastV4(a), a);
    }
    assert.equal(notUnicastV4('169.254.1.1', { linkLocal: true }), undefined);
  },
);

test('IPv6: global and ULA pass; ::, ::1, multicast, mapped, zoned, link-local (unless asked) do not', () => {
  for (const a of ['2001:db8::1', 'fd00::5']) assert.equal(notUnicastV6(a), undefined, a);
  for (const a of ['::', '::1', 'ff02::1', '::ffff:10.0.0.1', 'fe80::1%eth0', 'fe80::1', '10.0.0.1'])
    assert.ok(notUnicastV6(a), a);
  assert.equal(notUnicastV6('fe80::1', { linkLocal: true }), undefined);
});

test('subnets: network, broadcast, membership; /31 and /32 have no network or broadcast to refuse', () => {
  assert.equal(networkOf('10.1.2.3', 24), '10.1.2.0');
  assert.equal(broadcastOf('10.1.2.3', 24), '10.1.2.255');
  assert.equal(broadcastOf('10.1.2.3', 32), '10.1.2.3');
  assert.equal(networkOf('10.1.2.3', 1), '0.0.0.0');
  assert.ok(inSubnet('10.1.2.200', '10.1.2.3', 24));
  assert.ok(!inSubnet('10.1.3.1', '10.1.2.3', 24));
  assert.match(notHostInSubnet('10.1.2.0', 24)!, /network address/);
  assert.match(notHostInSubnet('10.1.2.255', 24)!, /broadcast address/);
  assert.equal(notHostInSubnet('10.1.2.0', 31), undefined);
  assert.equal(notHostInSubnet('10.1.2.0', 32), undefined);
});
