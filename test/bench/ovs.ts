// Benchmark: ovs.vlan-ensure through our daemon vs the v1 plugin's ovs-vsctl sequence for the
// same work (openvswitch-plugin ovs/vlan.go: br-exists, port-to-br x2, add-br, add-port with
// tag, set Interface type=patch options:peer, add-port, set Interface), and vs one ovs-vsctl call
// per VLAN with all steps joined by `--`. Each scenario gets a fresh private ovsdb-server +
// ovs-vswitchd (userspace datapath) so switch size does not favour anyone.
// Run: node --import tsx test/bench/ovs.ts, or `make bench` (run.ts imports `title` and `run`).
import { pathToFileURL } from 'node:url';
import { run as exec } from '../../lib/exec.ts';
import { runIn } from '../../lib/netns.ts';
import { OvsPluginClient } from '../../ovs-plugin/transports/client.ts';
import { startOvs, type Ovs } from '../helpers/ovs.ts';
import { measure } from './measure.ts';
import { BUNDLE, ensureBundle, pluginEnv, startDaemon } from '../ovs-plugin/helpers.ts';

type Cleanup = () => Promise<void> | void;
interface Row {
  scenario: string;
  n: number;
  clients: number;
  'total ms': number;
  'ms/VLAN': number;
  'p50 ms': number;
  'p99 ms': number;
  'vs v1'?: string;
}

async function measureRow(
  scenario: string,
  n: number,
  clients: number,
  fn: (i: number) => Promise<unknown>,
): Promise<Row> {
  const m = await measure(n, clients, fn);
  const q = (p: number) => +m.q(p).toFixed(2);
  return {
    scenario,
    n,
    clients,
    'total ms': Math.round(m.totalMs),
    'ms/VLAN': +(m.totalMs / n).toFixed(2),
    'p50 ms': q(0.5),
    'p99 ms': q(0.99),
  };
}

/** A serial queue: v1's plugin.toml had queue=true, so core0 ran ovs.* commands one at a time. */
export function queued(): <T>(fn: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return (fn) => {
    const p = tail.then(fn);
    tail = p.catch(() => undefined);
    return p;
  };
}

/** The v1 vlan-ensure as forks of ovs-vsctl (netdev datapath added to add-br, as this machine needs). */
export async function v1VlanEnsure(
  vsctl: (a: string[]) => Promise<{ exitCode: number }>,
  master: string,
  tag: number,
): Promise<string> {
  const name = `vlbr${tag}`;
  const patch = `vlbr${tag}p`;
  const peer = `vlbr${tag}in`;
  if ((await vsctl(['br-exists', master])).exitCode !== 0) throw new Error('master bridge does not exist');
  await vsctl(['port-to-br', patch]);
  if ((await vsctl(['port-to-br', peer])).exitCode === 0) return name;
  await vsctl(['add-br', name, '--', 'set', 'Bridge', name, 'datapath_type=netdev']);
  await vsctl(['add-port', master, patch, `tag=${tag}`]);
  await vsctl(['set', 'Interface', patch, 'type=patch', `options:peer=${peer}`]);
  await vsctl(['add-port', name, peer]);
  await vsctl(['set', 'Interface', peer, 'type=patch', `options:peer=${patch}`]);
  return name;
}

/** All the steps in one ovs-vsctl transaction. */
const joinedArgs = (master: string, tag: number): string[] => {
  const [name, patch, peer] = [`vlbr${tag}`, `vlbr${tag}p`, `vlbr${tag}in`];
  return [
    '--may-exist',
    'add-br',
    name,
    '--',
    'set',
    'Bridge',
    name,
    'datapath_type=netdev',
    '--',
    '--may-exist',
    'add-port',
    master,
    patch,
    `tag=${tag}`,
    '--',
    'set',
    'Interface',
    patch,
    'type=patch',
    `options:peer=${peer}`,
    '--',
    '--may-exist',
    'add-port',
    name,
    peer,
    '--',
    'set',
    'Interface',
    peer,
    'type=patch',
    `options:peer=${patch}`,
  ];
};

/** Name shown by test/bench/run.ts. */
export const title = 'ovs-plugin vlan-ensure vs v1 ovs-vsctl';

