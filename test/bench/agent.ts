// Bench: time until `zos` has its default route, for 1 DHCP NIC plus k silent and m
// carrier-less NICs, beside the anchor (Zero-OS's method, anchor.ts) measured in the same run
// and the DHCP server's own answer time (a plain udhcpc on a fresh NIC of the same network).
// Every point gets a fresh topology and fresh MACs, so dnsmasq treats each client as new.
import { run as exec } from '../../lib/exec.ts';
import { ip } from '../../lib/ip.ts';
import { runIn } from '../../lib/netns.ts';
import { agentEnv, startAgent } from '../helpers/agent-run.ts';
import { addNic, makeTopology, startDnsmasq, type Topology } from '../helpers/topology.ts';
import { anchorRun } from './anchor.ts';

/** Bench title, shown above its table and usable as a filter: `make bench` / run.ts <filter>. */
export const title = 'internet: time to a default route on zos';

// Points measured; BENCH_K=8 BENCH_M=0,8 BENCH_ANCHOR=0 narrows a run (e.g. to re-measure one row).
const list = (v: string | undefined, d: number[]) => (v ? v.split(',').map(Number) : d);
const KS = list(process.env.BENCH_K, [0, 2, 4, 8]);
const MS = list(process.env.BENCH_M, [0, 2, 4, 8]);
/** Anchor points: its cost is ~20 s per silent set plus 10 s per unplugged NIC, serially. */
const ANCHOR = new Set(process.env.BENCH_ANCHOR === '0' ? [] : ['0,0', '2,0', '8,0', '0,2', '0,4', '2,2']);

type Scope = { after(fn: () => unknown): void; close(): Promise<void> };
function scope(): Scope {
  const fns: (() => unknown)[] = [];
  return {
    after: (fn) => { fns.push(fn); },
    close: async () => { for (const fn of fns.reverse()) await Promise.resolve().then(fn).catch(() => {}); },
  };
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
  await startDnsmasq(s, topo, good, { net: `10.90.${n}` });
  return { topo, nics };
}

async function hasDefault(ns: string): Promise<boolean> {
  return (await ip({ name: ns }, ['-4', 'route', 'show', 'default', 'dev', 'zos']).catch(() => '')).includes('default');
}

/** The server's answer time: plain busybox udhcpc on a fresh, plugged NIC of its own. */
async function serverMs(s: Scope, n: number): Promise<number> {
  const topo = await makeTopology(s);
  const nic = await addNic(topo, 'r1');
  await startDnsmasq(s, topo, nic, { net: `10.91.${n}` });
  await ip({ name: topo.node }, ['link', 'set', 'r1', 'up']);
  await new Promise((r) => setTimeout(r, 300)); // carrier
  const t0 = Date.now();
  await runIn({ name: topo.node }, 'busybox', ['udhcpc', '-i', 'r1', '-f', '-q', '-n', '-t', '20', '-T', '1', '-s', '/bin/true'], { timeoutMs: 60_000 });
  return Date.now() - t0;
}

/** dist/internet.js in a fresh network: ms from spawn until zos has a default route. */
async function agentMs(s: Scope, k: number, m: number, n: number): Promise<number> {
  const { topo, nics } = await network(s, k, m, n);
  const env = await agentEnv(s, topo);
  const t0 = Date.now();
  const a = startAgent(env, nics);
  s.after(() => { a.proc.kill('SIGKILL'); });
  for (;;) {
    if (await hasDefault(topo.node)) break;
    if (a.proc.exitCode !== null) throw new Error(`agent exited ${a.proc.exitCode} without a route:\n${a.output()}`);
    if (Date.now() - t0 > 120_000) throw new Error('agent: no route after 120 s');
    await new Promise((r) => setTimeout(r, 25));
  }
  const ms = Date.now() - t0;
  const r = await a.done;
  if (r.code !== 0) throw new Error(`agent exited ${r.code}:\n${r.out}`);
  return ms;
}

async function anchorMs(s: Scope, k: number, m: number, n: number): Promise<number> {
  const { topo, nics } = await network(s, k, m, n);
  return anchorRun(topo.node, nics, topo.dir);
}

/** Runs the grid and prints the table. */
export async function run(): Promise<void> {
  const pad = (v: string | number, w: number) => String(v).padStart(w);
  console.log(`\n${title}\n(ms from start; server = plain udhcpc answer time; agent = best / worst of 2 runs; anchor = Zero-OS method)`);
  console.log(`${pad('k', 3)} ${pad('m', 3)} | ${pad('server', 7)} ${pad('agent', 13)} ${pad('worst-s', 8)} | ${pad('anchor', 7)}`);
  let n = 0;
  for (const k of KS) {
    for (const m of MS) {
      n++;
      const s = scope();
      try {
        const srv = await serverMs(s, n);
        const runs = [await agentMs(s, k, m, n), await agentMs(s, k, m, n + 50)].sort((a, b) => a - b);
        const an = ANCHOR.has(`${k},${m}`) ? await anchorMs(s, k, m, n + 100) : undefined;
        console.log(`${pad(k, 3)} ${pad(m, 3)} | ${pad(srv, 7)} ${pad(runs.join(' / '), 13)} ${pad(runs[1]! - srv, 8)} | ${pad(an ?? '-', 7)}`);
      } finally {
        await s.close();
      }
    }
  }
}
