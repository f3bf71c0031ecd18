// Issue 18, end to end: two networks with the same ip_range on the same two nodes each work and
// never reach each other; a workload cannot reach its node's addresses (nor its transit end) but
// gets out to the "internet" (the switch's router) masqueraded; a packet from the underlay to a
// workload address (IPv4, ULA, transit) is dropped even when the sender routes it at the node.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { ip } from '../../../lib/ip.ts';
import { documentsOf } from '../../../ovs-plugin/overlay/plan-documents.ts';
import { addNode, createPlan } from '../../../ovs-plugin/overlay/plan.ts';
import { parsePrefix4, v4Text } from '../../../ovs-plugin/overlay/ipv4.ts';
import { pingOnce, pingUntil, tcpTransfer } from '../../helpers/overlay-traffic.ts';
import { runAt, SWITCH_V4 } from '../../helpers/overlay-world.ts';
import { netnsAt } from '../../../lib/netns.ts';
import { attachNetwork, makeMesh } from './e2e-fixture.ts';
import { has } from '../../helpers/has-command.ts';

const ready = process.getuid?.() === 0 && ['wireguard-go', 'wg', 'unshare', 'nsenter', 'nft'].every(has);

test('two networks, one ip_range, same nodes: each works, neither reaches the other; ' +
  'workloads fenced from node and underlay', {
  skip: !ready && 'needs root, wireguard-go, wireguard-tools, nft',
  timeout: 600_000,
}, async (t) => {
  // Network 1 through the fixture (ports fixed so the two networks cannot draw the same one).
  const one = await makeMesh(t, { publics: ['a', 'b'], hidden: [], laptop: false, ports: { a: 20001, b: 20002 } });
  const a = one.world.node('a');
  const b = one.world.node('b');
  // Network 2: same range, other name (other netid), same nodes, applied by the same plugins.
  let plan2 = createPlan({ name: `iso${Math.random().toString(36).slice(2, 8)}`, ipRange: one.plan.ip_range });
  plan2 = addNode(plan2, { id: 'a', endpoints: [a.v4, a.v6], port: 21001 });
  plan2 = addNode(plan2, { id: 'b', endpoints: [b.v4, b.v6], port: 21002 });
  assert.notEqual(plan2.netid, one.plan.netid);
  const docs2 = documentsOf(plan2);
  for (const id of ['a', 'b']) {
    assert.equal(docs2[id]!.network.subnet, documentsOf(one.plan)[id]!.network.subnet, 'same /24s in both networks');
    const r = await one.plugins.get(id)!.apply(plan2.netid, docs2[id]!.network);
    assert.equal(r.namespace, `n-${plan2.netid}`);
  }
  const sub = (id: string) => parsePrefix4(docs2[id]!.network.subnet)!;
  const c1a = await one.workload('a');
  const c1b = await one.workload('b');
  const c2a = await attachNetwork(
    one.plugins.get('a')!,
    await one.world.container(a),
    plan2.netid,
    `${v4Text(sub('a').net + 5)}/24`,
  );
  const c2b = await attachNetwork(
    one.plugins.get('b')!,
    await one.world.container(b),
    plan2.netid,
    `${v4Text(sub('b').net + 6)}/24`,
  );

  await t.test('each network works: IPv4, IPv6 and TCP within it', async () => {
    await pingUntil(c1a, c1b.v4);
    await pingUntil(c1b, c1a.v6);
    await pingUntil(c2a, c2b.v4);
    await pingUntil(c2b, c2a.v6);
    assert.equal((await tcpTransfer(c2b, c2a, c2b.v4, 256 * 1024)).bytes, 256 * 1024);
  });

  await t.test('neither reaches the other: not on the same node, not across, not by ULA', async () => {
    assert.equal(await pingOnce(c1a, c2a.v4), false, 'net1 on a reached net2 on a');
    assert.equal(await pingOnce(c1a, c2b.v4), false, 'net1 on a reached net2 on b');
    assert.equal(await pingOnce(c2a, c1b.v4), false, 'net2 on a reached net1 on b (no such address in net2)');
    assert.equal(await pingOnce(c1a, c2b.v6), false, 'net1 reached net2 by its ULA');
    assert.equal(await pingOnce(c2b, c1a.v6), false, 'net2 reached net1 by its ULA');
  });

  await t.test('a workload cannot reach its node: addresses, transit end, a TCP service; but it gets out', async () => {
    const [file, ...args] = a.command('node', [
      '-e',
      "require('net').createServer((c)=>c.end('hi')).listen(7777,'::')",
    ]);
    const server = spawn(file!, args, { stdio: 'ignore' });
    t.after(() => {
      server.kill('SIGKILL');
    });
    for (const to of [a.v4, a.v6, '100.127.0.1', '100.127.0.5'])
      assert.equal(await pingOnce(c1a, to), false, `c1a reached node a at ${to}`);
    assert.equal(await pingOnce(c2a, a.v4), false);
    const probe =
      "const s=require('net').connect(Number(process.argv[2]),process.argv[1]," +
      "()=>{console.log('open');process.exit(0)});" +
      "s.on('error',()=>process.exit(1));setTimeout(()=>process.exit(2),3000)";
    for (const to of [a.v4, a.v6]) {
      const r = await runAt(c1a, 'node', ['-e', probe, to, '7777'], { allowFailure: true });
      assert.notEqual(r.stdout.trim(), 'open', `c1a opened node a's service on ${to}`);
    }
    // The same service is open from the underlay (so the refusal above is the fence, not a dead server).
    await pingUntil(b, a.v4, 5);
    let open = false;
    for (let i = 0; i < 10 && !open; i++)
      open = (await runAt(b, 'node', ['-e', probe, a.v4, '7777'], { allowFailure: true })).stdout.trim() === 'open';
    assert.ok(open, "node a's service never opened from the underlay");
    // Egress: the switch's router, as the internet, answers the masqueraded workload (the network
    // nic's default route goes through the NR's gateway, docs/nics.md).
    await pingUntil(c1a, SWITCH_V4, 10);
  });

  await t.test('a packet from the underlay to a workload address is dropped, even routed at the node', async () => {
    await ip(b.netns, ['route', 'replace', one.plan.ip_range, 'via', a.v4]);
    await ip(b.netns, ['route', 'replace', '100.127.0.0/16', 'via', a.v4]);
    await ip(b.netns, ['-6', 'route', 'replace', `${c1a.v6}/128`, 'via', a.v6]);
    for (const to of [c1a.v4, c2a.v4, c1a.v6, '100.127.0.2', '100.127.0.6', one.gateway('a')]) {
      assert.equal(await pingOnce(b, to), false, `underlay (node b) reached ${to} on node a`);
    }
    await ip(netnsAt(one.world.switch.net), ['route', 'replace', one.plan.ip_range, 'via', a.v4]);
    assert.equal(await pingOnce(one.world.switch, c1a.v4), false, 'the switch reached a workload');
  });
});
