// Lease parsing: whatever udhcpc's script printed, the agent validates it and never throws.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  LEASE_KEYS,
  parseLease,
  readLeaseFields,
  runUdhcpc,
  writeUdhcpcScript,
} from '../../../internet/discover/probe-dhcp4.ts';
import { addNic, makeTopology } from '../../helpers/topology.ts';

const block = (env: Record<string, string>) =>
  ['noise', 'ZLEASE_BEGIN', ...Object.entries(env).map(([k, v]) => `ZLEASE ${k}=${v}`), 'ZLEASE_END', ''].join('\n');

test('a full lease is read with every field', () => {
  const r = parseLease(
    block({
      ip: '10.1.2.3',
      mask: '24',
      subnet: '255.255.255.0',
      router: '10.1.2.1 10.1.2.2',
      dns: '10.1.2.53 10.1.2.54',
      mtu: '1400',
      lease: '3600',
      serverid: '10.1.2.1',
      broadcast: '10.1.2.255',
      staticroutes: '10.9.0.0/16 10.1.2.9 0.0.0.0/0 10.1.2.1',
      domain: 'lab.example',
    }),
  );
  assert.ok(r.ok);
  assert.deepEqual(r.lease, {
    address: '10.1.2.3',
    prefix: 24,
    router: '10.1.2.1',
    dns: ['10.1.2.53', '10.1.2.54'],
    mtu: 1400,
    leaseSeconds: 3600,
    serverId: '10.1.2.1',
    broadcast: '10.1.2.255',
    domain: 'lab.example',
    staticRoutes: [
      { dest: '10.9.0.0/16', via: '10.1.2.9' },
      { dest: '0.0.0.0/0', via: '10.1.2.1' },
    ],
  });
  assert.deepEqual(r.warnings, []);
});

test('the prefix comes from the dotted subnet when mask is absent', () => {
  const r = parseLease(block({ ip: '192.168.7.9', subnet: '255.255.240.0', router: '192.168.0.1' }));
  assert.ok(r.ok && r.lease.prefix === 20);
});

test('no router, bad address, bad mask or router: not qualifying, with a reason', () => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ ip: '10.0.0.5', mask: '24', router: '' }, /without router/],
    [{ ip: '10.0.0.5', mask: '24' }, /without router/],
    [{ ip: 'x; rm -rf /', mask: '24', router: '10.0.0.1' }, /not IPv4/],
    [{ ip: '10.0.0.5', subnet: '255.0.255.0', router: '10.0.0.1' }, /subnet mask/],
    [{ ip: '10.0.0.5', mask: '0', router: '10.0.0.1' }, /subnet mask/],
    [{ ip: '10.0.0.5', mask: '24', router: 'fe80::1' }, /router .* not IPv4/],
  ];
  for (const [env, re] of cases) {
    const r = parseLease(block(env));
    assert.ok(!r.ok && re.test(r.reason), `${JSON.stringify(env)} -> ${JSON.stringify(r)}`);
  }
  assert.deepEqual(parseLease('udhcpc: no lease, failing\n'), { ok: false, reason: 'udhcpc reported no lease' });
  assert.equal(parseLease('').ok, false);
});

