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
/** NB and SB as the chassis reach them (a standalone central). */
export const NB = `tcp:${UNDERLAY}.1:6641`;
export const SB = `tcp:${UNDERLAY}.1:6642`;

/** One of the two central databases. */
export type Db = 'nb' | 'sb';

/** The central databases and northd. */
export interface Central {
  ns: string;
  dir: string;
  /** NB and SB as the chassis reach them: one address each, or every member's of a cluster. */
  nb: string;
  sb: string;
  nbctl(...args: string[]): Promise<string>;
  sbctl(...args: string[]): Promise<string>;
  /** Stops every ovsdb-server and starts them again on the same files and addresses. */
  restartDbs(): Promise<void>;
  /** The index of the member that leads `db` now (a cluster; 0 for a standalone server). */
  leader(db: Db): Promise<number>;
  /** Kills member `i` of `db` (SIGKILL), as a crashed server. */
  kill(db: Db, i: number): Promise<void>;
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

/** Client and Raft ports of member `i` of `db`: 6641/6642 (+10 per member), Raft 6643/6644. */
const portsOf = (db: Db, i: number) => ({
  client: (db === 'nb' ? 6641 : 6642) + 10 * i,
  raft: (db === 'nb' ? 6643 : 6644) + 10 * i,
});

const SCHEMAS: Record<Db, string> = { nb: '/usr/share/ovn/ovn-nb.ovsschema', sb: '/usr/share/ovn/ovn-sb.ovsschema' };
const DB_NAMES: Record<Db, string> = { nb: 'OVN_Northbound', sb: 'OVN_Southbound' };

/**
 * The central namespace: underlay bridge ul0 with .1, NB and SB on TCP and unix sockets
 * (`members` 3: each a Raft cluster of three ovsdb-servers, ovsdb-server(7) "Clustered"),
 * ovn-northd.
 */
export async function startCentral(t: TestContext, opts: { members?: 1 | 3 } = {}): Promise<Central> {
  const n = opts.members ?? 1;
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
  const member = (db: Db, i: number) => `${db}${n > 1 ? i : ''}`;
  const sockOf = (db: Db, i: number) => join(dir, `${member(db, i)}.sock`);
  const serve = async (db: Db, i: number) => {
    const name = member(db, i);
    const sock = sockOf(db, i);
    await rm(sock, { force: true });
    const c = spawnIn(
      ns,
      'ovsdb-server',
      [
        join(dir, `${name}.db`),
        `--remote=punix:${sock}`,
        `--remote=ptcp:${portsOf(db, i).client}:${UNDERLAY}.1`,
        `--pidfile=${join(dir, `${name}.pid`)}`,
        `--unixctl=${join(dir, `${name}.ctl`)}`,
        `--log-file=${join(dir, `${name}.log`)}`,
        '--no-chdir',
      ],
      env,
    );
    dbs.set(name, c);
    await waitPath(sock, c, `${name} ovsdb-server`);
  };
  const raft = (db: Db, i: number) => `tcp:${UNDERLAY}.1:${portsOf(db, i).raft}`;
  for (const db of ['nb', 'sb'] as const) {
    for (let i = 0; i < n; i++) {
      const file = join(dir, `${member(db, i)}.db`);
      if (n === 1) await run('ovsdb-tool', ['create', file, SCHEMAS[db]]);
      else if (i === 0) await run('ovsdb-tool', ['create-cluster', file, SCHEMAS[db], raft(db, 0)]);
      else await run('ovsdb-tool', ['join-cluster', file, DB_NAMES[db], raft(db, i), raft(db, 0)]);
    }
    // The members of a cluster wait for each other: started together.
    await Promise.all(Array.from({ length: n }, (_, i) => serve(db, i)));
  }
  const all = (db: Db, f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i)).join(',');
  const unixes = (db: Db) => all(db, (i) => `unix:${sockOf(db, i)}`);
  const ctl =
    (tool: string, db: Db) =>
    async (...args: string[]) =>
      (await run(tool, [`--db=${unixes(db)}`, '--timeout=20', ...args], { env, timeoutMs: 25000 })).stdout.trim();
  const nbctl = ctl('ovn-nbctl', 'nb');
  await nbctl('--no-wait', 'init');
  const northd = spawnIn(
    ns,
    'ovn-northd',
    [
      `--ovnnb-db=${unixes('nb')}`,
      `--ovnsb-db=${unixes('sb')}`,
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
    for (const db of ['nb', 'sb'] as const) await Promise.all(Array.from({ length: n }, (_, i) => serve(db, i)));
  };
  const leader = async (db: Db) => {
    if (n === 1) return 0;
    for (let i = 0; i < n; i++) {
      const c = dbs.get(member(db, i));
      if (!c || c.exitCode !== null || c.signalCode !== null) continue;
      const ctlPath = join(dir, `${member(db, i)}.ctl`);
      const out = await run('ovs-appctl', ['-t', ctlPath, 'cluster/status', DB_NAMES[db]], { allowFailure: true });
      if (/^Role: leader$/m.test(out.stdout)) return i;
    }
    throw new Error(`no leader of ${db}`);
  };
  const kill = async (db: Db, i: number) => {
    const c = dbs.get(member(db, i));
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill('SIGKILL');
    await exited;
  };
  return {
    ns,
    dir,
    nb: all('nb', (i) => `tcp:${UNDERLAY}.1:${portsOf('nb', i).client}`),
    sb: all('sb', (i) => `tcp:${UNDERLAY}.1:${portsOf('sb', i).client}`),
    nbctl,
    sbctl: ctl('ovn-sbctl', 'sb'),
    restartDbs,
    leader,
    kill,
  };
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
  const r = await ch.call('fleet.join', { nb: c.nb, sb: c.sb, encap_ip: ch.encapIp, encap, hostname: `ch${i}` });
  if (r.exitCode !== 0) throw new Error(`fleet.join: ${r.stdout}`);
  await ch.startController();
  await until(`chassis ${i} in the SB`, async () => (await ch.call('fleet.status', {})).value.sb_seen === true);
  return ch;
}
