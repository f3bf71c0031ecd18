// Benchmark: the time of a new NR (250 peers, wireguard-go) of this tree's plugin against another
// build of it, alternating in one sitting. A single run's new-NR numbers move with this shared
// machine's load by more than a change's effect, so a change to that path is judged this way.
// Each round, for each build: a fresh world (test/helpers/overlay-world.ts) and daemon, then
// BENCH_AB_NRS (default 10) new NRs (test/bench/overlay.ts bigDocument); BENCH_AB_ROUNDS rounds
// (default 4). BENCH_AB_BASE: the other build's bundle, e.g. a worktree of the commit to compare
// (`git worktree add /tmp/base REV && cd /tmp/base && npm ci && node build.mjs`, then
// BENCH_AB_BASE=/tmp/base/dist/ovs-plugin.js); without it, this build alone. Prints, per build,
// the median and p90 of the NRs after each daemon's first, and the median of the firsts.
// Run: [BENCH_AB_BASE=...] node --import tsx test/bench/overlay-ab.ts
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { nodePlugin } from '../helpers/overlay-plugin.ts';
import { makeWorld } from '../helpers/overlay-world.ts';
import { bigDocument } from './overlay.ts';

/** Name shown by test/bench/run.ts. */
export const title = 'overlay: new NR, this build against BENCH_AB_BASE, alternating';

type Cleanup = () => Promise<void> | void;

/** One fresh daemon of `bundle`: the ms of each of `nrs` new NRs. */
async function round(bundle: string, nrs: number): Promise<number[]> {
  const cleanups: Cleanup[] = [];
  const t = { after: (fn: Cleanup) => void cleanups.push(fn) };
  try {
    const w = await makeWorld(t, { publics: ['n'], hidden: [], laptop: false });
    const p = await nodePlugin(w.node('n'), w.dir, bundle);
    await p.startDaemon();
    const ms: number[] = [];
    for (let i = 0; i < nrs; i++) {
      const doc = bigDocument(i, 250);
      const t0 = performance.now();
      await p.apply(`ab${i}`, doc);
      ms.push(performance.now() - t0);
    }
    await p.stopDaemon();
    await w.close();
    return ms;
  } finally {
    for (const c of cleanups.reverse()) await c();
  }
}

const at = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? Number.NaN;
};

/** Runs the rounds and prints the table. */
export async function run(): Promise<void> {
  const nrs = Number(process.env.BENCH_AB_NRS ?? 10);
  const rounds = Number(process.env.BENCH_AB_ROUNDS ?? 4);
  const builds: [string, string][] = [['this build', resolve('dist/ovs-plugin.js')]];
  if (process.env.BENCH_AB_BASE) builds.unshift(['BENCH_AB_BASE', resolve(process.env.BENCH_AB_BASE)]);
  const got = new Map(builds.map(([name]) => [name, { firsts: [] as number[], rest: [] as number[] }]));
  for (let r = 0; r < rounds; r++)
    for (const [name, bundle] of builds) {
      const [first, ...rest] = await round(bundle, nrs);
      got.get(name)!.firsts.push(first!);
      got.get(name)!.rest.push(...rest);
    }
  console.table(
    builds.map(([name, bundle]) => {
      const g = got.get(name)!;
      return {
        build: name,
        bundle,
        'new NRs': g.rest.length,
        'median ms': Math.round(at(g.rest, 0.5)),
        'p90 ms': Math.round(at(g.rest, 0.9)),
        'first NR, median ms': Math.round(at(g.firsts, 0.5)),
      };
    }),
  );
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href)
  run().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
