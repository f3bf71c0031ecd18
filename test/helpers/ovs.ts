// A private ovsdb-server + ovs-vswitchd for one test: own namespace, db file, socket, pid, log
// and control files in a temp dir; never the system's /var/run/openvswitch. Stopped in t.after.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { run } from '../../lib/exec.ts';
import { commandIn } from '../../lib/netns.ts';
import { makeNetns } from './netns.ts';

/** Debian's schema file, used to create each test's private database. */
export const VSWITCH_SCHEMA = '/usr/share/openvswitch/vswitch.ovsschema';

/** Columns that ovs-vswitchd rewrites on its own (stats, status, cfg counters): left out of snapshots. */
export const VOLATILE_COLUMNS = new Set([
  'cur_cfg',
  'next_cfg',
  'statistics',
  'status',
  'stats',
  'link_state',
  'link_resets',
  'link_speed',
  'duplex',
  'admin_state',
  'mtu',
  'mac_in_use',
  'ifindex',
  'ofport',
  'error',
  'lacp_current',
  'bond_active_slave',
  'rstp_status',
  'datapath_id',
  'datapath_version',
  'is_connected',
  'capabilities',
  'dpdk_initialized',
  'dpdk_version',
  'iface_types',
  'datapath_types',
  'ovs_version',
  'db_version',
  'system_type',
  'system_version',
]);

/** Options of startOvs. */
export interface OvsOptions {
  /** Start ovs-vswitchd too (default true). */
  vswitchd?: boolean;
  /** Use this namespace instead of making one. */
  ns?: string;
}

/** A running private Open vSwitch. */
export interface Ovs {
  ns: string;
  dir: string;
  dbFile: string;
  sock: string;
  /** `unix:<sock>`, for connectOvsdb and `--db=`. */
  url: string;
  /** ms from spawning ovs-vswitchd to its control socket being up (undefined without vswitchd). */
  vswitchdStartMs?: number;
  /** Runs `ovs-vsctl --db=unix:SOCK --timeout=10 ARGS` and returns trimmed stdout. */
  vsctl(...args: string[]): Promise<string>;
  /** Adds a bridge with datapath_type=netdev (through ovs-vsctl, for fixtures). */
  addBridge(name: string): Promise<void>;
  /** Every table as rows of {column: value} (ovsdb-client dump -f json). */
  dumpTables(): Promise<Record<string, Record<string, unknown>[]>>;
  /** Configuration snapshot for before/after equality: volatile columns dropped, rows sorted. */
  snapshot(): Promise<string>;
  /** Stops ovsdb-server and starts it again on the same db file and socket. */
  restartDb(): Promise<void>;
  stopDb(): Promise<void>;
  startDb(): Promise<void>;
  /** Stops / (re)starts ovs-vswitchd (e.g. to test the cur_cfg wait timing out). */
  stopVswitchd(): Promise<void>;
  startVswitchd(): Promise<void>;
  /** Runs `ovs-appctl -t <daemon ctl> ARGS` against our ovs-vswitchd or ovsdb-server. */
  appctl(daemon: 'ovs-vswitchd' | 'ovsdb-server', ...args: string[]): Promise<string>;
  /** Stops both daemons and removes the temp dir (also done by t.after). */
  stop(): Promise<void>;
}

function ovsEnv(dir: string): NodeJS.ProcessEnv {
  return { ...process.env, OVS_RUNDIR: dir, OVS_LOGDIR: dir, OVS_DBDIR: dir, OVS_SYSCONFDIR: dir };
}

async function waitForPath(path: string, child: ChildProcess, what: string, ms = 10000): Promise<void> {
  const end = Date.now() + ms;
  while (!existsSync(path)) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`${what} exited (${child.exitCode ?? child.signalCode}) before ${path} appeared`);
    if (Date.now() > end) throw new Error(`${what}: ${path} did not appear within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

// ovsdb-server binds the socket file before it listens: a connect in between is refused.
async function waitForListen(path: string, child: ChildProcess, ms = 10000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = createConnection(path, () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`ovsdb-server exited before ${path} accepted connections`);
    if (Date.now() > end) throw new Error(`${path} accepted no connection within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}

