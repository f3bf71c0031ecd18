// IPv4 prefix arithmetic of the overlay: exact network addresses, containment, RFC 1918 /16s,
// and Zero-OS's wire address.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  isPrivateSlash16,
  overlap4,
  parsePrefix4,
  prefixText4,
  within4,
  wireAddress,
} from '../../../ovs-plugin/overlay/ipv4.ts';

const p = (s: string) => parsePrefix4(s)!;

test('parsePrefix4: network address only, decimal length without leading zeros', () => {
  assert.deepEqual(p('10.20.3.0/24'), { net: ((10 << 24) | (20 << 16) | (3 << 8)) >>> 0, len: 24 });
  assert.equal(prefixText4(p('192.168.0.0/16')), '192.168.0.0/16');
  for (const bad of ['10.20.3.1/24', '10.20.3.0/33', '10.20.3.0/024', '10.20.3.0', 'x/24', '10.20.3.0/'])
    assert.equal(parsePrefix4(bad), undefined, bad);
});

test('within and overlap', () => {
  assert.ok(within4(p('10.20.3.0/24'), p('10.20.0.0/16')));
  assert.ok(!within4(p('10.21.3.0/24'), p('10.20.0.0/16')));
  assert.ok(!within4(p('10.0.0.0/8'), p('10.20.0.0/16')));
  assert.ok(overlap4(p('10.0.0.0/8'), p('10.20.3.0/24')));
  assert.ok(!overlap4(p('10.20.3.0/24'), p('10.20.4.0/24')));
});

test('RFC 1918 /16s: the three blocks and nothing else', () => {
  for (const ok of ['10.0.0.0/16', '10.255.0.0/16', '172.16.0.0/16', '172.31.0.0/16', '192.168.0.0/16'])
    assert.ok(isPrivateSlash16(p(ok)), ok);
  for (const bad of [
    '172.32.0.0/16',
    '172.15.0.0/16',
    '192.169.0.0/16',
    '100.64.0.0/16',
    '11.0.0.0/16',
    '10.0.0.0/8',
    '10.1.0.0/24',
  ])
    assert.ok(!isPrivateSlash16(p(bad)), bad);
});

test('wire address: 100.64.<b2>.<b3> of the /24', () => {
  assert.equal(wireAddress(p('10.20.3.0/24')), '100.64.20.3');
  assert.equal(wireAddress(p('192.168.254.0/24')), '100.64.168.254');
});
