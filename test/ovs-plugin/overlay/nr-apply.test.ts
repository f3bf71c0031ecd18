// net.apply / net.check / net.list / net.namespace / net.delete through exec inside test nodes
// (each its own network and mount namespace with a private /run), over wireguard-go: the whole
// layout of one NR; two nodes from the planner's documents whose hand-plugged containers reach
// each other; an unchanged apply that runs no step; an update that keeps the link up; a delete
// that leaves nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { generateKeyPair, publicKeyOf } from '../../../ovs-plugin/overlay/plan-keys.ts';
import { addNode, createPlan } from '../../../ovs-plugin/overlay/plan.ts';
import { documentsOf } from '../../../ovs-plugin/overlay/plan-documents.ts';
import { ulaNetwork } from '../../../ovs-plugin/overlay/ula.ts';
import { makeNrNode, makeSwitch, plugContainer, type NrNode } from './nr-node.ts';
import { run } from '../../../lib/exec.ts';
import { waitFor } from '../../helpers/wg-node.ts';
import { has } from '../../helpers/has-command.ts';

const ready = process.getuid?.() === 0 && ['wireguard-go', 'wg', 'nft', 'unshare', 'nsenter'].every(has);
const skip = !ready && 'needs root, wireguard-go, wireguard-tools, nft';

/** What a node holds: namespaces, host links, nft ruleset, wireguard sockets, NR records. */
async function snapshot(n: NrNode): Promise<string> {
  const out = await Promise.all([
    n.sh('ip', ['netns', 'list']),
    n.sh('sh', ['-c', 'ip -o link show | cut -d: -f2 | sort']),
    n.sh('nft', ['list', 'ruleset']),
    n.sh('sh', ['-c', 'ls /run/wireguard; cat /run/ovs-plugin/nets.json 2>/dev/null; true']),
  ]);
  return out.map((r) => r.stdout).join('\n--\n');
}

/** Lines of `cmd` inside the NR namespace of `netid` on `n`. */
const inNs = async (n: NrNode, netid: string, args: string[]): Promise<string> =>
  (await n.sh('ip', ['netns', 'exec', `n-${netid}`, ...args])).stdout;

const doc = (port: number, peers: unknown[] = [], subnet = '10.30.1.0/24') => ({
  ip_range: '10.30.0.0/16',
  subnet,
  wireguard_private_key: generateKeyPair().privateKey,
  wireguard_listen_port: port,
  peers,
});

