// The planner's promises: deterministic (same inputs, same plan and documents), stable (adding
// a node moves nobody else; a relay changes only when it leaves), the laptop's key in no
// document, and every document accepted by the node-side validator.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { parseNetworkDocument } from '../../../ovs-plugin/overlay/document.ts';
import {
  addAccess,
  addNode,
  chooseRelay,
  createPlan,
  derivedPort,
  FIRST_OCTET,
  netidOf,
  PORT_MAX,
  PORT_MIN,
  removeAccess,
  removeNode,
  type Plan,
} from '../../../ovs-plugin/overlay/plan.ts';
import { documentsOf } from '../../../ovs-plugin/overlay/plan-documents.ts';
import { publicKeyOf, type WgKeyPair } from '../../../ovs-plugin/overlay/plan-keys.ts';
import { parsePlan } from '../../../ovs-plugin/overlay/plan-file.ts';

/** A deterministic key source: the n-th key is sha256(seed, n) (any 32 bytes are an X25519 key). */
function keys(seed: string): () => WgKeyPair {
  let n = 0;
  return () => {
    const privateKey = createHash('sha256').update(`${seed}:${n++}`).digest('base64');
    return { privateKey, publicKey: publicKeyOf(privateKey) };
  };
}

/** Three public nodes, two hidden ones, one laptop. */
function build(seed = 's'): Plan {
  const k = keys(seed);
  let p = createPlan({ name: 'demo', ipRange: '10.20.0.0/16' });
  p = addNode(p, { id: 'p1', endpoints: ['203.0.113.1', '2001:db8::1'] }, k);
  p = addNode(p, { id: 'h1' }, k);
  p = addNode(p, { id: 'p2', endpoints: ['203.0.113.2'] }, k);
  p = addNode(p, { id: 'p3', endpoints: ['2001:db8::3'], port: 51820 }, k);
  p = addNode(p, { id: 'h2' }, k);
  return addAccess(p, { node: 'p1' }, k).plan;
}

const peerOf = (p: Plan, node: string, peerNode: string): unknown => {
  const subnet = p.nodes.find((n) => n.id === peerNode)!.subnet;
  return documentsOf(p)[node]!.network.peers.find((x) => x.subnet === subnet);
};

test('deterministic: the same steps give the same plan and the same documents', () => {
  assert.deepEqual(build(), build());
  assert.deepEqual(documentsOf(build()), documentsOf(build()));
  assert.equal(netidOf('demo'), build().netid);
  assert.match(build().netid, /^[1-9A-HJ-NP-Za-km-z]{13}$/);
});

test('subnets from .2 in order; ports derived in range unless given; the plan file round-trips', () => {
  const p = build();
  assert.deepEqual(
    p.nodes.map((n) => n.subnet),
    ['10.20.2.0/24', '10.20.3.0/24', '10.20.4.0/24', '10.20.5.0/24', '10.20.6.0/24'],
  );
  assert.equal(p.accesses[0]!.subnet, `10.20.${FIRST_OCTET + 5}.0/24`);
  for (const n of p.nodes.filter((x) => x.id !== 'p3')) {
    assert.equal(n.port, derivedPort(p.netid, n.id));
    assert.ok(n.port >= PORT_MIN && n.port <= PORT_MAX);
  }
  assert.equal(p.nodes.find((n) => n.id === 'p3')!.port, 51820);
  assert.deepEqual(parsePlan(JSON.parse(JSON.stringify(p))), p);
});

test('documents pass the node-side validator, and no laptop private key is in any of them', () => {
  const p = build();
  const docs = documentsOf(p);
  assert.deepEqual(Object.keys(docs), ['p1', 'h1', 'p2', 'p3', 'h2']);
  for (const [id, d] of Object.entries(docs)) {
    assert.equal(d.netid, p.netid);
    assert.deepEqual(parseNetworkDocument(JSON.parse(JSON.stringify(d.network))), d.network, id);
  }
  const text = JSON.stringify(docs);
  for (const a of p.accesses) assert.ok(!text.includes(a.private_key));
});

