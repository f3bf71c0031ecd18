// discover() against real dnsmasq and radvd, run inside a node namespace through the fixture.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { run } from '../../../lib/exec.ts';
import { addNic, makeTopology, sh, startDnsmasq, startRadvd } from '../../helpers/topology.ts';
import { assertClean, spawnDiscover, waitForLog } from './fixtures/spawn-discover.ts';

// Concurrent: each test has its own namespaces; the file stays well under 90 s.
describe('discover', { concurrency: true }, () => {
  test('one DHCP NIC among silent and unplugged ones is chosen quickly', async (t) => {
    const topo = await makeTopology(t);
    const good = await addNic(topo, 'eth1');
    await addNic(topo, 'eth2');
    await addNic(topo, 'eth3', { plugged: false });
    await addNic(topo, 'eth4');
    await startDnsmasq(t, topo, good, { net: '10.81.1', dns: ['10.81.1.53'] });
    const run = spawnDiscover(t, topo, ['--nics', 'eth1,eth2,eth3,eth4']);
    const out = await run.done;
    assert.ok(out.result, out.stderr + out.stdout);
    const { choice, probes } = out.result;
    assert.equal(choice.nic, 'eth1');
    assert.equal(choice.mac, good.mac);
    assert.match(choice.v4!.address, /^10\.81\.1\.\d+$/);
    assert.equal(choice.v4!.router, '10.81.1.1');
    assert.deepEqual(choice.v4!.dns, ['10.81.1.53']);
    assert.equal(probes.find((p) => p.nic === 'eth3')!.state, 'waiting-carrier');
    // Waiting for carrier in the node namespace, eth3 refused RAs there (and only there).
    assert.equal((await sh(topo.node, 'cat', ['/proc/sys/net/ipv6/conf/eth3/accept_ra'])).trim(), '0');
    // Decided on the DHCP answer plus the settle window, not after silent NICs' 6 s attempts.
    const v4At = probes.find((p) => p.nic === 'eth1')!.v4!.atMs;
    assert.ok(out.result.ms - v4At < 2000, `chose ${out.result.ms - v4At} ms after the answer`);
    if (process.env.SHOW_LOG) t.diagnostic(out.stderr);
    t.diagnostic(`answer at ${v4At} ms, result at ${out.result.ms} ms, process ${out.ms} ms`);
    await assertClean(topo, ['eth1', 'eth2', 'eth3', 'eth4']);
  });

  test('an answer within the direct attempt: no NIC leaves the namespace, no probe namespace is made', async (t) => {
    const topo = await makeTopology(t);
    const good = await addNic(topo, 'eth1');
    await addNic(topo, 'eth2');
    await addNic(topo, 'eth3');
    await startDnsmasq(t, topo, good, { net: '10.81.8', noPing: true });
    // Two discovers, so a loaded machine's slow first answer still lands inside the attempt.
    const out = await spawnDiscover(t, topo, ['--nics', 'eth1,eth2,eth3', '--direct-tries', '2']).done;
    assert.ok(out.result, out.stderr + out.stdout);
    assert.equal(out.result.choice.nic, 'eth1');
    assert.doesNotMatch(out.stderr, /probe-started|dhcp4-direct-miss/, 'a NIC was moved into a probe namespace');
    assert.deepEqual(
      out.result.probes.map((p) => [p.nic, p.attempts]),
      [
        ['eth1', 1],
        ['eth2', 1],
        ['eth3', 1],
      ],
    );
    await assertClean(topo, ['eth1', 'eth2', 'eth3']);
  });

  test('a private gateway wins over a public one that answered first', async (t) => {
    const topo = await makeTopology(t);
    const pub = await addNic(topo, 'eth1');
    const priv = await addNic(topo, 'eth2');
    await startDnsmasq(t, topo, pub, { net: '198.51.100' });
    // Grace 20 s (default 2.5 s): the private server starts only after the public answer, and
    // a new client waits ~3.3 s for dnsmasq's offer; a loaded machine must not push it past.
    const run = spawnDiscover(t, topo, ['--nics', 'eth1,eth2', '--grace', '20000']);
    // The public answer is in before the private server starts, whatever the machine's load.
    await waitForLog(run.stderrSoFar, /dhcp4-lease nic=eth1/, 60_000);
    await startDnsmasq(t, topo, priv, { net: '172.20.5' });
    const out = await run.done;
    assert.ok(out.result, out.stderr + out.stdout);
    const { choice, probes } = out.result;
    const at = (nic: string) => probes.find((p) => p.nic === nic)!.v4!.atMs;
    assert.ok(at('eth1') < at('eth2'), `public answered first (${at('eth1')} < ${at('eth2')})`);
    assert.equal(choice.nic, 'eth2');
    assert.equal(choice.v4!.router, '172.20.5.1');
    assert.match(choice.reason, /private gateway/);
    await assertClean(topo, ['eth1', 'eth2']);
  });

  test('IPv6 only: the RA gives address, router and default route; silent NIC not waited for', async (t) => {
    const topo = await makeTopology(t);
    const v6 = await addNic(topo, 'eth1');
    await addNic(topo, 'eth2');
    await startRadvd(t, topo, v6, { prefix: 'fd81:7::/64' });
    const run = spawnDiscover(t, topo, ['--nics', 'eth1,eth2']);
    const out = await run.done;
    assert.ok(out.result, out.stderr + out.stdout);
    const { choice, probes } = out.result;
    assert.equal(choice.nic, 'eth1');
    assert.equal(choice.v4, undefined);
    assert.match(choice.v6!.address, /^fd81:7::/);
    assert.equal(choice.v6!.prefix, 64);
    assert.match(choice.v6!.router, /^fe80::/);
    // Chosen once the RA is in and eth1's own first DHCP attempt had its chance (V4_WAIT_MS after
    // carrier), not after any timeout of the silent NIC.
    const p1 = probes.find((p) => p.nic === 'eth1')!;
    const v6At = p1.v6!.atMs;
    const decidedBy = Math.max(v6At + 300, p1.carrierAtMs! + 4500);
    assert.ok(out.result.ms - decidedBy < 2000, `chose ${out.result.ms - decidedBy} ms late`);
    if (process.env.SHOW_LOG) t.diagnostic(out.stderr);
    // IPv6 needs the namespace: eth1 moved in once its direct DHCP attempt had missed.
    assert.match(out.stderr, /dhcp4-direct-miss nic=eth1[\s\S]*probe-started nic=eth1 ns=zprobe-/);
    t.diagnostic(`RA result at ${v6At} ms`);
    await assertClean(topo, ['eth1', 'eth2']);
  });

  test(
    'both families on one NIC: the lease is in the choice even when the RA came first, ' +
      'the RA if it came before the choice',
    async (t) => {
      const topo = await makeTopology(t);
      const nic = await addNic(topo, 'eth1');
      await startRadvd(t, topo, nic, { prefix: 'fd81:8::/64' });
      await startDnsmasq(t, topo, nic, { net: '10.81.8' });
      // A long v4 wait so a loaded machine cannot make the lease miss it (default: V4_WAIT_MS).
      const out = await spawnDiscover(t, topo, ['--nics', 'eth1', '--v4-wait', '15000']).done;
      assert.ok(out.result, out.stderr + out.stdout);
      const p = out.result.probes[0]!;
      if (process.env.SHOW_LOG) t.diagnostic(out.stderr);
      // radvd rate-limits its answers (an RS is answered 0..3.5 s later here), dnsmasq pings ~3 s
      // before it offers: either may come first. The ordering rules are unit-tested in choose.test.ts.
      assert.equal(out.result.choice.v4!.router, '10.81.8.1');
      assert.equal(!!out.result.choice.v6, !!p.v6);
      if (out.result.choice.v6) assert.match(out.result.choice.v6.address, /^fd81:8::/);
      t.diagnostic(`RA at ${p.v6?.atMs} ms, lease at ${p.v4!.atMs} ms`);
      await assertClean(topo, ['eth1']);
    },
  );

  test('zos.nic pins by name and by MAC (any case)', async (t) => {
    const topo = await makeTopology(t);
    const a = await addNic(topo, 'eth1');
    const b = await addNic(topo, 'eth2');
    await startDnsmasq(t, topo, a, { net: '10.81.2' });
    await startDnsmasq(t, topo, b, { net: '10.81.3' });
    const byName = await spawnDiscover(t, topo, ['--nics', 'eth1,eth2', '--pin', 'eth2']).done;
    assert.ok(byName.result, byName.stderr + byName.stdout);
    assert.equal(byName.result.choice.nic, 'eth2');
    assert.match(byName.result.choice.reason, /pinned/);
    assert.deepEqual(
      byName.result.probes.map((p) => p.nic),
      ['eth2'],
    );
    const byMac = await spawnDiscover(t, topo, ['--nics', 'eth1,eth2', '--pin', b.mac.toUpperCase()]).done;
    assert.equal(byMac.result?.choice.nic, 'eth2', byMac.stderr);
    const none = await spawnDiscover(t, topo, ['--nics', 'eth1,eth2', '--pin', 'eth9']).done;
    assert.equal(none.error?.code, 'ENONIC');
    assert.equal(none.error?.field, 'zos.nic');
    await assertClean(topo, ['eth1', 'eth2']);
  });

  test('an unknown --nics name is ENONIC naming --nics (it may appear later: the agent retries)', async (t) => {
    const topo = await makeTopology(t);
    await addNic(topo, 'eth1');
    const out = await spawnDiscover(t, topo, ['--nics', 'eth1,nosuch0']).done;
    assert.equal(out.error?.code, 'ENONIC');
    assert.equal(out.error?.field, '--nics');
    assert.match(out.error!.message!, /nosuch0/);
    await assertClean(topo, ['eth1']);
  });

  test('a NIC carrying a global address is skipped, not moved', async (t) => {
    const topo = await makeTopology(t);
    await addNic(topo, 'eth1');
    const good = await addNic(topo, 'eth2');
    await run('ip', ['-n', topo.node, 'addr', 'add', '192.0.2.5/24', 'dev', 'eth1']);
    await run('ip', ['-n', topo.node, 'link', 'set', 'eth1', 'up']);
    await startDnsmasq(t, topo, good, { net: '10.81.4' });
    const out = await spawnDiscover(t, topo, ['--nics', 'eth1,eth2']).done;
    assert.ok(out.result, out.stderr + out.stdout);
    assert.equal(out.result.choice.nic, 'eth2');
    const skipped = out.result.probes.find((p) => p.nic === 'eth1')!;
    assert.equal(skipped.state, 'skipped');
    assert.match(skipped.note!, /global address 192\.0\.2\.5/);
    assert.match(await sh(topo.node, 'ip', ['-4', 'addr', 'show', 'dev', 'eth1']), /192\.0\.2\.5\/24/);
    await assertClean(topo, ['eth1', 'eth2']);
  });

  for (const via of ['rtnetlink', 'ip'] as const) {
    test(`NICs carrying the default route or a global IPv6 address are skipped (read through ${via})`, async (t) => {
      const topo = await makeTopology(t);
      await addNic(topo, 'eth1');
      await addNic(topo, 'eth2');
      const good = await addNic(topo, 'eth3');
      await run('ip', ['-n', topo.node, 'link', 'set', 'eth1', 'up']);
      await run('ip', ['-n', topo.node, 'route', 'add', 'default', 'dev', 'eth1']);
      await run('ip', ['-n', topo.node, 'link', 'set', 'eth2', 'up']);
      await run('ip', ['-n', topo.node, 'addr', 'add', '2001:db8:7::5/64', 'dev', 'eth2', 'nodad']);
      await startDnsmasq(t, topo, good, { net: '10.81.7' });
      const out = await spawnDiscover(t, topo, ['--nics', 'eth1,eth2,eth3'], via === 'ip' ? { ZOS_RTNL: '0' } : {})
        .done;
      assert.ok(out.result, out.stderr + out.stdout);
      assert.equal(out.result.choice.nic, 'eth3');
      const note = (nic: string) => out.result!.probes.find((p) => p.nic === nic)!;
      assert.equal(note('eth1').state, 'skipped');
      assert.match(note('eth1').note!, /carries the default route/);
      assert.equal(note('eth2').state, 'skipped');
      assert.match(note('eth2').note!, /global address 2001:db8:7::5\b/);
      assert.match(await sh(topo.node, 'ip', ['route', 'show', 'default']), /dev eth1/);
      await assertClean(topo, ['eth1', 'eth2', 'eth3']);
    });
  }

  test(
    'lease options pass through (mtu asked with -O mtu, ' + 'dns, lease time); an odd mtu is dropped, not fatal',
    async (t) => {
      const topo = await makeTopology(t);
      const a = await addNic(topo, 'eth1');
      const b = await addNic(topo, 'eth2');
      await startDnsmasq(t, topo, a, {
        net: '10.81.5',
        mtu: 1400,
        dns: ['10.81.5.53', '10.81.5.54'],
        leaseSeconds: 600,
      });
      await startDnsmasq(t, topo, b, { net: '10.81.6', mtu: 40 });
      // One NIC per run: with both probed, whichever server answers first is chosen 100 ms later
      // and the other's lease may never be in the history (a loaded machine showed it).
      const out = await spawnDiscover(t, topo, ['--nics', 'eth1']).done;
      assert.ok(out.result, out.stderr + out.stdout);
      const lease = (nic: string) => out.result!.probes.find((p) => p.nic === nic)!.v4?.lease;
      assert.deepEqual(
        { ...lease('eth1'), address: 'x' },
        {
          address: 'x',
          prefix: 24,
          router: '10.81.5.1',
          dns: ['10.81.5.53', '10.81.5.54'],
          mtu: 1400,
          leaseSeconds: 600,
          serverId: '10.81.5.1',
          broadcast: '10.81.5.255',
        },
      );
      const odd = await spawnDiscover(t, topo, ['--nics', 'eth2']).done;
      assert.ok(odd.result, odd.stderr + odd.stdout);
      assert.equal(odd.result.choice.v4!.mtu, undefined);
      assert.match(odd.stderr, /dhcp4-odd-answer nic=eth2 detail="ignored mtu=\\"40\\"/);
      await assertClean(topo, ['eth1', 'eth2']);
    },
  );
});
