// The network's ULA /48 is a real hash of the netid (Zero-OS's is its first ASCII bytes, so two
// netids with one prefix collided); the NR's /64 takes the subnet's third octet.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { isIPv6 } from 'node:net';
import { parsePrefix4 } from '../../../ovs-plugin/overlay/ipv4.ts';
import { ulaAddress, ulaNetwork, ulaSubnet } from '../../../ovs-plugin/overlay/ula.ts';

test('the /48 is fd followed by the first 40 bits of sha256(netid)', () => {
  const h = createHash('sha256').update('3sFx61AEt3g1Q').digest('hex');
  const group = (from: number, to: number) => h.slice(from, to).replace(/^0+(?=.)/, ''); // no leading zeros
  const want = `fd${h.slice(0, 2)}:${group(2, 6)}:${group(6, 10)}::/48`;
  assert.equal(ulaNetwork('3sFx61AEt3g1Q'), want);
});

test('netids sharing a prefix get different /48s (the Zero-OS quirk is gone)', () => {
  assert.notEqual(ulaNetwork('abcdeXXXX'), ulaNetwork('abcdeYYYY'));
});

test('the /64 of a subnet and a host address in it', () => {
  const net = ulaNetwork('n1').replace('::/48', '');
  assert.equal(ulaSubnet('n1', parsePrefix4('10.20.7.0/24')!), `${net}:7::/64`);
  assert.equal(ulaSubnet('n1', parsePrefix4('10.20.254.0/24')!), `${net}:fe::/64`);
  assert.equal(ulaAddress('n1', '10.20.7.10'), `${net}:7::a`);
  for (const id of ['a', 'Z', '1234567890123']) assert.ok(isIPv6(ulaAddress(id, '192.168.255.255')), id);
});
