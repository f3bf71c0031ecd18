// The overlay between booted images (issue 18, "In the image"): the planner's documents
// (ovs-plugin/overlay/plan*.ts) applied with net.apply through each node's plugin, a container
// with a `network` nic on each, and one container reaching the other over WireGuard.
// (1) two QEMU nodes (kernel WireGuard) joined by a QEMU socket network (one multicast group:
//     a hub only they share), static addresses; each node's part runs in the node
//     (`zos.test.overlay=DOC`, test/image/node-checks/overlay-checks.ts, `OVERLAY {...}`).
// (2) one QEMU node (kernel WireGuard) and one namespace node on wireguard-go (its own network
//     and mount namespace with a private /run, the plugin run there by exec), joined by a tap.
// The nodes stay up (`zos.test=status`) until both sides answered; QEMU is killed in t.after.
// Needs the net.* commands and the `network` nic kind (built beside this, issue 18).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TestContext } from 'node:test';
import { run } from '../../lib/exec.ts';
import { addNode, createPlan, type Plan } from '../../ovs-plugin/overlay/plan.ts';
import { documentsOf } from '../../ovs-plugin/overlay/plan-documents.ts';
import { makeNetns } from '../helpers/netns.ts';
import { overlayWord } from './node-checks/overlay-checks.ts';
import { boot, limiter, tail, type Boot } from './qemu.ts';

const LONG = { timeout: 20 * 60_000 };
const slot = limiter(Number(process.env.BOOT_CONCURRENCY ?? 2));
// The node stays up after its checks: the other side may still be pinging it.
const BASE = 'quiet console=ttyS0,115200 zos.test=status zos.test.timeout=900';
// The kernel's command line is at most 2048 bytes on x86: a document must fit in a word.
const MAX_WORD = 1600;

interface Overlay {
  ok: boolean;
  error?: string;
  code?: string;
  underlay?: { ok: boolean; ms: number };
  apply?: { changed: boolean; mtu: number };
  applyAgain?: { changed: boolean };
  attach?: { addresses: string[] };
  ping?: { ok: boolean; ms: number };
  nfModules?: string[];
  natRules?: { ok: boolean; out?: string; modules?: string[] };
}

/** A plan of `nodes` (id -> its underlay address), and the container address on each (.2 of its /24). */
function planOf(nodes: Record<string, string>): { plan: Plan; container: Record<string, string> } {
  let plan = createPlan({ name: `img-${process.pid}`, ipRange: '10.20.0.0/16' });
  for (const [id, addr] of Object.entries(nodes)) plan = addNode(plan, { id, endpoints: [addr] });
  const container = Object.fromEntries(plan.nodes.map((n) => [n.id, n.subnet.replace(/\.0\/24$/, '.2')]));
  return { plan, container };
}

/** The `zos.test.overlay=` word of node `self`, pinging `peer`'s container. */
function wordFor(plan: Plan, container: Record<string, string>, self: string, peer: string): string {
  const d = documentsOf(plan)[self]!;
  const w = overlayWord({
    netid: d.netid,
    network: d.network as unknown as Record<string, unknown>,
    peer: container[peer]!,
  });
  assert.ok(w.length < MAX_WORD, `${self}'s document makes a ${w.length}-byte word`);
  return w;
}

function assertOverlay(b: Boot, who: string): Overlay {
  const o = b.json<Overlay>('OVERLAY');
  assert.ok(o, `${who}: no OVERLAY line\n${tail(b.lines)}`);
  assert.ok(o.underlay?.ok, `${who}: the other node is not reached on the underlay: ${JSON.stringify(o)}`);
  assert.ok(o.ok, `${who}: ${JSON.stringify(o)}\n${tail(b.lines)}`);
  assert.equal(o.apply?.changed, true);
  assert.equal(o.applyAgain?.changed, false, 'the same document again changes nothing');
  assert.equal(o.apply.mtu, 1420, 'a 1500-byte underlay less 80');
  return o;
}

