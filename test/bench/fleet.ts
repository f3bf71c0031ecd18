// Benchmark of fleet mode (issue 20): port-up latency, from the call to `ovn-installed` on the
// interface, for BENCH_FLEET_PORTS logical ports (default 100; e.g. 100,1000) over 3 chassis on
// one overlay network, in one OVN world of test/helpers/ovn-world.ts (central namespace with NB,
// SB and ovn-northd; chassis namespaces with their own Open vSwitch, netdev datapath, and
// ovn-controller). Port i goes to chassis i % 3; the three chassis run at once, each one port at
// a time. Three columns of one run:
// - ours: `nic.attach` of a `fleet` nic through each chassis's plugin daemon and its typed client
//   (it answers once ovn-controller has set ovn-installed);
// - the fork sequence a script would run for the same port: `ovn-nbctl lsp-add -- lsp-set-addresses`
//   (one fork), `ip link add` veth with its peer in the container, its address, both ends up
//   (4 `ip` forks), `ovs-vsctl add-port br-int -- set Interface external_ids:iface-id`,
//   `ovs-vsctl wait-until Interface external_ids:ovn-installed=true`;
// - OVN's own binding time: in ovn-controller's log, "Claiming lport X" to "Setting lport X
//   ovn-installed in OVS" (the nearest measurable to "port created to installed": the claim is
//   made in the same loop that sees the new interface once its binding is in the SB).
// Also the SB load per port (SB ovsdb-server and ovn-northd CPU, SB file growth) for the
// 1,000-chassis estimate in docs/fleet.md. Everything in namespaces made here, removed at the end.
// Run: node --import tsx test/bench/fleet.ts [BENCH_FLEET_PORTS=100,1000]
import { spawn } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { run as exec } from '../../lib/exec.ts';
import { OvsPluginClient } from '../../ovs-plugin/transports/client.ts';
import { makeNetns } from '../helpers/netns.ts';
import { joinedChassis, startCentral, type Central, type Chassis } from '../helpers/ovn-world.ts';
import { startDaemon } from '../ovs-plugin/helpers.ts';

/** Name shown by test/bench/run.ts. */
export const title = 'fleet: port-up latency (attach to ovn-installed), plugin vs ovn-nbctl + ovs-vsctl forks vs OVN';

type Cleanup = () => Promise<void> | void;
const CHASSIS = 3;
const NET = 'benchnet';

const q = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN;
};
const r1 = (x: number) => +x.toFixed(1);

/** CPU time (user + system) of the process whose pid is in `pidFile`, in ms. */
async function cpuMs(pidFile: string): Promise<number> {
  const pid = (await readFile(pidFile, 'utf8')).trim();
  const f = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) * 10; // utime, stime in 100 Hz ticks
}

/** Per lport: ms from "Claiming lport" to "Setting lport ... ovn-installed in OVS" in `log` from `from` on. */
async function ovnOwn(log: string, from: number): Promise<number[]> {
  const text = (await readFile(log, 'utf8')).slice(from);
  const claimed = new Map<string, number>();
  const out: number[] = [];
  for (const line of text.split('\n')) {
    const m =
      /^(\S+Z)\|\d+\|binding\|INFO\|(Claiming lport (\S+) for this chassis|Setting lport (\S+) ovn-installed)/.exec(
        line,
      );
    if (!m) continue;
    const at = Date.parse(m[1]!);
    if (m[3] && !claimed.has(m[3])) claimed.set(m[3], at);
    if (m[4] && claimed.has(m[4])) {
      out.push(at - claimed.get(m[4])!);
      claimed.delete(m[4]);
    }
  }
  return out;
}

/** Interface name -> when (performance.now()) its row first had iface-id, and ovn-installed=true. */
type Seen = Map<string, { created?: number; installed?: number }>;

/**
 * An `ovsdb-client monitor` of the chassis's Interface table (not our client: an independent
 * witness), each update stamped as it arrives; stopped (by its own pid) at cleanup.
 */