/** Runs every scenario and prints the table. */
export async function run(): Promise<void> {
  await ensureBundle();
  const cleanups: Cleanup[] = [];
  const t = {
    after: (fn: Cleanup) => {
      cleanups.push(fn);
    },
  };
  const fresh = async (): Promise<Ovs> => {
    const ovs = await startOvs(t as never);
    await ovs.addBridge('backplane');
    return ovs;
  };
  const vsctlOf = (ovs: Ovs) => (a: string[]) =>
    exec('ovs-vsctl', [`--db=${ovs.url}`, '--timeout=20', ...a], { allowFailure: true, timeoutMs: 30000 });
  const N = Number(process.env.BENCH_VLANS ?? 100);
  const rows: Row[] = [];
  try {
    {
      // Ours, through the daemon.
      const ovs = await fresh();
      const d = await startDaemon(t as never, ovs);
      const cs = await Promise.all(Array.from({ length: 10 }, () => OvsPluginClient.connect(d.socket)));
      cleanups.push(() => {
        for (const c of cs) c.close();
      });
      rows.push(
        await measureRow('plugin daemon: new VLAN', N, 1, (i) =>
          cs[0]!.vlanEnsure({ master: 'backplane', vlan: 1 + i }),
        ),
      );
      rows.push(
        await measureRow('plugin daemon: existing VLAN', N * 2, 1, (i) =>
          cs[0]!.vlanEnsure({ master: 'backplane', vlan: 1 + (i % N) }),
        ),
      );
      rows.push(
        await measureRow('plugin daemon: new VLAN', N, 10, (i) =>
          cs[i % 10]!.vlanEnsure({ master: 'backplane', vlan: 1001 + i }),
        ),
      );
      rows.push(
        await measureRow('plugin daemon: existing VLAN', N * 2, 10, (i) =>
          cs[i % 10]!.vlanEnsure({ master: 'backplane', vlan: 1001 + (i % N) }),
        ),
      );
    }
    {
      // Ours, one exec (node start) per call, as a 0-core host would run it.
      const ovs = await fresh();
      const n = Math.min(N, 20);
      rows.push(
        await measureRow('plugin exec: new VLAN', n, 1, (i) =>
          runIn(
            { name: ovs.ns },
            'node',
            [BUNDLE, 'vlan-ensure', JSON.stringify({ master: 'backplane', vlan: 1 + i })],
            { env: pluginEnv(ovs) },
          ),
        ),
      );
    }
    {
      // v1: the ovs-vsctl sequence, commands queued (queue=true).
      const ovs = await fresh();
      const vsctl = vsctlOf(ovs);
      const q = queued();
      rows.push(
        await measureRow('v1 ovs-vsctl sequence: new VLAN', N, 1, (i) => v1VlanEnsure(vsctl, 'backplane', 1 + i)),
      );
      rows.push(
        await measureRow('v1 ovs-vsctl sequence: existing VLAN', N, 1, (i) => v1VlanEnsure(vsctl, 'backplane', 1 + i)),
      );
      rows.push(
        await measureRow('v1 ovs-vsctl sequence: new VLAN', N, 10, (i) =>
          q(() => v1VlanEnsure(vsctl, 'backplane', 1001 + i)),
        ),
      );
    }
    {
      // One ovs-vsctl call per VLAN, all steps joined by `--`.
      const ovs = await fresh();
      const vsctl = vsctlOf(ovs);
      rows.push(
        await measureRow('ovs-vsctl joined by --: new VLAN', N, 1, (i) => vsctl(joinedArgs('backplane', 1 + i))),
      );
      rows.push(
        await measureRow('ovs-vsctl joined by --: new VLAN', N, 10, (i) => vsctl(joinedArgs('backplane', 1001 + i))),
      );
    }
  } finally {
    for (const fn of cleanups.reverse()) await fn();
  }
  const v1 = (clients: number, what: string) =>
    rows.find((r) => r.scenario === `v1 ovs-vsctl sequence: ${what}` && r.clients === clients) ??
    rows.find((r) => r.scenario === `v1 ovs-vsctl sequence: ${what}`);
  for (const r of rows) {
    const what = r.scenario.endsWith('existing VLAN') ? 'existing VLAN' : 'new VLAN';
    const base = v1(r.clients, what);
    if (base) r['vs v1'] = `${(base['ms/VLAN'] / r['ms/VLAN']).toFixed(1)}x`;
  }
  console.table(rows);
  const one = rows.find((r) => r.scenario === 'plugin daemon: new VLAN' && r.clients === 1)!;
  const ten = rows.find((r) => r.scenario === 'plugin daemon: new VLAN' && r.clients === 10)!;
  console.log(`targets: one at a time ${one['vs v1']} (want >= 5x), 10 clients ${ten['vs v1']} (want >= 10x)`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await run();
