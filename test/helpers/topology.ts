// A "node" namespace with veth NICs whose peers sit in a "switch" namespace, where real dnsmasq
// (DHCPv4) and radvd (IPv6 RA) can serve some of them. Each NIC's switch side is bridged alone
// (bridge per NIC) so servers on different NICs never see each other's clients.
import type { TestContext } from 'node:test';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getLink, ip } from '../../lib/ip.ts';
import { setupVeth } from '../../lib/link.ts';
import { commandIn, deleteNetns, listNetns, netnsNamed, netnsPath, netnsPids, runIn } from '../../lib/netns.ts';
import { makeNetns, randomName } from './netns.ts';

export interface Topology {
  /** Namespace the agent runs in (its "host"). */
  node: string;
  /** Namespace holding the peers and the servers. */
  sw: string;
  /** Scratch directory, removed after the test. */
  dir: string;
}

export interface Nic {
  /** Name inside the node namespace. */
  name: string;
  /** Peer name inside the switch namespace. */
  peer: string;
  mac: string;
}

/** Creates the node and switch namespaces and a scratch dir, all removed after the test. */
export async function makeTopology(t: Pick<TestContext, 'after'>): Promise<Topology> {
  const node = await makeNetns(t, 'tnode');
  const probes = `zprobe-${statSync(netnsPath(node)).ino.toString(16)}-`;
  t.after(() => removeProbeNamespaces(probes));
  const sw = await makeNetns(t, 'tsw');
  const dir = await mkdtemp(join(tmpdir(), 'topo-'));
  // Hooks run in the order they were added, so a DHCP client the test starts later (zinit's
  // dhcp-zos) may still write its hook's mark here while this runs: what cannot be removed now
  // is removed when the process exits, and the later hooks (which stop those clients) still run.
  t.after(() =>
    rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 }).catch(() => {
      process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    }),
  );
  return { node, sw, dir };
}

/**
 * Adds a veth NIC `name` to the node namespace. `plugged: false` leaves the switch side down,
 * so the NIC has no carrier until `plug()` is called.
 */
export async function addNic(
  topo: Topology,
  name: string,
  opts: { plugged?: boolean; mac?: string } = {},
): Promise<Nic> {
  const peer = randomName('p');
  const node = netnsNamed(topo.node);
  // The node side is born in the node namespace under its name: nothing half-made on a clash.
  await setupVeth({ ref: netnsNamed(topo.sw), name: peer, peer: name, peerNs: node });
  if (opts.mac) await ip(node, ['link', 'set', name, 'address', opts.mac]);
  const mac = (await getLink(node, name))!.address!;
  if (opts.plugged !== false) await plug(topo, { name, peer, mac });
  return { name, peer, mac };
}

/** Brings the switch side up: the node side gets carrier. */
export async function plug(topo: Topology, nic: Nic): Promise<void> {
  await ip(netnsNamed(topo.sw), ['link', 'set', nic.peer, 'up']);
}

/** Takes the switch side down: the node side loses carrier. */
export async function unplug(topo: Topology, nic: Nic): Promise<void> {
  await ip(netnsNamed(topo.sw), ['link', 'set', nic.peer, 'down']);
}

