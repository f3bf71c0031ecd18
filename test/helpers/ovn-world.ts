// An OVN fleet made for one test: a central namespace (NB and SB ovsdb-servers listening on TCP,
// ovn-northd) and chassis namespaces, each with its own Open vSwitch (userspace datapath), its
// own rundir (OVS_RUNDIR/OVN_RUNDIR: two br-int.mgmt sockets never meet), the plugin's state file
// and an ovn-controller started by the test (the plugin never starts one). The underlay is a
// Linux bridge in the central namespace with a veth to each chassis, whose chassis end is a port
// of the netdev bridge br-phy that holds the encap IP (under the userspace datapath the tunnel
// endpoint must be on such a bridge); TX checksum offload is off on both ends of each veth. All of
// it is removed in t.after; nothing of this machine's own namespace is touched.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { run } from '../../lib/exec.ts';
import { ip } from '../../lib/ip.ts';
import { commandIn } from '../../lib/netns.ts';
import { ensureBundle, execPlugin } from '../ovs-plugin/helpers.ts';
import { makeNetns, randomName, runIn } from './netns.ts';
import { startOvs, type Ovs } from './ovs.ts';

/** The underlay's /24: central is .1, chassis i is .(10+i). */
const UNDERLAY = '192.168.77';
/** NB and SB as the chassis reach them. */
export const NB = `tcp:${UNDERLAY}.1:6641`;
export const SB = `tcp:${UNDERLAY}.1:6642`;

/** The central databases and northd. */
export interface Central {
  ns: string;
  dir: string;
  /** The NB/SB unix sockets (for ovn-nbctl / ovn-sbctl reads in assertions). */
  nbSock: string;
  sbSock: string;
  nbctl(...args: string[]): Promise<string>;
  sbctl(...args: string[]): Promise<string>;
  /** Stops both ovsdb-servers and starts them again on the same files and addresses. */
  restartDbs(): Promise<void>;
}

/** One chassis: its namespace and Open vSwitch, the plugin's exec calls, ovn-controller. */
export interface Chassis {
  ns: string;
  ovs: Ovs;
  state: string;
  encapIp: string;
  call(cmd: string, args?: unknown, env?: Record<string, string>): ReturnType<typeof execPlugin>;
  startController(): Promise<void>;
  stopController(): Promise<void>;
}

function spawnIn(ns: string, cmd: string, args: string[], env: Record<string, string>): ChildProcess {
  return spawn(...commandIn({ name: ns }, cmd, args), { env: { ...process.env, ...env }, stdio: 'ignore' });
}

async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}

