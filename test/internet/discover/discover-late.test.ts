// Things that happen after discovery started: carrier arriving late, a DHCP server starting
// late (found by the per-NIC retry with backoff, no restart), carrier lost mid-probe.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { run as exec } from '../../../lib/exec.ts';
import { addNic, makeTopology, plug, startDnsmasq, unplug } from '../../helpers/topology.ts';
import { listNetns } from '../../../lib/netns.ts';
import { assertClean, probePrefixOf, spawnDiscover, waitForLog } from './fixtures/spawn-discover.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('late events', { concurrency: true }, () => {
  test('a NIC plugged 3 s after start is probed when its carrier comes', async (t) => {
    const topo = await makeTopology(t);
    const late = await addNic(topo, 'eth1');
    await addNic(topo, 'eth2');
    await startDnsmasq(t, topo, late, { net: '10.82.1' });
    await unplug(topo, late);
    const run = spawnDiscover(t, topo, ['--nics', 'eth1,eth2']);
    await waitForLog(run.stderrSoFar, /info carrier nic=eth2/, 60_000);
    await sleep(3000);
    await plug(topo, late);
    const out = await run.done;
    assert.ok(out.result, out.stderr + out.stdout);
    assert.equal(out.result.choice.nic, 'eth1');
    const p = out.result.probes.find((x) => x.nic === 'eth1')!;
    assert.ok(p.carrierAtMs! >= 2500, `carrier at ${p.carrierAtMs} ms`);
    t.diagnostic(`carrier at ${p.carrierAtMs} ms, lease at ${p.v4!.atMs} ms`);
    await assertClean(topo, ['eth1', 'eth2']);
  });

  test('with the ip-monitor fallback for link events, a late carrier is still seen', async (t) => {
    const topo = await makeTopology(t);
    const late = await addNic(topo, 'eth1');
    await startDnsmasq(t, topo, late, { net: '10.82.4' });
    await unplug(topo, late);
    const run = spawnDiscover(t, topo, ['--nics', 'eth1', '--ip-monitor']);
    await waitForLog(run.stderrSoFar, /link-events via=ip-monitor/, 60_000);
    await sleep(1000);
    await plug(topo, late);
    const out = await run.done;
    assert.ok(out.result, out.stderr + out.stdout);
    assert.equal(out.result.choice.nic, 'eth1');
    assert.ok(out.result.probes[0]!.carrierAtMs! >= 1000);
    await assertClean(topo, ['eth1']);
    // No `ip monitor` outlives the fixture, even one killed with SIGKILL.
    const again = spawnDiscover(t, topo, ['--nics', 'eth1', '--ip-monitor']);
    await waitForLog(again.stderrSoFar, /link-events via=ip-monitor/, 60_000);
    again.proc.kill('SIGKILL');
    await again.done;
    await sleep(300);
    const left = (await exec('ip', ['netns', 'pids', topo.node])).stdout.trim();
    assert.equal(left, '', `processes left in the node namespace: ${left}`);
  });

  test('without --nics, a physical NIC that appears after start (late driver) is probed', async (t) => {
    const topo = await makeTopology(t);
    await addNic(topo, 'eth1'); // not "physical" for this run: never a candidate
    // Tests cannot make a physical NIC: the fixture counts links named hot* as physical.
    const run = spawnDiscover(t, topo, ['--physical-prefix', 'hot']);
    await waitForLog(run.stderrSoFar, /warn no-probeable-nic/, 60_000);
    const hot = await addNic(topo, 'hot1');
    await startDnsmasq(t, topo, hot, { net: '10.82.5' });
    const out = await run.done;
    assert.ok(out.result, out.stderr + out.stdout);
    assert.equal(out.result.choice.nic, 'hot1');
    assert.deepEqual(
      out.result.probes.map((p) => p.nic),
      ['hot1'],
    );
    assert.match(out.stderr, /info nic-appeared nic=hot1/);
    await assertClean(topo, ['eth1', 'hot1']);
  });

  // A DISCOVER costs one packet: a silent NIC keeps asking every few seconds (no long backoff),
  // so a server that starts late is found within ~5 s of its start (it was 10-15 s).
  test('a DHCP server that starts 20 s late is found within ~5 s of its start, without a restart', async (t) => {
    const topo = await makeTopology(t);
    const nic = await addNic(topo, 'eth1');
    await addNic(topo, 'eth2', { plugged: false });
    const run = spawnDiscover(t, topo, ['--nics', 'eth1,eth2', '--deadline', '90000']);
    await waitForLog(run.stderrSoFar, /info carrier nic=eth1/, 60_000);
    await sleep(20_000);
    assert.match(run.stderrSoFar(), /dhcp4-miss nic=eth1 reason="no DHCP answer"/);
    await startDnsmasq(t, topo, nic, { net: '10.82.2' });
    const startedAt = Date.now();
    const out = await run.done;
    assert.ok(out.result, out.stderr + out.stdout);
    const p = out.result.probes.find((x) => x.nic === 'eth1')!;
    assert.equal(out.result.choice.nic, 'eth1');
    assert.ok(p.attempts >= 3, `attempts ${p.attempts}`);
    assert.ok(p.v4!.atMs >= 20_000);
    // The fixture stamps each log line with the epoch: the lease line against the server's start.
    const leaseAt = Number(/^(\d+) info dhcp4-lease nic=eth1/m.exec(out.stderr)![1]);
    t.diagnostic(`lease ${leaseAt - startedAt} ms after the server started, after ${p.attempts} attempts`);
    assert.ok(leaseAt - startedAt < 7000, `lease ${leaseAt - startedAt} ms after the server started (want ~5 s)`);
    await assertClean(topo, ['eth1', 'eth2']);
  });

  test('a NIC set down during its probe: udhcpc stopped at once, a miss, probed again once up', async (t) => {
    const topo = await makeTopology(t);
    const nic = await addNic(topo, 'eth1');
    const run = spawnDiscover(t, topo, ['--nics', 'eth1']);
    await waitForLog(run.stderrSoFar, /probe-started nic=eth1/, 60_000);
    const ns = (await listNetns()).find((n) => n.startsWith(probePrefixOf(topo)))!;
    await exec('ip', ['-n', ns, 'link', 'set', 'eth1', 'down']);
    const downAt = Date.now();
    // busybox udhcpc on a downed link never exits by itself: the probe must stop it.
    await waitForLog(run.stderrSoFar, /info dhcp4-miss nic=eth1 reason="eth1 was set down during the probe"/, 5000);
    await waitForLog(run.stderrSoFar, /info carrier-lost nic=eth1/, 5000);
    t.diagnostic(`stopped ${Date.now() - downAt} ms after the link went down`);
    await startDnsmasq(t, topo, nic, { net: '10.82.6' });
    const out = await run.done;
    assert.ok(out.result, out.stderr + out.stdout);
    assert.equal(out.result.choice.nic, 'eth1');
    assert.equal((out.stderr.match(/info carrier nic=eth1/g) ?? []).length, 2);
    await assertClean(topo, ['eth1']);
  });

  test('losing carrier stops the probe and brings the NIC home; carrier back, probed again', async (t) => {
    const topo = await makeTopology(t);
    const nic = await addNic(topo, 'eth1');
    await addNic(topo, 'eth2');
    const run = spawnDiscover(t, topo, ['--nics', 'eth1,eth2']);
    await waitForLog(run.stderrSoFar, /probe-started nic=eth1/, 60_000);
    await unplug(topo, nic);
    await waitForLog(run.stderrSoFar, /info carrier-lost nic=eth1/, 60_000);
    await startDnsmasq(t, topo, nic, { net: '10.82.3' }); // brings the switch side up again
    const out = await run.done;
    assert.ok(out.result, out.stderr + out.stdout);
    assert.equal(out.result.choice.nic, 'eth1');
    assert.equal((out.stderr.match(/info carrier nic=eth1/g) ?? []).length, 2);
    await assertClean(topo, ['eth1', 'eth2']);
  });
});
