// DNS options of a router advertisement: rdisc6's report parsed, and read for real from radvd
// in a namespace made for the test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { isDomainName, parseRdisc6, readRaDns } from '../../../internet/discover/ra6-dns.ts';
import { ip } from '../../../lib/ip.ts';
import { runIn } from '../../../lib/netns.ts';
import { addNic, makeTopology, startRadvd } from '../../helpers/topology.ts';
import { waitFor } from '../../helpers/agent-run.ts';

const fixture = (name: string) => readFile(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

test('rdisc6 report: servers and search domains in order, with their lifetimes', async () => {
  assert.deepEqual(parseRdisc6(await fixture('rdisc6-rdnss.txt')), {
    dns: ['fd64:7::53', 'fd64:7::54'],
    domains: ['lab.example', 'example.org'],
  });
});

test('rdisc6 report: lifetime 0 drops an option; odd entries dropped; at most 3 servers, 6 domains', () => {
  const opt = (servers: string[], lifetime: string) => [
    ...servers.map((s) => ` Recursive DNS server     : ${s}`),
    `  DNS servers lifetime    : ${lifetime}`,
  ];
  assert.deepEqual(
    parseRdisc6(
      [...opt(['fd00::1'], '0 (0x00000000) seconds'), ...opt(['fd00::2'], '600 (0x00000258) seconds')].join('\n'),
    ),
    { dns: ['fd00::2'], domains: [] },
  );
  assert.deepEqual(
    parseRdisc6(opt(['not-an-address', 'ff02::1', '::', '10.0.0.1', 'FD00::3'], 'infinite (0xffffffff)').join('\n')),
    { dns: ['fd00::3'], domains: [] },
  );
  assert.deepEqual(
    parseRdisc6(opt(['fd00::1', 'fd00::2', 'fd00::1', 'fd00::3', 'fd00::4'], '60 (0x0000003c) seconds').join('\n')).dns,
    ['fd00::1', 'fd00::2', 'fd00::3'],
  );
  const search = ' DNS search list          : a.example -bad- b..c x d.e f g h i j k';
  assert.deepEqual(parseRdisc6(`${search}\n  DNS search list lifetime:           60 (0x0000003c) seconds\n`).domains, [
    'a.example',
    'x',
    'd.e',
    'f',
    'g',
    'h',
  ]);
  assert.deepEqual(
    parseRdisc6(' Recursive DNS server     : fd00::1\n'),
    { dns: [], domains: [] },
    'no lifetime line: the option was cut off',
  );
  assert.deepEqual(parseRdisc6('garbage\n\0\n:::\n'), { dns: [], domains: [] });
});

test('isDomainName: labels of letters, digits and inner hyphens, 253 bytes at most', () => {
  for (const d of ['example.org', 'a', 'x-1.lab.example.', '1.2.3']) assert.ok(isDomainName(d), d);
  for (const d of ['', '.', 'a..b', '-a.b', 'a-.b', 'a b', 'a_b.c', `${'a'.repeat(64)}.b`, `${'a.'.repeat(127)}ab`])
    assert.ok(!isDomainName(d), d);
});

test('readRaDns asks the router on the link and gets its RDNSS and DNSSL', async (t) => {
  const topo = await makeTopology(t);
  const nic = await addNic(topo, 'eth1');
  await startRadvd(t, topo, nic, { prefix: 'fd64:9::/64', rdnss: 'fd64:9::53 fd64:9::54', dnssl: 'lab.example' });
  await runIn({ name: topo.node }, 'sysctl', ['-qw', 'net.ipv6.conf.eth1.accept_dad=0']);
  await ip({ name: topo.node }, ['link', 'set', 'eth1', 'up']);
  // As in a probe: asked once the kernel has learned the router from an RA.
  await waitFor(
    'the RA default route',
    async () => (await ip({ name: topo.node }, ['-6', 'route', 'show', 'default'])).includes('fe80'),
    20_000,
  );
  const t0 = Date.now();
  const d = await readRaDns({ name: topo.node }, 'eth1');
  assert.deepEqual(d, { dns: ['fd64:9::53', 'fd64:9::54'], domains: ['lab.example'] });
  assert.ok(Date.now() - t0 < 2000, `answered in ${Date.now() - t0} ms`);
});

test('readRaDns on a link without a router: empty, with the reason, within ~2 s', async (t) => {
  const topo = await makeTopology(t);
  await addNic(topo, 'eth1');
  await runIn({ name: topo.node }, 'sysctl', ['-qw', 'net.ipv6.conf.eth1.accept_dad=0']);
  await ip({ name: topo.node }, ['link', 'set', 'eth1', 'up']);
  const t0 = Date.now();
  const d = await readRaDns({ name: topo.node }, 'eth1');
  assert.deepEqual([d.dns, d.domains], [[], []]);
  assert.ok(d.error, 'says why');
  assert.ok(Date.now() - t0 < 3500, `gave up after ${Date.now() - t0} ms`);
});
