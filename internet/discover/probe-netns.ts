// Probe namespaces: `zprobe-<inode of the agent's netns, hex>-<ifindex>`, so agents in
// different namespaces (tests run several at once, NICs named alike) never touch each other's.
// A NIC is moved in whole; moving it back names the agent's namespace by pid (`netns <pid>`),
// which works from inside the probe namespace. A SIGKILLed agent leaves both the namespace and
// its udhcpc/ip-monitor children behind: recovery kills those, brings links home, deletes it.
import { existsSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import {
  ExecError,
  isAccessDenied,
  isMissingPath,
  isProcessGone,
  LinkNotFoundError,
  NetnsGoneError,
} from '../../lib/errors.ts';
import { listLinks } from '../../lib/ip.ts';
import { deleteLinkIfExists, moveLink } from '../../lib/link.ts';
import { deleteNetns, ensureNetns, listNetns, netnsBatch, netnsNamed, netnsPids, SELF } from '../../lib/netns.ts';
import { moveLinkUp } from '../../lib/rtnl.ts';
import type { Logger } from '../../lib/log.ts';
import { udhcpcScriptPath } from './probe-dhcp4.ts';

/** Inode of this process's network namespace, in hex (stable while the namespace lives). */
export function netnsInode(): string {
  return statSync('/proc/self/ns/net').ino.toString(16);
}

/** Prefix shared by every probe namespace of this agent's namespace. */
export const probePrefix = (): string => `zprobe-${netnsInode()}-`;

/** The probe namespace for the NIC with `ifindex`. */
export const probeNsName = (ifindex: number): string => `${probePrefix()}${ifindex}`;

/**
 * Creates `ns` (a left-over one is reused), then moves `nic` in and sets it up, in one
 * in-process message (lib/rtnl.ts). lo stays down: DHCP and RA do not need it.
 */
export async function moveIn(ns: string, nic: string): Promise<void> {
  await ensureNetns(ns);
  await moveLinkUp(SELF, nic, netnsNamed(ns));
}

/**
 * Makes the probe namespaces `names` in one batch (NICs that get carrier together; one fork
 * for all). Per name: true once made. A crash leaves them empty at worst; recovery deletes them.
 */
export function prepareProbeNamespaces(names: string[]): Map<string, Promise<boolean>> {
  const made = netnsBatch('add', names).then(() => true);
  return new Map(names.map((n) => [n, made]));
}

/**
 * The fast way home for a probe we started (its processes already killed): delete the VLAN
 * sub-interface if any, move the NIC back, delete the namespace (unless `leaveNs`). Anything unexpected falls
 * back to emptyAndDelete, which inspects the namespace.
 */
export async function moveHome(
  ns: string,
  nic: string,
  subIf: string | undefined,
  log: Logger,
  o: { leaveNs?: boolean } = {},
): Promise<void> {
  const ref = netnsNamed(ns);
  const errors: string[] = [];
  const note = (err: unknown) => {
    errors.push(err instanceof ExecError ? err.stderr.trim() || err.message : String(err));
  };
  if (subIf) await deleteLinkIfExists(ref, subIf).catch(note);
  let home = false;
  await moveLink(ref, nic, SELF).then(() => {
    home = true;
  }, note);
  // leaveNs: the caller deletes the (empty) namespace later, off its critical path; a crash
  // before then leaves an empty probe namespace, which recovery deletes.
  if (!o.leaveNs) await deleteNetns(ns).catch(note);
  if (!home || errors.length) {
    log.debug('probe-return-slow-path', { nic, ns, stderr: errors.join(' ') });
    await emptyAndDelete(ns, log);
  }
}

/** Kills every process whose network namespace is `ns` (leftover udhcpc / ip monitor). */
export async function killNetnsPids(ns: string): Promise<void> {
  for (const pid of await netnsPids(ns)) {
    if (pid === process.pid) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch (err) {
      if (!isProcessGone(err)) throw err;
    }
  }
}

/**
 * Brings every link of `ns` home (VLAN sub-interfaces are deleted, not moved: the physical NIC
 * is what must come back), then deletes `ns`. Returns the names of the links moved home.
 * Idempotent: a namespace that is already gone is success.
 */
export async function emptyAndDelete(ns: string, log: Logger): Promise<string[]> {
  if (!(await listNetns()).includes(ns)) return [];
  const ref = netnsNamed(ns);
  await killNetnsPids(ns);
  let links: Awaited<ReturnType<typeof listLinks>> = [];
  try {
    links = await listLinks(ref);
  } catch (err) {
    if (!(err instanceof NetnsGoneError)) log.error('probe-list-failed', { ns, error: String(err) });
  }
  for (const l of links.filter((x) => x.linkinfo?.info_kind === 'vlan')) {
    await deleteLinkIfExists(ref, l.ifname).catch((err: unknown) =>
      log.error('probe-vlan-delete-failed', { nic: l.ifname, ns, error: String(err) }),
    );
  }
  const moved: string[] = [];
  for (const l of links.filter((x) => x.ifname !== 'lo' && x.linkinfo?.info_kind !== 'vlan')) {
    try {
      await moveLink(ref, l.ifname, SELF);
      moved.push(l.ifname);
    } catch (err) {
      if (err instanceof LinkNotFoundError) continue; // gone meanwhile (it went home with its probe)
      log.error('probe-return-failed', {
        nic: l.ifname,
        ns,
        stderr: err instanceof ExecError ? err.stderr.trim() : String(err),
      });
    }
  }
  // A namespace that will not go is logged, not thrown: the NICs are home, and recovery at the
  // next start tries again; it must not keep the node offline.
  await deleteNetns(ns).catch((err: unknown) => log.error('probe-ns-delete-failed', { ns, error: String(err) }));
  return moved;
}

/**
 * Pids of the udhcpc processes in this network namespace that run `script` as their `-s`: the
 * direct attempts (probe-nic.ts) of a killed agent. Their NIC never left; they change nothing
 * and end by themselves within seconds, but a new agent must not share the NIC with them.
 */
export function directOrphans(script: string): number[] {
  // Synchronous reads: a few hundred tiny /proc files, each a thread-pool hop when read async
  // (~0.3 s under QEMU TCG on a rerun; ~10 ms this way). It runs before anything else does.
  const mine = readlinkSync('/proc/self/ns/net');
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      const s = argv.indexOf('-s');
      if (s < 0 || argv[s + 1] !== script || !argv.some((a) => a === 'udhcpc' || a.endsWith('/udhcpc'))) continue;
      if (readlinkSync(`/proc/${entry}/ns/net`) === mine) found.push(Number(entry));
    } catch (err) {
      // gone meanwhile, or not ours to read
      if (!isMissingPath(err) && !isProcessGone(err) && !isAccessDenied(err)) throw err;
    }
  }
  return found;
}

/**
 * Brings back NICs from every leftover probe namespace of this agent's namespace, after
 * killing the direct attempts a killed agent left here (only when `runDir` holds a probe
 * script: on a first start there is none, and /proc is not scanned).
 */
export async function recoverProbeNamespaces(log: Logger, runDir?: string): Promise<string[]> {
  const script = runDir === undefined ? undefined : udhcpcScriptPath(runDir);
  if (script && existsSync(script)) {
    let pids: number[] = [];
    // /proc unreadable (descriptors exhausted, a hardened mount): said, and recovery goes on.
    try {
      pids = directOrphans(script);
    } catch (err) {
      log.warn('probe-orphan-scan-failed', { error: String(err) });
    }
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
        log.info('probe-orphan-killed', { pid });
      } catch (err) {
        if (!isProcessGone(err)) throw err;
      }
    }
  }
  const prefix = probePrefix();
  const leftovers = (await listNetns()).filter((n) => n.startsWith(prefix));
  const recovered: string[] = [];
  for (const ns of leftovers) {
    const moved = await emptyAndDelete(ns, log);
    log.info('probe-recovered', { ns, nics: moved.join(',') || undefined });
    recovered.push(...moved);
  }
  return recovered;
}
