// What the firewall guarantees, on one node: a workload reaches the outside through the egress
// (masqueraded); it does not reach the node's own addresses; two NRs with the same ip_range do
// not see each other; a packet from the underlay to a workload address is dropped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run } from '../../../lib/exec.ts';
import { ip } from '../../../lib/ip.ts';
import { generateKeyPair } from '../../../ovs-plugin/overlay/plan-keys.ts';
import { waitFor, type HeldNs } from '../../helpers/wg-node.ts';
import { makeNrNode, makeSwitch, plugContainer } from './nr-node.ts';
import { has } from '../../helpers/has-command.ts';

const skip =
  !(process.getuid?.() === 0 && ['wireguard-go', 'nft', 'unshare', 'nsenter'].every(has)) &&
  'needs root, wireguard-go, nft';

const ping = (from: HeldNs, to: string) =>
  run('nsenter', [`--net=/proc/${from.pid}/ns/net`, 'ping', '-c', '1', '-W', '1', to], { allowFailure: true }).then(
    (r) => r.exitCode === 0,
  );

test('egress out, the node unreachable, two NRs of one ip_range apart, nothing in from the underlay', {
  skip,
  timeout: 180_000,
}, async (t) => {
  const sw = await makeSwitch(t);
  await ip(sw.net, ['addr', 'add', '198.18.0.254/24', 'dev', 'br0']);
  const n = await makeNrNode(t, sw, 1);
  const doc = (subnet: string, port: number) => ({
    ip_range: '10.80.0.0/16',
    subnet,
    wireguard_private_key: generateKeyPair().privateKey,
    wireguard_listen_port: port,
    peers: [],
  });
  const r1 = await n.plugin('net.apply', { netid: 'iso1', network: doc('10.80.1.0/24', 21301) });
  const r2 = await n.plugin('net.apply', { netid: 'iso2', network: doc('10.80.1.0/24', 21302) });
  assert.equal(r1.exitCode, 0, r1.stdout);
  assert.equal(r2.exitCode, 0, r2.stdout);
  assert.equal(r2.value.addresses.gateway, '10.80.1.1/24', 'the same subnet on two NRs');
  const c1 = await plugContainer(t, n, 'iso1', 'c1', '10.80.1.2/24', '10.80.1.1', r1.value.mtu);
  const c2 = await plugContainer(t, n, 'iso2', 'c2', '10.80.1.3/24', '10.80.1.1', r2.value.mtu);
  // Out through the egress: the switch's address answers (masqueraded twice: public, then the uplink).
  await waitFor('c1 reaches the outside', () => ping(c1, '198.18.0.254'), 15_000);
  assert.ok(await ping(c2, '198.18.0.254'));
  assert.ok(await ping(c1, '10.80.1.1'), 'its own gateway answers');
  // Not the node's own addresses, nor another NR's transit end.
  assert.equal(await ping(c1, '198.18.0.1'), false, "the node's uplink address");
  assert.equal(await ping(c1, '100.127.0.1'), false, 'its own transit host end');
  assert.equal(await ping(c1, '100.127.0.5'), false, "the other NR's transit host end");
  assert.equal(await ping(c1, '10.80.1.3'), false, "the other NR's workload");
  assert.equal(await ping(c2, '10.80.1.2'), false);
  // From the underlay: routed to the node, towards a workload or an NR's transit end: dropped.
  await ip(sw.net, ['route', 'add', '10.80.1.0/24', 'via', '198.18.0.1']);
  await ip(sw.net, ['route', 'add', '100.127.0.0/16', 'via', '198.18.0.1']);
  assert.equal(await ping(sw, '10.80.1.2'), false);
  assert.equal(await ping(sw, '100.127.0.2'), false);
  for (const netid of ['iso1', 'iso2']) assert.equal((await n.plugin('net.check', { netid })).value.ok, true);
});
