// diffConfig, table-driven: the change between a device's state and a config is minimal and
// never replaces what it need not (wg syncconf, not setconf).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diffConfig, sameAllowedIps, sinkKey } from '../../../lib/wireguard/diff.ts';
import {
  isEmptyChange,
  type WgChange,
  type WgConfig,
  type WgPeerState,
  type WgState,
} from '../../../lib/wireguard/types.ts';

const K = (n: number): string => Buffer.alloc(32, n).toString('base64');
const PRIV = K(1);
const SINK = sinkKey(PRIV);
const peer = (n: number, o: Partial<WgPeerState> = {}): WgPeerState => ({
  publicKey: K(n),
  allowedIps: [`10.0.${n}.0/24`],
  persistentKeepalive: 20,
  lastHandshakeMs: 0,
  rxBytes: 0n,
  txBytes: 0n,
  endpoint: `192.0.2.${n}:51820`,
  ...o,
});
const state = (peers: WgPeerState[], o: Partial<WgState> = {}): WgState => ({
  privateKey: PRIV,
  listenPort: 51820,
  fwmark: 0,
  peers,
  ...o,
});
/** The config that state(peers) already is. */
const config = (peers: WgPeerState[], o: Partial<WgConfig> = {}): WgConfig => ({
  privateKey: PRIV,
  listenPort: 51820,
  peers: peers.map((p) => ({
    publicKey: p.publicKey,
    allowedIps: p.allowedIps,
    persistentKeepalive: p.persistentKeepalive,
    ...(p.endpoint ? { endpoint: p.endpoint } : {}),
  })),
  ...o,
});

const cases: { name: string; want: WgConfig; have: WgState; change: WgChange }[] = [
  {
    name: 'unchanged: empty change',
    want: config([peer(2), peer(3)]),
    have: state([peer(2), peer(3)]),
    change: { peers: [] },
  },
  {
    name: 'a new device: keys, port and every peer',
    want: config([peer(2)]),
    have: { listenPort: 0, fwmark: 0, peers: [] },
    change: {
      privateKey: PRIV,
      listenPort: 51820,
      peers: [
        {
          publicKey: K(2),
          create: true,
          allowedIps: ['10.0.2.0/24'],
          endpoint: '192.0.2.2:51820',
          persistentKeepalive: 20,
        },
      ],
    },
  },
  {
    name: 'peer added',
    want: config([peer(2), peer(3)]),
    have: state([peer(2)]),
    change: {
      peers: [
        {
          publicKey: K(3),
          create: true,
          allowedIps: ['10.0.3.0/24'],
          endpoint: '192.0.2.3:51820',
          persistentKeepalive: 20,
        },
      ],
    },
  },
  {
    name: 'peer removed',
    want: config([peer(2)]),
    have: state([peer(2), peer(3)]),
    change: { peers: [{ publicKey: K(3), remove: true }] },
  },
  {
    name: 'one added, one removed, the others untouched',
    want: config([peer(2), peer(4)]),
    have: state([peer(2), peer(3)]),
    change: {
      peers: [
        { publicKey: K(3), remove: true },
        {
          publicKey: K(4),
          create: true,
          allowedIps: ['10.0.4.0/24'],
          endpoint: '192.0.2.4:51820',
          persistentKeepalive: 20,
        },
      ],
    },
  },
  {
    name: 'allowed IPs in another order: unchanged',
    want: config([peer(2, { allowedIps: ['100.64.2.0/32', '10.0.2.0/24'] })]),
    have: state([peer(2, { allowedIps: ['10.0.2.0/24', '100.64.2.0/32'] })]),
    change: { peers: [] },
  },
  {
    name: 'allowed IPs gained only: the new ones added (the peer is never emptied), nothing else sent',
    want: config([peer(2, { allowedIps: ['10.0.2.0/24', 'fd00::/64'] })]),
    have: state([peer(2)]),
    change: { peers: [{ publicKey: K(2), create: false, allowedIps: ['fd00::/64'], addAllowedIps: true }] },
  },
  {
    name: 'an allowed IP lost: moved to the sink, which is made and removed (the peer itself untouched)',
    want: config([peer(2, { allowedIps: ['fd00::/64'] })]),
    have: state([peer(2, { allowedIps: ['10.0.2.0/24', 'fd00::/64'] })]),
    change: {
      peers: [
        { publicKey: SINK, create: true, allowedIps: ['10.0.2.0/24'] },
        { publicKey: SINK, remove: true },
      ],
    },
  },
  {
    name: 'one allowed IP lost and one gained: the new one added, the lost one to the sink',
    want: config([peer(2, { allowedIps: ['10.0.2.0/24', 'fd00::/64'] })]),
    have: state([peer(2, { allowedIps: ['10.0.2.0/24', '10.9.0.0/24'] })]),
    change: {
      peers: [
        { publicKey: K(2), create: false, allowedIps: ['fd00::/64'], addAllowedIps: true },
        { publicKey: SINK, create: true, allowedIps: ['10.9.0.0/24'] },
        { publicKey: SINK, remove: true },
      ],
    },
  },
  {
    name: 'an allowed IP moved between peers: the one gaining it adds it (an insert moves it), no sink',
    want: config([peer(2), peer(3, { allowedIps: ['10.0.3.0/24', '10.9.0.0/24'] })]),
    have: state([peer(2, { allowedIps: ['10.0.2.0/24', '10.9.0.0/24'] }), peer(3)]),
    change: { peers: [{ publicKey: K(3), create: false, allowedIps: ['10.9.0.0/24'], addAllowedIps: true }] },
  },
  {
    name: 'keepalive changed only',
    want: config([peer(2, { persistentKeepalive: 25 })]),
    have: state([peer(2)]),
    change: { peers: [{ publicKey: K(2), create: false, persistentKeepalive: 25 }] },
  },
  {
    name: 'keepalive absent turns it off',
    want: {
      privateKey: PRIV,
      listenPort: 51820,
      peers: [{ publicKey: K(2), allowedIps: ['10.0.2.0/24'], endpoint: '192.0.2.2:51820' }],
    },
    have: state([peer(2)]),
    change: { peers: [{ publicKey: K(2), create: false, persistentKeepalive: 0 }] },
  },
  {
    name: 'endpoint changed',
    want: config([peer(2, { endpoint: '[2001:db8::2]:51820' })]),
    have: state([peer(2)]),
    change: { peers: [{ publicKey: K(2), create: false, endpoint: '[2001:db8::2]:51820' }] },
  },
  {
    name: 'peer without endpoint keeps the endpoint WireGuard learned',
    want: config([peer(2, { endpoint: undefined })]),
    have: state([peer(2, { endpoint: '198.51.100.7:40001' })]),
    change: { peers: [] },
  },
  {
    name: 'new peer without endpoint: none sent',
    want: config([peer(5, { endpoint: undefined })]),
    have: state([]),
    change: { peers: [{ publicKey: K(5), create: true, allowedIps: ['10.0.5.0/24'], persistentKeepalive: 20 }] },
  },
  {
    name: 'listen port changed only',
    want: config([peer(2)], { listenPort: 51821 }),
    have: state([peer(2)]),
    change: { listenPort: 51821, peers: [] },
  },
  {
    name: 'fwmark set, then absent clears it',
    want: config([], { fwmark: 7 }),
    have: state([]),
    change: { fwmark: 7, peers: [] },
  },
  {
    name: 'fwmark absent clears a set one',
    want: config([]),
    have: state([], { fwmark: 7 }),
    change: { fwmark: 0, peers: [] },
  },
  {
    name: 'private key changed, peers kept in place',
    want: config([peer(2)], { privateKey: K(9) }),
    have: state([peer(2)]),
    change: { privateKey: K(9), peers: [] },
  },
  {
    name: 'counters and handshake time never make a change',
    want: config([peer(2)]),
    have: state([peer(2, { lastHandshakeMs: 5, rxBytes: 9n, txBytes: 9n })]),
    change: { peers: [] },
  },
];

