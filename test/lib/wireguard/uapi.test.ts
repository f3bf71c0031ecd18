// The UAPI text (https://www.wireguard.com/xplatform/): set bodies as wireguard-go reads them,
// get answers parsed; and a round trip against a real wireguard-go in a test node.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatSet, parseGet, uapiGet, uapiRequest, uapiSet } from '../../../lib/wireguard/uapi.ts';
import { keyToHex, publicKeyOf, validateWgConfig } from '../../../lib/wireguard/types.ts';
import { diffConfig } from '../../../lib/wireguard/diff.ts';
import { syncDevice } from '../../../lib/wireguard/backend.ts';
import { makeInnerNs, makeWgNode } from '../../helpers/wg-node.ts';

const K = (n: number): string => Buffer.alloc(32, n).toString('base64');
const H = (n: number): string => keyToHex(K(n));

test('formatSet: device fields, then each peer; update_only after public_key; added allowed IPs no replace', () => {
  const body = formatSet({
    privateKey: K(1),
    listenPort: 51820,
    fwmark: 0,
    peers: [
      { publicKey: K(2), remove: true },
      { publicKey: K(3), create: false, allowedIps: ['10.0.3.0/24', 'fd00::/64'] },
      { publicKey: K(4), create: true, endpoint: '[2001:db8::4]:51820', persistentKeepalive: 20, allowedIps: [] },
      { publicKey: K(5), create: false, allowedIps: ['10.0.5.0/24'], addAllowedIps: true },
    ],
  });
  assert.equal(
    body,
    [
      `private_key=${H(1)}`,
      'listen_port=51820',
      'fwmark=0',
      `public_key=${H(2)}`,
      'remove=true',
      `public_key=${H(3)}`,
      'update_only=true',
      'replace_allowed_ips=true',
      'allowed_ip=10.0.3.0/24',
      'allowed_ip=fd00::/64',
      `public_key=${H(4)}`,
      'endpoint=[2001:db8::4]:51820',
      'persistent_keepalive_interval=20',
      'replace_allowed_ips=true',
      `public_key=${H(5)}`,
      'update_only=true',
      'allowed_ip=10.0.5.0/24',
      '',
    ].join('\n'),
  );
  assert.doesNotMatch(body, /replace_peers/);
  assert.equal(formatSet({ peers: [] }), '');
});

test('parseGet: keys to base64, handshake time to ms, counters, learned endpoint, unknown keys skipped', () => {
  const s = parseGet(
    'w0',
    [
      `private_key=${H(1)}`,
      'listen_port=51820',
      'fwmark=3',
      `public_key=${H(2)}`,
      `preshared_key=${'0'.repeat(64)}`,
      'protocol_version=1',
      'endpoint=198.51.100.7:40001',
      'last_handshake_time_sec=1700000000',
      'last_handshake_time_nsec=123456789',
      'tx_bytes=10',
      'rx_bytes=20',
      'persistent_keepalive_interval=25',
      'allowed_ip=10.0.2.0/24',
      'allowed_ip=fd00::/64',
      'some_future_key=x',
      `public_key=${H(3)}`,
      'last_handshake_time_sec=0',
      'last_handshake_time_nsec=0',
      'tx_bytes=0',
      'rx_bytes=0',
      'persistent_keepalive_interval=0',
      'errno=0',
      '',
      '',
    ].join('\n'),
  );
  assert.equal(s.privateKey, K(1));
  assert.equal(s.publicKey, publicKeyOf(K(1)));
  assert.equal(s.listenPort, 51820);
  assert.equal(s.fwmark, 3);
  assert.deepEqual(s.peers, [
    {
      publicKey: K(2),
      endpoint: '198.51.100.7:40001',
      allowedIps: ['10.0.2.0/24', 'fd00::/64'],
      persistentKeepalive: 25,
      lastHandshakeMs: 1700000000123,
      rxBytes: 20n,
      txBytes: 10n,
    },
    { publicKey: K(3), allowedIps: [], persistentKeepalive: 0, lastHandshakeMs: 0, rxBytes: 0n, txBytes: 0n },
  ]);
  const mapped = parseGet(
    'w0',
    `public_key=${H(2)}\nendpoint=[::ffff:192.0.2.1]:51820\nallowed_ip=::ffff:10.0.0.1/128\nallowed_ip=FD00::/64\n`,
  );
  assert.deepEqual(
    [mapped.peers[0]!.endpoint, mapped.peers[0]!.allowedIps],
    ['[::ffff:c000:201]:51820', ['::ffff:a00:1/128', 'fd00::/64']],
    'read in our canonical forms',
  );
  assert.throws(() => parseGet('w0', `public_key=${H(2)}\nallowed_ip=10.0.0.0\n`), { code: 'EWG_PROTO' });
  assert.throws(() => parseGet('w0', 'listen_port=abc\n'), { code: 'EWG_PROTO' });
  assert.throws(() => parseGet('w0', 'garbage\n'), { code: 'EWG_PROTO' });
});

