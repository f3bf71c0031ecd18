// Never gives up: a DHCP server that starts ~25 s after the agent is found without restarting
// it, and the status file is kept current while it waits; a pinned NIC that appears late too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { ipJson } from '../../lib/ip.ts';
import { addNic, makeTopology, startDnsmasq } from '../helpers/topology.ts';
import { agentEnv, probeNamespacesOf, startAgent } from '../helpers/agent-run.ts';
import type { AgentStatus } from '../../internet/status.ts';

const LATE_MS = Number(process.env.LATE_DHCP_MS ?? 25_000);

test(`a DHCP server starting ${LATE_MS / 1000} s late is found without restarting the agent`, async (t) => {
  const topo = await makeTopology(t);
  const nic = await addNic(topo, 'eth1');
  await addNic(topo, 'eth2');
  const env = await agentEnv(t, topo);
  const run = startAgent(env, ['eth1', 'eth2']);
  t.after(() => {
    run.proc.kill('SIGKILL');
  });
  await new Promise((r) => setTimeout(r, LATE_MS));
  assert.equal(run.proc.exitCode, null, `agent gave up: ${run.output()}`);
  const waiting = JSON.parse(await readFile(env.status, 'utf8')) as AgentStatus;
  assert.equal(waiting.phase, 'discovering');
  assert.ok(Date.parse(waiting.updatedAt) > Date.now() - LATE_MS, 'status was rewritten while waiting');
  assert.ok(
    waiting.probes.some((p) => p.nic === 'eth1' && p.attempts >= 1),
    JSON.stringify(waiting.probes),
  );
  const startedAt = Date.now();
  await startDnsmasq(t, topo, nic, { net: '10.67.1' });
  const timer = setTimeout(() => run.proc.kill('SIGKILL'), 90_000);
  const r = await run.done;
  clearTimeout(timer);
  assert.equal(r.code, 0, r.out);
  const def = await ipJson<{ gateway?: string; dev: string }>({ name: topo.node }, ['-4', 'route', 'show', 'default']);
  assert.deepEqual(
    def.map((d) => `${d.gateway} ${d.dev}`),
    ['10.67.1.1 zos'],
  );
  assert.deepEqual(await probeNamespacesOf(topo.node), []);
  t.diagnostic(`online ${Date.now() - startedAt} ms after the server started`);
});

test(
  'a zos.nic that is not there yet (a driver still probing) is waited for, ' + 'not refused: online once it appears',
  async (t) => {
    const topo = await makeTopology(t);
    const env = await agentEnv(t, topo, 'zos.nic=ethlate');
    const run = startAgent(env, []); // no --nics: the node's own view, where a NIC may come late
    t.after(() => {
      run.proc.kill('SIGKILL');
    });
    // It says so once it looked (its start takes seconds on a loaded machine: waited for, not slept on).
    for (let i = 0; i < 300 && !/nic-absent .*ethlate/.test(run.output()) && run.proc.exitCode === null; i++)
      await new Promise((r) => setTimeout(r, 100));
    assert.equal(run.proc.exitCode, null, `agent stopped: ${run.output()}`);
    assert.match(run.output(), /nic-absent .*ethlate/);
    const nic = await addNic(topo, 'ethlate');
    await startDnsmasq(t, topo, nic, { net: '10.67.2' });
    const timer = setTimeout(() => run.proc.kill('SIGKILL'), 90_000);
    const r = await run.done;
    clearTimeout(timer);
    assert.equal(r.code, 0, r.out);
    const def = await ipJson<{ gateway?: string; dev: string }>({ name: topo.node }, [
      '-4',
      'route',
      'show',
      'default',
    ]);
    assert.deepEqual(
      def.map((d) => `${d.gateway} ${d.dev}`),
      ['10.67.2.1 zos'],
    );
    assert.deepEqual(await probeNamespacesOf(topo.node), []);
  },
);
