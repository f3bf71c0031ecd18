// What one port change costs ovs-vswitchd on a netdev bridge holding N other ports (0, 1,000):
// `ovs-vsctl add-port` / `del-port` of one veth (waiting for cur_cfg, as every nic plug does),
// and ovs-vswitchd's own counters over the changes (`ovs-appctl coverage/show` deltas per
// change: bridge reconfigurations, netlink requests it sent). Why nic latency grows with the
// bridge (docs/nics.md). Run: node --import tsx test/bench/ovs-ports.ts [BENCH_CHANGES=n].
import { pathToFileURL } from 'node:url';
import { run as exec } from '../../lib/exec.ts';
import { startOvs, type Ovs } from '../helpers/ovs.ts';

/** Name shown by test/bench/run.ts. */
export const title = 'ovs-vswitchd cost of one port change, 0 vs 1,000 ports (netdev)';

type Cleanup = () => Promise<void> | void;

/** `count` veth host ends as ports of `bridge` (100 per ovs-vsctl call), as in nics.ts. */
async function fill(ovs: Ovs, bridge: string, count: number): Promise<void> {
  if (!count) return;
  const lines = Array.from({ length: count }, (_, j) => `link add name f${j} type veth peer name fp${j}`);
  await exec('ip', ['-n', ovs.ns, '-batch', '-'], { input: lines.join('\n') + '\n', timeoutMs: 120000 });
  for (let i = 0; i < count; i += 100) {
    const args: string[] = [];
    for (let j = i; j < Math.min(count, i + 100); j++) args.push('--', 'add-port', bridge, `f${j}`);
    await ovs.vsctl(...args.slice(1));
  }
}

/**
 * The total of each coverage counter (ovs-vswitchd folds its counts into the totals about once a second: wait for
 * that).
 */
async function coverage(ovs: Ovs): Promise<Map<string, number>> {
  await new Promise((r) => setTimeout(r, 1500));
  const text = await ovs.appctl('ovs-vswitchd', 'coverage/show');
  return new Map([...text.matchAll(/^(\S+)\s+.*total:\s*(\d+)$/gm)].map((m) => [m[1]!, Number(m[2])]));
}

/** Runs both sizes and prints the table. */
export async function run(): Promise<void> {
  const changes = Number(process.env.BENCH_CHANGES ?? 10);
  const cleanups: Cleanup[] = [];
  const t = {
    after: (fn: Cleanup) => {
      cleanups.push(fn);
    },
  };
  const rows: Record<string, number | string>[] = [];
  try {
    for (const ports of [0, 1000]) {
      const ovs = await startOvs(t as never);
      await ovs.addBridge('br');
      await fill(ovs, 'br', ports);
      await exec('ip', ['-n', ovs.ns, 'link', 'add', 'x', 'type', 'veth', 'peer', 'name', 'xp']);
      const before = await coverage(ovs);
      const add: number[] = [];
      const del: number[] = [];
      for (let k = 0; k < changes; k++) {
        let s = performance.now();
        await ovs.vsctl('add-port', 'br', 'x');
        add.push(performance.now() - s);
        s = performance.now();
        await ovs.vsctl('del-port', 'br', 'x');
        del.push(performance.now() - s);
      }
      const after = await coverage(ovs);
      const per = (k: string) => +(((after.get(k) ?? 0) - (before.get(k) ?? 0)) / (2 * changes)).toFixed(1);
      const p50 = (xs: number[]) => +[...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!.toFixed(1);
      rows.push({
        ports,
        changes: 2 * changes,
        'add p50 ms': p50(add),
        'del p50 ms': p50(del),
        'reconfigure/change': per('bridge_reconfigure'),
        'netlink sent/change': per('netlink_sent'),
        'netdev_get_stats/change': per('netdev_get_stats'),
      });
    }
  } finally {
    for (const fn of cleanups.reverse()) await fn();
  }
  console.table(rows);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await run();
