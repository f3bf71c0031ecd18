// dist/internet.js end to end: which network it picks and how zos is configured for each kind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { ip, ipJson, listLinks } from '../../lib/ip.ts';
import { addNic, makeTopology, startDnsmasq, startRadvd } from '../helpers/topology.ts';
import { agentEnv, probeNamespacesOf, runAgentE2E, waitFor } from '../helpers/agent-run.ts';
import type { AgentStatus } from '../../internet/status.ts';
import { runIn } from '../helpers/netns.ts';
import { DEFAULT_TIMING } from '../../internet/discover/choose.ts';

const status = async (path: string) => JSON.parse(await readFile(path, 'utf8')) as AgentStatus;
const defaults = async (ns: string, fam: '-4' | '-6') =>
  (await ipJson<{ gateway?: string; dev: string }>({ name: ns }, [fam, 'route', 'show', 'default'])).map(
    (d) => `${d.gateway} ${d.dev}`,
  );

test('two DHCP NICs: the private gateway wins over the public one', async (t) => {
  const topo = await makeTopology(t);
  const pub = await addNic(topo, 'eth1');
  const priv = await addNic(topo, 'eth2');
  await startDnsmasq(t, topo, pub, { net: '198.51.100' });
  await startDnsmasq(t, topo, priv, { net: '172.20.6' });
  const env = await agentEnv(t, topo);
  const r = await runAgentE2E(env, ['eth1', 'eth2']);
  assert.equal(r.code, 0, r.out);
  const s = await status(env.status);
  // Which server answers first is up to the machine's load; the rule is not: the private one
  // wins unless it came later than the grace window (2.5 s, choose.ts) after the public one.
  const at = (nic: string) => s.probes.find((p) => p.nic === nic)?.v4?.atMs;
  const [pubAt, privAt] = [at('eth1'), at('eth2')];
  t.diagnostic(`public answer at ${pubAt} ms, private at ${privAt} ms`);
  const privateInTime = privAt !== undefined && (pubAt === undefined || privAt <= pubAt + DEFAULT_TIMING.graceMs);
  const [winner, loser, gw] = privateInTime ? [priv, pub, '172.20.6.1'] : [pub, priv, '198.51.100.1'];
  assert.equal((await listLinks({ name: topo.node }, 'zos'))[0]?.address, winner.mac);
  assert.deepEqual(await defaults(topo.node, '-4'), [`${gw} zos`]);
  assert.equal(s.nic, winner.name);
  assert.match(s.reason!, privateInTime ? /private/ : /public/);
  assert.equal((await listLinks({ name: topo.node }, loser.name))[0]?.master, undefined);
  assert.deepEqual(await probeNamespacesOf(topo.node), []);
});

test("IPv6-only network: SLAAC address (DAD passed), default route and the RA's DNS on zos, no dhcp-zos", async (t) => {
  const topo = await makeTopology(t);
  const v6 = await addNic(topo, 'eth1');
  await addNic(topo, 'eth2');
  await startRadvd(t, topo, v6, { prefix: 'fd64:3::/64', rdnss: 'fd64:3::53', dnssl: 'lab.example' });
  const env = await agentEnv(t, topo);
  const r = await runAgentE2E(env, ['eth1', 'eth2']);
  assert.equal(r.code, 0, r.out);
  const d = await defaults(topo.node, '-6');
  assert.ok(d.length >= 1 && d.every((x) => /^fe80::\S+ zos$/.test(x)), d.join('; '));
  const addrs = (
    await ipJson<{ addr_info: { local: string; scope: string }[] }>({ name: topo.node }, [
      '-6',
      'addr',
      'show',
      'dev',
      'zos',
    ])
  )[0]!.addr_info;
  assert.ok(
    addrs.some((a) => a.scope === 'global' && a.local.startsWith('fd64:3:')),
    JSON.stringify(addrs),
  );
  assert.ok(
    addrs.filter((a) => a.scope === 'global').every((a) => !('tentative' in a)),
    'DAD of the SLAAC address done before exit',
  );
  await assert.rejects(stat(`${env.zinitDir}/dhcp-zos.yaml`), { code: 'ENOENT' });
  assert.ok(!env.zinit.commands.some((c) => c.startsWith('monitor')));
  const s = await status(env.status);
  assert.equal(s.mode, 'ra');
  assert.equal(s.handoff, 'none');
  assert.deepEqual(s.dns, ['fd64:3::53']);
  assert.equal(
    await readFile(env.resolv, 'utf8'),
    '# written by internet (RA on zos)\nsearch lab.example\nnameserver fd64:3::53\n',
  );
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

for (const bad of ['127.0.0.1', '224.0.0.1']) {
  test(`a lease whose router is ${bad} is a miss; the NIC with a usable lease is chosen`, async (t) => {
    const topo = await makeTopology(t);
    const wrong = await addNic(topo, 'eth1');
    const good = await addNic(topo, 'eth2');
    await startDnsmasq(t, topo, wrong, { net: '10.66.7', router: bad });
    await startDnsmasq(t, topo, good, { net: '198.51.100' }); // public: the private-but-unusable one must not win
    const env = await agentEnv(t, topo);
    const r = await runAgentE2E(env, ['eth1', 'eth2']);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, new RegExp(`dhcp4-miss nic=eth1 reason="router \\\\"${bad.replace(/\./g, '\\.')}\\\\" is a`));
    assert.deepEqual(await defaults(topo.node, '-4'), ['198.51.100.1 zos']);
    const s = await status(env.status);
    assert.equal(s.nic, 'eth2');
    assert.doesNotMatch(r.out, /bridge.dismantled|retry step=network/);
  });
}

test('a lease with MTU 68: the MTU is ignored with a warning, zos keeps IPv6 (link-local)', async (t) => {
  const topo = await makeTopology(t);
  const nic = await addNic(topo, 'eth1');
  await startDnsmasq(t, topo, nic, { net: '10.66.8', mtu: 68 });
  const env = await agentEnv(t, topo);
  const r = await runAgentE2E(env, ['eth1']);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /dhcp4-odd-answer nic=eth1 detail="ignored mtu=\\"68\\" \(want 1280\.\.65535\)"/);
  assert.equal((await listLinks({ name: topo.node }, 'zos'))[0]?.mtu, 1500);
  // Below 1280 the kernel takes IPv6 off zos for good; otherwise its link-local address comes
  // (a second or so after the run: zos reports DOWN that long).
  const linkLocal = async () =>
    (
      (await ipJson<{ addr_info: { scope: string }[] }>({ name: topo.node }, ['-6', 'addr', 'show', 'dev', 'zos']))[0]
        ?.addr_info ?? []
    ).some((a) => a.scope === 'link');
  await waitFor('a link-local address on zos', linkLocal, 10_000);
});
