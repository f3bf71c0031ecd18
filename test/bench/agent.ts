// Bench: the agent against the DHCP server's own answer time, for 1 DHCP NIC plus k silent and
// m carrier-less NICs. Per point: the median of BENCH_RUNS (5) plain `busybox udhcpc -q` runs
// against the same kind of server, and for each bundle the medians of BENCH_RUNS agent runs:
// ms until `zos` has its default route, ms until the agent exits 0 (online, hand-off sent, every
// NIC home), its CPU time and its child processes (agent-stats.cjs counts them); the anchor
// (Zero-OS's method, anchor.ts) on a few points. Every run gets a fresh topology and fresh MACs.
// BENCH_BUNDLES=before=/tmp/old/internet.js,after=dist/internet.js compares builds in one run.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { ip } from '../../lib/ip.ts';
import { runIn } from '../../lib/netns.ts';
import { agentEnv, AGENT, realAgentEnv, startAgent } from '../helpers/agent-run.ts';
import { addNic, makeTopology, startDnsmasq, type Topology } from '../helpers/topology.ts';
import { anchorRun } from './anchor.ts';

/** Bench title, shown above its table and usable as a filter: `make bench` / run.ts <filter>. */
export const title = 'internet: time to a default route on zos';

// Points measured; BENCH_K=8 BENCH_M=0,8 BENCH_ANCHOR=0 narrows a run (e.g. to re-measure one row).
const list = (v: string | undefined, d: number[]) => (v ? v.split(',').map(Number) : d);
const KS = list(process.env.BENCH_K, [0, 2, 4, 8]);
const MS = list(process.env.BENCH_M, [0, 2, 4, 8]);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
/** BENCH_PING=1: dnsmasq pings a new address (~3 s) before it offers it, as it does by default. */
const PING = process.env.BENCH_PING === '1';
/** Anchor points: its cost is ~20 s per silent set plus 10 s per unplugged NIC, serially. */
const ANCHOR = new Set(process.env.BENCH_ANCHOR === '0' ? [] : ['0,0', '2,0', '8,0', '0,2', '0,4', '2,2']);
/** label=bundle pairs, measured alternately at every point. */
const BUNDLES = (process.env.BENCH_BUNDLES ?? `agent=${AGENT}`).split(',').map((b) => {
  const [label, path] = b.includes('=') ? (b.split('=') as [string, string]) : ['agent', b];
  return { label, path: resolve(path) };
});
/** The real zinit (../shared/zinit/zinit) spawns dhcp-zos, as on a node; BENCH_ZINIT=fake: the test fake. */
const FAKE_ZINIT = process.env.BENCH_ZINIT === 'fake';
const STATS = resolve(import.meta.dirname, 'agent-stats.cjs');
/** BENCH_LOG=dir: each agent run with `zos-debug`, its output kept as dir/<label>-k<k>-m<m>-<n>.log. */
const LOG_DIR = process.env.BENCH_LOG;

type Scope = { after(fn: () => unknown): void; close(): Promise<void> };
function scope(): Scope {
  const fns: (() => unknown)[] = [];
  return {
    after: (fn) => {
      fns.push(fn);
    },
    close: async () => {
      for (const fn of fns.reverse())
        await Promise.resolve()
          .then(fn)
          .catch(() => {});
    },
  };
}

/** Runs `fn` with its own scope, torn down after it. */
async function scoped<T>(fn: (s: Scope) => Promise<T>): Promise<T> {
  const s = scope();
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
}

/**
 * A node with s1..sk (carrier, no server), u1..um (no carrier) and g1 (DHCP); net 10.90.<n>.
 * g1 comes last (highest ifindex, last in --nics): its probe is set up after all the others,
 * the worst place for it.
 */
async function network(s: Scope, k: number, m: number, n: number): Promise<{ topo: Topology; nics: string[] }> {
  const topo = await makeTopology(s);
  const nics: string[] = [];
  for (let i = 1; i <= k; i++) nics.push((await addNic(topo, `s${i}`)).name);
  for (let i = 1; i <= m; i++) nics.push((await addNic(topo, `u${i}`, { plugged: false })).name);
  const good = await addNic(topo, 'g1');
  nics.push('g1');
  await startDnsmasq(s, topo, good, { net: `10.90.${n % 250}`, noPing: !PING });
  return { topo, nics };
}

async function hasDefault(ns: string): Promise<boolean> {
  return (await ip({ name: ns }, ['-4', 'route', 'show', 'default', 'dev', 'zos']).catch(() => '')).includes('default');
}

/** The server's answer time: plain busybox udhcpc on a fresh, plugged NIC of its own. */
async function serverMs(s: Scope, n: number): Promise<number> {
  const topo = await makeTopology(s);
  const nic = await addNic(topo, 'r1');
  await startDnsmasq(s, topo, nic, { net: `10.91.${n % 250}`, noPing: !PING });
  await ip({ name: topo.node }, ['link', 'set', 'r1', 'up']);
  await new Promise((r) => setTimeout(r, 300)); // carrier
  const t0 = Date.now();
  await runIn(
    { name: topo.node },
    'busybox',
    ['udhcpc', '-i', 'r1', '-f', '-q', '-n', '-t', '20', '-T', '1', '-s', '/bin/true'],
    { timeoutMs: 60_000 },
  );
  return Date.now() - t0;
}

