// dist/internet.js end to end: the DHCP server offers an address another host on the segment
// already holds (dnsmasq pins it and does not ping first). The agent declines it (ARP check
// before taking it) and comes online with another address; the squatter keeps its own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { ip, ipJson } from '../../lib/ip.ts';
import { netnsNamed } from '../../lib/netns.ts';
import { setupVeth } from '../../lib/link.ts';
import { addNic, makeTopology, startDnsmasq } from '../helpers/topology.ts';
import { makeNetns, randomName } from '../helpers/netns.ts';
import { agentEnv, runAgentE2E } from '../helpers/agent-run.ts';
import type { AgentStatus } from '../../internet/status.ts';

test('an offered address already in use on the segment is declined: the agent comes online with another', async (t) => {
  const topo = await makeTopology(t);
  const nic = await addNic(topo, 'eth1');
  const net = '10.64.9';
  // The segment: a bridge in the switch namespace joining eth1 and a squatter holding .150.
  const sw = netnsNamed(topo.sw);
  const br = randomName('br');
  await ip(sw, ['link', 'add', br, 'type', 'bridge']);
  await ip(sw, ['link', 'set', nic.peer, 'master', br, 'up']);
  const squatter = await makeNetns(t, 'tsq');
  const sqPeer = randomName('q');
  await setupVeth({ ref: sw, name: sqPeer, peer: 'eth0', peerNs: netnsNamed(squatter) });
  await ip(sw, ['link', 'set', sqPeer, 'master', br, 'up']);
  await ip(netnsNamed(squatter), ['addr', 'add', `${net}.150/24`, 'dev', 'eth0']);
  await ip(netnsNamed(squatter), ['link', 'set', 'eth0', 'up']);
  await startDnsmasq(
    t,
    topo,
    { ...nic, peer: br },
    { net, noPing: true, extra: [`--dhcp-host=${nic.mac},${net}.150`] },
  );
  const env = await agentEnv(t, topo, 'console=ttyS0', 2);
  const r = await runAgentE2E(env, ['eth1']);
  assert.equal(r.code, 0, r.out);
  const s = JSON.parse(await readFile(env.status, 'utf8')) as AgentStatus;
  assert.equal(s.phase, 'online', r.out);
  assert.equal(s.addresses.length, 1, r.out);
  assert.notEqual(s.addresses[0], `${net}.150/24`, `took the squatted address\n${r.out}`);
  assert.match(s.addresses[0]!, new RegExp(`^${net.replace(/\./g, '\\.')}\\.\\d+/24$`));
  const [zos] = await ipJson<{ addr_info: { local: string }[] }>({ name: topo.node }, [
    '-4',
    'addr',
    'show',
    'dev',
    'zos',
  ]);
  assert.deepEqual(
    zos!.addr_info.map((a) => a.local),
    [s.addresses[0]!.split('/')[0]],
  );
});
