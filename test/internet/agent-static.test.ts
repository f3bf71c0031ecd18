// dist/internet.js with static ip= forms beyond the plain IPv4 one (agent-choice.test.ts): a
// gateway outside the subnet (routed onlink, and said so) and bracketed IPv6.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { ip, ipJson } from '../../lib/ip.ts';
import { addNic, makeTopology } from '../helpers/topology.ts';
import { agentEnv, runAgentE2E } from '../helpers/agent-run.ts';
import type { AgentStatus } from '../../internet/status.ts';
import { runIn } from '../helpers/netns.ts';

// `linkdown` is left out: zos reports DOWN for about a second after it already forwards.
const defaults = async (ns: string, fam: '-4' | '-6') =>
  (
    await ipJson<{ gateway?: string; dev: string; flags?: string[] }>({ name: ns }, [fam, 'route', 'show', 'default'])
  ).map((d) => `${d.gateway} ${d.dev} ${(d.flags ?? []).filter((f) => f !== 'linkdown').join(',')}`.trim());

/** The agent's warning for ip= with a gateway outside its subnet. */
const OFF_SUBNET_WARNING = new RegExp(
  /warn cmdline-ignored detail=.*gateway 10\.64\.19\.1 is outside 10\.64\.18\.20\/24: /.source +
    /the default route is installed onlink/.source,
);

test('static ip= with a gateway outside the subnet: onlink default route, a warning, online', async (t) => {
  const topo = await makeTopology(t);
  const nic = await addNic(topo, 'eth1');
  await ip({ name: topo.sw }, ['addr', 'add', '10.64.19.1/24', 'dev', nic.peer]);
  await ip({ name: topo.sw }, ['route', 'add', '10.64.18.0/24', 'dev', nic.peer]);
  const env = await agentEnv(t, topo, 'ip=10.64.18.20::10.64.19.1:255.255.255.0:n:eth1:off');
  const r = await runAgentE2E(env, ['eth1']);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, OFF_SUBNET_WARNING);
  assert.deepEqual(await defaults(topo.node, '-4'), ['10.64.19.1 zos onlink']);
  const s = JSON.parse(await readFile(env.status, 'utf8')) as AgentStatus;
  assert.match(s.reason!, /gateway outside the subnet: onlink/);
  await runIn(topo.node, 'busybox', ['ping', '-c1', '-W2', '10.64.19.1']);
});

test(
  'static IPv6 ip= in brackets: ' + 'address (after DAD) and default route on zos, no dhcp-zos; a rerun keeps it',
  async (t) => {
    const topo = await makeTopology(t);
    const nic = await addNic(topo, 'eth1');
    await ip({ name: topo.sw }, ['-6', 'addr', 'add', '2001:db8:64::1/64', 'dev', nic.peer, 'nodad']);
    const env = await agentEnv(t, topo, 'ip=[2001:db8:64::20]::[2001:db8:64::1]:64:n6:eth1:off:[2001:db8:64::53]');
    const r = await runAgentE2E(env, ['eth1']);
    assert.equal(r.code, 0, r.out);
    assert.deepEqual(await defaults(topo.node, '-6'), ['2001:db8:64::1 zos']);
    const s = JSON.parse(await readFile(env.status, 'utf8')) as AgentStatus;
    assert.deepEqual([s.mode, s.addresses, s.handoff], ['static', ['2001:db8:64::20/64'], 'none']);
    assert.equal(
      await readFile(env.resolv, 'utf8'),
      '# written by internet (ip= on zos)\nnameserver 2001:db8:64::53\n',
    );
    await runIn(topo.node, 'busybox', ['ping6', '-c1', '-W3', '2001:db8:64::1']);
    const again = await runAgentE2E(env, ['eth1']);
    assert.equal(again.code, 0, again.out);
    assert.match(again.out, /already-configured/);
  },
);
