// Issue 18, end to end: three nodes (a and b public, h hidden behind a masquerading home router),
// each with its own plugin applying the planner's document (net.apply through exec), a container
// with a `network` nic on every node, and a laptop on the planner's config with plain wg-quick.
// Containers reach each other (ping and TCP, IPv4 and IPv6); the laptop reaches all of them
// through its entrypoint; the hidden node's containers are reached through its relay (nobody but
// the relay has it as a peer, and the relay learned its endpoint: the home router's address).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { documentsOf } from '../../../ovs-plugin/overlay/plan-documents.ts';
import { publicKeyOf } from '../../../ovs-plugin/overlay/plan-keys.ts';
import { pingUntil, tcpTransfer } from '../../helpers/overlay-traffic.ts';
import { makeMesh, wgShow, type Workload } from './e2e-fixture.ts';
import { has } from '../../helpers/has-command.ts';

const ready = process.getuid?.() === 0 && ['wireguard-go', 'wg', 'wg-quick', 'unshare', 'nsenter', 'nft'].every(has);

test('three nodes (one hidden) and a laptop: containers, laptop and relay over the plugin-made mesh', {
  skip: !ready && 'needs root, wireguard-go, wireguard-tools, nft',
  timeout: 600_000,
}, async (t) => {
  const mesh = await makeMesh(t, { publics: ['a', 'b'], hidden: ['h'] });
  const relay = mesh.plan.nodes.find((n) => n.id === 'h')!.relay!;
  const w: Record<string, Workload> = {};
  for (const id of ['a', 'b', 'h']) w[id] = await mesh.workload(id);

  await t.test("workload nics: addresses in their node's /24, MTU the NR's (underlay 1500 - 80)", () => {
    for (const [id, c] of Object.entries(w)) {
      const subnet = mesh.plan.nodes.find((n) => n.id === id)!.subnet;
      assert.equal(
        c.v4.split('.').slice(0, 3).join('.'),
        subnet.split('.').slice(0, 3).join('.'),
        `${id}: ${c.v4} not in ${subnet}`,
      );
      assert.equal(c.v4.split('.')[3], '2', `${id}: the lowest free address is .2`);
      assert.equal(c.mtu, 1420);
    }
  });

  await t.test(
    'the hidden node first (it dials its relay), then every container reaches every other, IPv4 and IPv6',
    async () => {
      for (const x of ['h', 'a', 'b']) {
        for (const y of ['a', 'b', 'h']) {
          if (x === y) continue;
          await pingUntil(w[x]!, w[y]!.v4);
          await pingUntil(w[x]!, w[y]!.v6);
        }
      }
    },
  );

  await t.test('TCP between containers, IPv4 and IPv6, the hidden one included', async () => {
    for (const [x, y] of [
      ['a', 'b'],
      ['b', 'h'],
      ['h', 'a'],
    ] as const) {
      for (const to of [w[y]!.v4, w[y]!.v6]) {
        const r = await tcpTransfer(w[y]!, w[x]!, to, 512 * 1024);
        assert.equal(r.bytes, 512 * 1024, `${x} -> ${y} ${to}`);
      }
    }
  });

  await t.test('the laptop reaches every container through its entrypoint, IPv4 and IPv6, and TCP', async () => {
    const laptop = mesh.world.node('laptop');
    for (const id of ['a', 'b', 'h']) {
      await pingUntil(laptop, w[id]!.v4);
      await pingUntil(laptop, w[id]!.v6);
    }
    const r = await tcpTransfer(w.h!, laptop, w.h!.v4, 512 * 1024);
    assert.equal(r.bytes, 512 * 1024);
    // And the network reaches the laptop (its NAT mapping kept open by its keepalive).
    await pingUntil(w.b!, mesh.laptopWire());
  });

  await t.test(
    'the hidden node is a peer of its relay alone, which learned its endpoint (the home router)',
    async () => {
      const docs = documentsOf(mesh.plan);
      const hKey = publicKeyOf(docs.h!.network.wireguard_private_key);
      for (const id of ['a', 'b']) {
        const peers = docs[id]!.network.peers.map((p) => p.wireguard_public_key);
        assert.equal(peers.includes(hKey), id === relay, `${id} has h as a peer`);
      }
      const endpoints = await wgShow(mesh, relay, 'endpoints');
      const line = endpoints.split('\n').find((l) => l.startsWith(hKey));
      const router = mesh.world.node('h').router!;
      assert.ok(
        line && (line.includes(router.v4) || line.includes(router.v6)),
        `relay ${relay}: h's endpoint ${line} is not its router ${router.v4}/${router.v6}`,
      );
    },
  );
});
