// dist/internet.js recovering: SIGKILL during probing then rerun, SIGTERM abort, half-built
// zos repaired, a lost dhcp-zos registration handed off again without touching the network.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { ip, ipJson, listLinks } from '../../lib/ip.ts';
import { addNic, makeTopology, startDnsmasq } from '../helpers/topology.ts';
import { agentEnv, netSnapshot, probeNamespacesOf, runAgentE2E, startAgent, waitFor } from '../helpers/agent-run.ts';
import type { AgentStatus } from '../../internet/status.ts';

const defaults4 = async (ns: string) =>
  (await ipJson<{ gateway?: string; dev: string }>({ name: ns }, ['-4', 'route', 'show', 'default'])).map(
    (d) => `${d.gateway} ${d.dev}`,
  );

test('SIGKILL during probing leaves NICs in probe namespaces; the rerun brings them home and finishes', async (t) => {
  const topo = await makeTopology(t);
  const a = await addNic(topo, 'eth1');
  await addNic(topo, 'eth2');
  const env = await agentEnv(t, topo);
  const first = startAgent(env, ['eth1', 'eth2']);
  t.after(() => {
    first.proc.kill('SIGKILL');
  });
  // Both NICs moved in, not only their namespaces made (the move comes just after `netns add`).
  const movedIn = async () =>
    (await probeNamespacesOf(topo.node)).length === 2 &&
    (await listLinks({ name: topo.node }, 'eth1')).length === 0 &&
    (await listLinks({ name: topo.node }, 'eth2')).length === 0;
  await waitFor('NICs in probe namespaces', movedIn, 20_000);
  first.proc.kill('SIGKILL');
  await first.done;
  assert.equal((await listLinks({ name: topo.node }, 'eth1')).length, 0, 'eth1 was stranded in its probe namespace');
  await startDnsmasq(t, topo, a, { net: '10.66.1' });
  const r = await runAgentE2E(env, ['eth1', 'eth2']);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /recovered-nics/);
  assert.deepEqual(await defaults4(topo.node), ['10.66.1.1 zos']);
  assert.deepEqual(await probeNamespacesOf(topo.node), []);
  assert.equal((await listLinks({ name: topo.node }, 'eth2')).length, 1, 'eth2 is home');
});

test('SIGTERM during probing: exit 143, NICs home, no probe namespace, status "aborted"', async (t) => {
  const topo = await makeTopology(t);
  await addNic(topo, 'eth1');
  await addNic(topo, 'eth2');
  const before = await netSnapshot(topo.node);
  const env = await agentEnv(t, topo);
  const run = startAgent(env, ['eth1', 'eth2']);
  t.after(() => {
    run.proc.kill('SIGKILL');
  });
  await waitFor('probe namespaces', async () => (await probeNamespacesOf(topo.node)).length === 2, 20_000);
  run.proc.kill('SIGTERM');
  const r = await run.done;
  assert.equal(r.code, 143, r.out);
  assert.deepEqual(await probeNamespacesOf(topo.node), []);
  assert.equal((await listLinks({ name: topo.node }, 'eth1')).length, 1);
  assert.equal((await listLinks({ name: topo.node }, 'eth2')).length, 1);
  assert.equal(await netSnapshot(topo.node), before);
  assert.equal((JSON.parse(await readFile(env.status, 'utf8')) as AgentStatus).phase, 'aborted');
});

test('half-built: a zos without port, then a port without address, are repaired', async (t) => {
  const topo = await makeTopology(t);
  const nic = await addNic(topo, 'eth1');
  await startDnsmasq(t, topo, nic, { net: '10.66.2' });
  const env = await agentEnv(t, topo);
  await ip({ name: topo.node }, ['link', 'add', 'zos', 'type', 'bridge']);
  const r = await runAgentE2E(env, ['eth1']);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /repair what="half-built zos/);
  assert.deepEqual(await defaults4(topo.node), ['10.66.2.1 zos']);
  // Now a port but no address and no route (as if killed between bridge and apply).
  await ip({ name: topo.node }, ['addr', 'flush', 'dev', 'zos']);
  assert.deepEqual(await defaults4(topo.node), []);
  const again = await runAgentE2E(env, ['eth1']);
  assert.equal(again.code, 0, again.out);
  assert.match(again.out, /repair what="half-built zos/);
  assert.deepEqual(await defaults4(topo.node), ['10.66.2.1 zos']);
  assert.equal((await listLinks({ name: topo.node }, 'eth1'))[0]?.master, 'zos');
  assert.equal((await listLinks({ name: topo.node }, 'zos'))[0]?.address, nic.mac);
});

test('online zos whose dhcp-zos zinit forgot: hand-off again, network untouched', async (t) => {
  const topo = await makeTopology(t);
  const nic = await addNic(topo, 'eth1');
  await startDnsmasq(t, topo, nic, { net: '10.66.3' });
  const env = await agentEnv(t, topo);
  assert.equal((await runAgentE2E(env, ['eth1'])).code, 0);
  env.zinit.services.delete('dhcp-zos');
  await rm(`${env.zinitDir}/dhcp-zos.yaml`);
  const before = await netSnapshot(topo.node);
  const r = await runAgentE2E(env, ['eth1']);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /hand-off only/);
  assert.equal(await netSnapshot(topo.node), before);
  assert.ok(env.zinit.services.has('dhcp-zos'));
  assert.match(await readFile(`${env.zinitDir}/dhcp-zos.yaml`, 'utf8'), /-r 10\.66\.3\.\d+ /);
});

test('a "zos" that is not a bridge is not ours to take apart: exit 3, message, NICs untouched', async (t) => {
  const topo = await makeTopology(t);
  const nic = await addNic(topo, 'eth1');
  await startDnsmasq(t, topo, nic, { net: '10.66.4' });
  await ip({ name: topo.node }, ['link', 'add', 'zos', 'type', 'veth', 'peer', 'name', 'zospeer']);
  const before = await netSnapshot(topo.node);
  const env = await agentEnv(t, topo);
  const r = await runAgentE2E(env, ['eth1']);
  assert.equal(r.code, 3, r.out);
  assert.match(r.out, /cannot-continue step=repair code=EZOSNOTBRIDGE /);
  assert.match(r.out, /"zos" exists but is not a bridge/);
  assert.equal(await netSnapshot(topo.node), before);
  assert.equal((JSON.parse(await readFile(env.status, 'utf8')) as AgentStatus).phase, 'failed');
});
