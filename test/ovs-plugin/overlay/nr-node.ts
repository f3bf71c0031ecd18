// Test nodes for the NR engine: each a network AND mount namespace with a private /run (so its
// /run/netns, /run/wireguard and the plugin's state are its own), an uplink `u0` on a switch
// namespace, and the plugin bundle run inside it through exec (`nsenter --net --mount node
// dist/ovs-plugin.js net.* '<json>'`). In t.after every process left in the node's mount
// namespace (wireguard-go) is killed, so its namespaces and links go with it.
import { readdir, readlink } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { TestContext } from 'node:test';
import { ExecError } from '../../../lib/errors.ts';
import { run, type RunResult } from '../../../lib/exec.ts';
import { ip } from '../../../lib/ip.ts';
import { makeInnerNs, makeWgNode, type HeldNs, type WgNode } from '../../helpers/wg-node.ts';
import { ensureBundle, unframe } from '../helpers.ts';

/** A node with its uplink address. */
export interface NrNode extends WgNode {
  readonly address: string;
  /** Runs `node dist/ovs-plugin.js command json` inside the node. */
  plugin(
    command: string,
    args: unknown,
    env?: Record<string, string>,
  ): Promise<RunResult & { value: any; signal?: string }>;
  /** Runs a command inside the node (its network and mount namespace). */
  sh(cmd: string, args: string[]): Promise<RunResult>;
}

const BUNDLE = resolve('dist/ovs-plugin.js');

/** Pids of the processes in mount namespace `want` (as its file reads: `mnt:[inode]`), but `except`. */
async function pidsIn(want: string, except: number): Promise<number[]> {
  const out: number[] = [];
  for (const p of await readdir('/proc')) {
    if (!/^\d+$/.test(p) || Number(p) === except) continue;
    if ((await readlink(`/proc/${p}/ns/mnt`).catch(() => '')) === want) out.push(Number(p));
  }
  return out;
}

/** A switch: a namespace with bridge br0, up. */
export async function makeSwitch(t: Pick<TestContext, 'after'>): Promise<HeldNs> {
  const sw = await makeInnerNs(t);
  await ip(sw.net, ['link', 'add', 'name', 'br0', 'type', 'bridge']);
  await ip(sw.net, ['link', 'set', 'br0', 'up']);
  return sw;
}

/** A node plugged into `sw` with `address` (/24) on u0 and a default route through it; link MTU `mtu`. */
export async function makeNrNode(t: Pick<TestContext, 'after'>, sw: HeldNs, i: number, mtu = 1500): Promise<NrNode> {
  await ensureBundle();
  const n = await makeWgNode(t);
  // Read now: the holder's own after hook (registered first, so run first) kills it, and then
  // its /proc entry no longer names the namespace.
  const mnt = await readlink(n.mnt);
  t.after(async () => {
    for (const p of await pidsIn(mnt, n.pid)) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  });
  const address = `198.18.0.${i}`;
  await ip(sw.net, [
    'link',
    'add',
    'name',
    `p${i}`,
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
    String(n.pid),
  ]);
  await ip(sw.net, ['link', 'set', `p${i}`, 'master', 'br0', 'up']);
  await ip(n.net, ['addr', 'add', `${address}/24`, 'dev', 'u0']);
  await ip(n.net, ['link', 'set', 'u0', 'up']);
  await ip(n.net, ['route', 'add', 'default', 'via', '198.18.0.254', 'dev', 'u0', 'onlink']);
  const enter = ['--net=' + `/proc/${n.pid}/ns/net`, '--mount=' + n.mnt, '--'];
  return {
    ...n,
    address,
    async plugin(command, args, env = {}) {
      let r: RunResult;
      try {
        r = await run('nsenter', [...enter, process.execPath, BUNDLE, command, JSON.stringify(args)], {
          env: { OVS_PLUGIN_STATE: '/run/ovs-plugin/nics.json', OVS_DB: 'unix:/run/none.sock', ...env },
          allowFailure: true,
          timeoutMs: 60_000,
        });
      } catch (err) {
        // Killed (a failpoint): no exit status.
        if (err instanceof ExecError && err.signal)
          return { stdout: '', stderr: err.stderr, exitCode: -1, signal: err.signal, value: undefined };
        throw err;
      }
      return { ...r, value: r.stdout ? unframe(r.stdout) : undefined };
    },
    sh: (cmd, args) => run('nsenter', [...enter, cmd, ...args], { allowFailure: true, timeoutMs: 30_000 }),
  };
}

/** A container (plain namespace) plugged by hand into `b-<netid>` of `node` with `cidr` and gateway `gw`. */
export async function plugContainer(
  t: Pick<TestContext, 'after'>,
  node: NrNode,
  netid: string,
  name: string,
  cidr: string,
  gw: string,
  mtu: number,
): Promise<HeldNs> {
  const c = await makeInnerNs(t);
  await ip(node.net, [
    'link',
    'add',
    'name',
    name,
    'mtu',
    String(mtu),
    'type',
    'veth',
    'peer',
    'name',
    'eth0',
    'mtu',
    String(mtu),
    'netns',
    String(c.pid),
  ]);
  await ip(node.net, ['link', 'set', name, 'master', `b-${netid}`, 'up']);
  await ip(c.net, ['addr', 'add', cidr, 'dev', 'eth0']);
  await ip(c.net, ['link', 'set', 'eth0', 'up']);
  await ip(c.net, ['route', 'add', 'default', 'via', gw]);
  return c;
}
