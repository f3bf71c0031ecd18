// Runs dist/internet.js inside a test's node namespace (never the machine's own), with a fake
// zinit or the real one (zinit-real.ts), a scratch zinit dir, status file and resolv.conf.
// Build first: `node build.mjs`.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { TestContext } from 'node:test';
import { statSync } from 'node:fs';
import { commandIn, deleteNetns, listNetns, netnsPath } from '../../lib/netns.ts';
import { startFakeZinit, type FakeZinit } from './fake-zinit.ts';
import type { Topology } from './topology.ts';
import { startRealZinit, type RealZinit } from './zinit-real.ts';

/** The bundle under test (built by `node build.mjs`). */
export const AGENT = resolve(import.meta.dirname, '../../dist/internet.js');

/** Files and the fake zinit one agent run uses, all under the topology's scratch dir. */
export interface AgentEnv {
  topo: Topology;
  cmdline: string;
  status: string;
  zinitDir: string;
  resolv: string;
  zinit: FakeZinit;
}

/** An AgentEnv with any zinit: only its socket path matters to the agent. */
export type AnyAgentEnv = Omit<AgentEnv, 'zinit'> & { zinit: { path: string }; vars?: Record<string, string> };

/** The agent's files with the real zinit (zinit-real.ts) running in the node namespace. */
export async function realAgentEnv(
  t: Pick<TestContext, 'after'>,
  topo: Topology,
  cmdline = '',
): Promise<Omit<AgentEnv, 'zinit'> & { zinit: RealZinit }> {
  const files = await agentFiles(t, topo, cmdline);
  return { ...files, zinit: await startRealZinit(t, { ns: topo.node, dir: files.zinitDir }) };
}

async function agentFiles(
  t: Pick<TestContext, 'after'>,
  topo: Topology,
  cmdline: string,
): Promise<Omit<AgentEnv, 'zinit'>> {
  const zinitDir = join(topo.dir, 'zinit');
  await mkdir(zinitDir, { recursive: true });
  const file = join(topo.dir, 'cmdline');
  await writeFile(file, cmdline + '\n');
  // Safety net for a failed test: an agent killed mid-probe leaves probe namespaces that
  // outlive the node namespace. Their prefix is fixed now, while the node namespace exists.
  const prefix = probePrefixOf(topo.node);
  t.after(async () => {
    for (const n of (await listNetns()).filter((x) => x.startsWith(prefix))) await deleteNetns(n);
  });
  return {
    topo,
    cmdline: file,
    status: join(topo.dir, 'status.json'),
    zinitDir,
    resolv: join(topo.dir, 'resolv.conf'),
  };
}

/** Prepares the agent's files (kernel cmdline text `cmdline`) and a fake zinit of `generation`. */
export async function agentEnv(
  t: Pick<TestContext, 'after'>,
  topo: Topology,
  cmdline = '',
  generation: 1 | 2 = 1,
  fake: Pick<Parameters<typeof startFakeZinit>[1], 'spawnState'> = {},
): Promise<AgentEnv> {
  const files = await agentFiles(t, topo, cmdline);
  const zinit = await startFakeZinit(t, {
    dir: files.zinitDir,
    generation,
    services: { internet: 'Running' },
    ...fake,
  });
  return { ...files, zinit };
}

/** How an agent run ended: exit code or signal, its combined output, wall time. */
export interface AgentResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  ms: number;
}

/** A running agent: its process, its output so far, and its end. */
export interface AgentProc {
  proc: ChildProcess;
  output(): string;
  done: Promise<AgentResult>;
}

/**
 * Starts `node dist/internet.js` in the node namespace with `--nics` and the env's files;
 * `opts.bundle` runs another copy of the bundle, `opts.env` adds to its environment, `opts.node`
 * are options for node itself (the bench's `--import` of its counters).
 */
export function startAgent(
  env: AnyAgentEnv,
  nics: string[],
  extra: string[] = [],
  opts: { bundle?: string; env?: Record<string, string>; node?: string[] } = {},
): AgentProc {
  const args = [
    ...(opts.node ?? []),
    opts.bundle ?? AGENT,
    'run',
    ...(nics.length ? ['--nics', nics.join(',')] : []),
    '--cmdline',
    env.cmdline,
    '--zinit-socket',
    env.zinit.path,
    '--zinit-dir',
    env.zinitDir,
    '--status',
    env.status,
    ...extra,
  ];
  const t0 = Date.now();
  const proc = spawn(...commandIn({ name: env.topo.node }, process.execPath, args), {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, INTERNET_RESOLV_CONF: env.resolv, ...env.vars, ...opts.env },
  });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  proc.stderr!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const done = new Promise<AgentResult>((res) =>
    proc.on('exit', (code, signal) => res({ code, signal, out, ms: Date.now() - t0 })),
  );
  return { proc, output: () => out, done };
}

/** Runs the agent to its end, killing it after `timeoutMs`. */
export async function runAgentE2E(
  env: AnyAgentEnv,
  nics: string[],
  timeoutMs = 90_000,
  extra: string[] = [],
): Promise<AgentResult> {
  const a = startAgent(env, nics, extra);
  const timer = setTimeout(() => a.proc.kill('SIGKILL'), timeoutMs);
  const r = await a.done;
  clearTimeout(timer);
  return r;
}

/** Waits until `cond()` holds, polling every 100 ms, or fails after `ms`. */
export async function waitFor(what: string, cond: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Addresses, links and routes of `ns` once they have settled: the kernel changes some of them
 * on its own for a second or two after an agent run (a bridge reports DOWN until its port
 * forwards, IPv6 link-local addresses appear after DAD), so two reads 0.8 s apart must agree.
 */
export async function netSnapshot(ns: string): Promise<string> {
  let last = await readNetSnapshot(ns);
  for (let i = 0; i < 15; i++) {
    await new Promise((r) => setTimeout(r, 800));
    const now = await readNetSnapshot(ns);
    if (now === last) return now;
    last = now;
  }
  return last;
}

// Addresses and routes of a namespace without the fields that tick (lifetimes, flags of DAD).
async function readNetSnapshot(ns: string): Promise<string> {
  const { ipJson } = await import('../../lib/ip.ts');
  const addrs = (
    await ipJson<{
      ifname: string;
      address?: string;
      master?: string;
      operstate: string;
      addr_info: { local: string; prefixlen: number }[];
    }>({ name: ns }, ['addr'])
  ).map(
    (l) =>
      `${l.ifname} ${l.address} master=${l.master} ${l.operstate} ${l.addr_info
        .map((a) => `${a.local}/${a.prefixlen}`)
        .sort()
        .join(',')}`,
  );
  const routes = [
    ...(await ipJson<Record<string, unknown>>({ name: ns }, ['-4', 'route'])),
    ...(await ipJson<Record<string, unknown>>({ name: ns }, ['-6', 'route'])),
  ].map((r) => `${r.dst} via=${r.gateway} dev=${r.dev} proto=${r.protocol}`);
  return [...addrs, ...routes.sort()].join('\n');
}

/** Prefix of the probe namespaces an agent in `node` makes (zprobe-<inode of its netns>-). */
export function probePrefixOf(node: string): string {
  return `zprobe-${statSync(netnsPath(node)).ino.toString(16)}-`;
}

/** Probe namespaces an agent in `node` made and left. */
export async function probeNamespacesOf(node: string): Promise<string[]> {
  const prefix = probePrefixOf(node);
  return (await listNetns()).filter((n) => n.startsWith(prefix));
}
