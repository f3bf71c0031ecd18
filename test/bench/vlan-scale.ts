// Benchmark: what a new VLAN costs, by layout (a fake bridge on the master, our default; v1's
// bridge per VLAN with a patch pair, OVS_VLAN_LAYOUT=patch) and by how many VLANs exist already.
// 1. The switch's limit: N new VLANs in ONE transaction (our planners' ops, sent straight through
//    our OVSDB client) until ovs-vswitchd has applied them (cur_cfg), N = 1, 10, 100.
// 2. Through the daemon, at 0, 100 and 1,000 existing VLANs (made beforehand in transactions of
//    100): new VLANs from 1 and 10 clients (and 100 at 0), and repeats, with the ratio to the
//    same row at 0 and to the limit for N = clients (a batch holds one command per client).
// 3. Paired, for the 1.2x target: on one switch, the limit for N = clients and our daemon, back
//    to back, alternating order, 5 reps (BENCH_REPS); the median of the ratios.
// Every figure comes from this one run, on a fresh private ovsdb-server + ovs-vswitchd (netdev
// datapath) per row group, so layouts compare under the same load.
// Run: node --import tsx test/bench/vlan-scale.ts (BENCH_SCALE=0,100, BENCH_LAYOUTS=fake to
// shorten), or through run.ts.
import { pathToFileURL } from 'node:url';
import { connectOvsdb, type Client } from '../../ovs-plugin/ovsdb/client.ts';
import { transactAndWait, VSWITCH_DB } from '../../ovs-plugin/ovsdb/vswitch.ts';
import { planVlanEnsure } from '../../ovs-plugin/planners/vlan.ts';
import { MONITOR_SPEC, View } from '../../ovs-plugin/planners/view.ts';
import type { VlanLayout } from '../../ovs-plugin/planners/plan.ts';
import { OvsPluginClient } from '../../ovs-plugin/transports/client.ts';
import { startOvs, type Ovs } from '../helpers/ovs.ts';
import { ensureBundle, startDaemon } from '../ovs-plugin/helpers.ts';
import { measure } from './measure.ts';

type Cleanup = () => Promise<void> | void;
const LAYOUTS = (process.env.BENCH_LAYOUTS ?? 'fake,patch').split(',') as VlanLayout[];

/** One transaction holding vlan-ensure of every tag in `tags` (as the engine batches them); ms until applied. */
async function oneTransaction(c: Client, layout: VlanLayout, tags: number[]): Promise<number> {
  const view = new View(c.cache);
  const env = { datapathType: 'netdev', vlanLayout: layout };
  const ops = tags.flatMap((vlan, i) => planVlanEnsure({ master: 'backplane', vlan }, env)(view, `c${i}_`).ops);
  const t0 = performance.now();
  await transactAndWait(c, ops, 600_000);
  return performance.now() - t0;
}

/**
 * A fresh switch with `backplane`, our client monitoring it, and `existing` VLANs (tags 1..existing) made 100 per
 * transaction.
 */