test('uapi: a missing socket is EWG_NODEVICE', async () => {
  await assert.rejects(uapiGet('/nonexistent-dir', 'w0'), { code: 'EWG_NODEVICE' });
});

test('uapi round trip against wireguard-go: what set writes, get reads back; a refused set is EWG_REFUSED', {
  timeout: 60_000,
}, async (t) => {
  const node = await makeWgNode(t);
  const inner = await makeInnerNs(t);
  const backend = node.backend();
  const dev = await backend.create({ name: 'w-rt', host: node.net, target: inner.net });
  t.after(() => backend.delete(dev));
  const config = validateWgConfig({
    privateKey: K(1),
    listenPort: 40000,
    fwmark: 42,
    peers: [
      {
        publicKey: K(2),
        endpoint: '[2001:DB8::2]:51820',
        allowedIps: ['fd00:0:0:2::/64', '10.0.2.7/24'],
        persistentKeepalive: 20,
      },
      { publicKey: K(3), endpoint: '192.0.2.3:1', allowedIps: ['10.0.3.0/24'] },
      { publicKey: K(4), allowedIps: ['::ffff:10.9.9.9/128'] },
    ],
  });
  const change = await syncDevice(backend, dev, config);
  assert.equal(change.peers.length, 3);
  const got = await backend.get(dev);
  assert.equal(got.privateKey, config.privateKey, 'the clamped key, as validateWgConfig made it');
  assert.notEqual(config.privateKey, K(1), 'K(1) is not clamped: the device would report another key');
  assert.equal(got.listenPort, 40000);
  assert.equal(got.fwmark, 42);
  const by = new Map(got.peers.map((p) => [p.publicKey, p]));
  assert.equal(by.get(K(2))!.endpoint, '[2001:db8::2]:51820');
  assert.deepEqual([...by.get(K(2))!.allowedIps].sort(), ['10.0.2.0/24', 'fd00:0:0:2::/64']);
  assert.equal(by.get(K(2))!.persistentKeepalive, 20);
  assert.equal(by.get(K(3))!.endpoint, '192.0.2.3:1');
  assert.equal(by.get(K(4))!.endpoint, undefined);
  assert.deepEqual(diffConfig(config, got), { peers: [] }, 'what we read back is what we wrote, canonically');

  // update_only: an update of a peer removed meanwhile does not create it again
  await uapiSet(node.socketDir, 'w-rt', { peers: [{ publicKey: K(3), remove: true }] });
  await uapiSet(node.socketDir, 'w-rt', { peers: [{ publicKey: K(3), create: false, persistentKeepalive: 9 }] });
  assert.equal(
    (await backend.get(dev)).peers.some((p) => p.publicKey === K(3)),
    false,
  );

  // wireguard-go refuses a bad line with a non-zero errno
  const answer = await uapiRequest('w-rt', `${node.socketDir}/w-rt.sock`, 'set=1\nlisten_port=notanumber\n\n');
  assert.match(answer, /errno=-?[1-9]/); // wireguard-go answers -22 (EINVAL): negative, unlike the spec
  await assert.rejects(
    uapiSet(node.socketDir, 'w-rt', { peers: [{ publicKey: K(5), create: true, endpoint: '[::1', allowedIps: [] }] }),
    { code: 'EWG_REFUSED' },
  );
});
