// Probe namespaces: `zprobe-<inode of the agent's netns, hex>-<ifindex>`, so agents in
// different namespaces (tests run several at once, NICs named alike) never touch each other's.
// A NIC is moved in whole; moving it back names the agent's namespace by pid (`netns <pid>`),
// which works from inside the probe namespace. A SIGKILLed agent leaves both the namespace and
// its udhcpc/ip-monitor children behind: recovery kills those, brings links home, deletes it.
import { statSync } from 'node:fs';
import { ip, listLinks } from '../../lib/ip.ts';
import { run } from '../../lib/exec.ts';
import { deleteNetns, ensureNetns, listNetns } from '../../lib/netns.ts';
import type { Logger } from '../../lib/log.ts';

/** Inode of this process's network namespace, in hex (stable while the namespace lives). */
export function netnsInode(): string {
  return statSync('/proc/self/ns/net').ino.toString(16);
}

/** Prefix shared by every probe namespace of this agent's namespace. */
export const probePrefix = (): string => `zprobe-${netnsInode()}-`;

/** The probe namespace for the NIC with `ifindex`. */
export const probeNsName = (ifindex: number): string => `${probePrefix()}${ifindex}`;

/** Creates `ns` and moves `nic` into it (lo stays down: DHCP and RA do not need it). */
export async function moveIn(ns: string, nic: string): Promise<void> {
  const r = await run('ip', ['netns', 'add', ns], { allowFailure: true, timeoutMs: 15_000 });
  if (r.exitCode !== 0) await ensureNetns(ns); // exists already (left over): reuse it
  await ip(undefined, ['link', 'set', nic, 'netns', ns]);
}

/**
 * The fast way home for a probe we started (its processes already killed): delete the VLAN
 * sub-interface if any, move the NIC back, delete the namespace. Anything unexpected falls
 * back to emptyAndDelete, which inspects the namespace.
 */
export async function moveHome(ns: string, nic: string, subIf: string | undefined, log: Logger): Promise<void> {
  if (subIf) await run('ip', ['-n', ns, 'link', 'del', subIf], { allowFailure: true, timeoutMs: 15_000 });
  const r = await run('ip', ['-n', ns, 'link', 'set', nic, 'netns', String(process.pid)], { allowFailure: true, timeoutMs: 15_000 });
  const d = await run('ip', ['netns', 'delete', ns], { allowFailure: true, timeoutMs: 15_000 });
  if (r.exitCode !== 0 || d.exitCode !== 0) {
    log.debug('probe-return-slow-path', { nic, ns, stderr: (r.stderr + d.stderr).trim() });
    await emptyAndDelete(ns, log);
  }
}

/** Kills every process whose network namespace is `ns` (leftover udhcpc / ip monitor). */
export async function killNetnsPids(ns: string): Promise<void> {
  const r = await run('ip', ['netns', 'pids', ns], { allowFailure: true, timeoutMs: 5000 });
  for (const pid of r.stdout.split(/\s+/).filter((p) => /^\d+$/.test(p)).map(Number)) {
    if (pid === process.pid) continue;
    try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
  }
}

/**
 * Brings every link of `ns` home (VLAN sub-interfaces are deleted, not moved: the physical NIC
 * is what must come back), then deletes `ns`. Returns the names of the links moved home.
 * Idempotent: a namespace that is already gone is success.
 */
export async function emptyAndDelete(ns: string, log: Logger): Promise<string[]> {
  if (!(await listNetns()).includes(ns)) return [];
  await killNetnsPids(ns);
  const links = await listLinks(ns).catch(() => []);
  for (const l of links.filter((x) => x.linkinfo?.info_kind === 'vlan')) {
    await ip(ns, ['link', 'del', l.ifname], { allowFailure: true });
  }
  const moved: string[] = [];
  for (const l of links.filter((x) => x.ifname !== 'lo' && x.linkinfo?.info_kind !== 'vlan')) {
    const r = await run('ip', ['-n', ns, 'link', 'set', l.ifname, 'netns', String(process.pid)], { allowFailure: true, timeoutMs: 15_000 });
    if (r.exitCode === 0) moved.push(l.ifname);
    else log.error('probe-return-failed', { nic: l.ifname, ns, stderr: r.stderr.trim() });
  }
  await deleteNetns(ns);
  return moved;
}

/** Brings back NICs from every leftover probe namespace of this agent's namespace. */
export async function recoverProbeNamespaces(log: Logger): Promise<string[]> {
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