/** One agent run's figures. */
interface AgentRun {
  routeMs: number;
  exitMs: number;
  cpuMs: number;
  children: number;
}

/** `bundle` in a fresh network: ms from spawn until zos has a default route and until exit 0. */
async function agentRun(s: Scope, bundle: string, k: number, m: number, n: number): Promise<AgentRun> {
  const { topo, nics } = await network(s, k, m, n);
  const cmdline = LOG_DIR ? 'zos-debug' : '';
  const env = FAKE_ZINIT ? await agentEnv(s, topo, cmdline) : await realAgentEnv(s, topo, cmdline);
  const dir = await mkdtemp(join(tmpdir(), 'agent-stats-'));
  s.after(() => rm(dir, { recursive: true, force: true }));
  const statsFile = join(dir, 'stats.json');
  const t0 = Date.now();
  const a = startAgent(env, nics, [], { bundle, node: ['--require', STATS], env: { BENCH_STATS_FILE: statsFile } });
  s.after(() => {
    a.proc.kill('SIGKILL');
  });
  for (;;) {
    if (await hasDefault(topo.node)) break;
    if (a.proc.exitCode !== null) throw new Error(`agent exited ${a.proc.exitCode} without a route:\n${a.output()}`);
    if (Date.now() - t0 > 120_000) throw new Error('agent: no route after 120 s');
    await new Promise((r) => setTimeout(r, 25));
  }
  const routeMs = Date.now() - t0;
  const r = await a.done;
  if (LOG_DIR) await writeFile(join(LOG_DIR, `${basename(bundle, '.js')}-k${k}-m${m}-${n}.log`), r.out);
  if (r.code !== 0) throw new Error(`agent exited ${r.code}:\n${r.out}`);
  const st = JSON.parse(await readFile(statsFile, 'utf8')) as { cpuMs: number; children: number; commands?: string[] };
  if (LOG_DIR)
    await writeFile(
      join(LOG_DIR, `${basename(bundle, '.js')}-k${k}-m${m}-${n}.children`),
      (st.commands ?? []).join('\n') + '\n',
    );
  delete st.commands;
  return { routeMs, exitMs: r.ms, ...st };
}

async function anchorMs(s: Scope, k: number, m: number, n: number): Promise<number> {
  const { topo, nics } = await network(s, k, m, n);
  return anchorRun(topo.node, nics, topo.dir);
}

const median = (xs: number[]): number => {
  const v = [...xs].sort((a, b) => a - b);
  return v.length % 2 ? v[(v.length - 1) / 2]! : Math.round((v[v.length / 2 - 1]! + v[v.length / 2]!) / 2);
};

/** Runs the grid and prints the table. */
export async function run(): Promise<void> {
  const pad = (v: string | number, w: number) => String(v).padStart(w);
  const bundleHeader = (b: (typeof BUNDLES)[number]) =>
    `${b.label.slice(0, 6).padEnd(6)} ${pad('route', 5)} ${pad('exit', 5)} ${pad('ex-s', 5)}` +
    ` ${pad('cpu', 4)} ${pad('ch', 3)}`;
  console.log(
    `\n${title}\n(ms from start, medians of ${RUNS} runs; server = plain udhcpc answer time` +
      `${PING ? ', dnsmasq pings first' : ', dnsmasq --no-ping'};` +
      ' route = until zos has its default route; exit = until the agent exits 0; ex-s = exit - server;' +
      ' cpu = agent CPU ms; ch = child processes;' +
      ` anchor = Zero-OS method, one run; ${FAKE_ZINIT ? 'fake' : 'real'} zinit)`,
  );
  console.log(
    `${pad('k', 3)} ${pad('m', 3)} | ${pad('server', 6)} | ${BUNDLES.map(bundleHeader).join(' | ')}` +
      ` | ${pad('anchor', 6)}`,
  );
  let n = 0;
  for (const k of KS) {
    for (const m of MS) {
      const srv: number[] = [];
      const runs = BUNDLES.map(() => [] as AgentRun[]);
      // Server and bundles alternate, so a load that comes and goes hits them alike.
      for (let i = 0; i < RUNS; i++) {
        srv.push(await scoped((s) => serverMs(s, ++n)));
        for (const [j, b] of BUNDLES.entries()) runs[j]!.push(await scoped((s) => agentRun(s, b.path, k, m, ++n)));
      }
      const server = median(srv);
      const an = ANCHOR.has(`${k},${m}`) ? await scoped((s) => anchorMs(s, k, m, ++n)) : undefined;
      {
        const cols = runs.map((rs) => {
          const exit = median(rs.map((r) => r.exitMs));
          const [route, cpu, children] = [rs.map((r) => r.routeMs), rs.map((r) => r.cpuMs), rs.map((r) => r.children)];
          return (
            `${''.padEnd(6)} ${pad(median(route), 5)} ${pad(exit, 5)} ${pad(exit - server, 5)}` +
            ` ${pad(median(cpu), 4)} ${pad(median(children), 3)}`
          );
        });
        console.log(`${pad(k, 3)} ${pad(m, 3)} | ${pad(server, 6)} | ${cols.join(' | ')} | ${pad(an ?? '-', 6)}`);
      }
    }
  }
}
