// The shared validators: VLAN ranges (a VLAN is 1..4094, an OVS tag 0..4094), netmasks, MACs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ValidationError } from '../../lib/errors.ts';
import {
  parseCidr,
  isMac,
  parseMac,
  netmaskToPrefix,
  prefixOfNetmask,
  parseVlanId,
  parseVlanTag,
  parseVlanText,
} from '../../lib/validate.ts';
import { parseKernelCmdline } from '../../internet/cmdline.ts';

const invalid = (field: string) => (e: unknown) =>
  e instanceof ValidationError && e.code === 'EINVALID' && e.field === field;

test('a VLAN is 1..4094: 0 is not a VLAN (untagged/none mean no VLAN); an OVS tag may be 0', () => {
  assert.equal(parseVlanId('v', 1), 1);
  assert.equal(parseVlanId('v', 4094), 4094);
  for (const bad of [0, 4095, -1, 1.5, '7']) assert.throws(() => parseVlanId('v', bad), invalid('v'));
  assert.equal(parseVlanTag('tag', 0), 0);
  assert.throws(() => parseVlanTag('tag', 4095), invalid('tag'));
  assert.deepEqual(
    ['none', 'untagged', '1', '4094'].map((v) => parseVlanText('vlan:priv', v)),
    [undefined, undefined, 1, 4094],
  );
  for (const bad of ['0', '4095', '', '12a', '+5'])
    assert.throws(() => parseVlanText('vlan:priv', bad), invalid('vlan:priv'));
  assert.throws(() => parseKernelCmdline('vlan:priv=0'), invalid('vlan:priv'));
  assert.throws(() => parseKernelCmdline('vlan:pub=0'), invalid('vlan:pub'));
});

test('netmasks: contiguous ones map to their prefix, others are refused', () => {
  assert.deepEqual(
    ['0.0.0.0', '255.0.0.0', '255.255.255.0', '255.255.255.254', '255.255.255.255'].map(prefixOfNetmask),
    [0, 8, 24, 31, 32],
  );
  assert.deepEqual(['255.0.255.0', '1.2.3', 'x'].map(prefixOfNetmask), [undefined, undefined, undefined]);
  assert.equal(netmaskToPrefix('ip=', '255.255.252.0'), 22);
  assert.throws(() => netmaskToPrefix('ip=', '255.0.255.0'), invalid('ip='));
});

test('MAC addresses: six hex pairs, lower-cased', () => {
  assert.equal(parseMac('m', 'AA:bb:CC:00:11:22'), 'aa:bb:cc:00:11:22');
  assert.equal(isMac('aa:bb:cc:00:11'), false);
  assert.throws(() => parseMac('m', 'aa-bb-cc-00-11-22'), invalid('m'));
});

test('cidr: address/prefix with the prefix in range for the family', () => {
  assert.deepEqual(parseCidr('c', '10.0.0.2/24'), { address: '10.0.0.2', prefix: 24, family: 4 });
  assert.deepEqual(parseCidr('c', 'fd00::2/64'), { address: 'fd00::2', prefix: 64, family: 6 });
  for (const bad of ['10.0.0.2', '10.0.0.2/33', 'fd00::2/129', '10.0.0.300/24', 24])
    assert.throws(() => parseCidr('c', bad), invalid('c'));
});
