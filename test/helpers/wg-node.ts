// Test "nodes" for WireGuard: each its own network AND mount namespace with a private /run
// (tmpfs), so wireguard-go's control sockets (/run/wireguard/<name>.sock) of two nodes never
// meet, and plain network namespaces ("inner", what an NR namespace is). Both are held by a
// `sleep` under `unshare --kill-child` and reached by path (/proc/<pid>/ns/net), never by a name
// in the machine's /run/netns. Everything is killed in t.after.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TestContext } from 'node:test';
import { ip } from '../../lib/ip.ts';
import { netnsAt, type NetnsRef } from '../../lib/netns.ts';
import { userspaceBackend, type UserspaceOptions } from '../../lib/wireguard/userspace.ts';
import type { WgBackend } from '../../lib/wireguard/backend.ts';

/** A namespace held by a process of ours. */
export interface HeldNs {
  readonly pid: number;
  readonly net: NetnsRef;
}

/** Starts `unshare FLAGS` holding fresh namespaces until the test ends; `script` runs first inside. */
async function hold(t: Pick<TestContext, 'after'>, flags: string[], script: string): Promise<number> {
  const child = spawn(
    'unshare',
    [...flags, '--fork', '--kill-child', '--', 'sh', '-c', `${script} && echo ready && exec sleep infinity`],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  t.after(() => {
    child.kill('SIGKILL');
  });
  let err = '';
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`unshare exited ${code}: ${err}`)));
  });
  return child.pid!;
}

/** A plain network namespace with lo up. */
export async function makeInnerNs(t: Pick<TestContext, 'after'>): Promise<HeldNs> {
  const pid = await hold(t, ['--net'], 'ip link set lo up');
  return { pid, net: netnsAt(`/proc/${pid}/ns/net`) };
}

/** A test node: network + mount namespace, private /run. */
export interface WgNode extends HeldNs {
  /** Its mount namespace file. */
  readonly mnt: string;
  /** wireguard-go's socket directory, seen from this process. */
  readonly socketDir: string;
  /** A wireguard-go backend acting in this node. */
  backend(o?: Pick<UserspaceOptions, 'onWrite'>): WgBackend;
}

/** Makes a test node; wireguard-go processes it starts die with it (their namespaces go). */
export async function makeWgNode(t: Pick<TestContext, 'after'>): Promise<WgNode> {
  const stateDir = await mkdtemp(join(tmpdir(), 'wgnode-'));
  t.after(() => rm(stateDir, { recursive: true, force: true }));
  const pid = await hold(
    t,
    ['--net', '--mount', '--propagation', 'private'],
    'mount -t tmpfs tmpfs /run && mkdir -p /run/wireguard && ip link set lo up',
  );
  const node = {
    pid,
    net: netnsAt(`/proc/${pid}/ns/net`),
    mnt: `/proc/${pid}/ns/mnt`,
    socketDir: `/proc/${pid}/root/run/wireguard`,
    backend: (o: Pick<UserspaceOptions, 'onWrite'> = {}) =>
      userspaceBackend({ socketDir: node.socketDir, stateDir, mountNs: node.mnt, ...o }),
  };
  return node;
}

/** Polls `fn` every 50 ms until it is true or `ms` pass. */
export async function waitFor(what: string, fn: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const t0 = Date.now();
  while (!(await fn().catch(() => false))) {
    if (Date.now() - t0 > ms) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(50);
  }
}

/** Adds `cidr` to `dev` in `ref` and sets it up. */
export async function addressUp(ref: NetnsRef, dev: string, cidr: string): Promise<void> {
  await ip(ref, ['addr', 'add', cidr, 'dev', dev]);
  await ip(ref, ['link', 'set', 'dev', dev, 'up']);
}