for (const c of cases) {
  test(`diffConfig: ${c.name}`, () => {
    const got = diffConfig(c.want, c.have);
    assert.deepEqual(got, c.change);
    assert.equal(isEmptyChange(got), c.change.peers.length === 0 && Object.keys(c.change).length === 1);
  });
}

test('diffConfig: applying the change to the state gives a state whose diff is empty', () => {
  const have = state([peer(2), peer(3, { endpoint: '198.51.100.7:40001' }), peer(5), peer(6)]);
  const want = config(
    [
      peer(3, { endpoint: undefined, persistentKeepalive: 5 }),
      peer(4),
      peer(5, { allowedIps: ['10.0.5.0/24', 'fd00:5::/64'] }),
      peer(6, { allowedIps: ['fd00:6::/64'] }),
    ],
    { listenPort: 1000 },
  );
  const change = diffConfig(want, have);
  // a model of the device: what WireGuard does with each field of the change (an allowed IP
  // inserted for one peer leaves the peer that held it)
  const peers = new Map(have.peers.map((p) => [p.publicKey, { ...p }]));
  const claim = (ips: readonly string[]) => {
    for (const q of peers.values()) q.allowedIps = q.allowedIps.filter((a) => !ips.includes(a));
  };
  for (const p of change.peers) {
    if ('remove' in p) {
      peers.delete(p.publicKey);
      continue;
    }
    const cur = peers.get(p.publicKey) ?? {
      publicKey: p.publicKey,
      allowedIps: [],
      persistentKeepalive: 0,
      lastHandshakeMs: 0,
      rxBytes: 0n,
      txBytes: 0n,
    };
    if (p.endpoint) cur.endpoint = p.endpoint;
    if (p.persistentKeepalive !== undefined) cur.persistentKeepalive = p.persistentKeepalive;
    if (p.allowedIps) {
      claim(p.allowedIps);
      cur.allowedIps = p.addAllowedIps ? [...cur.allowedIps, ...p.allowedIps] : [...p.allowedIps];
    }
    peers.set(p.publicKey, cur);
  }
  assert.ok(!peers.has(SINK), 'the sink is gone');
  assert.ok(
    change.peers.every((p) => 'remove' in p || p.create || !p.allowedIps || p.addAllowedIps),
    'no staying peer has its allowed IPs replaced',
  );
  const after = state([...peers.values()], { listenPort: change.listenPort ?? have.listenPort });
  assert.ok(isEmptyChange(diffConfig(want, after)));
  assert.equal(peers.get(K(3))!.endpoint, '198.51.100.7:40001');
});

test('sameAllowedIps: a set comparison', () => {
  assert.ok(sameAllowedIps(['a', 'b'], ['b', 'a']));
  assert.ok(sameAllowedIps(['a', 'a', 'b'], ['b', 'a']));
  assert.ok(!sameAllowedIps(['a'], ['a', 'b']));
  assert.ok(!sameAllowedIps(['a', 'c'], ['a', 'b']));
});
