// Fleet mode in the image (issue 20, "In the image"): two QEMU nodes booted from the image and an
// OVN central (NB and SB ovsdb-servers, ovn-northd: test/helpers/ovn-world.ts startCentral) in a
// namespace of this machine; a `fleet` nic on each node, and the containers reach each other
// over Geneve on the kernel datapath. The underlay is the central's bridge ul0 (192.168.77.1/24)
// with one tap per node, QEMU run in the central's namespace; static addresses (`ip=`). Each
// node's part runs in the node (`zos.test.fleet=DOC`, test/image/node-checks/fleet-checks.ts,
// `FLEET {...}`): fleet.join over the plugin's socket, then the image's zinit unit starts
// ovn-controller (nothing in the test does). The nodes stay up (`zos.test=status`) until both
// answered; QEMU, the taps and the central are removed in t.after.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run } from '../../lib/exec.ts';
import { has } from '../helpers/has-command.ts';
import { startCentral } from '../helpers/ovn-world.ts';
import { fleetWord } from './node-checks/fleet-checks.ts';
import { boot, limiter, tail, type Boot } from './qemu.ts';

const LONG = { timeout: 20 * 60_000 };
const slot = limiter(Number(process.env.BOOT_CONCURRENCY ?? 2));
// The node stays up after its checks: the other side may still be pinging it.
const BASE = 'quiet console=ttyS0,115200 zos.test=status zos.test.timeout=900';
const NETWORK = 'imgfleet';

interface Fleet {
  ok: boolean;
  error?: string;
  code?: string;
  underlay?: { ok: boolean; ms: number };
  unitBefore?: { state?: string; comm?: string };
  join?: { chassis: string; hostname: string; encap: string; encap_ip: string; bridge: string };
  joinMs?: number;
  sbSeen?: { ok: boolean; ms: number; status?: unknown };
  unit?: { state?: string; comm?: string };
  network?: { name: string; changed: boolean };
  attach?: { bridge: string; mtu: number; addresses: string[] };
  attachMs?: number;
  attachRetries?: number;
  ping?: { ok: boolean; ms: number; out?: string };
  brInt?: string;
  tunnels?: string;
  kernelGeneve?: string[];
}

function assertFleet(b: Boot, who: string): Fleet {
  const f = b.json<Fleet>('FLEET');
  assert.ok(f, `${who}: no FLEET line\n${tail(b.lines)}`);
  assert.ok(f.underlay?.ok, `${who}: the central is not reached on the underlay: ${JSON.stringify(f)}`);
  assert.ok(f.ok, `${who}: ${JSON.stringify(f)}\n${tail(b.lines)}`);
  // Before the join the unit waits in its shell; after it, the same process is ovn-controller.
  assert.equal(f.unitBefore?.comm, 'sh', `${who}: ovn-controller before fleet.join: ${JSON.stringify(f.unitBefore)}`);
  assert.equal(f.unit?.comm, 'ovn-controller', `${who}: ${JSON.stringify(f.unit)}`);
  assert.equal(f.sbSeen?.ok, true);
  assert.equal(f.join?.encap, 'geneve');
  assert.equal(f.brInt, 'system', 'br-int on the kernel datapath');
  assert.equal(f.attach?.bridge, 'br-int');
  assert.equal(f.attach?.mtu, 1442, 'a 1500-byte underlay less Geneve with OVN');
  assert.ok(f.tunnels, `${who}: no geneve Interface on br-int`);
  assert.ok(f.kernelGeneve?.length, `${who}: no geneve link in the kernel`);
  return f;
}

test('two QEMU nodes and an OVN central in a namespace: fleet nics reach each other over Geneve, kernel datapath', {
  ...LONG,
  skip: has('ovn-northd') ? false : 'needs ovn-central (ovn-northd)',
}, async (t) => {
  const central = await startCentral(t);
  const nodes = [
    { id: 'fa', addr: '192.168.77.11', container: '10.88.0.1' },
    { id: 'fb', addr: '192.168.77.12', container: '10.88.0.2' },
  ];
  for (const [i] of nodes.entries()) {
    const tap = `zft${i}`;
    await run('ip', ['-n', central.ns, 'tuntap', 'add', 'dev', tap, 'mode', 'tap']);
    await run('ip', ['-n', central.ns, 'link', 'set', tap, 'master', 'ul0', 'up']);
  }
  const [a, b] = await Promise.all(
    nodes.map((n, i) =>
      slot(() =>
        boot(t, {
          netns: central.ns,
          nics: [`tap,ifname=zft${i},script=no,downscript=no`],
          baseCmdline: BASE,
          macPrefix: `52:54:00:12:${(0x40 + i).toString(16)}`,
          append:
            `ip=${n.addr}::192.168.77.1:255.255.255.0:${n.id}:eth0:off ` +
            fleetWord({
              nb: central.nb,
              sb: central.sb,
              encapIp: n.addr,
              hostname: n.id,
              network: NETWORK,
              cidr: `${n.container}/24`,
              peer: nodes[1 - i]!.container,
            }),
        }),
      ),
    ),
  );
  await Promise.all([a!, b!].map((x) => x.waitFor(/FLEET \{/, 15 * 60_000)));
  const fa = assertFleet(a!, 'fa');
  const fb = assertFleet(b!, 'fb');
  assert.deepEqual(fa.attach?.addresses, ['10.88.0.1/24']);
  assert.deepEqual(fb.attach?.addresses, ['10.88.0.2/24']);
  // One network for both: the second network-ensure found the first one's switch.
  assert.equal([fa.network?.changed, fb.network?.changed].filter(Boolean).length, 1);
  assert.equal(await central.nbctl('--bare', '--columns=name', 'find', 'Logical_Switch', `name=${NETWORK}`), NETWORK);
  const chassis = (await central.sbctl('--bare', '--columns=hostname', 'list', 'Chassis')).split(/\s+/).sort();
  assert.deepEqual(chassis, ['fa', 'fb']);
  const encaps = (await central.sbctl('--bare', '--columns=type,ip', 'list', 'Encap')).split(/\s+/).sort();
  assert.deepEqual(encaps, ['192.168.77.11', '192.168.77.12', 'geneve', 'geneve']);
  for (const [who, node, f] of [
    ['fa', a!, fa],
    ['fb', b!, fb],
  ] as const)
    t.diagnostic(
      `${who}: online at ${((node.at(/info online /) ?? 0) / 1000).toFixed(1)} s, join ${f.joinMs} ms, ` +
        `SB sees the chassis ${f.sbSeen?.ms} ms later, attach ${f.attachMs} ms ` +
        `(${f.attachRetries ?? 0} EPORTDOWN retries), first ping after ${f.ping?.ms} ms`,
    );
});
