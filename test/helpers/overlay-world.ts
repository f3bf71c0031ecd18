// A small internet for the overlay tests. A "switch" namespace (Linux bridge br0, holding the
// "router" addresses 198.18.0.254 / 2001:db8:99::fe that every public node routes through) is
// the underlay; public nodes are plugged into it with an IPv4 and an IPv6 address; a hidden node
// and a laptop each sit behind their own "home router" namespace that masquerades (IPv4 and IPv6)
// and drops what comes in unasked. Every node is its own network AND mount namespace with a
// private /run (wireguard-go's sockets and `ip netns` names are per node). All links of the
// underlay take one MTU (1280, 1500, 9000). close() (also run by t.after) kills every process in
// the world's namespaces, which frees them and everything inside.
import { closeSync, openSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { run, type RunOptions, type RunResult } from '../../lib/exec.ts';
import { ip } from '../../lib/ip.ts';
import { netnsAt, type NetnsRef } from '../../lib/netns.ts';
import { holdNamespaces, holdProcess, processesIn, sweep, type Held } from './overlay-held.ts';

/** Somewhere commands run: a node, a router, a container. */
export interface Place {
  readonly label: string;
  /** The argv that runs `cmd args` there. */
  command(cmd: string, args: readonly string[]): string[];
}

/** Runs `cmd args` at `place` (default timeout 60 s). */
export function runAt(place: Place, cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const [file, ...rest] = place.command(cmd, args);
  return run(file!, rest, { timeoutMs: 60_000, ...opts });
}

/** A node: public (on the switch) or hidden / laptop (behind its home router). */
export interface WorldNode extends Place, Held {
  readonly id: string;
  readonly netns: NetnsRef;
  /** Its underlay addresses (no prefix length): what others dial when it is public. */
  readonly v4: string;
  readonly v6: string;
  readonly hidden: boolean;
  /** Its home router (hidden nodes and laptops). */
  readonly router?: Place & Held & { readonly v4: string; readonly v6: string };
  /** A path under the node's private /run as this process reaches it (/proc/<pid>/root/run/...). */
  runPath(rel: string): string;
}

/** A container inside a node: its own network namespace, held by a `sleep`, targeted by pid. */
export interface Container extends Place {
  readonly pid: number;
  readonly node: WorldNode;
  readonly netns: NetnsRef;
}

export interface WorldOptions {
  /** Underlay MTU (default 1500). */
  mtu?: number;
  /** Ids of public nodes (default a, b). */
  publics?: readonly string[];
  /** Ids of hidden nodes, each behind its own router (default h). */
  hidden?: readonly string[];
  /** A laptop behind its own router (default true). */
  laptop?: boolean;
}

export const SWITCH_V4 = '198.18.0.254';
export const SWITCH_V6 = '2001:db8:99::fe';

/** The world: its nodes by id (the laptop is `laptop`), a temp directory, close(). */
export interface World {
  readonly mtu: number;
  readonly dir: string;
  readonly switch: Place & Held;
  readonly nodes: ReadonlyMap<string, WorldNode>;
  node(id: string): WorldNode;
  /** A new container in `node` (lo up), gone with the world or by kill(). */
  container(node: WorldNode): Promise<Container & { kill(): void }>;
  /** Brings the laptop's WireGuard up with plain wg-quick (userspace: wireguard-go) from `config`. */
  laptopUp(config: string, name?: string): Promise<void>;
  /** Kills everything in the world's namespaces; returns the pids that would not die. */
  close(): Promise<number[]>;
  /** Processes still in the world's namespaces. */
  leftovers(): Promise<number[]>;
}

const placeOf = (label: string, h: Held, withMount: boolean): Place => ({
  label,
  command: (cmd, args) => ['nsenter', `--net=${h.net}`, ...(withMount ? [`--mount=${h.mnt}`] : []), '--', cmd, ...args],
});

async function nft(at: Place, text: string): Promise<void> {
  await runAt(at, 'nft', ['-f', '-'], { input: text });
}

async function sysctls(at: Place, keys: readonly string[]): Promise<void> {
  await runAt(at, 'sysctl', ['-qw', ...keys]);
}

/** A home router's firewall: LAN out (masqueraded, both families), nothing in unasked. */
const HOME_NFT = `table inet home {
  chain forward { type filter hook forward priority 0; policy drop;
    ct state established,related accept
    iifname "lan" oifname "wan" accept
  }
  chain input { type filter hook input priority 0; policy accept;
    iifname "wan" ct state established,related accept
    iifname "wan" icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept
    iifname "wan" drop
  }
  chain postrouting { type nat hook postrouting priority 100;
    oifname "wan" masquerade
  }
}
`;

/** Builds the world; torn down in t.after (and by close()). */
export async function makeWorld(t: Pick<TestContext, 'after'>, o: WorldOptions = {}): Promise<World> {
  const mtu = o.mtu ?? 1500;
  const ids = new Set<string>();
  // An open descriptor on each namespace keeps it, and so its inode number, until the sweep is
  // over: the kernel reuses a freed namespace's number at once, and a sweep still scanning for it
  // would kill another world's processes (a test running beside this one).
  const pins: number[] = [];
  const dir = await mkdtemp(join(tmpdir(), 'ovworld-'));
  let closed: Promise<number[]> | undefined;
  const close = () =>
    (closed ??= (async () => {
      const left = await sweep(ids);
      for (const fd of pins.splice(0)) closeSync(fd);
      await rm(dir, { recursive: true, force: true });
      return left;
    })());
  t.after(async () => {
    await close();
  });
  const track = (h: Held) => {
    for (const id of h.ids) ids.add(id);
    pins.push(openSync(h.net, 'r'), ...(h.ids.some((id) => id.startsWith('mnt:')) ? [openSync(h.mnt, 'r')] : []));
    return h;
  };

  const sw = track(await holdNamespaces({ mount: false, what: 'switch' }));
  const swPlace = placeOf('switch', sw, false);
  const swNs = netnsAt(sw.net);
  await ip(swNs, ['link', 'add', 'br0', 'type', 'bridge', 'forward_delay', '0']);
  await ip(swNs, ['addr', 'add', `${SWITCH_V4}/24`, 'dev', 'br0']);
  await ip(swNs, ['addr', 'add', `${SWITCH_V6}/64`, 'dev', 'br0', 'nodad']);
  await ip(swNs, ['link', 'set', 'br0', 'up']);
  let port = 0;

  /** A veth from the switch's bridge to `h` (its end named `dev` there), at the underlay MTU. */
  const plug = async (h: Held, dev: string, v4: string, v6: string): Promise<void> => {
    const p = `p${port++}`;
    await ip(swNs, [
      'link',
      'add',
      p,
      'mtu',
      String(mtu),
      'type',
      'veth',
      'peer',
      'name',
      dev,
      'mtu',
      String(mtu),
      'netns',
      String(h.pid),
    ]);
    await ip(swNs, ['link', 'set', p, 'master', 'br0', 'up']);
    const ns = netnsAt(h.net);
    await ip(ns, ['addr', 'add', `${v4}/24`, 'dev', dev]);
    await ip(ns, ['addr', 'add', `${v6}/64`, 'dev', dev, 'nodad']);
    await ip(ns, ['link', 'set', dev, 'up']);
    await ip(ns, ['route', 'add', 'default', 'via', SWITCH_V4]);
    await ip(ns, ['-6', 'route', 'add', 'default', 'via', SWITCH_V6]);
  };

  const makeNode = async (id: string, hidden: boolean, k: number): Promise<WorldNode> => {
    const h = track(await holdNamespaces({ mount: true, what: `node ${id}` }));
    const place = placeOf(`node ${id}`, h, true);
    const base = {
      ...h,
      ...place,
      id,
      netns: netnsAt(h.net),
      hidden,
      runPath: (rel: string) => `/proc/${h.pid}/root/run/${rel}`,
    };
    if (!hidden) {
      const v4 = `198.18.0.${k}`;
      const v6 = `2001:db8:99::${k}`;
      await plug(h, 'u0', v4, v6);
      return { ...base, v4, v6 };
    }
    // Home router: WAN on the switch, LAN a veth to the node, masquerade and drop-unasked.
    const r = track(await holdNamespaces({ mount: false, what: `router of ${id}` }));
    const rPlace = placeOf(`router of ${id}`, r, false);
    const wan4 = `198.18.0.${100 + k}`;
    const wan6 = `2001:db8:99::${100 + k}`;
    await plug(r, 'wan', wan4, wan6);
    const rNs = netnsAt(r.net);
    await ip(rNs, [
      'link',
      'add',
      'lan',
      'mtu',
      String(mtu),
      'type',
      'veth',
      'peer',
      'name',
      'u0',
      'mtu',
      String(mtu),
      'netns',
      String(h.pid),
    ]);
    await ip(rNs, ['addr', 'add', `192.168.${k}.1/24`, 'dev', 'lan']);
    await ip(rNs, ['addr', 'add', `fd00:0:0:${k}::1/64`, 'dev', 'lan', 'nodad']);
    await ip(rNs, ['link', 'set', 'lan', 'up']);
    await sysctls(rPlace, ['net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1']);
    await nft(rPlace, HOME_NFT);
    const ns = netnsAt(h.net);
    const v4 = `192.168.${k}.2`;
    const v6 = `fd00:0:0:${k}::2`;
    await ip(ns, ['addr', 'add', `${v4}/24`, 'dev', 'u0']);
    await ip(ns, ['addr', 'add', `${v6}/64`, 'dev', 'u0', 'nodad']);
    await ip(ns, ['link', 'set', 'u0', 'up']);
    await ip(ns, ['route', 'add', 'default', 'via', `192.168.${k}.1`]);
    await ip(ns, ['-6', 'route', 'add', 'default', 'via', `fd00:0:0:${k}::1`]);
    return { ...base, v4, v6, router: { ...r, ...rPlace, v4: wan4, v6: wan6 } };
  };

  const nodes = new Map<string, WorldNode>();
  let k = 1;
  for (const id of o.publics ?? ['a', 'b']) nodes.set(id, await makeNode(id, false, k++));
  for (const id of o.hidden ?? ['h']) nodes.set(id, await makeNode(id, true, k++));
  if (o.laptop ?? true) nodes.set('laptop', await makeNode('laptop', true, k++));

  const node = (id: string): WorldNode => {
    const n = nodes.get(id);
    if (!n) throw new Error(`no node ${id} in this world`);
    return n;
  };

  const container = async (n: WorldNode): Promise<Container & { kill(): void }> => {
    const pid = await holdProcess(
      n.command('unshare', [
        '--net',
        '--fork',
        '--kill-child',
        '--',
        'sh',
        '-ec',
        'ip link set lo up\necho ready $$\nexec sleep infinity',
      ]),
      `container in ${n.id}`,
    );
    const net = `/proc/${pid}/ns/net`;
    return {
      pid,
      node: n,
      netns: netnsAt(net),
      label: `container ${pid} in ${n.id}`,
      command: (cmd, args) => ['nsenter', `--net=${net}`, `--mount=${n.mnt}`, '--', cmd, ...args],
      kill: () => {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      },
    };
  };

  const laptopUp = async (config: string, name = 'wl0'): Promise<void> => {
    const file = join(dir, `${name}-${randomBytes(3).toString('hex')}`, `${name}.conf`);
    await run('mkdir', ['-p', join(file, '..')]);
    await writeFile(file, config, { mode: 0o600 });
    await runAt(node('laptop'), 'wg-quick', ['up', file], {
      env: { WG_QUICK_USERSPACE_IMPLEMENTATION: 'wireguard-go' },
    });
  };

  return {
    mtu,
    dir,
    switch: { ...sw, ...swPlace },
    nodes,
    node,
    container,
    laptopUp,
    close,
    leftovers: () => processesIn(ids),
  };
}

/** Names in the machine's /run/netns and links of the machine's namespace: compared before/after a world. */
export async function machineSnapshot(): Promise<{ netns: string[]; links: string[] }> {
  const netns = (await readdir('/run/netns').catch(() => [] as string[])).sort();
  const links = (await ip({ self: true }, ['-o', 'link', 'show']))
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(':')[1]!.trim().split('@')[0]!)
    .sort();
  return { netns, links };
}