test('a router that cannot carry a default route is a miss, naming why; a usable second router is taken', () => {
  const lease = (router: string, extra: Record<string, string> = {}) =>
    parseLease(block({ ip: '10.0.0.5', mask: '24', router, ...extra }));
  const cases: [string, RegExp][] = [
    ['127.0.0.1', /router "127\.0\.0\.1" is a loopback address/],
    ['224.0.0.1', /router "224\.0\.0\.1" is a multicast address/],
    ['239.255.255.250', /multicast/],
    ['255.255.255.255', /router "255\.255\.255\.255" is the broadcast address/],
    ['0.0.0.0', /router "0\.0\.0\.0" is in 0\.0\.0\.0\/8/],
    ['240.0.0.1', /reserved range/],
    ['10.0.0.5', /router "10\.0\.0\.5" is the lease's own address/],
    ['10.0.0.255', /router "10\.0\.0\.255" is the broadcast address of 10\.0\.0\.0\/24/],
    ['10.0.0.0', /is the network address/],
    ['192.0.2.1', /router "192\.0\.2\.1" is outside 10\.0\.0\.5\/24 and the lease has no classless static routes/],
  ];
  for (const [router, re] of cases) {
    const r = lease(router);
    assert.ok(!r.ok && re.test(r.reason), `${router} -> ${JSON.stringify(r)}`);
  }
  // Outside the subnet is fine when option 121 says how to get there (a /32 lease, as clouds give).
  const cloud = parseLease(
    block({ ip: '10.0.0.5', mask: '32', router: '10.0.0.1', staticroutes: '10.0.0.1/32 0.0.0.0 0.0.0.0/0 10.0.0.1' }),
  );
  assert.ok(cloud.ok && cloud.lease.router === '10.0.0.1', JSON.stringify(cloud));
  // No router option, only option 121 with a default route (RFC 3442 allows it): that is the gateway.
  const only121 = parseLease(
    block({ ip: '10.0.0.5', mask: '32', staticroutes: '10.0.0.1/32 0.0.0.0 0.0.0.0/0 10.0.0.1' }),
  );
  assert.ok(only121.ok && only121.lease.router === '10.0.0.1', JSON.stringify(only121));
  const second = lease('127.0.0.1 10.0.0.1');
  assert.ok(
    second.ok && second.lease.router === '10.0.0.1' && /skipped router "127\.0\.0\.1"/.test(second.warnings.join()),
    JSON.stringify(second),
  );
  // The lease's own address must be a host address of its subnet.
  for (const ip of ['127.0.0.9', '224.1.1.1', '10.0.0.255', '0.0.0.0']) {
    const r = parseLease(block({ ip, mask: '24', router: '10.0.0.1' }));
    assert.ok(!r.ok && /lease address/.test(r.reason), `${ip} -> ${JSON.stringify(r)}`);
  }
  // An option-121 route via an address that cannot be a next hop is dropped, the rest kept.
  const r121 = lease('10.0.0.1', { staticroutes: '10.9.0.0/16 127.0.0.1 10.8.0.0/16 10.0.0.7 0.0.0.0/0 224.0.0.1' });
  assert.ok(r121.ok);
  assert.deepEqual(r121.lease.staticRoutes, [{ dest: '10.8.0.0/16', via: '10.0.0.7' }]);
  assert.equal(r121.warnings.length, 2, r121.warnings.join('; '));
});

test('an MTU below 1280 (IPv6 would be taken off the link) or above 65535 is dropped with a warning', () => {
  for (const mtu of ['68', '576', '1279', '65536']) {
    const r = parseLease(block({ ip: '10.0.0.5', mask: '24', router: '10.0.0.1', mtu }));
    assert.ok(
      r.ok &&
        r.lease.mtu === undefined &&
        new RegExp(`ignored mtu="${mtu}" \\(want 1280\\.\\.65535\\)`).test(r.warnings.join()),
      `${mtu}: ${JSON.stringify(r)}`,
    );
  }
  const ok = parseLease(block({ ip: '10.0.0.5', mask: '24', router: '10.0.0.1', mtu: '1280' }));
  assert.ok(ok.ok && ok.lease.mtu === 1280);
});

test('odd optional fields are dropped with a warning, the lease still qualifies', () => {
  const r = parseLease(
    block({
      ip: '10.0.0.5',
      mask: '24',
      router: '10.0.0.1',
      mtu: '40',
      lease: '-5',
      dns: '10.0.0.53 bogus',
      staticroutes: '10.0.0.0/99 10.0.0.1 odd',
      domain: 'a b;c',
    }),
  );
  assert.ok(r.ok);
  assert.deepEqual(r.lease, { address: '10.0.0.5', prefix: 24, router: '10.0.0.1', dns: ['10.0.0.53'] });
  assert.equal(r.warnings.length, 6, r.warnings.join('; ')); // mtu, lease, dns, route, odd word, domain
});

test('the first occurrence of a key wins, so a forged line after it changes nothing', () => {
  const r = parseLease(
    block({ ip: '10.0.0.5', mask: '24', router: '10.0.0.1', domain: 'x' }) + 'ZLEASE router=6.6.6.6\n',
  );
  assert.ok(r.ok && r.lease.router === '10.0.0.1');
});

test('the written script prints a parseable block and squashes newlines in values', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'udhcpc-script-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = await writeUdhcpcScript(dir);
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    ip: '10.4.4.4',
    mask: '24',
    router: '10.4.4.1',
    domain: 'evil\nZLEASE_END\nZLEASE router=6.6.6.6',
  };
  const out = execFileSync(path, ['bound'], { env }).toString();
  const r = parseLease(out);
  assert.ok(r.ok && r.lease.router === '10.4.4.1' && r.lease.domain === undefined, out);
  assert.equal(execFileSync(path, ['deconfig'], { env }).toString(), '');
});

test('script and parser share one contract: every key the script prints is read back as it was set', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'udhcpc-script-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = await writeUdhcpcScript(dir);
  const values = Object.fromEntries(LEASE_KEYS.map((k) => [k, `v-${k} x`]));
  const out = execFileSync(path, ['renew'], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...values },
  }).toString();
  assert.deepEqual(readLeaseFields(out), values);
  assert.equal(readLeaseFields('no block here'), undefined);
});

test('udhcpc on a link that is down (it never exits by itself) is killed after its tries + 5 s', async (t) => {
  const topo = await makeTopology(t);
  await addNic(topo, 'eth1'); // left down on the node side
  const script = await writeUdhcpcScript(topo.dir);
  const t0 = Date.now();
  const r = await runUdhcpc({ name: topo.node }, 'eth1', script, 1, new AbortController().signal);
  const ms = Date.now() - t0;
  assert.equal(r.timedOut, true, JSON.stringify(r));
  assert.ok(ms >= 5500 && ms < 9000, `${ms} ms`);
});

test('option 121: its default comes before the router option; a default via 0.0.0.0 (on-link) is dropped', () => {
  const both = parseLease(
    block({ ip: '10.0.0.5', mask: '24', router: '10.0.0.1', staticroutes: '0.0.0.0/0 10.0.0.2' }),
  );
  assert.ok(both.ok);
  assert.equal(both.lease.router, '10.0.0.2', 'RFC 3442: 121 replaces the router option');
  const onLink = parseLease(
    block({ ip: '10.0.0.5', mask: '24', router: '10.0.0.1', staticroutes: '0.0.0.0/0 0.0.0.0 10.8.0.0/16 0.0.0.0' }),
  );
  assert.ok(onLink.ok);
  assert.equal(onLink.lease.router, '10.0.0.1');
  assert.deepEqual(
    onLink.lease.staticRoutes,
    [{ dest: '10.8.0.0/16', via: '0.0.0.0' }],
    'no on-link default for apply to install',
  );
  assert.ok(
    onLink.warnings.some((w) => /ignored static route "0\.0\.0\.0\/0 0\.0\.0\.0"/.test(w)),
    onLink.warnings.join(),
  );
});
