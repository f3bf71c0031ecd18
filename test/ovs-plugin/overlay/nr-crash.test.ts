// SIGKILL at every step of net.apply and net.delete (OVS_PLUGIN_FAILPOINT), then
// `net.check {repair: true}` (or net.delete again): the NR is the old one or the new one whole,
// and nothing is left of a deleted one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPair } from '../../../ovs-plugin/overlay/plan-keys.ts';
import { makeNrNode, makeSwitch, type NrNode } from './nr-node.ts';
import { has } from '../../helpers/has-command.ts';

const skip =
  !(process.getuid?.() === 0 && ['wireguard-go', 'nft', 'unshare', 'nsenter'].every(has)) &&
  'needs root, wireguard-go, nft';

const APPLY_STEPS = [
  'validated',
  'recorded',
  'namespace',
  'bridge',
  'leg',
  'egress',
  'wireguard',
  'routes',
  'firewall',
  'host',
  'record',
];
const DELETE_STEPS = ['marked', 'layout', 'host'];

async function snapshot(n: NrNode): Promise<string> {
  const out = await Promise.all([
    n.sh('ip', ['netns', 'list']),
    n.sh('sh', ['-c', 'ip -o link show | cut -d: -f2 | sort']),
    n.sh('nft', ['list', 'ruleset']),
    n.sh('sh', ['-c', WG_PROCS]),
  ]);
  return out.map((r) => r.stdout).join('\n--\n');
}

// The node's own wireguard-go processes (same mount namespace; zombies not yet reaped left out).
const WG_PROCS =
  'ls /run/wireguard; me=$(readlink /proc/self/ns/mnt); for p in /proc/[0-9]*; do ' +
  '[ "$(readlink $p/ns/mnt 2>/dev/null)" = "$me" ] && [ "$(head -c 12 $p/cmdline 2>/dev/null)" = wireguard-go ] && ' +
  '! grep -q "^State:.Z" $p/status && tr "\\0" " " < $p/cmdline && echo; done; true';

const doc = (port: number) => ({
  ip_range: '10.60.0.0/16',
  subnet: '10.60.1.0/24',
  wireguard_private_key: generateKeyPair().privateKey,
  wireguard_listen_port: port,
  peers: [{ subnet: '10.60.2.0/24', wireguard_public_key: generateKeyPair().publicKey, allowed_ips: ['10.60.2.0/24'] }],
});

test('SIGKILL at every net.apply step, then net.check {repair}: nothing (before the record) or the new NR whole', {
  skip,
  timeout: 400_000,
}, async (t) => {
  const sw = await makeSwitch(t);
  const n = await makeNrNode(t, sw, 1);
  const empty = await snapshot(n);
  for (const step of APPLY_STEPS) {
    const d = doc(21200);
    const killed = await n.plugin(
      'net.apply',
      { netid: 'crash', network: d },
      { OVS_PLUGIN_FAILPOINT: `net-apply:${step}` },
    );
    assert.equal(killed.signal ?? killed.exitCode, 'SIGKILL', `${step}: killed (${killed.stdout})`);
    const check = await n.plugin('net.check', { netid: 'crash', repair: true });
    if (step === 'validated') {
      assert.equal(check.value.code, 'ENOTFOUND', `${step}: no record, nothing made`);
      assert.equal(await snapshot(n), empty, `${step}: nothing changed`);
      continue;
    }
    assert.equal(check.value.ok, true, `${step}: ${JSON.stringify(check.value)}`);
    assert.deepEqual(
      (await n.plugin('net.check', { netid: 'crash' })).value,
      { ok: true, drift: [], repaired: [] },
      `${step}: whole`,
    );
    const again = await n.plugin('net.apply', { netid: 'crash', network: d });
    assert.equal(again.value.changed, false, `${step}: the record is the new document, applied`);
    assert.equal((await n.plugin('net.delete', { netid: 'crash' })).value, null);
    assert.equal(await snapshot(n), empty, `${step}: delete left nothing`);
  }
});

