// What a member's CLI prints is read as untrusted (the container can answer in the member's
// place): unknown states, malformed addresses, names and MACs, and excess addresses are dropped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseNetworks } from '../../../../ovs-plugin/nics/zerotier/api.ts';

test('parseNetworks: a real answer passes; hostile fields are dropped or blanked', () => {
  const real = {
    nwid: '8056c2e21c000001',
    status: 'OK',
    assignedAddresses: ['10.147.17.5/24', 'fd80:56c2:e21c::5/88'],
    portDeviceName: 'zt0',
    mac: '5e:1a:9c:00:11:22',
    mtu: 2800,
  };
  assert.deepEqual(parseNetworks(JSON.stringify([real])), [real]);
  const [h] = parseNetworks(
    JSON.stringify([
      {
        nwid: '8056c2e21c000001',
        status: 'OK; rm -rf /',
        assignedAddresses: [
          '10.1.1.1/24',
          '10.1.1.1/99',
          'x'.repeat(1000),
          42,
          '10.0.0.1',
          ...Array(100).fill('10.2.2.2/32'),
        ],
        portDeviceName: '../../etc',
        mac: 'zz:zz',
        mtu: -1,
        __proto__: { polluted: true },
      },
      'not an object',
      { status: 'OK' },
    ]),
  );
  assert.equal(h!.status, 'UNKNOWN');
  assert.equal(h!.assignedAddresses[0], '10.1.1.1/24');
  assert.ok(h!.assignedAddresses.every((a) => a === '10.1.1.1/24' || a === '10.2.2.2/32'));
  assert.ok(h!.assignedAddresses.length <= 32);
  assert.equal(h!.portDeviceName, '');
  assert.equal(h!.mac, '');
  assert.equal(h!.mtu, 0);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.throws(() => parseNetworks('{"not":"an array"}'));
});