async function freshSwitch(
  t: { after(fn: Cleanup): void },
  layout: VlanLayout,
  existing: number,
): Promise<{ ovs: Ovs; c: Client; fillMs: number }> {
  const ovs = await startOvs(t as never);
  await ovs.addBridge('backplane');
  const c = await connectOvsdb(ovs.url);
  t.after(() => c.close());
  await c.monitor(VSWITCH_DB, MONITOR_SPEC);
  let fillMs = 0;
  for (let s = 0; s < existing; s += 100) {
    fillMs += await oneTransaction(
      c,
      layout,
      Array.from({ length: Math.min(100, existing - s) }, (_, i) => 1 + s + i),
    );
  }
  return { ovs, c, fillMs };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** One row of the paired comparison: the switch's limit and our daemon, same switch, same minute. */
interface Pair {
  layout: VlanLayout;
  clients: number;
  reps: number;
  'limit ms/VLAN': number;
  'daemon ms/VLAN': number;
  'daemon/limit (median of reps)': string;
}

/**
 * On a fresh switch per rep, alternating which goes first: 1 client (20 single transactions vs
 * 20 ensures) and 10 clients (10 transactions of 10 vs 100 ensures from 10 daemon clients). On a
 * machine shared with others one sample of either is noise; the ratio of neighbours is not.
 */
async function paired(t: { after(fn: Cleanup): void }, layout: VlanLayout, reps: number): Promise<Pair[]> {
  const got = new Map<number, [number, number][]>([
    [1, []],
    [10, []],
  ]);
  for (let r = 0; r < reps; r++) {
    const { ovs, c } = await freshSwitch(t, layout, 0);
    const d = await startDaemon(t as never, ovs, 'plugin.sock', { OVS_VLAN_LAYOUT: layout });
    const cs = await Promise.all(Array.from({ length: 10 }, () => OvsPluginClient.connect(d.socket)));
    let tag = 1;
    for (const clients of [1, 10]) {
      const n = clients === 1 ? 20 : 100;
      const direct = async () => {
        let ms = 0;
        for (let k = 0; k < n / clients; k++)
          ms += await oneTransaction(
            c,
            layout,
            Array.from({ length: clients }, () => tag++),
          );
        return ms / n;
      };
      const daemon = async () => {
        const base = tag;
        tag += n;
        return (
          (await measure(n, clients, (i) => cs[i % clients]!.vlanEnsure({ master: 'backplane', vlan: base + i })))
            .totalMs / n
        );
      };
      let lim: number, ours: number;
      if (r % 2) {
        ours = await daemon();
        lim = await direct();
      } else {
        lim = await direct();
        ours = await daemon();
      }
      got.get(clients)!.push([lim, ours]);
    }
    for (const x of cs) x.close();
    d.proc.kill('SIGTERM');
    await d.exited;
    await c.close();
    await ovs.stop();
  }
  return [...got].map(([clients, xs]) => ({
    layout,
    clients,
    reps,
    'limit ms/VLAN': +median(xs.map((x) => x[0])).toFixed(2),
    'daemon ms/VLAN': +median(xs.map((x) => x[1])).toFixed(2),
    'daemon/limit (median of reps)': `${median(xs.map(([a, b]) => b / a)).toFixed(2)}x`,
  }));
}

interface Row {
  layout: VlanLayout;
  existing: number;
  what: string;
  n: number;
  clients: number;
  'ms/VLAN': number;
  'p50 ms': number;
  'p99 ms': number;
  'cmds/txn': number;
  'vs 0 existing'?: string;
  'vs limit'?: string;
}

/** Name shown by test/bench/run.ts. */
export const title = 'vlan-ensure by layout and switch size';

/** Runs both parts and prints the tables. */
export async function run(): Promise<void> {
  await ensureBundle();
  const cleanups: Cleanup[] = [];
  const t = {
    after: (fn: Cleanup) => {
      cleanups.push(fn);
    },
  };
  const sizes = (process.env.BENCH_SCALE ?? '0,100,1000').split(',').map(Number);
  const limit: { layout: VlanLayout; N: number; 'ms total': number; 'ms/VLAN': number }[] = [];
  const rows: Row[] = [];
  const fills: string[] = [];
  const pairs: Pair[] = [];
  try {
    for (const layout of LAYOUTS) pairs.push(...(await paired(t, layout, Number(process.env.BENCH_REPS ?? 5))));
    for (const layout of LAYOUTS) {
      for (const N of [1, 10, 100]) {
        const runs: number[] = []; // the median of 3, each on a fresh switch (one sample is noise on a shared machine)
        for (let k = 0; k < 3; k++) {
          const { c, ovs } = await freshSwitch(t, layout, 0);
          runs.push(
            await oneTransaction(
              c,
              layout,
              Array.from({ length: N }, (_, i) => 2001 + i),
            ),
          );
          await c.close();
          await ovs.stop();
        }
        const ms = runs.sort((a, b) => a - b)[1]!;
        limit.push({ layout, N, 'ms total': +ms.toFixed(1), 'ms/VLAN': +(ms / N).toFixed(2) });
      }
    }
    for (const layout of LAYOUTS) {
      for (const existing of sizes) {
        const { ovs, c, fillMs } = await freshSwitch(t, layout, existing);
        if (existing)
          fills.push(`${layout}: ${existing} VLANs in ${existing / 100} transactions, ${Math.round(fillMs)} ms`);
        await c.close();
        // A daemon per row: its closing log line says how many commands each transaction held.
        const row = async (
          what: string,
          n: number,
          clients: number,
          fn: (cs: OvsPluginClient[], i: number) => Promise<unknown>,
        ) => {
          const d = await startDaemon(t as never, ovs, 'plugin.sock', { OVS_VLAN_LAYOUT: layout });
          const cs = await Promise.all(Array.from({ length: clients }, () => OvsPluginClient.connect(d.socket)));
          const m = await measure(n, clients, (i) => fn(cs, i));
          for (const x of cs) x.close();
          d.proc.kill('SIGTERM');
          await d.exited;
          const stat = (k: string) => Number(new RegExp(`ovs-plugin-stopped.* ${k}=(\\d+)`).exec(d.output())?.[1]);
          rows.push({
            layout,
            existing,
            what,
            n,
            clients,
            'ms/VLAN': +(m.totalMs / n).toFixed(2),
            'p50 ms': +m.q(0.5).toFixed(2),
            'p99 ms': +m.q(0.99).toFixed(2),
            'cmds/txn': +(stat('commands') / stat('transactions')).toFixed(1),
          });
        };
        const one = existing >= 1000 && layout === 'patch' ? 10 : 20;
        await row('new VLAN', one, 1, (cs, i) => cs[0]!.vlanEnsure({ master: 'backplane', vlan: 3001 + i }));
        await row('new VLAN', 100, 10, (cs, i) => cs[i % 10]!.vlanEnsure({ master: 'backplane', vlan: 3101 + i }));
        if (existing === 0)
          await row('new VLAN', 200, 100, (cs, i) => cs[i % 100]!.vlanEnsure({ master: 'backplane', vlan: 3301 + i }));
        await row('existing VLAN', 200, 1, (cs, i) =>
          cs[0]!.vlanEnsure({ master: 'backplane', vlan: 3101 + (i % 100) }),
        );
        await ovs.stop();
      }
    }
  } finally {
    for (const fn of cleanups.reverse()) await fn();
  }
  for (const r of rows) {
    const base = rows.find(
      (b) => b.layout === r.layout && b.existing === 0 && b.what === r.what && b.clients === r.clients,
    );
    if (base && r.existing !== 0) r['vs 0 existing'] = `${(r['ms/VLAN'] / base['ms/VLAN']).toFixed(1)}x`;
    // A batch holds at most one command per client: the limit to beat is that of N = clients.
    const lim = limit.find((l) => l.layout === r.layout && l.N === Math.min(r.clients, 100));
    if (lim && r.what === 'new VLAN' && r.existing === 0)
      r['vs limit'] = `${(r['ms/VLAN'] / lim['ms/VLAN']).toFixed(2)}x`;
  }
  console.log('switch limit: N new VLANs in one transaction (ovsdb-server + ovs-vswitchd, no daemon)');
  console.table(limit);
  for (const f of fills) console.log(`prefill ${f}`);
  console.log(
    'batches vs the limit, paired on one switch' +
      ' (limit: transactions of N = clients VLANs through our client, no daemon)',
  );
  console.table(pairs);
  console.log('through the daemon (vs limit: ms/VLAN over the limit for N = clients in one transaction, same layout)');
  console.table(rows);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await run();
