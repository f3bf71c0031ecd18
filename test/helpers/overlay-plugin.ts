// The plugin inside a test node (test/helpers/overlay-world.ts): through exec (`node
// dist/ovs-plugin.js <cmd> '<json>'` under nsenter into the node's network and mount namespaces,
// its state in the node's private /run) or as a daemon (`serve`, reached by the typed client
// through /proc/<pid>/root/run/...). serve connects OVSDB at start, so the daemon gets a private
// ovsdb-server in the node (no ovs-vswitchd: nothing of the overlay uses the switch); exec runs
// net.* without one (needsOvsdb false / local). The net.* calls follow /work/prompts/o/nr-spec.md.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { run } from '../../lib/exec.ts';
import type { NetworkDocument } from '../../ovs-plugin/overlay/document.ts';
import type { NrResult } from '../../ovs-plugin/overlay/nr-apply.ts';
import type { ListedNr } from '../../ovs-plugin/overlay/nr-check.ts';
import { OvsPluginClient } from '../../ovs-plugin/transports/client.ts';
import { ensureBundle, unframe } from '../ovs-plugin/helpers.ts';
import { holdProcess } from './overlay-held.ts';
import { runAt, type WorldNode } from './overlay-world.ts';

const BUNDLE = resolve('dist/ovs-plugin.js');

const VSWITCH_SCHEMA = '/usr/share/openvswitch/vswitch.ovsschema';

/** What net.apply answers. */
export type NetApplied = NrResult;

/** One element of net.list. */
export type NetListed = ListedNr;

/** What net.check answers. */
export interface NetChecked {
  ok: boolean;
  drift: { what: string; want?: unknown; got?: unknown; repairable: boolean }[];
  repaired: unknown[];
}

/** A refusal from the plugin: its stable code, message and field. */
export class PluginRefusal extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(`${code}: ${message}`);
  }
}

/** The plugin of one node. */
export interface NodePlugin {
  readonly node: WorldNode;
  /** One exec call; resolves with the answer or rejects with a PluginRefusal. */
  exec<T = unknown>(command: string, args: object): Promise<T>;
  /** Through the daemon when it runs, else exec. */
  call<T = unknown>(command: string, args: object): Promise<T>;
  /** Starts `serve` (and its ovsdb-server the first time); resolves once it serves. */
  startDaemon(): Promise<void>;
  /** SIGTERM, wait for its exit (SIGKILL after 20 s). */
  stopDaemon(): Promise<void>;
  readonly daemonRunning: boolean;
  /** The daemon's pid (memory is read from /proc/<pid>/status). */
  readonly daemonPid: number | undefined;
  apply(netid: string, network: NetworkDocument): Promise<NetApplied>;
  delete(netid: string): Promise<null>;
  check(netid: string, repair?: boolean): Promise<NetChecked>;
  list(): Promise<NetListed[]>;
}

/** The environment every plugin process of `node` gets: its own state file, socket and OVSDB in its /run. */
export function pluginEnv(): Record<string, string> {
  return { OVS_PLUGIN_STATE: '/run/ovs-plugin/nics.json', OVS_DB: 'unix:/run/ovs/db.sock', OVS_DATAPATH: 'netdev' };
}

/** Starts a private ovsdb-server in `node` (db in a temp dir, socket /run/ovs/db.sock). */
async function startOvsdb(node: WorldNode, under: string): Promise<void> {
  const dir = await mkdtemp(join(under, `ovsdb-${node.id}-`));
  const db = join(dir, 'conf.db');
  await run('ovsdb-tool', ['create', db, VSWITCH_SCHEMA]);
  const script = [
    'mkdir -p /run/ovs',
    `ovsdb-server ${db} --remote=punix:/run/ovs/db.sock --pidfile=/run/ovs/ovsdb.pid --unixctl=/run/ovs/ovsdb.ctl ` +
      `--no-chdir --log-file=${dir}/ovsdb.log --detach`,
    'ovs-vsctl --db=unix:/run/ovs/db.sock --no-wait init',
    'echo ready $$',
  ].join('\n');
  await holdProcess(node.command('sh', ['-ec', script]), `ovsdb-server in ${node.id}`);
}

/**
 * The plugin of `node` (the bundle is built if missing); `dir` (the world's) holds its OVSDB file.
 * `bundle`: another build of the plugin to run instead (a benchmark comparing two).
 */
export async function nodePlugin(node: WorldNode, dir: string, bundle = BUNDLE): Promise<NodePlugin> {
  if (bundle === BUNDLE) await ensureBundle();
  let daemon: { proc: ChildProcess; exited: Promise<unknown>; client: OvsPluginClient } | undefined;
  let ovsdb = false;
  const socketIn = '/run/ovs-plugin/plugin.sock';

  const exec = async <T>(command: string, args: object): Promise<T> => {
    const r = await runAt(node, 'node', [bundle, command, JSON.stringify(args)], {
      env: pluginEnv(),
      allowFailure: true,
      timeoutMs: 120_000,
    });
    const value = unframe(r.stdout) as T & { code?: string; message?: string; field?: string };
    if (r.exitCode !== 0) throw new PluginRefusal(value.code ?? 'E?', value.message ?? r.stderr, value.field);
    return value;
  };

  const startDaemon = async (): Promise<void> => {
    if (daemon) return;
    if (!ovsdb) {
      await startOvsdb(node, dir);
      ovsdb = true;
    }
    await runAt(node, 'mkdir', ['-p', '/run/ovs-plugin']);
    const [file, ...args] = node.command('node', [bundle, 'serve', '--socket', socketIn]);
    const proc = spawn(file!, args, { env: { ...process.env, ...pluginEnv() }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout!.on('data', (d) => {
      out += d;
    });
    proc.stderr!.on('data', (d) => {
      out += d;
    });
    const exited = new Promise((r) => proc.once('exit', r));
    const end = Date.now() + 60_000;
    while (!out.includes('ovs-plugin-serving')) {
      if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`daemon in ${node.id} exited: ${out}`);
      if (Date.now() > end) {
        proc.kill('SIGKILL');
        throw new Error(`daemon in ${node.id} did not start: ${out}`);
      }
      await sleep(20);
    }
    const path = node.runPath('ovs-plugin/plugin.sock');
    if (!existsSync(path)) throw new Error(`daemon in ${node.id}: no socket at ${path}`);
    daemon = { proc, exited, client: await OvsPluginClient.connect(path) };
  };

  const stopDaemon = async (): Promise<void> => {
    const d = daemon;
    if (!d) return;
    daemon = undefined;
    d.client.close();
    d.proc.kill('SIGTERM');
    const killer = setTimeout(() => d.proc.kill('SIGKILL'), 20_000);
    await d.exited;
    clearTimeout(killer);
  };

  const call = <T>(command: string, args: object): Promise<T> => {
    if (!daemon) return exec<T>(command, args);
    return daemon.client
      .call<T>(command, args)
      .catch((e: { code?: string; message?: string; details?: { field?: string } }) => {
        throw new PluginRefusal(e.code ?? 'E?', e.message ?? String(e), e.details?.field);
      });
  };

  return {
    node,
    exec,
    call,
    startDaemon,
    stopDaemon,
    get daemonRunning() {
      return daemon !== undefined;
    },
    get daemonPid() {
      return daemon?.proc.pid;
    },
    apply: (netid, network) => call<NetApplied>('net.apply', { netid, network }),
    delete: (netid) => call<null>('net.delete', { netid }),
    check: (netid, repair) => call<NetChecked>('net.check', { netid, ...(repair ? { repair } : {}) }),
    list: () => call<NetListed[]>('net.list', {}),
  };
}
