// A member's MAC follows from its node id and the network id (ZeroTier's MAC::fromAddress): the
// pair measured with zerotier-one 1.14.1 (node 0577f9f8e2 on network e83ccfbc55705b50 had
// 32:5e:07:ac:44:2d), the 0x52 -> 0x32 first octet, and one whose first octet is not 0x52.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ztMac } from '../../../../ovs-plugin/nics/zerotier/identity.ts';

test('ztMac: the MAC zerotier-one gives its TAP', () => {
  assert.equal(ztMac('0577f9f8e2', 'e83ccfbc55705b50'), '32:5e:07:ac:44:2d');
  // first octet (0x0b & 0xfe) | 0x02 = 0x0a; node bytes XOR network bytes 1..5
  assert.equal(ztMac('0000000000', '1234567890abcd0b'), '0a:cd:ab:90:78:56');
  assert.equal(ztMac('ffffffffff', '0000000000000053'), '32:ff:ff:ff:ff:ff');
});
