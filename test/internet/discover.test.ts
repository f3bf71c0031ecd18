// discover() against real dnsmasq and radvd, run inside a node namespace through the fixture.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addNic, makeTopology, startDnsmasq } from '../helpers/topology.ts';
import { assertClean, spawnDiscover } from './fixtures/spawn-discover.ts';

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
  // Decided on the DHCP answer plus the settle window, not after silent NICs' 6 s attempts.
  const v4At = probes.find((p) => p.nic === 'eth1')!.v4!.atMs;
  assert.ok(out.result.ms - v4At < 1500, `chose ${out.result.ms - v4At} ms after the answer`);
  if (process.env.SHOW_LOG) t.diagnostic(out.stderr);
  t.diagnostic(`answer at ${v4At} ms, result at ${out.result.ms} ms, process ${out.ms} ms`);
  await assertClean(topo, ['eth1', 'eth2', 'eth3', 'eth4']);
});
