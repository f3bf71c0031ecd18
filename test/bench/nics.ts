// Benchmark: attach then detach a vlan nic for each of 200 containers through our daemon, with
// one client and with 10, on a VLAN bridge holding 0 and 1,000 other ports, against the v1
// sequence for the same nic (core0 asked the plugin for vlan-ensure, i.e. ovs-vsctl br-exists +
// port-to-br x2, then ip link add veth / set netns / rename / up, ovs-vsctl add-port; detach:
// ovs-vsctl del-port, ip link del), one at a time and from 10 callers with ovs.* queued as v1.
// Fresh private OVS (netdev) per scenario. Run: node --import tsx test/bench/nics.ts
// [BENCH_NICS=n] [BENCH_PORTS=0,1000].
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { run as exec } from '../../lib/exec.ts';
import { deleteNetns, ensureNetns } from '../../lib/netns.ts';
import { OvsPluginClient } from '../../ovs-plugin/transports/client.ts';
import { randomName } from '../helpers/netns.ts';
import { startOvs, type Ovs } from '../helpers/ovs.ts';
import { ensureBundle, startDaemon } from '../ovs-plugin/helpers.ts';
import { measure } from './measure.ts';
import { queued, v1VlanEnsure } from './ovs.ts';

type Cleanup = () => Promise<void> | void;
interface Row {
  scenario: string;
  ports: number;
  clients: number;
  n: number;
  'total ms': number;
  'ms/nic': number;
  'p50 ms': number;
  'p99 ms': number;
  'vs v1'?: string;
}

/** Name shown by test/bench/run.ts. */
export const title = 'ovs-plugin nic attach+detach vs v1 ip + ovs-vsctl';

/**
 * `count` other ports on `bridge`, as other containers' nics would be: veth pairs (made in one
 * `ip -batch`, left down, so no traffic) whose host ends are ports, 100 per ovs-vsctl call.
 * (Patch ports with no peer would be cheaper to make but ovs-vswitchd logs each of them on every
 * reconfiguration, which measures its logging, not the switch size.)
 */
async function fillPorts(ovs: Ovs, bridge: string, count: number): Promise<void> {
  if (!count) return;
  const lines = Array.from({ length: count }, (_, j) => `link add name fill${j} type veth peer name fillp${j}`);
  await exec('ip', ['-n', ovs.ns, '-batch', '-'], { input: lines.join('\n') + '\n', timeoutMs: 120000 });
  for (let i = 0; i < count; i += 100) {
    const args: string[] = [];
    for (let j = i; j < Math.min(count, i + 100); j++) args.push('--', 'add-port', bridge, `fill${j}`);
    await ovs.vsctl(...args.slice(1));
  }
}

/** Runs every scenario and prints the table. */
export async function run(): Promise<void> {
  await ensureBundle();
  const N = Number(process.env.BENCH_NICS ?? 200);
  const cleanups: Cleanup[] = [];
  const t = {
    after: (fn: Cleanup) => {
      cleanups.push(fn);
    },
  };
  const rows: Row[] = [];
  const containers = Array.from({ length: N }, () => randomName('bc'));
  try {
    for (const ns of containers) await ensureNetns(ns);
    cleanups.push(async () => {
      for (const ns of containers) await deleteNetns(ns);
    });
    const row = async (scenario: string, ports: number, clients: number, fn: (i: number) => Promise<unknown>) => {
      const m = await measure(N, clients, fn);
      rows.push({
        scenario,
        ports,
        clients,
        n: N,
        'total ms': Math.round(m.totalMs),
        'ms/nic': +(m.totalMs / N).toFixed(1),
        'p50 ms': +m.q(0.5).toFixed(1),
        'p99 ms': +m.q(0.99).toFixed(1),
      });
    };
    for (const ports of (process.env.BENCH_PORTS ?? '0,1000').split(',').map(Number)) {
      {
        // Ours, through the daemon: one nic.attach and one nic.detach per container.
        const ovs = await startOvs(t as never);
        await ovs.addBridge('backplane');
        const dir = await mkdtemp(join(tmpdir(), 'nicbench-'));
        cleanups.push(() => rm(dir, { recursive: true, force: true }));
        const d = await startDaemon(t as never, ovs, 'plugin.sock', {
          OVS_PLUGIN_STATE: join(dir, 'nics.json'),
          OVS_PLUGIN_GC_MS: '0',
        });
        const cs = await Promise.all(Array.from({ length: 10 }, () => OvsPluginClient.connect(d.socket)));
        cleanups.push(() => {
          for (const c of cs) c.close();
        });
        await cs[0]!.vlanEnsure({ master: 'backplane', vlan: 10 });
        await fillPorts(ovs, 'vlbr10', ports);
        for (const clients of [1, 10]) {
          await row('plugin daemon', ports, clients, async (i) => {
            const c = cs[i % clients]!;
            const target = { netns: containers[i]! };
            await c.nicAttach({ target, nic: { type: 'vlan', id: 10 } });
            await c.nicDetach({ target, name: 'eth0' });
          });
        }
      }
      {
        // v1: vlan-ensure through the plugin (queued), then ip + ovs-vsctl as core0 did.
        const ovs = await startOvs(t as never);
        await ovs.addBridge('backplane');
        const vsctl = (a: string[]) =>
          exec('ovs-vsctl', [`--db=${ovs.url}`, '--timeout=20', ...a], { allowFailure: true, timeoutMs: 30000 });
        await v1VlanEnsure(vsctl, 'backplane', 10);
        await fillPorts(ovs, 'vlbr10', ports);
        const ip = (...a: string[]) => exec('ip', ['-n', ovs.ns, ...a], { timeoutMs: 30000 });
        for (const clients of [1, 10]) {
          const q = queued();
          await row('v1 ip + ovs-vsctl', ports, clients, async (i) => {
            const ns = containers[i]!;
            const [h, p] = [`vb${i}h${clients}`, `vb${i}p${clients}`];
            const br = await q(() => v1VlanEnsure(vsctl, 'backplane', 10));
            await ip('link', 'add', h, 'type', 'veth', 'peer', 'name', p);
            await ip('link', 'set', p, 'netns', ns);
            await exec('ip', ['-n', ns, 'link', 'set', p, 'name', 'eth0']);
            await exec('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
            await ip('link', 'set', h, 'up');
            await q(() => vsctl(['add-port', br, h]));
            await q(() => vsctl(['del-port', br, h]));
            await ip('link', 'del', h);
          });
        }
      }
    }
  } finally {
    for (const fn of cleanups.reverse()) await fn();
  }
  for (const r of rows) {
    const base = rows.find((b) => b.scenario.startsWith('v1') && b.ports === r.ports && b.clients === r.clients);
    if (base) r['vs v1'] = `${(base['ms/nic'] / r['ms/nic']).toFixed(1)}x`;
  }
  console.table(rows);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await run();