export interface DhcpServer {
  /** Router option handed out. */
  router: string;
  proc: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Serves DHCPv4 on `nic`'s peer: the peer gets `<net>.1/24`, leases come from `<net>.100-200`,
 * router `router` (default `<net>.1`). `net` is the first three octets, e.g. "10.51.7".
 */
export async function startDnsmasq(
  t: Pick<TestContext, 'after'>,
  topo: Topology,
  nic: Nic,
  opts: {
    net: string;
    router?: string | null;
    mtu?: number;
    dns?: string[];
    leaseSeconds?: number;
    noPing?: boolean;
    extra?: string[];
  },
): Promise<DhcpServer> {
  const { net } = opts;
  await ip(netnsNamed(topo.sw), ['addr', 'add', `${net}.1/24`, 'dev', nic.peer]);
  await ip(netnsNamed(topo.sw), ['link', 'set', nic.peer, 'up']);
  const leases = join(topo.dir, `dnsmasq-${nic.peer}.leases`);
  const router = opts.router === undefined ? `${net}.1` : opts.router;
  const args = [
    '--keep-in-foreground',
    '--no-daemon',
    '--port=0',
    '--no-resolv',
    '--no-hosts',
    '--bind-interfaces',
    `--interface=${nic.peer}`,
    '--except-interface=lo',
    `--dhcp-leasefile=${leases}`,
    `--pid-file=${join(topo.dir, `dnsmasq-${nic.peer}.pid`)}`,
    '--log-dhcp',
    '--dhcp-authoritative',
    `--dhcp-range=${net}.100,${net}.200,255.255.255.0,${opts.leaseSeconds ?? 3600}`,
    router === null ? '--dhcp-option=option:router' : `--dhcp-option=option:router,${router}`,
  ];
  if (opts.mtu) args.push(`--dhcp-option=option:mtu,${opts.mtu}`);
  if (opts.noPing) args.push('--no-ping'); // answers at once instead of after its ~3 s ping check of a new address
  if (opts.dns?.length) args.push(`--dhcp-option=option:dns-server,${opts.dns.join(',')}`);
  if (opts.extra) args.push(...opts.extra); // more dnsmasq options (e.g. --dhcp-host)
  const proc = spawnIn(topo.sw, 'dnsmasq', args, join(topo.dir, `dnsmasq-${nic.peer}.log`));
  const stop = () => stopProc(proc);
  t.after(stop);
  return { router: router ?? '', proc, stop };
}

/** Sends IPv6 router advertisements on `nic`'s peer for `prefix` (e.g. "fd51:7::/64"). */
export async function startRadvd(
  t: Pick<TestContext, 'after'>,
  topo: Topology,
  nic: Nic,
  opts: { prefix: string; rdnss?: string; dnssl?: string; mtu?: number },
): Promise<{ stop(): Promise<void> }> {
  await runIn({ name: topo.sw }, 'sysctl', ['-qw', 'net.ipv6.conf.all.forwarding=1']);
  await ip(netnsNamed(topo.sw), ['link', 'set', nic.peer, 'up']);
  const conf = join(topo.dir, `radvd-${nic.peer}.conf`);
  const lines = [
    `interface ${nic.peer} {`,
    '  AdvSendAdvert on;',
    '  MinRtrAdvInterval 3;',
    '  MaxRtrAdvInterval 10;',
    ...(opts.mtu ? [`  AdvLinkMTU ${opts.mtu};`] : []),
    `  prefix ${opts.prefix} { AdvOnLink on; AdvAutonomous on; };`,
    ...(opts.rdnss ? [`  RDNSS ${opts.rdnss} { };`] : []),
    ...(opts.dnssl ? [`  DNSSL ${opts.dnssl} { };`] : []),
    '};',
  ];
  await writeFile(conf, lines.join('\n') + '\n');
  const proc = spawnIn(
    topo.sw,
    'radvd',
    ['--nodaemon', '-C', conf, '-p', join(topo.dir, `radvd-${nic.peer}.pid`), '-m', 'stderr'],
    join(topo.dir, `radvd-${nic.peer}.log`),
  );
  const stop = () => stopProc(proc);
  t.after(stop);
  return { stop };
}

/** Spawns a long-running server inside `ns`, its output appended to `logFile`. */
export function spawnIn(ns: string, cmd: string, args: string[], logFile?: string): ChildProcess {
  const p = spawn(...commandIn({ name: ns }, cmd, [...args]), { stdio: ['ignore', 'pipe', 'pipe'] });
  if (logFile) {
    const chunks: Buffer[] = [];
    p.stdout?.on('data', (d: Buffer) => chunks.push(d));
    p.stderr?.on('data', (d: Buffer) => chunks.push(d));
    p.on('exit', () => {
      void writeFile(logFile, Buffer.concat(chunks)).catch(() => {});
    });
  } else {
    p.stdout?.resume();
    p.stderr?.resume();
  }
  return p;
}

/** Stops a child with SIGTERM (SIGKILL after 2 s) and waits for it to exit. */
export async function stopProc(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => p.kill('SIGKILL'), 2000);
    p.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    p.kill('SIGTERM');
  });
}

/** Runs `cmd args` in `ns` and returns stdout (for assertions). */
export async function sh(ns: string, cmd: string, args: string[]): Promise<string> {
  return (await runIn({ name: ns }, cmd, [...args])).stdout;
}

/**
 * Deletes the probe namespaces (`<prefix>*`) an agent killed mid-probe left behind, killing the
 * udhcpc / ip monitor still running in them. Tests that check "nothing left behind" do so before
 * teardown; this only keeps a failed or killed run from littering /run/netns.
 */
export async function removeProbeNamespaces(prefix: string): Promise<void> {
  for (const ns of (await listNetns()).filter((n) => n.startsWith(prefix))) {
    for (const pid of await netnsPids(ns)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    await deleteNetns(ns);
  }
}
