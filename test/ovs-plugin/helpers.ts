// Helpers for the plugin's tests: run the bundled plugin inside the test's namespace (so links
// such as a vxlan master are visible to it), against the test's private ovsdb-server.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { run, type RunResult } from '../../lib/exec.ts';
import { commandIn, runIn } from '../../lib/netns.ts';
import type { Ovs } from '../helpers/ovs.ts';

/** The bundle under test. */
export const BUNDLE = 'dist/ovs-plugin.js';

/** Builds dist/ovs-plugin.js if it is missing (make test builds it first). */
export async function ensureBundle(): Promise<void> {
  if (!existsSync(BUNDLE)) await run('node', ['build.mjs'], { timeoutMs: 120000 });
}

/** Environment the plugin reads: the private OVSDB and the userspace datapath. */
export const pluginEnv = (ovs: Pick<Ovs, 'url'>): Record<string, string> => ({
  ...(process.env as Record<string, string>),
  OVS_DB: ovs.url,
  OVS_DATAPATH: 'netdev',
});

/** Parses `20:::<json>\n:::` framing; throws if the output is not framed. */
export function unframe(stdout: string): unknown {
  const m = /^20:::(.*)\n:::\n?$/s.exec(stdout);
  if (!m) throw new Error(`not framed: ${JSON.stringify(stdout)}`);
  return JSON.parse(m[1]!);
}

/** One exec call in the test namespace: exit code and the unframed answer. */
export async function execPlugin(
  ovs: Ovs,
  command: string,
  args?: unknown,
  env: Record<string, string> = {},
): Promise<RunResult & { value: any }> {
  const argv = [BUNDLE, command];
  if (args !== undefined) argv.push(typeof args === 'string' ? args : JSON.stringify(args));
  const r = await runIn({ name: ovs.ns }, 'node', argv, {
    env: { ...pluginEnv(ovs), ...env },
    allowFailure: true,
    timeoutMs: 30000,
  });
  return { ...r, value: unframe(r.stdout) };
}

/** Ports of bridge `br` by name, with tag and interface type/options (through ovs-vsctl, independent of our client). */
export async function portsOf(ovs: Ovs, br: string): Promise<string[]> {
  const out = await ovs.vsctl('list-ports', br);
  return out ? out.split('\n').sort() : [];
}

/** A daemon started by a test. */
export interface Daemon {
  socket: string;
  proc: ChildProcess;
  /** Everything it printed (one event per line). */
  output(): string;
  /** Resolves with the exit code (or signal) once it exits. */
  exited: Promise<number | string>;
}

/** Options of startDaemon: a file limit (`prlimit --nofile=N:N`), a socket path of its own. */
export interface DaemonOptions {
  nofile?: number;
  socket?: string;
}

/**
 * Starts `ovs-plugin serve` in the test namespace on a socket in the test's OVS dir; killed in
 * t.after. `ovs` may be just a namespace, a directory and a url nobody serves (a node without
 * Open vSwitch).
 */
export async function startDaemon(
  t: Pick<TestContext, 'after'>,
  ovs: Pick<Ovs, 'ns' | 'dir' | 'url'>,
  name = 'plugin.sock',
  env: Record<string, string> = {},
  opts: DaemonOptions = {},
): Promise<Daemon> {
  const socket = opts.socket ?? join(ovs.dir, name);
  const [cmd, args] = commandIn({ name: ovs.ns }, 'node', [BUNDLE, 'serve', '--socket', socket, '--db', ovs.url]);
  // prlimit execs nsenter, which execs node: proc.pid is the daemon's own pid.
  const proc = opts.nofile
    ? spawn('prlimit', [`--nofile=${opts.nofile}:${opts.nofile}`, cmd, ...args], {
        env: { ...pluginEnv(ovs), ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
    : spawn(cmd, args, { env: { ...pluginEnv(ovs), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d) => {
    out += d;
  });
  proc.stderr!.on('data', (d) => {
    out += d;
  });
  const exited = new Promise<number | string>((r) => proc.once('exit', (code, sig) => r(code ?? sig ?? -1)));
  t.after(async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGKILL');
      await exited;
    }
  });
  const end = Date.now() + 15000;
  while (!existsSync(socket) || !out.includes('ovs-plugin-serving')) {
    if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`daemon exited: ${out}`);
    if (Date.now() > end) throw new Error(`daemon did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return { socket, proc, exited, output: () => out };
}
