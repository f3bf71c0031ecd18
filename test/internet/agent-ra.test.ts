// IPv6-only, the default route is the kernel's own (from the RAs zos accepts: proto ra, with the
// router's lifetime), not a static copy the agent made: a static route would keep the kernel from
// adding its own ("ndisc_router_discovery failed to add default route") and would outlive a
// router that withdraws (router lifetime 0, as radvd sends when it stops).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { ipJson } from '../../lib/ip.ts';
import { addNic, makeTopology, startRadvd } from '../helpers/topology.ts';
import { agentEnv, runAgentE2E, waitFor } from '../helpers/agent-run.ts';
import type { AgentStatus } from '../../internet/status.ts';

interface Route6 {
  dst: string;
  gateway?: string;
  dev?: string;
  protocol?: string;
  expires?: number;
  metric?: number;
}

test(
  "IPv6-only: the default route on zos is the kernel's RA route (proto ra, " +
    'expiring) and goes when the router withdraws',
  async (t) => {
    const topo = await makeTopology(t);
    const nic = await addNic(topo, 'eth1');
    const radvd = await startRadvd(t, topo, nic, { prefix: 'fd64:7::/64' });
    const env = await agentEnv(t, topo);
    const r = await runAgentE2E(env, ['eth1']);
    assert.equal(r.code, 0, r.out);
    const s = JSON.parse(await readFile(env.status, 'utf8')) as AgentStatus;
    assert.equal(s.mode, 'ra');
    const defaults = () => ipJson<Route6>({ name: topo.node }, ['-6', 'route', 'show', 'default']);
    const d = await defaults();
    assert.equal(d.length, 1, JSON.stringify(d));
    assert.equal(d[0]!.dev, 'zos');
    assert.match(d[0]!.gateway ?? '', /^fe80::/);
    assert.equal(d[0]!.protocol, 'ra', JSON.stringify(d[0]));
    assert.ok((d[0]!.expires ?? 0) > 0, `expires with the router lifetime: ${JSON.stringify(d[0])}`);
    assert.deepEqual(s.gateways, [d[0]!.gateway]);
    await radvd.stop(); // radvd's last RAs say router lifetime 0
    await waitFor('the withdrawn default route gone', async () => (await defaults()).length === 0, 15_000);
  },
);