/** Starts a private ovsdb-server (+ ovs-vswitchd) inside a fresh namespace; torn down by t.after. */
export async function startOvs(t: Pick<TestContext, 'after'>, opts: OvsOptions = {}): Promise<Ovs> {
  const ns = opts.ns ?? (await makeNetns(t, 'tovs'));
  const dir = await mkdtemp(join(tmpdir(), 'ovs-'));
  const dbFile = join(dir, 'conf.db');
  const sock = join(dir, 'db.sock');
  const url = `unix:${sock}`;
  const env = ovsEnv(dir);
  const inNs = (cmd: string, args: string[], log: string) =>
    spawn(...commandIn({ name: ns }, cmd, [...args, `--log-file=${join(dir, log)}`, '--no-chdir']), {
      env,
      stdio: 'ignore',
    });
  let db: ChildProcess | undefined;
  let vsw: ChildProcess | undefined;
  let stopped = false;

  const startDb = async () => {
    db = inNs(
      'ovsdb-server',
      [
        dbFile,
        `--remote=punix:${sock}`,
        `--pidfile=${join(dir, 'ovsdb-server.pid')}`,
        `--unixctl=${join(dir, 'ovsdb-server.ctl')}`,
      ],
      'ovsdb-server.log',
    );
    await waitForPath(sock, db, 'ovsdb-server');
    await waitForListen(sock, db);
  };
  const stopDb = async () => {
    await stopChild(db);
    await rm(sock, { force: true });
  };
  const vsctl = async (...args: string[]) =>
    (
      await run('ovs-vsctl', [`--db=${url}`, '--timeout=10', ...args], {
        env: env as Record<string, string>,
        timeoutMs: 15000,
      })
    ).stdout.trim();
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await stopChild(vsw);
    await stopChild(db);
    await rm(dir, { recursive: true, force: true });
  };
  t.after(stop);

  await run('ovsdb-tool', ['create', dbFile, VSWITCH_SCHEMA]);
  await startDb();
  await vsctl('--no-wait', 'init');
  let vswitchdStartMs: number | undefined;
  const startVswitchd = async () => {
    const t0 = performance.now();
    const ctl = join(dir, 'ovs-vswitchd.ctl');
    await rm(ctl, { force: true });
    vsw = inNs(
      'ovs-vswitchd',
      [url, `--pidfile=${join(dir, 'ovs-vswitchd.pid')}`, `--unixctl=${ctl}`],
      'ovs-vswitchd.log',
    );
    await waitForPath(ctl, vsw, 'ovs-vswitchd');
    vswitchdStartMs = Math.round(performance.now() - t0);
  };
  if (opts.vswitchd !== false) await startVswitchd();
  const appctl = async (daemon: string, ...args: string[]) =>
    (await run('ovs-appctl', ['-t', join(dir, `${daemon}.ctl`), ...args], { timeoutMs: 10000 })).stdout.trim();

  const dumpTables = async () => {
    const out = (await run('ovsdb-client', ['dump', '-f', 'json', url, 'Open_vSwitch'], { timeoutMs: 10000 })).stdout;
    const tables: Record<string, Record<string, unknown>[]> = {};
    for (const line of out.split('\n')) {
      if (!line.trim()) continue;
      const t = JSON.parse(line) as { caption: string; headings: string[]; data: unknown[][] };
      tables[t.caption.replace(/ table$/, '')] = t.data.map((r) =>
        Object.fromEntries(t.headings.map((h, i) => [h, r[i]])),
      );
    }
    return tables;
  };
  const snapshot = async () => {
    const tables = await dumpTables();
    const norm: Record<string, string[]> = {};
    for (const [name, rows] of Object.entries(tables)) {
      norm[name] = rows
        .map((r) => JSON.stringify(Object.fromEntries(Object.entries(r).filter(([k]) => !VOLATILE_COLUMNS.has(k)))))
        .sort();
    }
    return JSON.stringify(norm, null, 1);
  };

  return {
    ns,
    dir,
    dbFile,
    sock,
    url,
    vswitchdStartMs,
    vsctl,
    dumpTables,
    snapshot,
    stop,
    stopDb,
    startDb,
    startVswitchd,
    appctl,
    stopVswitchd: () => stopChild(vsw),
    addBridge: async (name) => {
      await vsctl('add-br', name, '--', 'set', 'Bridge', name, 'datapath_type=netdev');
    },
    restartDb: async () => {
      await stopDb();
      await startDb();
    },
  };
}
