// RA result parsing from iproute2 JSON, and the probe's backoff and VLAN naming rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRa6, ra6Sysctls } from '../../../internet/discover/probe-ra6.ts';
import { backoffDelay } from '../../../lib/backoff.ts';
import { DHCP_BACKOFF, probeBackoff, vlanIfName } from '../../../internet/discover/probe-nic.ts';

const route = { dst: 'default', gateway: 'fe80::1', dev: 'eth1', protocol: 'ra' };
const addr = (info: Record<string, unknown>) => [
  {
    ifname: 'eth1',
    addr_info: [
      {
        family: 'inet6',
        local: 'fd00::5',
        prefixlen: 64,
        scope: 'global',
        valid_life_time: 86400,
        preferred_life_time: 14400,
        ...info,
      },
    ],
  },
];

test('default route via link-local plus a global address is an RA result', () => {
  assert.deepEqual(parseRa6('eth1', [route], addr({})), {
    address: 'fd00::5',
    prefix: 64,
    router: 'fe80::1',
    dns: [],
    validLft: 86400,
    preferredLft: 14400,
  });
  const forever = parseRa6('eth1', [route], addr({ valid_life_time: 4294967295, preferred_life_time: 4294967295 }))!;
  assert.equal(forever.validLft, undefined);
});

test('incomplete or odd states are not (yet) a result', () => {
  assert.equal(parseRa6('eth1', [], addr({})), undefined);
  assert.equal(parseRa6('eth1', [{ ...route, gateway: '2001:db8::1' }], addr({})), undefined);
  assert.equal(parseRa6('eth1', [{ ...route, dev: 'eth2' }], addr({})), undefined);
  assert.equal(parseRa6('eth1', [route], addr({ tentative: true })), undefined);
  assert.equal(parseRa6('eth1', [route], addr({ scope: 'link', local: 'fe80::5' })), undefined);
  assert.equal(parseRa6('eth1', [route], addr({ local: 'garbage' })), undefined);
  assert.equal(parseRa6('eth1', [route], addr({ prefixlen: 200 })), undefined);
  assert.equal(parseRa6('eth1', [route], []), undefined);
});

test('sysctl names of a VLAN sub-interface use / for its dot', () => {
  assert.ok(ra6Sysctls('eth1.100').every((s) => s.startsWith('net.ipv6.conf.eth1/100.')));
});

test('backoff doubles from the base, is capped, and is jittered to 50..100 %', () => {
  assert.equal(
    backoffDelay(1, probeBackoff(1000, 30_000), () => 1),
    1000,
  );
  assert.equal(
    backoffDelay(3, probeBackoff(1000, 30_000), () => 1),
    4000,
  );
  assert.equal(
    backoffDelay(20, probeBackoff(1000, 30_000), () => 1),
    30_000,
  );
  assert.equal(
    backoffDelay(20, probeBackoff(1000, 30_000), () => 0),
    15_000,
  );
});

test('a silent NIC pauses at most 500 ms between attempts, however many (a DISCOVER is one packet)', () => {
  for (let n = 1; n <= 50; n++)
    assert.ok(backoffDelay(n, probeBackoff(DHCP_BACKOFF.base, DHCP_BACKOFF.cap), () => 1) <= 500, `attempt ${n}`);
});

test('VLAN sub-interface names fit IFNAMSIZ', () => {
  assert.equal(vlanIfName('eth1', 3, 100), 'eth1.100');
  assert.equal(vlanIfName('enp0s31f6abcd', 7, 4094), 'zp7.4094');
});