test('full mesh between public nodes; hidden nodes only through their relay; the laptop through its entrypoint', () => {
  const p = build();
  const docs = documentsOf(p);
  const relay1 = p.nodes.find((n) => n.id === 'h1')!.relay!;
  const relay2 = p.nodes.find((n) => n.id === 'h2')!.relay!;
  assert.ok(['p1', 'p2', 'p3'].includes(relay1) && ['p1', 'p2', 'p3'].includes(relay2));
  // Each public node: the other two public nodes, its hidden nodes, its laptops.
  for (const id of ['p1', 'p2', 'p3']) {
    const want = 2 + [relay1, relay2].filter((r) => r === id).length + (id === 'p1' ? 1 : 0);
    assert.equal(docs[id]!.network.peers.length, want, id);
  }
  // A hidden node: one peer, its relay, carrying the whole network.
  const h1 = docs.h1!.network.peers;
  assert.equal(h1.length, 1);
  assert.equal(h1[0]!.subnet, p.nodes.find((n) => n.id === relay1)!.subnet);
  assert.deepEqual(h1[0]!.allowed_ips.slice(0, 2), ['10.20.0.0/16', '100.64.0.0/16']);
  // Another public node routes h1 through the relay's entry.
  const other = ['p1', 'p2', 'p3'].find((x) => x !== relay1)!;
  assert.ok((peerOf(p, other, relay1) as any).allowed_ips.includes('10.20.3.0/24'));
  // The relay lists h1 without an endpoint; p1 lists the laptop without one.
  assert.equal((peerOf(p, relay1, 'h1') as any).endpoint, undefined);
  const laptop = docs.p1!.network.peers.find((x) => x.subnet === p.accesses[0]!.subnet)!;
  assert.equal(laptop.endpoint, undefined);
  assert.equal(laptop.wireguard_public_key, publicKeyOf(p.accesses[0]!.private_key));
  assert.ok((peerOf(p, 'p2', 'p1') as any).allowed_ips.includes(p.accesses[0]!.subnet));
  // Endpoints: a family both ends have (p2 is IPv4 only, p3 IPv6 only, p1 both).
  assert.equal((peerOf(p, 'p2', 'p1') as any).endpoint, `203.0.113.1:${p.nodes[0]!.port}`);
  assert.equal((peerOf(p, 'p3', 'p1') as any).endpoint, `[2001:db8::1]:${p.nodes[0]!.port}`);
});

test("stable: a public node added later changes no other node's subnet, port, key or existing peers", () => {
  const before = build();
  const after = addNode(before, { id: 'p4', endpoints: ['198.51.100.4'] }, keys('other'));
  assert.deepEqual(after.nodes.slice(0, -1), before.nodes);
  const b = documentsOf(before);
  const a = documentsOf(after);
  const p4 = after.nodes.at(-1)!;
  for (const id of Object.keys(b)) {
    const { peers: pb, ...restB } = b[id]!.network;
    const { peers: pa, ...restA } = a[id]!.network;
    assert.deepEqual(restA, restB, id);
    // Old peers unchanged and in order; only p4's own entry is new (hidden nodes keep their relay's entry).
    assert.deepEqual(
      pa.filter((x) => x.subnet !== p4.subnet),
      pb,
      id,
    );
  }
});

test("stable: a hidden node added later changes only its relay's entries (its prefixes routed there)", () => {
  const before = build();
  const after = addNode(before, { id: 'h3' }, keys('other'));
  const h3 = after.nodes.at(-1)!;
  const b = documentsOf(before);
  const a = documentsOf(after);
  for (const id of Object.keys(b)) {
    const pb = b[id]!.network.peers;
    const pa = a[id]!.network.peers.filter((x) => x.subnet !== h3.subnet);
    const relaySubnet = after.nodes.find((n) => n.id === h3.relay)!.subnet;
    pb.forEach((x, i) => {
      if (x.subnet === relaySubnet && id !== h3.relay && !before.nodes.find((n) => n.id === id)!.relay) {
        assert.deepEqual(pa[i]!.allowed_ips.slice(0, x.allowed_ips.length), x.allowed_ips);
        assert.ok(pa[i]!.allowed_ips.includes(h3.subnet));
      } else assert.deepEqual(pa[i], x, `${id} peer ${x.subnet}`);
    });
  }
});

test(
  'a relay is chosen stably: regenerating keeps it; ' +
    'new public nodes do not take it; it changes only when it leaves',
  () => {
    const p = build();
    const relay = p.nodes.find((n) => n.id === 'h1')!.relay!;
    let q = p;
    for (let i = 0; i < 12; i++) q = addNode(q, { id: `x${i}`, endpoints: [`198.51.100.${i + 1}`] }, keys(`x${i}`));
    assert.equal(q.nodes.find((n) => n.id === 'h1')!.relay, relay);
    assert.equal(chooseRelay(p.netid, 'h1', ['p1', 'p2', 'p3']), chooseRelay(p.netid, 'h1', ['p3', 'p1', 'p2']));
    // Its relay leaves: a new one among those left. p1 is an entrypoint: its laptop goes first.
    if (relay === 'p1') q = removeAccess(q, { name: 'access1' });
    const r = removeNode(q, { id: relay });
    const next = r.nodes.find((n) => n.id === 'h1')!.relay!;
    assert.notEqual(next, relay);
    assert.ok(r.nodes.some((n) => n.id === next && n.endpoints.length));
    // Another removal that is not its relay leaves it alone.
    const other = r.nodes.find((n) => n.endpoints.length && n.id !== next && n.id !== 'p1')!;
    assert.equal(removeNode(r, { id: other.id }).nodes.find((n) => n.id === 'h1')!.relay, next);
  },
);

