// The harness itself: a real dnsmasq answers udhcpc across a veth NIC, radvd gives a default route.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run } from '../../lib/exec.ts';
import { runIn } from './netns.ts';
import { addNic, makeTopology, startDnsmasq, startRadvd, sh } from './topology.ts';

test('dnsmasq leases an address with a router across a veth NIC', async (t) => {
  const topo = await makeTopology(t);
  const nic = await addNic(topo, 'eth1');
  await startDnsmasq(t, topo, nic, { net: '10.77.1' });
  await run('ip', ['-n', topo.node, 'link', 'set', 'eth1', 'up']);
  const r = await runIn(topo.node, 'busybox', [
    'udhcpc',
    '-i',
    'eth1',
    '-f',
    '-q',
    '-n',
    '-t',
    '10',
    '-T',
    '1',
    '-s',
    '/bin/true',
  ]);
  assert.match(r.stderr, /lease of 10\.77\.1\.\d+ obtained/);
});

test('radvd gives the node a default IPv6 route', async (t) => {
  const topo = await makeTopology(t);
  const nic = await addNic(topo, 'eth1');
  await startRadvd(t, topo, nic, { prefix: 'fd77:1::/64' });
  await run('ip', ['-n', topo.node, 'link', 'set', 'eth1', 'up']);
  const deadline = Date.now() + 20_000;
  let routes = '';
  while (Date.now() < deadline) {
    routes = await sh(topo.node, 'ip', ['-6', 'route', 'show', 'default']);
    if (routes.includes('via fe80')) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.match(routes, /default via fe80::/);
});
