// nic.config addresses follow the agent's ip= rule (lib/unicast.ts): a cidr the kernel would
// read otherwise than it is reported, or an address no host can have, is refused naming the
// field; so is a gateway that cannot be one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseNicSpec } from '../../../ovs-plugin/nics/validate.ts';

const nic = (config: unknown) => parseNicSpec({ type: 'bridge', id: 'br0', config });
const refused = (field: string, re: RegExp) => (e: any) =>
  e.code === 'EINVALID' && e.details.field === field && re.test(e.message);

test(
  'nic.config.cidr: leading-zero prefix, this-network, ' + 'loopback, multicast, network, broadcast, /0 are refused',
  () => {
    const cases: [string, RegExp][] = [
      ['10.9.0.5/024', /leading zeros/],
      ['10.9.0.5/00', /leading zeros/],
      ['2001:db8::5/064', /leading zeros/],
      ['0.0.0.0/24', /0\.0\.0\.0\/8/],
      ['127.0.0.5/8', /loopback/],
      ['224.0.0.5/24', /multicast/],
      ['239.1.2.3/8', /multicast/],
      ['255.255.255.255/32', /broadcast/],
      ['240.0.0.5/24', /reserved/],
      ['10.9.0.0/24', /network address of 10\.9\.0\.0\/24/],
      ['10.9.0.255/24', /broadcast address of 10\.9\.0\.0\/24/],
      ['10.9.0.5/0', /\/0 is no subnet/],
      ['::1/128', /loopback/],
      ['ff02::5/64', /multicast/],
      ['::/64', /unspecified/],
      ['2001:db8::/64', /subnet-router anycast/],
    ];
    for (const [cidr, re] of cases) assert.throws(() => nic({ cidr }), refused('nic.config.cidr', re), cidr);
  },
);

test(
  'nic.config.gateway: its own address, non-unicast, ' +
    "the subnet's network or broadcast, off the subnet are refused",
  () => {
    const cases: [unknown, RegExp][] = [
      [{ cidr: '10.9.0.5/24', gateway: '10.9.0.5' }, /own address/],
      [{ cidr: '10.9.0.5/24', gateway: '0.0.0.0' }, /0\.0\.0\.0\/8/],
      [{ cidr: '10.9.0.5/24', gateway: '127.0.0.1' }, /loopback/],
      [{ cidr: '10.9.0.5/24', gateway: '224.0.0.1' }, /multicast/],
      [{ cidr: '10.9.0.5/24', gateway: '10.9.0.0' }, /network address/],
      [{ cidr: '10.9.0.5/24', gateway: '10.9.0.255' }, /broadcast address/],
      [{ cidr: '10.9.0.5/24', gateway: '10.9.1.1' }, /outside 10\.9\.0\.5\/24/],
      [{ cidr: '2001:db8::5/64', gateway: '2001:db8::5' }, /own address/],
      [{ cidr: '2001:db8::5/64', gateway: 'ff02::1' }, /multicast/],
      [{ gateway: '0.0.0.0' }, /0\.0\.0\.0\/8/],
      [{ gateway: '::' }, /unspecified/],
    ];
    for (const [config, re] of cases)
      assert.throws(() => nic(config), refused('nic.config.gateway', re), JSON.stringify(config));
  },
);

test('nic.config: good host addresses and gateways pass unchanged', () => {
  for (const config of [
    { cidr: '10.9.0.5/24', gateway: '10.9.0.1' },
    { cidr: '10.9.0.0/31', gateway: '10.9.0.1' },
    { cidr: '192.0.2.7/32' },
    { cidr: '169.254.7.7/16', gateway: '169.254.0.1' },
    { cidr: '2001:db8::5/64', gateway: 'fe80::1' },
    { cidr: '2001:db8::5/64', gateway: '2001:db8::1' },
    { gateway: '10.9.0.1' },
  ])
    assert.deepEqual(nic(config).config, config, JSON.stringify(config));
});