/** Waits (bounded) until `ok()` holds, polling every 20 ms; throws `what` after `ms`. */
export async function until(what: string, ok: () => Promise<boolean> | boolean, ms = 15000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function waitPath(path: string, child: ChildProcess, what: string): Promise<void> {
  await until(`${what}: ${path}`, () => {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${what} exited early`);
    return existsSync(path);
  });
}

/** The central namespace: underlay bridge ul0 with .1, NB and SB on TCP and unix sockets, ovn-northd. */
export async function startCentral(t: TestContext): Promise<Central> {
  const ns = await makeNetns(t, 'tce');
  const dir = await mkdtemp(join(tmpdir(), 'ovn-central-'));
  const children: ChildProcess[] = [];
  const dbs = new Map<string, ChildProcess>();
  t.after(async () => {
    for (const c of [...children.reverse(), ...dbs.values()]) await stopChild(c);
    await rm(dir, { recursive: true, force: true });
  });
  await ip({ name: ns }, ['link', 'add', 'name', 'ul0', 'type', 'bridge']);
  await ip({ name: ns }, ['addr', 'add', `${UNDERLAY}.1/24`, 'dev', 'ul0']);
  await ip({ name: ns }, ['link', 'set', 'ul0', 'up']);
  const env = { OVS_RUNDIR: dir, OVN_RUNDIR: dir, OVS_LOGDIR: dir, OVN_LOGDIR: dir };
  const serve = async (name: 'nb' | 'sb', port: number) => {
    const file = join(dir, `${name}.db`);
    const sock = join(dir, `${name}.sock`);
    await rm(sock, { force: true });
    const c = spawnIn(
      ns,
      'ovsdb-server',
      [
        file,
        `--remote=punix:${sock}`,
        `--remote=ptcp:${port}:${UNDERLAY}.1`,
        `--pidfile=${join(dir, `${name}.pid`)}`,
        `--unixctl=${join(dir, `${name}.ctl`)}`,
        `--log-file=${join(dir, `${name}.log`)}`,
        '--no-chdir',
      ],
      env,
    );
    dbs.set(name, c);
    await waitPath(sock, c, `${name} ovsdb-server`);
    return sock;
  };
  const db = async (name: 'nb' | 'sb', schema: string, port: number) => {
    await run('ovsdb-tool', ['create', join(dir, `${name}.db`), schema]);
    return serve(name, port);
  };
  const nbSock = await db('nb', '/usr/share/ovn/ovn-nb.ovsschema', 6641);
  const sbSock = await db('sb', '/usr/share/ovn/ovn-sb.ovsschema', 6642);
  const ctl =
    (tool: string, sock: string) =>
    async (...args: string[]) =>
      (await run(tool, [`--db=unix:${sock}`, '--timeout=10', ...args], { env, timeoutMs: 15000 })).stdout.trim();
  const nbctl = ctl('ovn-nbctl', nbSock);
  await nbctl('--no-wait', 'init');
  const northd = spawnIn(
    ns,
    'ovn-northd',
    [
      `--ovnnb-db=unix:${nbSock}`,
      `--ovnsb-db=unix:${sbSock}`,
      `--pidfile=${join(dir, 'northd.pid')}`,
      `--unixctl=${join(dir, 'northd.ctl')}`,
      `--log-file=${join(dir, 'northd.log')}`,
      '--no-chdir',
    ],
    env,
  );
  children.push(northd);
  await waitPath(join(dir, 'northd.ctl'), northd, 'ovn-northd');
  const restartDbs = async () => {
    for (const c of dbs.values()) await stopChild(c);
    await serve('nb', 6641);
    await serve('sb', 6642);
  };
  return { ns, dir, nbSock, sbSock, nbctl, sbctl: ctl('ovn-sbctl', sbSock), restartDbs };
}

/** Chassis `i` (1..): underlay veth, br-phy with the encap IP, its own OVS and rundir; not joined yet. */
export async function startChassis(t: TestContext, c: Central, i: number): Promise<Chassis> {
  await ensureBundle();
  const ns = await makeNetns(t, 'tch');
  const ovs = await startOvs(t, { ns });
  const encapIp = `${UNDERLAY}.${10 + i}`;
  // The underlay veth: born in the central namespace, its chassis end moved in as eth1.
  const out = randomName('ul');
  await ip({ name: c.ns }, ['link', 'add', 'name', out, 'type', 'veth', 'peer', 'name', 'eth1', 'netns', ns]);
  await ip({ name: c.ns }, ['link', 'set', out, 'master', 'ul0', 'up']);
  await ip({ name: ns }, ['link', 'set', 'eth1', 'up']);
  for (const [where, dev] of [
    [c.ns, out],
    [ns, 'eth1'],
  ] as const)
    await runIn(where, 'ethtool', ['-K', dev, 'tx', 'off'], { timeoutMs: 10000 });
  await ovs.addBridge('br-phy');
  await ovs.vsctl('add-port', 'br-phy', 'eth1');
  await ip({ name: ns }, ['addr', 'add', `${encapIp}/24`, 'dev', 'br-phy']);
  await ip({ name: ns }, ['link', 'set', 'br-phy', 'up']);
  const state = join(ovs.dir, 'nics.json');
  const env = { OVS_RUNDIR: ovs.dir, OVN_RUNDIR: ovs.dir, OVS_LOGDIR: ovs.dir, OVN_LOGDIR: ovs.dir };
  let controller: ChildProcess | undefined;
  const stopController = async () => {
    await stopChild(controller);
    // 23.03 has no --unixctl: its control socket is ovn-controller.<pid>.ctl in the rundir.
    for (const f of await readdir(ovs.dir).catch(() => []))
      if (/^ovn-controller\.\d+\.ctl$/.test(f)) await rm(join(ovs.dir, f), { force: true });
  };
  t.after(stopController);
  return {
    ns,
    ovs,
    state,
    encapIp,
    call: (cmd, args, extra = {}) => execPlugin(ovs, cmd, args, { OVS_PLUGIN_STATE: state, ...extra }),
    async startController() {
      controller = spawnIn(
        ns,
        'ovn-controller',
        [
          ovs.url,
          `--pidfile=${join(ovs.dir, 'ovn-controller.pid')}`,
          `--log-file=${join(ovs.dir, 'ovn-controller.log')}`,
          '--no-chdir',
        ],
        env,
      );
      await waitPath(join(ovs.dir, 'ovn-controller.pid'), controller, 'ovn-controller');
    },
    stopController,
  };
}

/** A chassis joined to `c` (hostname per chassis) with ovn-controller running and seen by the SB. */
export async function joinedChassis(t: TestContext, c: Central, i: number, encap = 'geneve'): Promise<Chassis> {
  const ch = await startChassis(t, c, i);
  const r = await ch.call('fleet.join', { nb: NB, sb: SB, encap_ip: ch.encapIp, encap, hostname: `ch${i}` });
  if (r.exitCode !== 0) throw new Error(`fleet.join: ${r.stdout}`);
  await ch.startController();
  await until(`chassis ${i} in the SB`, async () => (await ch.call('fleet.status', {})).value.sb_seen === true);
  return ch;
}
