// Real WireGuard (wireguard-go) over the planner's output: two public nodes and a hidden one,
// each its own network and mount namespace (its own /run, so each has its own
// /run/wireguard/w0.sock), joined by a switch namespace; the documents turned into `wg setconf`
// files; a laptop brought up by plain `wg-quick` from the access config. Pings between wire
// addresses, ULA addresses and the /24s show that keys, ports, endpoints and allowed IPs agree:
// full mesh, the hidden node through its relay, the laptop through its entrypoint.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { NetworkDocument } from '../../../ovs-plugin/overlay/document.ts';
import { parsePrefix4, v4Text, wireAddress } from '../../../ovs-plugin/overlay/ipv4.ts';
import { addAccess, addNode, createPlan } from '../../../ovs-plugin/overlay/plan.ts';
import { accessConfig } from '../../../ovs-plugin/overlay/plan-access.ts';
import { documentsOf } from '../../../ovs-plugin/overlay/plan-documents.ts';
import { ulaAddress, ulaNetwork } from '../../../ovs-plugin/overlay/ula.ts';
import { has } from '../../helpers/has-command.ts';

const pexec = promisify(execFile);
const ready = process.getuid?.() === 0 && ['wireguard-go', 'wg', 'wg-quick', 'unshare', 'ip'].every(has);

/** `wg setconf` text of a node document (what net.apply will do through its backend), keepalive 20 s. */
function setconf(d: NetworkDocument): string {
  return (
    [
      `[Interface]`,
      `PrivateKey = ${d.wireguard_private_key}`,
      `ListenPort = ${d.wireguard_listen_port}`,
      ...d.peers.flatMap((p) => [
        '',
        '[Peer]',
        `PublicKey = ${p.wireguard_public_key}`,
        `AllowedIPs = ${p.allowed_ips.join(', ')}`,
        ...(p.endpoint ? [`Endpoint = ${p.endpoint}`] : []),
        'PersistentKeepalive = 20',
      ]),
    ].join('\n') + '\n'
  );
}