test('a hidden node planned before any public node gets its relay once one exists', () => {
  let p = createPlan({ name: 'n', ipRange: '192.168.0.0/16' });
  p = addNode(p, { id: 'h' }, keys('a'));
  assert.equal(p.nodes[0]!.relay, undefined);
  assert.deepEqual(documentsOf(p).h!.network.peers, []);
  p = addNode(p, { id: 'p', endpoints: ['203.0.113.9'] }, keys('b'));
  assert.equal(p.nodes[0]!.relay, 'p');
});

test('removed /24s are not handed out again while a never-used one is left', () => {
  let p = build();
  p = removeNode(p, { id: 'h1' });
  assert.deepEqual(p.retired, ['10.20.3.0/24']);
  p = addNode(p, { id: 'n', endpoints: ['198.51.100.9'] }, keys('n'));
  assert.equal(p.nodes.at(-1)!.subnet, '10.20.8.0/24');
  p = removeAccess(p, { name: 'access1' });
  assert.deepEqual(p.retired, ['10.20.3.0/24', '10.20.7.0/24']);
});

test('when every /24 was used once, the longest retired is reused; when all are taken: ENOSUBNET', () => {
  let p = createPlan({ name: 'full', ipRange: '10.9.0.0/16' });
  const k = keys('f');
  for (let i = 2; i <= 254; i++) p = addNode(p, { id: `n${i}`, endpoints: ['203.0.113.1'] }, k);
  assert.throws(
    () => addNode(p, { id: 'more' }, k),
    (e: any) => e.code === 'ENOSUBNET' && e.details.field === '--node',
  );
  p = removeNode(p, { id: 'n9' });
  p = removeNode(p, { id: 'n5' });
  p = addNode(p, { id: 'again' }, k);
  assert.equal(p.nodes.at(-1)!.subnet, '10.9.9.0/24');
  assert.deepEqual(p.retired, ['10.9.5.0/24']);
});

test('refusals name the flag and change nothing', () => {
  const p = build();
  const snapshot = JSON.stringify(p);
  const cases: [() => unknown, string, string][] = [
    [() => createPlan({ name: 'x', ipRange: '8.8.0.0/16' }), 'EINVALID', '--ip-range'],
    [() => createPlan({ name: '-x', ipRange: '10.0.0.0/16' }), 'EINVALID', '--name'],
    [() => addNode(p, { id: 'p1' }), 'EEXIST', '--node'],
    [() => addNode(p, { id: 'a b' }), 'EINVALID', '--node'],
    [() => addNode(p, { id: 'z', endpoints: ['10.20.9.9'] }), 'EINVALID', '--endpoint'],
    [() => addNode(p, { id: 'z', endpoints: ['100.64.1.1'] }), 'EINVALID', '--endpoint'],
    [() => addNode(p, { id: 'z', endpoints: ['127.0.0.1'] }), 'EINVALID', '--endpoint'],
    [() => addNode(p, { id: 'z', endpoints: ['203.0.113.7', '203.0.113.8'] }), 'EINVALID', '--endpoint'],
    [() => addNode(p, { id: 'z', port: 0 }), 'EINVALID', '--port'],
    [() => addNode(p, { id: 'z', port: 65536 }), 'EINVALID', '--port'],
    [() => removeNode(p, { id: 'nope' }), 'ENOTFOUND', '--node'],
    [() => removeNode(p, { id: 'p1' }), 'EBUSY', '--node'],
    [() => addAccess(p, { node: 'h1' }), 'ECONFLICT', '--node'],
    [() => addAccess(p, { node: 'nope' }), 'ENOTFOUND', '--node'],
    [() => addAccess(p, { node: 'p3', ipv4: true }), 'EINVALID', '--ipv4'],
    [() => addAccess(p, { node: 'p1', name: 'access1' }), 'EEXIST', '--name'],
    [() => addAccess(p, { node: 'p1', mtu: 1000 }), 'EINVALID', '--mtu'],
    [() => removeAccess(p, { name: 'nope' }), 'ENOTFOUND', '--name'],
  ];
  for (const [fn, code, field] of cases) {
    assert.throws(
      fn,
      (e: any) => e.code === code && e.details.field === field && e.message.includes(field),
      `${code} ${field}`,
    );
  }
  assert.equal(JSON.stringify(p), snapshot);
});
