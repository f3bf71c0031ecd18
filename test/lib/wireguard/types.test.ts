// Config validation: every bad field named, canonical forms (clamped private key, masked
// allowed IPs, RFC 5952 endpoints), keys derived with node:crypto as `wg pubkey` does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  clampPrivateKey,
  publicKeyOf,
  validateWgConfig,
  wgAllowedIp,
  wgEndpoint,
  wgKey,
} from '../../../lib/wireguard/types.ts';

const K = (n: number): string => Buffer.alloc(32, n).toString('base64');
const good = () => ({
  privateKey: K(1),
  listenPort: 51820,
  peers: [{ publicKey: K(2), endpoint: '192.0.2.2:51820', allowedIps: ['10.0.2.0/24'] }],
});

test('publicKeyOf agrees with wg pubkey; clamping keeps the public key', () => {
  const k = execFileSync('wg', ['genkey']).toString().trim();
  assert.equal(publicKeyOf(k), execFileSync('wg', ['pubkey'], { input: k }).toString().trim());
  assert.equal(publicKeyOf(K(1)), publicKeyOf(clampPrivateKey(K(1))));
  assert.equal(clampPrivateKey(k), k, 'wg genkey makes clamped keys');
});

test('canonical forms: allowed IPs masked, IPv6 shortest, endpoints RFC 5952', () => {
  assert.equal(wgAllowedIp('f', '10.1.2.3/16'), '10.1.0.0/16');
  assert.equal(wgAllowedIp('f', 'FD00:0:0:1::5/64'), 'fd00:0:0:1::/64');
  assert.equal(wgAllowedIp('f', '0.0.0.0/0'), '0.0.0.0/0');
  assert.equal(wgAllowedIp('f', '2001:db8::1/128'), '2001:db8::1/128');
  assert.equal(wgEndpoint('f', '[2001:DB8:0::1]:51820'), '[2001:db8::1]:51820');
  assert.equal(wgEndpoint('f', '192.0.2.1:1'), '192.0.2.1:1');
  assert.equal(wgKey('f', K(3)), K(3));
});

test('validateWgConfig: canonical, duplicates of an allowed IP merged', () => {
  const c = validateWgConfig({
    ...good(),
    peers: [{ publicKey: K(2), allowedIps: ['10.0.2.9/24', '10.0.2.0/24'], persistentKeepalive: 20 }],
  });
  assert.equal(c.privateKey, clampPrivateKey(K(1)));
  assert.deepEqual(c.peers, [{ publicKey: K(2), allowedIps: ['10.0.2.0/24'], persistentKeepalive: 20 }]);
});

const bad: [string, (c: ReturnType<typeof good>) => unknown, string][] = [
  ['not an object', () => null, 'wireguard'],
  [
    'private key not base64 of 32 bytes',
    (c) => ({ ...c, privateKey: Buffer.alloc(31).toString('base64') }),
    'wireguard.privateKey',
  ],
  [
    'private key with a non-canonical last character',
    (c) => ({ ...c, privateKey: `${K(1).slice(0, 42)}B=` }),
    'wireguard.privateKey',
  ],
  ['listen port 0', (c) => ({ ...c, listenPort: 0 }), 'wireguard.listenPort'],
  ['listen port 65536', (c) => ({ ...c, listenPort: 65536 }), 'wireguard.listenPort'],
  ['fwmark negative', (c) => ({ ...c, fwmark: -1 }), 'wireguard.fwmark'],
  ['peers not an array', (c) => ({ ...c, peers: {} }), 'wireguard.peers'],
  [
    'peer key hex',
    (c) => ({ ...c, peers: [{ ...c.peers[0], publicKey: 'ab'.repeat(32) }] }),
    'wireguard.peers[0].publicKey',
  ],
  [
    'our own public key as a peer',
    (c) => ({ ...c, peers: [{ ...c.peers[0], publicKey: publicKeyOf(K(1)) }] }),
    'wireguard.peers[0].publicKey',
  ],
  ['a peer twice', (c) => ({ ...c, peers: [c.peers[0], c.peers[0]] }), 'wireguard.peers[1].publicKey'],
  [
    'endpoint a name',
    (c) => ({ ...c, peers: [{ ...c.peers[0], endpoint: 'node1:51820' }] }),
    'wireguard.peers[0].endpoint',
  ],
  [
    'endpoint without port',
    (c) => ({ ...c, peers: [{ ...c.peers[0], endpoint: '192.0.2.1' }] }),
    'wireguard.peers[0].endpoint',
  ],
  [
    'endpoint IPv6 without brackets',
    (c) => ({ ...c, peers: [{ ...c.peers[0], endpoint: '2001:db8::1:51820' }] }),
    'wireguard.peers[0].endpoint',
  ],
  [
    'endpoint port 0',
    (c) => ({ ...c, peers: [{ ...c.peers[0], endpoint: '192.0.2.1:0' }] }),
    'wireguard.peers[0].endpoint',
  ],
  [
    'endpoint port 65536',
    (c) => ({ ...c, peers: [{ ...c.peers[0], endpoint: '192.0.2.1:65536' }] }),
    'wireguard.peers[0].endpoint',
  ],
  [
    'allowed IPs not an array',
    (c) => ({ ...c, peers: [{ ...c.peers[0], allowedIps: '10.0.0.0/8' }] }),
    'wireguard.peers[0].allowedIps',
  ],
  [
    'allowed IP without prefix',
    (c) => ({ ...c, peers: [{ ...c.peers[0], allowedIps: ['10.0.2.0/24', '10.0.3.1'] }] }),
    'wireguard.peers[0].allowedIps[1]',
  ],
  [
    'allowed IP prefix too long',
    (c) => ({ ...c, peers: [{ ...c.peers[0], allowedIps: ['10.0.2.0/33'] }] }),
    'wireguard.peers[0].allowedIps[0]',
  ],
  [
    'keepalive over 65535',
    (c) => ({ ...c, peers: [{ ...c.peers[0], persistentKeepalive: 70000 }] }),
    'wireguard.peers[0].persistentKeepalive',
  ],
];
for (const [name, make, field] of bad) {
  test(`validateWgConfig refuses ${name}, naming ${field}`, () => {
    assert.throws(
      () => validateWgConfig(make(good())),
      (e: { code?: string; field?: string }) => e.code === 'EINVALID' && e.field === field,
    );
  });
}