test('SIGKILL at every net.delete step, then net.delete again: nothing left; ' +
  'an update killed midway repairs to the new document', {
  skip,
  timeout: 300_000,
}, async (t) => {
  const sw = await makeSwitch(t);
  const n = await makeNrNode(t, sw, 1);
  const empty = await snapshot(n);
  for (const step of DELETE_STEPS) {
    assert.equal((await n.plugin('net.apply', { netid: 'crash', network: doc(21201) })).exitCode, 0);
    const killed = await n.plugin('net.delete', { netid: 'crash' }, { OVS_PLUGIN_FAILPOINT: `net-delete:${step}` });
    assert.equal(killed.signal ?? killed.exitCode, 'SIGKILL', step);
    const listed = (await n.plugin('net.list', {})).value;
    assert.deepEqual(
      listed.map((r: { phase: string }) => r.phase),
      ['deleting'],
      `${step}: the record says deleting`,
    );
    assert.equal((await n.plugin('net.namespace', { netid: 'crash' })).value.code, 'ENOTFOUND');
    assert.equal(
      (
        await n.plugin(
          step === 'host' ? 'net.delete' : 'net.check',
          step === 'host' ? { netid: 'crash' } : { netid: 'crash', repair: true },
        )
      ).exitCode,
      0,
    );
    assert.deepEqual((await n.plugin('net.list', {})).value, []);
    assert.equal(await snapshot(n), empty, `${step}: nothing left`);
  }
  // An update (a peer added) killed at the WireGuard step: repair makes it the new one whole.
  const d = doc(21202);
  assert.equal((await n.plugin('net.apply', { netid: 'crash', network: d })).exitCode, 0);
  const d2 = {
    ...d,
    peers: [
      ...d.peers,
      { subnet: '10.60.3.0/24', wireguard_public_key: generateKeyPair().publicKey, allowed_ips: ['10.60.3.0/24'] },
    ],
  };
  const killed = await n.plugin(
    'net.apply',
    { netid: 'crash', network: d2 },
    { OVS_PLUGIN_FAILPOINT: 'net-apply:routes' },
  );
  assert.equal(killed.signal ?? killed.exitCode, 'SIGKILL');
  assert.equal((await n.plugin('net.check', { netid: 'crash', repair: true })).value.ok, true);
  assert.equal((await n.plugin('net.apply', { netid: 'crash', network: d2 })).value.changed, false);
  assert.equal((await n.sh('wg', ['show', 'w-crash', 'peers'])).stdout.trim().split('\n').length, 2);
  assert.equal((await n.plugin('net.delete', { netid: 'crash' })).value, null);
  assert.equal(await snapshot(n), empty);
});

test('gcNrs (for the daemon start) finishes a killed apply and a killed delete, and leaves a healthy NR alone', {
  skip,
  timeout: 200_000,
}, async (t) => {
  const sw = await makeSwitch(t);
  const n = await makeNrNode(t, sw, 1);
  assert.equal((await n.plugin('net.apply', { netid: 'healthy', network: doc(21210) })).exitCode, 0);
  const healthy = await snapshot(n);
  assert.equal((await n.plugin('net.apply', { netid: 'gone', network: doc(21211) })).exitCode, 0);
  await n.plugin('net.apply', { netid: 'cut', network: doc(21212) }, { OVS_PLUGIN_FAILPOINT: 'net-apply:egress' });
  await n.plugin('net.delete', { netid: 'gone' }, { OVS_PLUGIN_FAILPOINT: 'net-delete:layout' });
  // gcNrs run inside the node, as the daemon would at its start.
  const script =
    `import('${process.cwd()}/ovs-plugin/overlay/nr-check.ts')` +
    ".then(async (m) => console.log(JSON.stringify(await m.gcNrs('/run/ovs-plugin/nets.json'))))";
  const gc = () =>
    n.sh('sh', [
      '-c',
      `cd ${JSON.stringify(process.cwd())} && exec ${JSON.stringify(process.execPath)} --import tsx -e "$0"`,
      script,
    ]);
  const r = await gc();
  assert.deepEqual(JSON.parse(r.stdout || 'null'), { repaired: ['cut'], deleted: ['gone'] }, r.stderr);
  assert.deepEqual(
    (await n.plugin('net.list', {})).value.map((x: { netid: string; phase: string }) => `${x.netid} ${x.phase}`),
    ['healthy applied', 'cut applied'],
  );
  const again = await gc();
  assert.deepEqual(JSON.parse(again.stdout), { repaired: [], deleted: [] }, 'nothing to do the second time');
  assert.equal((await n.plugin('net.delete', { netid: 'cut' })).value, null);
  assert.equal(await snapshot(n), healthy, 'the healthy NR untouched, nothing left of the others');
});
