// net.apply refuses bad input with a clear error naming the field, and changes nothing: no
// namespace, link, wireguard-go, nft rule or record appears or changes (the list).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { generateKeyPair, publicKeyOf } from '../../../ovs-plugin/overlay/plan-keys.ts';
import { makeNrNode, makeSwitch, type NrNode } from './nr-node.ts';
import { has } from '../../helpers/has-command.ts';

const skip =
  !(process.getuid?.() === 0 && ['wireguard-go', 'nft', 'unshare', 'nsenter'].every(has)) &&
  'needs root, wireguard-go, nft';

async function snapshot(n: NrNode): Promise<string> {
  const out = await Promise.all([
    n.sh('ip', ['netns', 'list']),
    n.sh('sh', ['-c', 'ip -o link show | cut -d: -f2 | sort']),
    n.sh('nft', ['list', 'ruleset']),
    n.sh('sh', [
      '-c',
      'ls /run/wireguard; cat /run/ovs-plugin/nets.json 2>/dev/null; ' +
        'for n in $(ip netns list | cut -d" " -f1); do ip -n $n -o addr | grep -v fe80; ip -n $n route; done; true',
    ]),
  ]);
  return out.map((r) => r.stdout).join('\n--\n');
}

test('bad input to net.apply: each refused naming its field, nothing changed', {
  skip,
  timeout: 180_000,
}, async (t) => {
  const sw = await makeSwitch(t);
  const n = await makeNrNode(t, sw, 1);
  const own = generateKeyPair();
  const peerKey = generateKeyPair().publicKey;
  const good = {
    ip_range: '10.50.0.0/16',
    subnet: '10.50.1.0/24',
    wireguard_private_key: own.privateKey,
    wireguard_listen_port: 21101,
    peers: [
      {
        subnet: '10.50.2.0/24',
        wireguard_public_key: peerKey,
        allowed_ips: ['10.50.2.0/24'],
        endpoint: '198.18.0.2:21102',
      },
    ],
  };
  const first = await n.plugin('net.apply', { netid: 'exists', network: good });
  assert.equal(first.exitCode, 0, first.stdout);
  // A socket of another process holds 21150 in the node.
  const holder = spawn(
    'nsenter',
    [
      `--net=/proc/${n.pid}/ns/net`,
      process.execPath,
      '-e',
      "require('dgram').createSocket('udp4').bind(21150, () => console.log('bound'))",
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  t.after(() => {
    holder.kill('SIGKILL');
  });
  await new Promise<void>((r) => holder.stdout.once('data', () => r()));
  const before = await snapshot(n);
  const other = (over: Record<string, unknown>) => ({
    ...good,
    wireguard_private_key: generateKeyPair().privateKey,
    wireguard_listen_port: 21103,
    peers: [],
    ...over,
  });
  const cases: [string, unknown, string, string][] = [
    [
      'ip_range not a /16 of RFC 1918',
      { netid: 'new1', network: other({ ip_range: '11.50.0.0/16' }) },
      'EINVALID',
      'network.ip_range',
    ],
    ['ip_range a /8', { netid: 'new1', network: other({ ip_range: '10.0.0.0/8' }) }, 'EINVALID', 'network.ip_range'],
    [
      'subnet outside ip_range',
      { netid: 'new1', network: other({ subnet: '10.51.1.0/24' }) },
      'EINVALID',
      'network.subnet',
    ],
    ['subnet not a /24', { netid: 'new1', network: other({ subnet: '10.50.0.0/23' }) }, 'EINVALID', 'network.subnet'],
    [
      'peer subnet overlapping ours',
      {
        netid: 'new1',
        network: other({
          peers: [{ subnet: '10.50.1.0/24', wireguard_public_key: peerKey, allowed_ips: ['10.50.1.0/24'] }],
        }),
      },
      'EINVALID',
      'network.peers[0].subnet',
    ],
    [
      'peer subnets overlapping',
      {
        netid: 'new1',
        network: other({
          peers: [
            { subnet: '10.50.3.0/24', wireguard_public_key: peerKey, allowed_ips: ['10.50.3.0/24'] },
            {
              subnet: '10.50.3.0/24',
              wireguard_public_key: generateKeyPair().publicKey,
              allowed_ips: ['10.50.3.0/24'],
            },
          ],
        }),
      },
      'EINVALID',
      'network.peers[1].subnet',
    ],
    [
      'a private key that is not 32 bytes',
      { netid: 'new1', network: other({ wireguard_private_key: 'AAAA' }) },
      'EINVALID',
      'network.wireguard_private_key',
    ],
    [
      'a peer key that is not base64',
      {
        netid: 'new1',
        network: other({
          peers: [{ subnet: '10.50.3.0/24', wireguard_public_key: '!'.repeat(44), allowed_ips: ['10.50.3.0/24'] }],
        }),
      },
      'EINVALID',
      'network.peers[0].wireguard_public_key',
    ],
    [
      'our own public key as a peer',
      {
        netid: 'exists',
        network: {
          ...good,
          peers: [
            {
              subnet: '10.50.3.0/24',
              wireguard_public_key: publicKeyOf(own.privateKey),
              allowed_ips: ['10.50.3.0/24'],
            },
          ],
        },
      },
      'EINVALID',
      'network.peers[0].wireguard_public_key',
    ],
    [
      'a port another NR holds',
      { netid: 'new1', network: other({ wireguard_listen_port: 21101 }) },
      'ECONFLICT',
      'network.wireguard_listen_port',
    ],
    [
      'a port another process holds',
      { netid: 'new1', network: other({ wireguard_listen_port: 21150 }) },
      'ECONFLICT',
      'network.wireguard_listen_port',
    ],
    [
      'port 0',
      { netid: 'new1', network: other({ wireguard_listen_port: 0 }) },
      'EINVALID',
      'network.wireguard_listen_port',
    ],
    [
      'port 65536',
      { netid: 'new1', network: other({ wireguard_listen_port: 65536 }) },
      'EINVALID',
      'network.wireguard_listen_port',
    ],
    ['a netid too long', { netid: 'abcdefghijklmn', network: other({}) }, 'EINVALID', 'netid'],
    ['a netid with a dash', { netid: 'a-b', network: other({}) }, 'EINVALID', 'netid'],
    [
      'an endpoint without port',
      {
        netid: 'new1',
        network: other({
          peers: [
            {
              subnet: '10.50.3.0/24',
              wireguard_public_key: peerKey,
              allowed_ips: ['10.50.3.0/24'],
              endpoint: '198.18.0.2',
            },
          ],
        }),
      },
      'EINVALID',
      'network.peers[0].endpoint',
    ],
    [
      'an IPv6 endpoint without brackets',
      {
        netid: 'new1',
        network: other({
          peers: [
            {
              subnet: '10.50.3.0/24',
              wireguard_public_key: peerKey,
              allowed_ips: ['10.50.3.0/24'],
              endpoint: '2001:db8::1:51820',
            },
          ],
        }),
      },
      'EINVALID',
      'network.peers[0].endpoint',
    ],
    [
      'a changed port on an existing NR',
      { netid: 'exists', network: { ...good, wireguard_listen_port: 21104 } },
      'EINVALID',
      'network.wireguard_listen_port',
    ],
  ];
  for (const [what, args, code, field] of cases) {
    const r = await n.plugin('net.apply', args);
    assert.equal(r.exitCode, 1, `${what}: ${r.stdout}`);
    assert.equal(r.value.code, code, `${what}: ${r.value.message}`);
    assert.equal(r.value.field, field, `${what}: ${r.value.message}`);
    assert.equal(await snapshot(n), before, `${what}: nothing changed`);
  }
  const changed = await n.plugin('net.apply', { netid: 'exists', network: { ...good, wireguard_listen_port: 21104 } });
  assert.match(changed.value.message, /delete the NR first/);
});