function watchInterfaces(ch: Chassis, t: { after(fn: Cleanup): void }): Seen {
  const seen: Seen = new Map();
  const p = spawn(
    'ovsdb-client',
    ['monitor', ch.ovs.url, 'Open_vSwitch', 'Interface', 'name,external_ids'].concat(['--format=json', '--data=json']),
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  t.after(async () => {
    if (p.exitCode !== null || p.signalCode !== null) return;
    const gone = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    await gone;
  });
  let buf = '';
  p.stdout!.on('data', (d: Buffer) => {
    const now = performance.now();
    buf += d.toString();
    let nl = buf.indexOf('\n');
    while (nl >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      nl = buf.indexOf('\n');
      if (!line.startsWith('{')) continue;
      const u = JSON.parse(line) as { headings: string[]; data: unknown[][] };
      const [iName, iIds] = [u.headings.indexOf('name'), u.headings.indexOf('external_ids')];
      const iAction = u.headings.indexOf('action');
      for (const row of u.data) {
        // A deleted row's last values (and a modified row's old ones) are no news of a port.
        if (row[iAction] === 'delete' || row[iAction] === 'old') continue;
        const ids = new Map((row[iIds] as [string, [string, string][]])[1]);
        const name = row[iName] as string;
        const s = seen.get(name) ?? {};
        if (ids.has('iface-id') && s.created === undefined) s.created = now;
        if (ids.get('ovn-installed') === 'true' && s.installed === undefined) s.installed = now;
        seen.set(name, s);
      }
    }
  });
  return seen;
}

interface Phase {
  lat: number[];
  ovn: number[];
  /** Per port: the row with iface-id seen in OVSDB -> ovn-installed seen (the witness monitor). */
  ovsdb: number[];
  totalMs: number;
  /** The ports made (all of 0..n-1 unless the deadline cut the phase short). */
  made: number[];
  /** Ports whose attach failed (counted, not timed; the run goes on), and the first error. */
  failed: number[];
  firstError?: string;
  /** The latencies of chassis k's ports, in the order they were made. */
  byChassis: number[][];
  sbCpu: number;
  northdCpu: number;
  controllerCpu: number;
  sbBytes: number;
}

/** Runs `attach(i, chassis k)` for ports 0..n-1, the chassis at once, each in turn; with OVN's side. */
async function phase(
  c: Central,
  chs: Chassis[],
  n: number,
  attach: (i: number, k: number) => Promise<void>,
  seen: Seen[],
): Promise<Phase> {
  for (const s of seen) s.clear();
  const logs = chs.map((ch) => join(ch.ovs.dir, 'ovn-controller.log'));
  const offsets = await Promise.all(logs.map(async (l) => (await readFile(l, 'utf8')).length));
  const sbFile = join(c.dir, 'sb.db');
  const central = async () => ({
    sb: await cpuMs(join(c.dir, 'sb.pid')),
    northd: await cpuMs(join(c.dir, 'northd.pid')),
    ctl: (await Promise.all(chs.map((ch) => cpuMs(join(ch.ovs.dir, 'ovn-controller.pid'))))).reduce((a, b) => a + b),
    bytes: (await stat(sbFile)).size,
  });
  const before = await central();
  const lat: number[] = [];
  const byChassis: number[][] = chs.map(() => []);
  const made: number[] = [];
  const failed: number[] = [];
  let firstError: string | undefined;
  // BENCH_FLEET_PHASE_S bounds a phase: no new port after it (what was made is measured and undone).
  const deadline = performance.now() + Number(process.env.BENCH_FLEET_PHASE_S ?? 1e6) * 1000;
  const t0 = performance.now();
  await Promise.all(
    chs.map(async (_, k) => {
      for (let i = k; i < n && performance.now() < deadline; i += chs.length) {
        const s = performance.now();
        try {
          await attach(i, k);
        } catch (e) {
          failed.push(i);
          firstError ??= String((e as Error).message).split('\n')[0];
          continue;
        }
        lat.push(performance.now() - s);
        byChassis[k]!.push(performance.now() - s);
        made.push(i);
      }
    }),
  );
  const totalMs = performance.now() - t0;
  // ovn-controller writes its log line as it sets the key; a short pause lets the last lines land.
  await new Promise((r) => setTimeout(r, 200));
  const after = await central();
  const ovn = (await Promise.all(logs.map((l, k) => ovnOwn(l, offsets[k]!)))).flat();
  const ovsdb = seen.flatMap((s) =>
    [...s.values()].flatMap((x) =>
      x.created !== undefined && x.installed !== undefined ? [x.installed - x.created] : [],
    ),
  );
  return {
    lat,
    byChassis,
    made,
    failed,
    ...(firstError ? { firstError } : {}),
    ovn,
    ovsdb,
    totalMs,
    sbCpu: after.sb - before.sb,
    northdCpu: after.northd - before.northd,
    controllerCpu: after.ctl - before.ctl,
    sbBytes: after.bytes - before.bytes,
  };
}

const ipOf = (base: number, i: number) => `10.${base}.${Math.floor(i / 250)}.${(i % 250) + 1}`;
const macOf = (i: number) =>
  `02:fb:00:00:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`;

/** Runs every size and prints the tables. */
export async function run(): Promise<void> {
  const sizes = (process.env.BENCH_FLEET_PORTS ?? '100').split(',').map(Number);
  const cleanups: Cleanup[] = [];
  const t = { after: (fn: Cleanup) => void cleanups.push(fn) };
  const rows: Record<string, string | number>[] = [];
  const load: Record<string, string | number>[] = [];
  const verdicts: string[] = [];
  const trace = process.env.BENCH_FLEET_TRACE === '1';
  const steps = new Map<string, number[]>();
  const loadStart = loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
  try {
    const c = await startCentral(t as never);
    const chs = await Promise.all(Array.from({ length: CHASSIS }, (_, k) => joinedChassis(t as never, c, k + 1)));
    const clients: OvsPluginClient[] = [];
    const daemons: Awaited<ReturnType<typeof startDaemon>>[] = [];
    for (const ch of chs) {
      const d = await startDaemon(t, ch.ovs, 'plugin.sock', {
        OVS_PLUGIN_STATE: ch.state,
        OVS_PLUGIN_GC_MS: '0',
        OVS_PLUGIN_PORT_UP_MS: '60000',
        ...(trace ? { OVS_PLUGIN_TRACE: '1' } : {}),
      });
      daemons.push(d);
      const cl = await OvsPluginClient.connect(d.socket);
      cleanups.push(() => cl.close());
      clients.push(cl);
    }
    const seen = chs.map((ch) => watchInterfaces(ch, t));
    await clients[0]!.fleetNetworkEnsure({ name: NET });
    const containers: string[] = [];
    const max = Math.max(...sizes);
    for (let i = 0; i < max; i++) containers.push(await makeNetns(t, 'fbc'));

    for (const n of sizes) {
      // Ours: the daemon's nic.attach; then every nic detached (not timed).
      const outAt = daemons.map((d) => d.output().length);
      const ours = await phase(
        c,
        chs,
        n,
        async (i, k) => {
          await clients[k]!.nicAttach({
            target: { netns: containers[i]! },
            nic: { type: 'fleet', id: NET, config: { cidr: `${ipOf(90, i)}/16` } },
          });
        },
        seen,
      );
      const outEnd = daemons.map((d) => d.output().length);
      for (const i of ours.made)
        await clients[i % CHASSIS]!.nicDetach({ target: { netns: containers[i]! }, name: 'eth0' });

      // The fork sequence for the same ports; then removed in bulk (not timed).
      const forks = await phase(
        c,
        chs,
        n,
        async (i, k) => {
          const ch = chs[k]!;
          const [lsp, host, cns, mac, addr] = [`fork-${i}`, `fb${i}`, containers[i]!, macOf(i), ipOf(91, i)];
          await exec(
            'ip',
            ['netns', 'exec', ch.ns, 'ovn-nbctl', `--db=${c.nb}`, '--timeout=20', 'lsp-add', NET, lsp].concat([
              '--',
              'lsp-set-addresses',
              lsp,
              `${mac} ${addr}`,
            ]),
            { timeoutMs: 30000 },
          );
          await exec(
            'ip',
            ['-n', ch.ns, 'link', 'add', host, 'type', 'veth', 'peer', 'name', 'eth0'].concat([
              'address',
              mac,
              'netns',
              cns,
            ]),
          );
          await exec('ip', ['-n', cns, 'addr', 'add', `${addr}/16`, 'dev', 'eth0']);
          await exec('ip', ['-n', cns, 'link', 'set', 'eth0', 'up']);
          await exec('ip', ['-n', ch.ns, 'link', 'set', host, 'up']);
          const vsctl = ['--db=' + ch.ovs.url, '--timeout=60'];
          await exec('ovs-vsctl', [
            ...vsctl,
            'add-port',
            'br-int',
            host,
            '--',
            'set',
            'Interface',
            host,
            `external_ids:iface-id=${lsp}`,
          ]);
          await exec('ovs-vsctl', [...vsctl, 'wait-until', 'Interface', host, 'external_ids:ovn-installed=true'], {
            timeoutMs: 70000,
          });
        },
        seen,
      );
      for (const [k, ch] of chs.entries()) {
        const mine = [...forks.made, ...forks.failed].filter((i) => i % CHASSIS === k);
        if (!mine.length) continue;
        await exec('ovs-vsctl', [
          '--db=' + ch.ovs.url,
          '--timeout=60',
          ...mine.flatMap((i) => ['--', '--if-exists', 'del-port', `fb${i}`]).slice(1),
        ]);
        await exec('ip', ['-n', ch.ns, '-force', '-batch', '-'], {
          allowFailure: true,
          input: mine.map((i) => `link del fb${i}\n`).join(''),
        });
      }
      await c.nbctl(
        ...[...forks.made, ...forks.failed].flatMap((i) => ['--', '--if-exists', 'lsp-del', `fork-${i}`]).slice(1),
      );

      if (trace) {
        // Each daemon attaches one nic at a time: consecutive attach steps are one nic's, and the
        // j-th nic's steps on chassis k go with the j-th latency there (the rest is outside the steps).
        for (const [k, d] of daemons.entries()) {
          let prev: [string, number] | undefined;
          let recorded = 0;
          let j = 0;
          for (const m of d
            .output()
            .slice(outAt[k], outEnd[k])
            .matchAll(/^(attach:\S+) (\d+\.\d)$/gm)) {
            const [step, at] = [m[1]!, Number(m[2])];
            if (step === 'attach:start') recorded = at;
            else if (prev) {
              const key = `${prev[0]} -> ${step}`;
              steps.set(key, [...(steps.get(key) ?? []), at - prev[1]]);
            }
            if (step === 'attach:written') {
              const key = 'outside attach:start -> attach:written (client, socket, dispatch)';
              steps.set(key, [...(steps.get(key) ?? []), ours.byChassis[k]![j++]! - (at - recorded)]);
            }
            prev = [step, at];
          }
        }
      }
      const row = (path: string, xs: number[], total?: number, failed?: Phase) =>
        rows.push({
          path,
          ports: n,
          chassis: CHASSIS,
          measured: xs.length,
          failed: failed ? failed.failed.length : '',
          'p50 ms': r1(q(xs, 0.5)),
          'p99 ms': r1(q(xs, 0.99)),
          'max ms': r1(Math.max(...xs)),
          'total s': total === undefined ? '' : r1(total / 1000),
        });
      row('ours: plugin daemon + typed client', ours.lat, ours.totalMs, ours);
      row('forks: ovn-nbctl + ip + ovs-vsctl (+wait-until)', forks.lat, forks.totalMs, forks);
      for (const [what, p] of [
        ['ours', ours],
        ['forks', forks],
      ] as const)
        if (p.firstError) verdicts.push(`${n} ports, ${what}: ${p.failed.length} failed, first: ${p.firstError}`);
      row("OVN's own (iface-id in OVSDB -> ovn-installed), ours' run", ours.ovsdb);
      row("OVN's own (iface-id in OVSDB -> ovn-installed), forks' run", forks.ovsdb);
      row("OVN's own (claim -> ovn-installed), ours' run", ours.ovn);
      row("OVN's own (claim -> ovn-installed), forks' run", forks.ovn);
      for (const [what, p] of [
        ['ours', ours],
        ['forks', forks],
      ] as const)
        load.push({
          run: what,
          ports: n,
          made: p.made.length,
          'SB cpu ms/port': r1(p.sbCpu / p.made.length),
          'northd cpu ms/port': r1(p.northdCpu / p.made.length),
          'ovn-controller cpu ms/port (3 summed)': r1(p.controllerCpu / p.made.length),
          'SB file bytes/port': Math.round(p.sbBytes / p.made.length),
        });
      const gap = q(ours.lat, 0.99) - q(ours.ovsdb, 0.99);
      const x50 = q(forks.lat, 0.5) / q(ours.lat, 0.5);
      const x99 = q(forks.lat, 0.99) / q(ours.lat, 0.99);
      verdicts.push(
        `${n} ports: ours p99 - OVN's own p99 = ${r1(gap)} ms (target <= 50: ${gap <= 50 ? 'met' : 'NOT met'}); ` +
          `forks/ours p50 ${x50.toFixed(1)}x, p99 ${x99.toFixed(1)}x ` +
          `(target >= 3x: ${x50 >= 3 && x99 >= 3 ? 'met' : 'NOT met'})`,
      );
    }
  } finally {
    for (const fn of cleanups.reverse()) await fn();
    console.table(rows);
    console.table(load);
    if (trace)
      console.table(
        [...steps].map(([step, xs]) => ({ step, n: xs.length, 'p50 ms': r1(q(xs, 0.5)), 'p99 ms': r1(q(xs, 0.99)) })),
      );
    for (const v of verdicts) console.log(v);
    console.log(
      `load average (1 5 15 min): at start ${loadStart}, at end ${loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}`,
    );
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href)
  run().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
