// In-node nic checks for the boot tests (`zos.test.nics`, printed as `NICS {...}`), through the
// plugin's socket on the kernel datapath:
//   vlan        three namespaces with a `vlan` nic each, two on VLAN 100 and one on 101: the two
//               ping each other, the third is not reached; detach leaves the host's links and
//               OVS ports as they were, the namespaces with only `lo` and no record.
//   passthrough the spare NIC (`zos.test.nics=eth1`) moved into a namespace under another name,
//               MAC and MTU; the namespace deleted (the kernel hands the NIC back to the host
//               under its inside name); `nic.gc` finds it and restores name, MAC, MTU, up state.
import { run } from '../../../lib/exec.ts';
import type { OvsPluginClient } from '../../../ovs-plugin/transports/client.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
interface Link {
  ifname: string;
  address?: string;
  permaddr?: string;
  mtu: number;
  flags: string[];
  parentdev?: string;
}

async function links(ns?: string): Promise<Link[]> {
  const r = await run('ip', [...(ns ? ['-n', ns] : []), '-d', '-j', 'link', 'show']);
  return JSON.parse(r.stdout || '[]') as Link[];
}

/** The host's link names and OVS ports, sorted: what a detach must leave as it found it. */
async function hostView(): Promise<{ links: string[]; ports: string[] }> {
  const ports = await run('ovs-vsctl', [
    '--timeout=10',
    '--format=csv',
    '--no-headings',
    '--columns=name',
    'list',
    'Port',
  ]);
  return { links: (await links()).map((l) => l.ifname).sort(), ports: ports.stdout.split('\n').filter(Boolean).sort() };
}

/** True when `from` (a namespace) gets an answer from `to` within `secs`. busybox ping: `-c 1
 * -W secs` ends at the first reply (or `secs` after its one request); without replies `-w secs`
 * ends at the deadline (with `-c` it would wait -W after the last request instead). */
async function pings(from: string, to: string, secs: number, expect: boolean): Promise<boolean> {
  const opts = expect ? ['-c', '1', '-W', String(secs)] : ['-w', String(secs)];
  const r = await run('nsenter', [`--net=/run/netns/${from}`, 'ping', ...opts, to], {
    allowFailure: true,
    timeoutMs: (secs + 10) * 1000,
  });
  return r.exitCode === 0;
}

async function vlanCheck(client: OvsPluginClient): Promise<Record<string, unknown>> {
  await client.call('ovs.bridge-add', { bridge: 'backplane', may_exist: true });
  for (const vlan of [100, 101]) await client.call('ovs.vlan-ensure', { master: 'backplane', vlan });
  const before = await hostView();
  const spaces = [
    ['ztva', 100, '10.100.0.1/24'],
    ['ztvb', 100, '10.100.0.2/24'],
    ['ztvc', 101, '10.100.0.3/24'],
  ] as const;
  const attached: { ns: string; name: string; hwaddr: string; bridge?: string }[] = [];
  for (const [ns] of spaces) await run('ip', ['netns', 'add', ns]);
  try {
    for (const [ns, id, cidr] of spaces) {
      const r = await client.nicAttach({
        target: { netns: ns },
        nic: { type: 'vlan', id: String(id), config: { cidr } },
      });
      attached.push({ ns, name: r.name, hwaddr: r.hwaddr, ...(r.bridge ? { bridge: r.bridge } : {}) });
    }
    const sameVlan = await pings('ztva', '10.100.0.2', 10, true);
    const otherVlan = await pings('ztva', '10.100.0.3', 2, false);
    const listed = (await client.call<unknown[]>('nic.list', {})).length;
    for (const a of attached) await client.nicDetach({ target: { netns: a.ns }, name: a.name });
    const after = await hostView();
    const left: Record<string, string[]> = {};
    for (const [ns] of spaces) left[ns] = (await links(ns)).map((l) => l.ifname).filter((n) => n !== 'lo');
    return {
      attached,
      sameVlan,
      otherVlan,
      listed,
      listedAfter: (await client.call<unknown[]>('nic.list', {})).length,
      leftInNamespaces: left,
      hostSame: JSON.stringify(before) === JSON.stringify(after),
      ...(JSON.stringify(before) !== JSON.stringify(after) ? { before, after } : {}),
    };
  } finally {
    for (const [ns] of spaces) await run('ip', ['netns', 'del', ns], { allowFailure: true });
  }
}

async function passthroughCheck(client: OvsPluginClient, nic: string): Promise<Record<string, unknown>> {
  // Up first, so that "restored" covers the up state (the kernel returns a NIC down).
  await run('ip', ['link', 'set', 'dev', nic, 'up']);
  const orig = (await links()).find((l) => l.ifname === nic);
  if (!orig) return { ok: false, error: `no ${nic} on the node` };
  const same = (l: Link) =>
    (l.permaddr ?? l.address) === (orig.permaddr ?? orig.address) && l.parentdev === orig.parentdev;
  const ns = 'ztpt';
  await run('ip', ['netns', 'add', ns]);
  let deleted = false;
  try {
    const attach = await client.nicAttach({
      target: { netns: ns },
      nic: {
        type: 'passthrough',
        id: nic,
        name: 'pt0',
        hwaddr: '02:00:00:00:00:77',
        mtu: 1400,
        config: { cidr: '10.77.0.1/24' },
      },
    });
    const inside = (await links(ns)).find((l) => l.ifname === 'pt0');
    await run('ip', ['netns', 'del', ns]);
    deleted = true;
    // Namespace teardown is asynchronous: wait for the NIC to reappear on the host.
    const t0 = Date.now();
    let back: Link | undefined;
    while (!back && Date.now() - t0 < 30_000) {
      back = (await links()).find(same);
      if (!back) await sleep(100);
    }
    const returnedAfterMs = Date.now() - t0;
    const gc = await client.nicGc();
    const restored = (await links()).find(same);
    return {
      ok: true,
      orig: pick(orig),
      attach,
      inside: inside && pick(inside),
      returnedAs: back && pick(back),
      returnedAfterMs,
      gc,
      restored: restored && pick(restored),
      listedAfter: (await client.call<unknown[]>('nic.list', {})).length,
    };
  } finally {
    if (!deleted) await run('ip', ['netns', 'del', ns], { allowFailure: true });
  }
}

const pick = (l: Link) => ({ ifname: l.ifname, address: l.address, mtu: l.mtu, up: l.flags.includes('UP') });

/** Both checks; `spare` names the NIC passthrough may take (none: that part is skipped). */
export async function nicChecks(client: OvsPluginClient, spare: string | undefined): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  try {
    out.vlan = await vlanCheck(client);
    if (spare) out.passthrough = await passthroughCheck(client, spare);
    out.ok = true;
  } catch (err) {
    Object.assign(out, { ok: false, error: (err as Error).message, code: (err as { code?: string }).code });
  }
  return out;
}
