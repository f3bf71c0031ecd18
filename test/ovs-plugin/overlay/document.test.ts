// The `network` document validator (shared by net.apply and the planner): a good document passes
// as it is; each bad field is refused with EINVALID naming it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseNetid, parseNetworkDocument } from '../../../ovs-plugin/overlay/document.ts';
import { generateKeyPair } from '../../../ovs-plugin/overlay/plan-keys.ts';

const own = generateKeyPair();
const p1 = generateKeyPair().publicKey;
const p2 = generateKeyPair().publicKey;

function good(): any {
  return {
    ip_range: '10.20.0.0/16',
    subnet: '10.20.2.0/24',
    wireguard_private_key: own.privateKey,
    wireguard_listen_port: 20001,
    peers: [
      {
        subnet: '10.20.3.0/24',
        wireguard_public_key: p1,
        allowed_ips: ['10.20.3.0/24', '100.64.20.3/32'],
        endpoint: '203.0.113.1:20002',
      },
      {
        subnet: '10.20.4.0/24',
        wireguard_public_key: p2,
        allowed_ips: ['10.20.4.0/24', 'fd00:1:2:4::/64'],
        endpoint: '',
      },
    ],
  };
}

test('a good document passes; an empty endpoint means none', () => {
  const d = parseNetworkDocument(good());
  assert.equal(d.peers[0]!.endpoint, '203.0.113.1:20002');
  assert.equal(d.peers[1]!.endpoint, undefined);
  assert.deepEqual(parseNetworkDocument({ ...good(), peers: [] }).peers, []);
  const v6 = good();
  v6.peers[0].endpoint = '[2001:db8::1]:51820';
  assert.equal(parseNetworkDocument(v6).peers[0]!.endpoint, '[2001:db8::1]:51820');
});

const CASES: [string, (d: any) => void, string][] = [
  [
    'not an object',
    (d) => {
      d.x = 1;
    },
    'network.x',
  ],
  [
    'ip_range public',
    (d) => {
      d.ip_range = '8.8.0.0/16';
    },
    'network.ip_range',
  ],
  [
    'ip_range a /24',
    (d) => {
      d.ip_range = '10.20.0.0/24';
    },
    'network.ip_range',
  ],
  [
    'ip_range with host bits',
    (d) => {
      d.ip_range = '10.20.1.0/16';
    },
    'network.ip_range',
  ],
  [
    'ip_range 172.32 (outside 172.16/12)',
    (d) => {
      d.ip_range = '172.32.0.0/16';
    },
    'network.ip_range',
  ],
  [
    'subnet outside ip_range',
    (d) => {
      d.subnet = '10.21.2.0/24';
    },
    'network.subnet',
  ],
  [
    'subnet a /23',
    (d) => {
      d.subnet = '10.20.2.0/23';
    },
    'network.subnet',
  ],
  [
    'subnet missing',
    (d) => {
      delete d.subnet;
    },
    'network.subnet',
  ],
  [
    'private key short',
    (d) => {
      d.wireguard_private_key = 'abc=';
    },
    'network.wireguard_private_key',
  ],
  [
    'port 0',
    (d) => {
      d.wireguard_listen_port = 0;
    },
    'network.wireguard_listen_port',
  ],
  [
    'port 65536',
    (d) => {
      d.wireguard_listen_port = 65536;
    },
    'network.wireguard_listen_port',
  ],
  [
    'port a string',
    (d) => {
      d.wireguard_listen_port = '20001';
    },
    'network.wireguard_listen_port',
  ],
  [
    'peers not an array',
    (d) => {
      d.peers = {};
    },
    'network.peers',
  ],
  [
    'peer subnet is ours',
    (d) => {
      d.peers[1].subnet = '10.20.2.0/24';
    },
    'network.peers[1].subnet',
  ],
  [
    'peer subnets overlap',
    (d) => {
      d.peers[1].subnet = '10.20.3.0/24';
    },
    'network.peers[1].subnet',
  ],
  [
    'peer subnet outside',
    (d) => {
      d.peers[0].subnet = '192.168.3.0/24';
    },
    'network.peers[0].subnet',
  ],
  [
    'peer key bad',
    (d) => {
      d.peers[1].wireguard_public_key = 'x';
    },
    'network.peers[1].wireguard_public_key',
  ],
  [
    'peer key is our own',
    (d) => {
      d.peers[0].wireguard_public_key = own.publicKey;
    },
    'network.peers[0].wireguard_public_key',
  ],
  [
    'two peers one key',
    (d) => {
      d.peers[1].wireguard_public_key = p1;
    },
    'network.peers[1].wireguard_public_key',
  ],
  [
    'allowed_ips empty',
    (d) => {
      d.peers[0].allowed_ips = [];
    },
    'network.peers[0].allowed_ips',
  ],
  [
    'allowed_ips bad prefix',
    (d) => {
      d.peers[0].allowed_ips = ['10.20.3.0/24', '10.20.3.0/33'];
    },
    'network.peers[0].allowed_ips[1]',
  ],
  [
    'endpoint without port',
    (d) => {
      d.peers[0].endpoint = '203.0.113.1';
    },
    'network.peers[0].endpoint',
  ],
  [
    'endpoint v6 without brackets',
    (d) => {
      d.peers[0].endpoint = '2001:db8::1:51820';
    },
    'network.peers[0].endpoint',
  ],
  [
    'endpoint port 0',
    (d) => {
      d.peers[0].endpoint = '203.0.113.1:0';
    },
    'network.peers[0].endpoint',
  ],
  [
    'endpoint port 70000',
    (d) => {
      d.peers[0].endpoint = '203.0.113.1:70000';
    },
    'network.peers[0].endpoint',
  ],
  [
    'endpoint a hostname',
    (d) => {
      d.peers[0].endpoint = 'node.example:51820';
    },
    'network.peers[0].endpoint',
  ],
  [
    'endpoint multicast',
    (d) => {
      d.peers[0].endpoint = '224.0.0.1:51820';
    },
    'network.peers[0].endpoint',
  ],
  [
    'peer unknown member',
    (d) => {
      d.peers[0].keepalive = 20;
    },
    'network.peers[0].keepalive',
  ],
];

for (const [what, spoil, field] of CASES) {
  test(`refused: ${what} (EINVALID ${field})`, () => {
    const d = good();
    spoil(d);
    assert.throws(
      () => parseNetworkDocument(d),
      (e: any) => e.code === 'EINVALID' && e.details.field === field && e.message.startsWith(`${field}: `),
    );
  });
}

test('netid: 1..13 of [A-Za-z0-9]', () => {
  assert.equal(parseNetid('netid', 'abcDEF1234567'), 'abcDEF1234567');
  for (const bad of ['', 'abcDEF12345678', 'a-b', 'ä', 7]) {
    assert.throws(
      () => parseNetid('netid', bad),
      (e: any) => e.code === 'EINVALID' && e.details.field === 'netid',
      String(bad),
    );
  }
});