/** Runs `script` in namespace `ns` under a private mount namespace with a fresh tmpfs on /run; stays alive. */
function nodeShell(ns: string, script: string): ChildProcess {
  const child = spawn(
    'ip',
    [
      'netns',
      'exec',
      ns,
      'unshare',
      '--mount',
      '--propagation',
      'private',
      'sh',
      '-ec',
      `mount -t tmpfs tmpfs /run\n${script}\nexec sleep 3600`,
    ],
    { detached: true, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  child.stderr!.setEncoding('utf8');
  let err = '';
  child.stderr!.on('data', (s: string) => {
    err += s;
  });
  child.on('exit', (code) => {
    if (code) process.stderr.write(`node shell ${ns} exited ${code}: ${err}\n`);
  });
  return child;
}

/** Pings `to` from namespace `ns` until it answers (each try 1 s), up to `tries` times. */
async function pingUntil(ns: string, to: string, tries = 30): Promise<void> {
  const v6 = to.includes(':');
  for (let i = 0; i < tries; i++) {
    const ok = await pexec('ip', ['netns', 'exec', ns, 'ping', ...(v6 ? ['-6'] : []), '-c', '1', '-W', '1', to]).then(
      () => true,
      () => false,
    );
    if (ok) return;
  }
  assert.fail(`${ns}: no answer from ${to} in ${tries} tries`);
}

async function topology(t: TestContext): Promise<{ ns: (n: string) => string; dir: string }> {
  const tag = randomBytes(3).toString('hex');
  const names = ['sw', 'a', 'b', 'h', 'l'].map((n) => `mw${tag}${n}`);
  const dir = await mkdtemp(join(tmpdir(), 'mesh-wg-'));
  t.after(async () => {
    for (const n of names) {
      const pids = await pexec('ip', ['netns', 'pids', n]).then(
        (r) => r.stdout.split('\n').filter(Boolean).map(Number),
        () => [],
      );
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    }
    for (const n of names) await pexec('ip', ['netns', 'del', n]).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });
  const sh = (args: string[]): Promise<unknown> => pexec('ip', args);
  for (const n of names) {
    await sh(['netns', 'add', n]);
    await sh(['-n', n, 'link', 'set', 'lo', 'up']);
  }
  const sw = names[0]!;
  await sh(['-n', sw, 'link', 'add', 'name', 'br0', 'type', 'bridge']);
  await sh(['-n', sw, 'link', 'set', 'br0', 'up']);
  for (const [i, x] of ['a', 'b', 'h', 'l'].entries()) {
    const ns = `mw${tag}${x}`;
    await sh(['-n', sw, 'link', 'add', 'name', `p${x}`, 'type', 'veth', 'peer', 'name', 'u0', 'netns', ns]);
    await sh(['-n', sw, 'link', 'set', `p${x}`, 'master', 'br0', 'up']);
    await sh(['-n', ns, 'addr', 'add', `198.18.0.${i + 1}/24`, 'dev', 'u0']);
    await sh(['-n', ns, 'addr', 'add', `2001:db8:99::${i + 1}/64`, 'dev', 'u0', 'nodad']);
    await sh(['-n', ns, 'link', 'set', 'u0', 'up']);
    for (const k of ['net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1'])
      await pexec('ip', ['netns', 'exec', ns, 'sysctl', '-qw', k]);
  }
  return { ns: (n: string) => `mw${tag}${n}`, dir };
}

test('planner output over real WireGuard: full mesh, hidden node via its relay, laptop via wg-quick', {
  skip: !ready && 'needs root, wireguard-go, wireguard-tools',
  timeout: 180_000,
}, async (t) => {
  const { ns, dir } = await topology(t);
  let plan = createPlan({ name: `smoke${randomBytes(2).toString('hex')}`, ipRange: '10.77.0.0/16' });
  plan = addNode(plan, { id: 'a', endpoints: ['198.18.0.1', '2001:db8:99::1'] });
  plan = addNode(plan, { id: 'b', endpoints: ['198.18.0.2'] });
  plan = addNode(plan, { id: 'h' });
  // The laptop dials a over IPv6 (the default), the nodes one another over IPv4 (b has no IPv6).
  const r = addAccess(plan, { node: 'a' });
  plan = r.plan;
  const docs = documentsOf(plan);
  for (const node of plan.nodes) {
    const d = docs[node.id]!.network;
    const conf = join(dir, `${node.id}.conf`);
    await writeFile(conf, setconf(d), { mode: 0o600 });
    const s = parsePrefix4(d.subnet)!;
    const gw = v4Text(s.net + 1);
    // The NR's wire address and its gateway (.1, and its ULA twin) on the link, the network routed into it.
    nodeShell(
      ns(node.id),
      [
        'wireguard-go -f w0 & for i in $(seq 100); do [ -S /run/wireguard/w0.sock ] && break; sleep 0.1; done',
        `wg setconf w0 ${conf}`,
        `ip addr add ${wireAddress(s)}/16 dev w0`,
        `ip addr add ${gw}/32 dev w0`,
        `ip -6 addr add ${ulaAddress(plan.netid, gw)}/128 dev w0 nodad`,
        'ip link set w0 up',
        `ip route add ${plan.ip_range} dev w0`,
        `ip -6 route add ${ulaNetwork(plan.netid)} dev w0`,
      ].join('\n'),
    );
  }
  const laptopConf = join(dir, 'wl0.conf');
  await writeFile(laptopConf, accessConfig(plan, r.access), { mode: 0o600 });
  assert.match(accessConfig(plan, r.access), /\nEndpoint = \[2001:db8:99::1\]:\d+\n/);
  nodeShell(ns('l'), `WG_QUICK_USERSPACE_IMPLEMENTATION=wireguard-go wg-quick up ${laptopConf}`);

  const gw = (id: string): string => v4Text(parsePrefix4(plan.nodes.find((n) => n.id === id)!.subnet)!.net + 1);
  const wire = (id: string): string => wireAddress(parsePrefix4(plan.nodes.find((n) => n.id === id)!.subnet)!);
  // The hidden node speaks first (nobody knows its address), then everyone reaches everyone.
  await pingUntil(ns('h'), wire('a'));
  await pingUntil(ns('h'), wire('b'));
  await pingUntil(ns('a'), wire('b'));
  await pingUntil(ns('b'), gw('h'));
  await pingUntil(ns('a'), ulaAddress(plan.netid, gw('h')));
  await pingUntil(ns('l'), wire('a'));
  await pingUntil(ns('l'), gw('b'));
  await pingUntil(ns('l'), gw('h'));
  await pingUntil(ns('l'), ulaAddress(plan.netid, gw('b')));
  await pingUntil(ns('h'), `100.64.77.${(parsePrefix4(r.access.subnet)!.net >>> 8) & 255}`);
});