test('net.apply lays out one NR whole; net.check, list, namespace; ' +
  'unchanged apply runs no step; delete leaves nothing', {
  skip,
  timeout: 180_000,
}, async (t) => {
  const sw = await makeSwitch(t);
  const n = await makeNrNode(t, sw, 1);
  const before = await snapshot(n);
  const netid = `t${randomBytes(3).toString('hex')}`;
  const peer = generateKeyPair().publicKey;
  const d = doc(21001, [
    {
      subnet: '10.30.2.0/24',
      wireguard_public_key: peer,
      allowed_ips: ['10.30.2.0/24', '100.64.30.2/32'],
      endpoint: '198.18.0.2:21002',
    },
  ]);
  const r = await n.plugin('net.apply', { netid, network: d });
  assert.equal(r.exitCode, 0, r.stdout);
  assert.deepEqual(r.value, {
    netid,
    namespace: `n-${netid}`,
    bridge: `b-${netid}`,
    wireguard: `w-${netid}`,
    listen_port: 21001,
    public_key: publicKeyOf(d.wireguard_private_key),
    mtu: 1420,
    addresses: { gateway: '10.30.1.1/24', wire: '100.64.30.1/16', ula: r.value.addresses.ula },
    changed: true,
  });
  assert.match(r.value.addresses.ula, /^fd[0-9a-f]{2}:[0-9a-f]{1,4}:[0-9a-f]{1,4}:1::1\/64$/);
  // Names and where they live.
  const host = (await n.sh('ip', ['-o', 'link', 'show'])).stdout;
  for (const l of [`b-${netid}`, `l-${netid}@`, `e-${netid}@`])
    assert.ok(host.includes(l), `${l} in the host: ${host}`);
  assert.match(host, new RegExp(`l-${netid}@\\S+ .*master b-${netid}`));
  assert.equal((await n.sh('cat', [`/proc/sys/net/ipv6/conf/b-${netid}/disable_ipv6`])).stdout.trim(), '1');
  assert.equal((await n.sh('cat', ['/proc/sys/net/ipv4/ip_forward'])).stdout.trim(), '1');
  const addrs = await inNs(n, netid, ['ip', '-o', 'addr', 'show']);
  assert.match(addrs, new RegExp(`n-${netid} +inet 10\\.30\\.1\\.1/24`));
  assert.ok(addrs.includes(r.value.addresses.ula.replace('/64', '')), addrs);
  assert.match(addrs, /public +inet 100\.127\.0\.2\/30/);
  assert.match(addrs, new RegExp(`w-${netid} +inet 100\\.64\\.30\\.1/16`));
  assert.match((await n.sh('ip', ['-o', 'addr', 'show', 'dev', `e-${netid}`])).stdout, /inet 100\.127\.0\.1\/30/);
  const routes = await inNs(n, netid, ['ip', 'route']);
  assert.match(routes, /default via 100\.127\.0\.1 dev public/);
  assert.match(routes, new RegExp(`10\\.30\\.0\\.0/16 dev w-${netid}`));
  assert.ok(
    (await inNs(n, netid, ['ip', '-6', 'route'])).includes(`${ulaNetwork(netid).replace('/48', '')}/48 dev w-${netid}`),
  );
  assert.equal((await inNs(n, netid, ['cat', '/proc/sys/net/ipv4/ip_forward'])).trim(), '1');
  assert.equal((await inNs(n, netid, ['cat', '/proc/sys/net/ipv6/conf/all/forwarding'])).trim(), '1');
  // MTU on the WireGuard link, the leg and the bridge.
  for (const [where, l] of [
    ['ns', `w-${netid}`],
    ['ns', `n-${netid}`],
    ['host', `b-${netid}`],
    ['host', `l-${netid}`],
  ]) {
    const text =
      where === 'ns'
        ? await inNs(n, netid, ['ip', 'link', 'show', l!])
        : (await n.sh('ip', ['link', 'show', l!])).stdout;
    assert.match(text, / mtu 1420 /, `${l}: ${text}`);
  }
  // Firewall: both tables.
  const nsNft = await inNs(n, netid, ['nft', 'list', 'table', 'inet', 'zos_nr']);
  assert.match(nsNft, /tcp option maxseg size set rt mtu/);
  assert.match(nsNft, /oifname "public" masquerade/);
  assert.match(nsNft, new RegExp(`iifname "w-${netid}" oifname "n-${netid}" accept`));
  assert.match(
    nsNft,
    new RegExp(`iifname "w-${netid}" oifname "w-${netid}" accept`),
    'a relay forwards between its peers',
  );
  const hostNft = (await n.sh('nft', ['list', 'table', 'inet', 'zos_overlay'])).stdout;
  assert.match(hostNft, new RegExp(`elements = \\{ "e-${netid}" \\}`));
  assert.match(hostNft, /elements = \{ "u0" \}/);
  assert.match(hostNft, /ip saddr 100\.127\.0\.0\/16 oifname @uplinks masquerade/);
  // The WireGuard device's config, read with wg (not our code).
  const conf = (await n.sh('wg', ['showconf', `w-${netid}`])).stdout;
  assert.match(conf, /ListenPort = 21001/);
  assert.ok(conf.includes(`PublicKey = ${peer}`), conf);
  assert.match(conf, /AllowedIPs = 10\.30\.2\.0\/24, 100\.64\.30\.2\/32/);
  assert.match(conf, /Endpoint = 198\.18\.0\.2:21002/);
  assert.match(conf, /PersistentKeepalive = 20/);
  // The other commands.
  assert.deepEqual((await n.plugin('net.check', { netid })).value, { ok: true, drift: [], repaired: [] });
  assert.equal((await n.plugin('net.namespace', { netid })).value, `n-${netid}`);
  assert.deepEqual((await n.plugin('net.list', {})).value, [
    {
      netid,
      phase: 'applied',
      namespace: `n-${netid}`,
      listen_port: 21001,
      public_key: r.value.public_key,
      subnet: '10.30.1.0/24',
      ip_range: '10.30.0.0/16',
      mtu: 1420,
      peers: 1,
    },
  ]);
  const missing = await n.plugin('net.namespace', { netid: 'nosuch' });
  assert.equal(missing.value.code, 'ENOTFOUND');
  // The same document again: no step runs (OVS_PLUGIN_TRACE prints every step), nothing written.
  const mid = await snapshot(n);
  const again = await n.plugin('net.apply', { netid, network: d }, { OVS_PLUGIN_TRACE: '1' });
  assert.equal(again.value.changed, false);
  assert.equal(again.stderr.trim(), '', 'no step ran');
  assert.equal(await snapshot(n), mid);
  // Drift is seen and repaired.
  await n.sh('ip', ['netns', 'exec', `n-${netid}`, 'nft', 'delete', 'table', 'inet', 'zos_nr']);
  await n.sh('ip', ['-n', `n-${netid}`, 'route', 'del', '10.30.0.0/16']);
  const drift = (await n.plugin('net.check', { netid })).value;
  assert.equal(drift.ok, false);
  assert.deepEqual(drift.drift.map((x: { what: string }) => x.what).sort(), ['nft inet zos_nr', 'route 10.30.0.0/16']);
  const fixed = (await n.plugin('net.check', { netid, repair: true })).value;
  assert.equal(fixed.ok, true, JSON.stringify(fixed));
  assert.equal(fixed.repaired.length, 2);
  // Delete: nothing left (namespace, links, wireguard-go and socket, nft, record).
  assert.equal((await n.plugin('net.delete', { netid })).value, null);
  assert.equal((await n.plugin('net.delete', { netid })).value, null, 'gone is success');
  assert.equal((await run('pgrep', ['-f', `wireguard-go -f w-${netid}`], { allowFailure: true })).stdout, '');
  const after = await snapshot(n);
  assert.equal(after.replace(/\{\n "version": 1,\n "nets": \[\]\n\}\n/, ''), before);
});