test(
  'two QEMU nodes on a socket network: planner documents applied by each plugin over kernel WireGuard, ' +
    'containers reach each other',
  LONG,
  async (t) => {
    const { plan, container } = planOf({ a: '10.77.0.1', b: '10.77.0.2' });
    const ns = await makeNetns(t, 'tovl');
    await run('ip', ['-n', ns, 'link', 'set', 'lo', 'multicast', 'on']);
    await run('ip', ['-n', ns, 'route', 'add', '224.0.0.0/4', 'dev', 'lo']);
    const r = () => 1 + Math.floor(Math.random() * 250);
    const port = 20000 + Math.floor(Math.random() * 20000);
    const hub = `socket,mcast=230.${r()}.${r()}.${r()}:${port},localaddr=127.0.0.1`;
    const ipArg = (n: number, id: string) => `ip=10.77.0.${n}::10.77.0.254:255.255.255.0:${id}:eth0:off`;
    const [a, b] = await Promise.all(
      ['a', 'b'].map((id, i) =>
        slot(() =>
          boot(t, {
            netns: ns,
            nics: [hub],
            baseCmdline: BASE,
            macPrefix: `52:54:00:12:${(0x34 + i).toString(16)}`,
            append: `${ipArg(i + 1, id)} ${wordFor(plan, container, id, id === 'a' ? 'b' : 'a')}`,
          }),
        ),
      ),
    );
    await Promise.all([a!, b!].map((x) => x.waitFor(/OVERLAY \{/, 15 * 60_000)));
    const oa = assertOverlay(a!, 'a');
    const ob = assertOverlay(b!, 'b');
    assert.equal(oa.attach?.addresses[0], `${container.a}/24`);
    assert.equal(ob.attach?.addresses[0], `${container.b}/24`);
    t.diagnostic(
      `net.apply a ${JSON.stringify(oa.apply)}; first ping a->b after ${oa.ping?.ms} ms, b->a after ${ob.ping?.ms} ms`,
    );
  },
);

/** A namespace node in named namespace `ns`: its own mount namespace with a private /run, held by a sleep. */
async function nsNode(
  t: Pick<TestContext, 'after'>,
  ns: string,
): Promise<{
  pid: number;
  exec(cmd: string, args: unknown): Promise<unknown>;
  pingFrom(container: string, to: string, ms: number): Promise<boolean>;
}> {
  const state = await mkdtemp(join(tmpdir(), 'zos-nsnode-'));
  t.after(() => rm(state, { recursive: true, force: true }));
  const child = spawn(
    'nsenter',
    [
      `--net=/run/netns/${ns}`,
      '--',
      'unshare',
      '--mount',
      '--propagation',
      'private',
      '--fork',
      '--kill-child',
      '--',
      'sh',
      '-c',
      'mount -t tmpfs tmpfs /run && mkdir -p /run/wireguard /run/ovs-plugin && echo ready && exec sleep infinity',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  t.after(() => {
    child.kill('SIGKILL');
  });
  await new Promise<void>((res, rej) => {
    child.stdout.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) res();
    });
    child.on('exit', (c) => rej(new Error(`namespace node exited ${c}`)));
  });
  const pid = child.pid!;
  // What the node starts detached (wireguard-go) outlives the holder: everything left in its
  // mount namespace (read now: once the holder is gone its /proc entry no longer names it) is
  // killed after the holder.
  const mnt = await readlink(`/proc/${pid}/ns/mnt`);
  t.after(async () => {
    for (const p of await readdir('/proc')) {
      if (!/^\d+$/.test(p)) continue;
      if ((await readlink(`/proc/${p}/ns/mnt`).catch(() => '')) !== mnt) continue;
      try {
        process.kill(Number(p), 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  });
  // --wd: entering a mount namespace moves to its root, where `--import tsx` would not resolve.
  const enter = [`--net=/proc/${pid}/ns/net`, `--mount=/proc/${pid}/ns/mnt`, `--wd=${process.cwd()}`, '--'];
  return {
    pid,
    async exec(cmd, args) {
      const r = await run(
        'nsenter',
        [...enter, process.execPath, '--import', 'tsx', resolve('ovs-plugin/main.ts'), cmd, JSON.stringify(args)],
        { env: { OVS_PLUGIN_STATE: join(state, 'nics.json') }, allowFailure: true, timeoutMs: 120_000 },
      );
      const m = /^20:::(.*)\n:::/s.exec(r.stdout);
      assert.ok(m && r.exitCode === 0, `${cmd}: exit ${r.exitCode} ${r.stdout} ${r.stderr}`);
      return JSON.parse(m[1]!);
    },
    async pingFrom(container, to, ms) {
      const t0 = Date.now();
      while (Date.now() - t0 < ms) {
        const r = await run(
          'nsenter',
          [`--net=/proc/${pid}/root/run/netns/${container}`, '--', 'ping', '-c', '1', '-W', '2', to],
          { allowFailure: true, timeoutMs: 10_000 },
        );
        if (r.exitCode === 0) return true;
        await new Promise((w) => setTimeout(w, 500));
      }
      return false;
    },
  };
}

test(
  'a QEMU node (kernel WireGuard) and a namespace node (wireguard-go) on one link: containers reach each other',
  LONG,
  async (t) => {
    const { plan, container } = planOf({ vm: '10.78.0.1', host: '10.78.0.2' });
    const ns = await makeNetns(t, 'tovm');
    const tap = 'ztap0';
    await run('ip', ['-n', ns, 'tuntap', 'add', 'dev', tap, 'mode', 'tap']);
    await run('ip', ['-n', ns, 'addr', 'add', '10.78.0.2/24', 'dev', tap]);
    await run('ip', ['-n', ns, 'link', 'set', tap, 'up']);
    await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    const node = await nsNode(t, ns);
    const doc = documentsOf(plan).host!;
    const applied = (await node.exec('net.apply', doc)) as { changed: boolean; mtu: number };
    assert.equal(applied.changed, true);
    await run('nsenter', [
      `--net=/proc/${node.pid}/ns/net`,
      `--mount=/proc/${node.pid}/ns/mnt`,
      '--',
      'ip',
      'netns',
      'add',
      'zovc',
    ]);
    const attached = (await node.exec('nic.attach', {
      target: { netns: 'zovc' },
      nic: { type: 'network', id: doc.netid },
    })) as { addresses: string[] };
    assert.equal(attached.addresses[0], `${container.host}/24`);
    const vm = await slot(() =>
      boot(t, {
        netns: ns,
        nics: [`tap,ifname=${tap},script=no,downscript=no`],
        baseCmdline: BASE,
        append: `ip=10.78.0.1::10.78.0.254:255.255.255.0:vm:eth0:off ${wordFor(plan, container, 'vm', 'host')}`,
      }),
    );
    await vm.waitFor(/OVERLAY \{/, 15 * 60_000);
    const o = assertOverlay(vm, 'vm');
    assert.equal(
      await node.pingFrom('zovc', container.vm!, 60_000),
      true,
      "the namespace node's container reaches the VM's",
    );
    t.diagnostic(`first ping vm->host after ${o.ping?.ms} ms`);
    t.diagnostic(
      `netfilter modules loaded on demand: NR ${o.nfModules}; + default nics' tables ${o.natRules?.modules}`,
    );
  },
);
