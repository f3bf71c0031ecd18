// The agent asks zinit how dhcp-zos fared: a unit zinit could not spawn (Failure, which zinit
// never retries) is not "online"; the hand-off is retried with backoff and the status says so,
// on the first run and on a rerun over a configured node alike.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { addNic, makeTopology, startDnsmasq } from '../helpers/topology.ts';
import { listLinks } from '../../lib/ip.ts';
import { agentEnv, startAgent, runAgentE2E, waitFor, type AgentEnv } from '../helpers/agent-run.ts';
import type { AgentStatus } from '../../internet/status.ts';

/** Every distinct (phase, error code) the status file showed while `done` was pending. */
async function phasesWhile(env: AgentEnv, done: Promise<unknown>): Promise<string[]> {
  const seen: string[] = [];
  let over = false;
  void done.then(() => {
    over = true;
  });
  while (!over) {
    const s = await readFile(env.status, 'utf8')
      .then((x) => JSON.parse(x) as AgentStatus)
      .catch(() => undefined);
    const k = s && `${s.phase}${s.error ? ` ${s.error.code}` : ''}`;
    if (k && seen.at(-1) !== k) seen.push(k);
    await new Promise((r) => setTimeout(r, 20));
  }
  return seen;
}

test('zinit cannot spawn dhcp-zos (twice): hand-off retried, the status says why, online once it runs', async (t) => {
  const topo = await makeTopology(t);
  const nic = await addNic(topo, 'eth1');
  await startDnsmasq(t, topo, nic, { net: '10.70.1' });
  const env = await agentEnv(t, topo, '', 1, { spawnState: (_n, i) => (i <= 2 ? 'Failure' : 'Running') });
  const a = startAgent(env, ['eth1']);
  t.after(() => {
    a.proc.kill('SIGKILL');
  });
  const [r, phases] = await Promise.all([a.done, phasesWhile(env, a.done)]);
  assert.equal(r.code, 0, r.out);
  assert.match(
    r.out,
    /retry step=handoff attempt=1 code=EDHCPZOS error="zinit could not spawn dhcp-zos \(state Failure/,
  );
  assert.match(r.out, /retry step=handoff attempt=2 code=EDHCPZOS/);
  assert.ok(phases.includes('retrying EDHCPZOS'), phases.join(' -> '));
  assert.equal(env.zinit.commands.filter((c) => c === 'monitor dhcp-zos').length, 3);
  const s = JSON.parse(await readFile(env.status, 'utf8')) as AgentStatus;
  assert.equal(s.phase, 'online');
  assert.equal(s.handoff, 'reloaded');
  assert.equal(s.dhcpZos?.state, 'Running');
  assert.equal(s.error, undefined);
});

test('rerun on a configured node with dhcp-zos in zinit as Failure: reloaded, not "already configured"', async (t) => {
  const topo = await makeTopology(t);
  const nic = await addNic(topo, 'eth1');
  await startDnsmasq(t, topo, nic, { net: '10.70.2' });
  const env = await agentEnv(t, topo);
  assert.equal((await runAgentE2E(env, ['eth1'])).code, 0);
  Object.assign(env.zinit.services.get('dhcp-zos')!, { state: 'Failure', pid: 0 });
  const again = await runAgentE2E(env, ['eth1']);
  assert.equal(again.code, 0, again.out);
  assert.doesNotMatch(again.out, /already-configured/);
  assert.match(again.out, /handoff.reload .*state=Failure/);
  assert.equal(env.zinit.services.get('dhcp-zos')?.state, 'Running');
  const s = JSON.parse(await readFile(env.status, 'utf8')) as AgentStatus;
  assert.deepEqual([s.phase, s.reason, s.handoff], ['online', 'repaired hand-off', 'reloaded']);
});

test("SIGTERM while waiting for zinit's socket: exit 143, status aborted, nothing changed", async (t) => {
  const topo = await makeTopology(t);
  await addNic(topo, 'eth1');
  const env = await agentEnv(t, topo);
  const a = startAgent({ ...env, zinit: { path: `${topo.dir}/not-yet.sock` } }, ['eth1']);
  t.after(() => {
    a.proc.kill('SIGKILL');
  });
  await waitFor('waiting for the socket', () => /zinit-socket-wait .*upToMs=30000/.test(a.output()), 10_000);
  a.proc.kill('SIGTERM');
  const r = await a.done;
  assert.equal(r.code, 143, r.out);
  assert.equal((JSON.parse(await readFile(env.status, 'utf8')) as AgentStatus).phase, 'aborted');
  assert.deepEqual(await listLinks({ name: topo.node }, 'zos'), []);
});
