// Issue 18, end to end: updates without loss. Three public nodes and a hidden one, a laptop, every
// plugin a daemon. Pings every 10 ms (container to container across the mesh, the laptop to the
// hidden node's container, the hidden node's container to a public one, and one over IPv6) run
// while: a peer is added (a second access), another removed (a public node leaves the plan and
// its NR is deleted), allowed IPs changed (an extra prefix on one peer), the same documents are
// applied again (changed: false), and every plugin is restarted (daemon stopped and started).
// 0 lost; after each update the hidden node's container and the laptop answer the first ping
// (no wait for a keepalive). Roles come from the plan: r = the hidden node's relay (the laptop's
// entrypoint), x = another public node, y = the one that leaves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NetworkDocument } from '../../../ovs-plugin/overlay/document.ts';
import { addAccess, removeNode } from '../../../ovs-plugin/overlay/plan.ts';
import { pingLoop, pingOnce, pingUntil, type PingLoop } from '../../helpers/overlay-traffic.ts';
import { makeMesh, type Workload } from './e2e-fixture.ts';
import { has } from '../../helpers/has-command.ts';

const ready =
  process.getuid?.() === 0 &&
  ['wireguard-go', 'wg', 'wg-quick', 'unshare', 'nsenter', 'nft', 'ovsdb-server'].every(has);

test('updates drop nothing: add, remove, allowed IPs, same document, plugin restart', {
  skip: !ready && 'needs root, wireguard-go, wireguard-tools, nft, ovsdb-server',
  timeout: 900_000,
}, async (t) => {
  const mesh = await makeMesh(t, {
    publics: ['a', 'b', 'c'],
    hidden: ['h'],
    daemon: true,
    entry: (p) => p.nodes.find((n) => n.id === 'h')!.relay!,
  });
  const r = mesh.access!.node;
  const [x, y] = ['a', 'b', 'c'].filter((id) => id !== r) as [string, string];
  const laptop = mesh.world.node('laptop');
  const w: Record<string, Workload> = {};
  for (const id of [r, x, 'h']) w[id] = await mesh.workload(id);
  // Everything answers before the loops start (the hidden node and the laptop have dialled in).
  for (const [from, to] of [
    [w.h!, w[x]!.v4],
    [w[x]!, w[r]!.v4],
    [w[x]!, w[r]!.v6],
    [laptop, w.h!.v4],
    [w[x]!, w.h!.v4],
  ] as const)
    await pingUntil(from, to);
  await pingUntil(w[x]!, mesh.laptopWire());

  const loops: PingLoop[] = [
    pingLoop(w[x]!, w[r]!.v4),
    pingLoop(w[r]!, w[x]!.v6),
    pingLoop(laptop, w.h!.v4),
    pingLoop(w.h!, w[x]!.v4),
  ];
  /** After an update: the hidden node's container and the laptop answer the first ping. */
  const answersAtOnce = async (after: string): Promise<void> => {
    assert.ok(await pingOnce(w[x]!, w.h!.v4, 1), `after ${after}: the hidden node's container did not answer at once`);
    assert.ok(await pingOnce(w[x]!, mesh.laptopWire(), 1), `after ${after}: the laptop did not answer at once`);
  };
  const ids = () => mesh.plan.nodes.map((n) => n.id);
  try {
    // 1. A peer added: a second access through x (x gains a peer, the others' peer x gains its prefixes).
    const second = addAccess(mesh.plan, { node: x, name: 'second', mtu: 1420 });
    const added = await mesh.apply(second.plan);
    assert.equal(added[x]!.changed, true);
    await answersAtOnce('a peer was added');
    // 2. A peer removed: y leaves the plan (everyone drops peer y), then its NR is deleted.
    const removed = await mesh.apply(removeNode(mesh.plan, { id: y }));
    assert.equal(removed[r]!.changed, true);
    assert.equal(await mesh.plugins.get(y)!.delete(mesh.plan.netid), null);
    await answersAtOnce('a peer was removed');
    // 3. Allowed IPs changed: an unused /24 of the range added to x's peer r.
    const extra = (id: string, d: NetworkDocument): NetworkDocument =>
      id !== x
        ? d
        : {
            ...d,
            peers: d.peers.map((p) =>
              p.subnet === mesh.plan.nodes.find((n) => n.id === r)!.subnet
                ? { ...p, allowed_ips: [...p.allowed_ips, mesh.plan.ip_range.replace(/\.0\.0\/16$/, '.250.0/24')] }
                : p,
            ),
          };
    const changed = await mesh.apply(mesh.plan, [x], extra);
    assert.equal(changed[x]!.changed, true);
    await answersAtOnce('allowed IPs changed');
    // 4. The same documents again: nothing changes.
    const again = await mesh.apply(mesh.plan, ids(), extra);
    for (const id of ids()) assert.equal(again[id]!.changed, false, `${id}: the same document changed something`);
    await answersAtOnce('the same documents were applied again');
    // 5. Every plugin restarted; each NR checks clean and re-applies as unchanged.
    for (const id of ids()) {
      const p = mesh.plugins.get(id)!;
      await p.stopDaemon();
      await p.startDaemon();
      const check = await p.check(mesh.plan.netid);
      assert.deepEqual(check.drift, [], `${id}: drift after a restart`);
    }
    const afterRestart = await mesh.apply(mesh.plan, ids(), extra);
    for (const id of ids()) assert.equal(afterRestart[id]!.changed, false);
    await answersAtOnce('the plugins restarted');
  } finally {
    const results = await Promise.all(loops.map(async (l) => ({ label: l.label, ...(await l.stop()) })));
    t.diagnostic(JSON.stringify(results));
    for (const res of results) {
      assert.ok(res.sent > 100, `${res.label}: only ${res.sent} sent`);
      assert.equal(res.lost, 0, `${res.label}: ${res.lost} of ${res.sent} lost`);
    }
  }
});
