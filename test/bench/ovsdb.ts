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
import { measure } from './measure.ts';

const write = (n: number): Operation[] => [
  { op: 'mutate', table: 'Open_vSwitch', where: [], mutations: [['external_ids', 'delete', ['set', ['bench']]]] },
  {
    op: 'mutate',
    table: 'Open_vSwitch',
    where: [],
    mutations: [['external_ids', 'insert', ovsMap({ bench: String(n) })]],
  },
];

async function measureRow(name: string, n: number, fn: (i: number) => Promise<unknown>, parallel = 1) {
  const m = await measure(n, parallel, fn);
  return {
    name,
    n,
    parallel,
    'tx/s': Math.round((n / m.totalMs) * 1000),
    'p50 ms': m.q(0.5).toFixed(2),
    'p99 ms': m.q(0.99).toFixed(2),
  };
}

/** Name shown by test/bench/run.ts. */
export const title = 'OVSDB client transactions vs ovs-vsctl';

/** Measures every row and prints the table. */
export async function run(): Promise<void> {
  const cleanups: (() => Promise<void> | void)[] = [];
  try {
    const ovs = await startOvs({
      after: (fn: () => Promise<void> | void) => {
        cleanups.push(fn);
      },
    } as never);
    const c: Client = await connectOvsdb(ovs.url);
    cleanups.unshift(() => c.close());
    const vsctl = (args: string[]) => exec('ovs-vsctl', [`--db=${ovs.url}`, '--timeout=10', ...args]);
    const rows = [
      await measureRow('client transact (no wait)', 1000, (i) => c.transact(VSWITCH_DB, write(i))),
      await measureRow('client transact (no wait), 10 in flight', 2000, (i) => c.transact(VSWITCH_DB, write(i)), 10),
      await measureRow('client transactAndWait (cur_cfg)', 300, (i) => transactAndWait(c, write(i))),
      await measureRow('client transactAndWait, 10 in flight', 600, (i) => transactAndWait(c, write(i)), 10),
      await measureRow('ovs-vsctl --no-wait set', 100, (i) =>
        vsctl(['--no-wait', 'set', 'Open_vSwitch', '.', `external_ids:bench=${i}`]),
      ),
      await measureRow('ovs-vsctl set (waits for vswitchd)', 100, (i) =>
        vsctl(['set', 'Open_vSwitch', '.', `external_ids:bench=${i}`]),
      ),
    ];
    console.log(`ovs-vswitchd control socket up ${ovs.vswitchdStartMs} ms after spawn`);
    console.table(rows);
  } finally {
    for (const fn of cleanups.reverse()) await fn();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await run();
