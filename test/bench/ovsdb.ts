// Benchmark: transactions per second of our OVSDB client vs forking ovs-vsctl, for a trivial
// write (Open_vSwitch external_ids:bench=N), against a private ovsdb-server + ovs-vswitchd.
// Run: node --import tsx test/bench/ovsdb.ts (or `make bench`, which runs every bench module).
import { pathToFileURL } from 'node:url';
import { run as exec } from '../../lib/exec.ts';
import { connectOvsdb, type Client } from '../../ovs-plugin/ovsdb/client.ts';
import { ovsMap } from '../../ovs-plugin/ovsdb/notation.ts';
import type { Operation } from '../../ovs-plugin/ovsdb/types.ts';
import { transactAndWait, VSWITCH_DB } from '../../ovs-plugin/ovsdb/vswitch.ts';
import { startOvs } from '../helpers/ovs.ts';

const write = (n: number): Operation[] => [
  { op: 'mutate', table: 'Open_vSwitch', where: [], mutations: [['external_ids', 'delete', ['set', ['bench']]]] },
  { op: 'mutate', table: 'Open_vSwitch', where: [], mutations: [['external_ids', 'insert', ovsMap({ bench: String(n) })]] },
];

async function measure(name: string, n: number, fn: (i: number) => Promise<unknown>, parallel = 1) {
  const lat: number[] = [];
  const t0 = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: parallel }, async () => {
    while (next < n) {
      const i = next++;
      const s = performance.now();
      await fn(i);
      lat.push(performance.now() - s);
    }
  }));
  const total = performance.now() - t0;
  lat.sort((a, b) => a - b);
  const p = (q: number) => lat[Math.min(lat.length - 1, Math.floor(q * lat.length))]!.toFixed(2);
  return { name, n, parallel, 'tx/s': Math.round((n / total) * 1000), 'p50 ms': p(0.5), 'p99 ms': p(0.99) };
}

/** Name shown by test/bench/run.ts. */
export const title = 'OVSDB client transactions vs ovs-vsctl';

/** Measures every row and prints the table. */
export async function run(): Promise<void> {
  const cleanups: (() => Promise<void> | void)[] = [];
  try {
    const ovs = await startOvs({ after: (fn: () => Promise<void> | void) => { cleanups.push(fn); } } as never);
    const c: Client = await connectOvsdb(ovs.url);
    cleanups.unshift(() => c.close());
    const vsctl = (args: string[]) => exec('ovs-vsctl', [`--db=${ovs.url}`, '--timeout=10', ...args]);
    const rows = [
      await measure('client transact (no wait)', 1000, (i) => c.transact(VSWITCH_DB, write(i))),
      await measure('client transact (no wait), 10 in flight', 2000, (i) => c.transact(VSWITCH_DB, write(i)), 10),
      await measure('client transactAndWait (cur_cfg)', 300, (i) => transactAndWait(c, write(i))),
      await measure('client transactAndWait, 10 in flight', 600, (i) => transactAndWait(c, write(i)), 10),
      await measure('ovs-vsctl --no-wait set', 100, (i) => vsctl(['--no-wait', 'set', 'Open_vSwitch', '.', `external_ids:bench=${i}`])),
      await measure('ovs-vsctl set (waits for vswitchd)', 100, (i) => vsctl(['set', 'Open_vSwitch', '.', `external_ids:bench=${i}`])),
    ];
    console.log(`ovs-vswitchd control socket up ${ovs.vswitchdStartMs} ms after spawn`);
    console.table(rows);
  } finally {
    for (const fn of cleanups.reverse()) await fn();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await run();
