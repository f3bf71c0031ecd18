// dist/internet.js end to end: which network it picks and how zos is configured for each kind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { ip, ipJson, listLinks } from '../../lib/ip.ts';
import { addNic, makeTopology, startDnsmasq, startRadvd } from '../helpers/topology.ts';
import { agentEnv, probeNamespacesOf, runAgentE2E } from '../helpers/agent-run.ts';
import type { AgentStatus } from '../../internet/status.ts';
import { runIn } from '../helpers/netns.ts';

const status = async (path: string) => JSON.parse(await readFile(path, 'utf8')) as AgentStatus;
const defaults = async (ns: string, fam: '-4' | '-6') =>
  (await ipJson<{ gateway?: string; dev: string }>({ name: ns }, [fam, 'route', 'show', 'default'])).map((d) => `${d.gateway} ${d.dev}`);

test('two DHCP NICs: the private gateway wins over the public one', async (t) => {
  const topo = await makeTopology(t);
  const pub = await addNic(topo, 'eth1');
  const priv = await addNic(topo, 'eth2');
  await startDnsmasq(t, topo, pub, { net: '198.51.100' });
  await startDnsmasq(t, topo, priv, { net: '172.20.6' });
  const env = await agentEnv(t, topo);
  const r = await runAgentE2E(env, ['eth1', 'eth2']);
  assert.equal(r.code, 0, r.out);
  assert.equal((await listLinks({ name: topo.node }, 'zos'))[0]?.address, priv.mac);
  assert.deepEqual(await defaults(topo.node, '-4'), ['172.20.6.1 zos']);
  const s = await status(env.status);
  assert.equal(s.nic, 'eth2');
  assert.match(s.reason!, /private/);
  assert.equal((await listLinks({ name: topo.node }, 'eth1'))[0]?.master, undefined);
  assert.deepEqual(await probeNamespacesOf(topo.node), []);
});

test('IPv6-only network: SLAAC address (DAD passed), default route and the RA\'s DNS on zos, no dhcp-zos', async (t) => {
  const topo = await makeTopology(t);
  const v6 = await addNic(topo, 'eth1');
  await addNic(topo, 'eth2');
  await startRadvd(t, topo, v6, { prefix: 'fd64:3::/64', rdnss: 'fd64:3::53', dnssl: 'lab.example' });
  const env = await agentEnv(t, topo);
  const r = await runAgentE2E(env, ['eth1', 'eth2']);
  assert.equal(r.code, 0, r.out);
  const d = await defaults(topo.node, '-6');
  assert.ok(d.length >= 1 && d.every((x) => /^fe80::\S+ zos$/.test(x)), d.join('; '));
  const addrs = (await ipJson<{ addr_info: { local: string; scope: string }[] }>({ name: topo.node }, ['-6', 'addr', 'show', 'dev', 'zos']))[0]!.addr_info;
  assert.ok(addrs.some((a) => a.scope === 'global' && a.local.startsWith('fd64:3:')), JSON.stringify(addrs));
  assert.ok(addrs.filter((a) => a.scope === 'global').every((a) => !('tentative' in a)), 'DAD of the SLAAC address done before exit');
  await assert.rejects(stat(`${env.zinitDir}/dhcp-zos.yaml`), { code: 'ENOENT' });
  assert.ok(!env.zinit.commands.some((c) => c.startsWith('monitor')));
  const s = await status(env.status);
  assert.equal(s.mode, 'ra');
  assert.equal(s.handoff, 'none');
  assert.deepEqual(s.dns, ['fd64:3::53']);
  assert.equal(await readFile(env.resolv, 'utf8'), '# written by internet (RA on zos)\nsearch lab.example\nnameserver fd64:3::53\n');
  // Reachable at once from the SLAAC address: the switch side answers on a global address.
  await ip({ name: topo.sw }, ['-6', 'addr', 'add', 'fd64:3::1/64', 'dev', v6.peer, 'nodad']);
  await runIn(topo.node, 'busybox', ['ping6', '-c1', '-W3', 'fd64:3::1']);
});

test('static ip= skips probing: address and gateway on zos, no DHCP, no dhcp-zos', async (t) => {
  const topo = await makeTopology(t);
  const nic = await addNic(topo, 'eth1');
  await addNic(topo, 'eth2');
  await ip({ name: topo.sw }, ['addr', 'add', '10.64.9.1/24', 'dev', nic.peer]);
  const env = await agentEnv(t, topo, 'ip=10.64.9.20::10.64.9.1:255.255.255.0:node9:eth1:off:10.64.9.53');
  const r = await runAgentE2E(env, ['eth1', 'eth2']);
  assert.equal(r.code, 0, r.out);
  assert.doesNotMatch(r.out, /dhcp4|candidates/);
  assert.deepEqual(await defaults(topo.node, '-4'), ['10.64.9.1 zos']);
  assert.equal((await listLinks({ name: topo.node }, 'zos'))[0]?.address, nic.mac);
  assert.equal(await readFile(env.resolv, 'utf8'), '# written by internet (ip= on zos)\nnameserver 10.64.9.53\n');
  await assert.rejects(stat(`${env.zinitDir}/dhcp-zos.yaml`), { code: 'ENOENT' });
  const s = await status(env.status);
  assert.deepEqual([s.mode, s.nic, s.addresses[0]], ['static', 'eth1', '10.64.9.20/24']);
  await runIn(topo.node, 'busybox', ['ping', '-c1', '-W2', '10.64.9.1']);
  const again = await runAgentE2E(env, ['eth1', 'eth2']);
  assert.equal(again.code, 0, again.out);
  assert.match(again.out, /already-configured/);
});
