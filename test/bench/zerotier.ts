// Benchmark of the zerotier nic (issue 19): on a private network of the test's own
// (test/helpers/zerotier.ts), a container c2 on node 2 is a member already; a container c1 on
// node 1 attaches a zerotier nic to it (through the node's plugin, exec) and pings c2's ZeroTier
// address until the first answer; then detaches. The network admits members at once (not
// private), as for a member authorized before it joins. Median (and min, max) of n rounds
// (BENCH_ZT_N, default 10). Measured by hand before (README of ../shared/zerotier): 0.7 s from a
// pre-authorized member's start to its first ping. Run: node --import tsx test/bench/zerotier.ts
import { pathToFileURL } from 'node:url';
import { runIn } from '../../lib/netns.ts';
import { makeNetns } from '../helpers/netns.ts';
import { until, ztNode, ztWorld } from '../helpers/zerotier.ts';

/** Name shown by test/bench/run.ts. */
export const title = 'zerotier: attach to first ping of a member on a running network, detach';

type Cleanup = () => Promise<void> | void;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** Runs the rounds and prints the table. */
export async function run(): Promise<void> {
  const n = Number(process.env.BENCH_ZT_N ?? 10);
  const cleanups: Cleanup[] = [];
  const t = { after: (fn: Cleanup) => void cleanups.push(fn) };
  const rows: Record<string, string | number>[] = [];
  try {
    const w = await ztWorld(t);
    const [n1, n2] = [await ztNode(t, w, 1), await ztNode(t, w, 2)];
    const [c1, c2] = [await makeNetns(t, 'zc'), await makeNetns(t, 'zc')];
    for (const [node, c] of [
      [n1, c1],
      [n2, c2],
    ] as const) {
      const d = await node.call('nic.attach', { target: { netns: c }, nic: { type: 'default' } });
      if (d.exitCode !== 0) throw new Error(d.stdout);
    }
    const nwid = await w.network(30, true);
    const peer = await n2.call('nic.attach', { target: { netns: c2 }, nic: { type: 'zerotier', id: nwid } });
    if (peer.exitCode !== 0) throw new Error(peer.stdout);
    const to = String(peer.value.addresses[0]).split('/')[0]!;
    const answered: number[] = [];
    const pinged: number[] = [];
    const detached: number[] = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      const a = await n1.call('nic.attach', { target: { netns: c1 }, nic: { type: 'zerotier', id: nwid } });
      if (a.exitCode !== 0) throw new Error(a.stdout);
      answered.push(performance.now() - t0);
      await until(
        'the first ping answered',
        30_000,
        async () =>
          (await runIn({ name: c1 }, 'busybox', ['ping', '-c', '1', '-W', '1', to], { allowFailure: true }))
            .exitCode === 0
            ? true
            : undefined,
        10,
      );
      pinged.push(performance.now() - t0);
      const t1 = performance.now();
      const d = await n1.call('nic.detach', { target: { netns: c1 }, name: a.value.name });
      if (d.exitCode !== 0) throw new Error(d.stdout);
      detached.push(performance.now() - t1);
    }
    for (const [what, xs] of [
      ['attach answered (network OK, address up)', answered],
      ['attach to first ping', pinged],
      ['detach (leave, stop, home removed)', detached],
    ] as const)
      rows.push({
        what,
        n,
        'median ms': Math.round(median(xs)),
        'min ms': Math.round(Math.min(...xs)),
        'max ms': Math.round(Math.max(...xs)),
      });
  } finally {
    for (const c of cleanups.reverse()) await c();
    console.table(rows);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href)
  run().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