test('two nodes from the planner: containers reach each other; an update keeps the link up; unchanged writes nothing', {
  skip,
  timeout: 240_000,
}, async (t) => {
  const sw = await makeSwitch(t);
  const a = await makeNrNode(t, sw, 1);
  const b = await makeNrNode(t, sw, 2);
  let plan = createPlan({ name: `nr${randomBytes(3).toString('hex')}`, ipRange: '10.40.0.0/16' });
  plan = addNode(plan, { id: 'a', endpoints: [a.address] });
  plan = addNode(plan, { id: 'b', endpoints: [b.address] });
  const docs = documentsOf(plan);
  const netid = plan.netid;
  const ra = await a.plugin('net.apply', docs.a);
  const rb = await b.plugin('net.apply', docs.b);
  assert.equal(ra.exitCode, 0, ra.stdout);
  assert.equal(rb.exitCode, 0, rb.stdout);
  const host = (n: NrNode, subnet: string, i: number) => subnet.replace(/\.0\/24$/, `.${i}`);
  const sa = docs.a!.network.subnet;
  const sb = docs.b!.network.subnet;
  const ca = await plugContainer(t, a, netid, 'ca', `${host(a, sa, 2)}/24`, host(a, sa, 1), ra.value.mtu);
  await plugContainer(t, b, netid, 'cb', `${host(b, sb, 2)}/24`, host(b, sb, 1), rb.value.mtu);
  const ping = (to: string) =>
    run('nsenter', [`--net=/proc/${ca.pid}/ns/net`, 'ping', '-c', '1', '-W', '1', to], { allowFailure: true }).then(
      (r) => r.exitCode === 0,
    );
  await waitFor('container a reaches container b', () => ping(host(b, sb, 2)), 30_000);
  // Update: a third peer added to a's document: the link stays up, b is still reached at once.
  const linkIndex = async () =>
    (await a.sh('ip', ['-n', `n-${netid}`, '-o', 'link', 'show', `w-${netid}`])).stdout.split(':')[0];
  const idx = await linkIndex();
  const extra = {
    subnet: '10.40.200.0/24',
    wireguard_public_key: generateKeyPair().publicKey,
    allowed_ips: ['10.40.200.0/24'],
  };
  const upd = await a.plugin(
    'net.apply',
    { netid, network: { ...docs.a!.network, peers: [...docs.a!.network.peers, extra] } },
    { OVS_PLUGIN_TRACE: '1' },
  );
  assert.equal(upd.value.changed, true);
  assert.equal(await linkIndex(), idx, 'the same device');
  assert.ok(await ping(host(b, sb, 2)), 'reached right after the update');
  assert.match(
    (await a.sh('wg', ['show', `w-${netid}`, 'peers'])).stdout,
    new RegExp(extra.wireguard_public_key.replace(/[+/]/g, '\\$&')),
  );
  // And removed again.
  const back = await a.plugin('net.apply', docs.a);
  assert.equal(back.value.changed, true);
  assert.doesNotMatch(
    (await a.sh('wg', ['show', `w-${netid}`, 'peers'])).stdout,
    new RegExp(extra.wireguard_public_key.replace(/[+/]/g, '\\$&')),
  );
  assert.ok(await ping(host(b, sb, 2)));
  // The same again: changed false, no step.
  const same = await a.plugin('net.apply', docs.a, { OVS_PLUGIN_TRACE: '1' });
  assert.equal(same.value.changed, false);
  assert.equal(same.stderr.trim(), '');
});
