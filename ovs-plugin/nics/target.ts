// Targets of a nic: `{netns}` (/run/netns/NAME), `{pid}` (/proc/PID/ns/net). A target is
// recorded with its namespace file's inode, so a pid reused by another process (or a netns
// name recreated) is never taken for the namespace we attached to. attach takes only a file
// that is a network namespace and not the node's own (the plugin's, or PID 1's).
import { statSync, type Stats } from 'node:fs';
import { errnoOf, isAccessDenied, isMissingPath, isProcessGone, ValidationError } from '../../lib/errors.ts';
import { netnsAt, netnsNamed, netnsPath, type NetnsRef } from '../../lib/netns.ts';
import { nsFileAt } from './nsfile.ts';
import { alive } from './proc.ts';
import type { NicRecord, NsIdentity, TargetSpec } from './types.ts';

/** The namespace file of a container target. */
export function targetFile(t: TargetSpec): string {
  if ('netns' in t) return netnsPath(t.netns);
  if ('kvm' in t) throw new ValidationError('target', 'a kvm target has no namespace');
  return `/proc/${t.pid}/ns/net`;
}

/** The NetnsRef of a container target. */
export const targetRef = (t: TargetSpec): NetnsRef => ('netns' in t ? netnsNamed(t.netns) : netnsAt(targetFile(t)));

/** Stable text for a target, the first part of a record's key. */
export const targetKey = (t: TargetSpec): string =>
  'netns' in t ? `netns:${t.netns}` : 'kvm' in t ? `kvm:${t.kvm}` : `pid:${t.pid}`;

/** The identity of the target's namespace now, or undefined when it does not exist. */
export async function nsIdentity(t: TargetSpec): Promise<NsIdentity | undefined> {
  try {
    const s = statSync(targetFile(t)); // nsfs or procfs: never waits (nsfile.ts)
    return { dev: s.dev, ino: s.ino };
  } catch (err) {
    if (isMissingPath(err) || isProcessGone(err)) return undefined;
    throw err;
  }
}

/** The field of a container target, for its refusals. */
const fieldOf = (t: TargetSpec): string => ('netns' in t ? 'target.netns' : 'target.pid');

/** The node's own network namespaces: the plugin's (the host) and PID 1's (unreadable: skipped). */
async function nodeNamespaces(): Promise<{ id: NsIdentity; what: string }[]> {
  const out: { id: NsIdentity; what: string }[] = [];
  for (const [path, what] of [
    ['/proc/self/ns/net', "the plugin's own network namespace (the host)"],
    ['/proc/1/ns/net', "PID 1's network namespace (the node's)"],
  ] as const) {
    let s: Stats | undefined;
    try {
      s = statSync(path);
    } catch (err) {
      if (!isMissingPath(err) && !isAccessDenied(err)) throw err;
    }
    if (s) out.push({ id: { dev: s.dev, ino: s.ino }, what });
  }
  return out;
}

/**
 * The identity of an existing container target. EINVALID naming `target.netns` / `target.pid`
 * when it does not exist, is not a network namespace (a plain file, a directory, another kind
 * of namespace), or is the node's own: the plugin's namespace or PID 1's (a nic moved there
 * would land in the node itself: a default route, a passthrough renaming the uplink).
 */
export async function requireTarget(t: TargetSpec): Promise<NsIdentity> {
  const id = await nsIdentity(t);
  if (!id) {
    if ('netns' in t)
      throw new ValidationError('target.netns', `no network namespace ${t.netns} (${netnsPath(t.netns)})`);
    throw new ValidationError('target.pid', `no process ${'pid' in t ? t.pid : '?'} (or it has no network namespace)`);
  }
  const file = targetFile(t);
  // A system error opening or asking the file is the input's fault; anything else is thrown.
  const ns = await nsFileAt(file).catch((err: unknown) => {
    if (errnoOf(err) === undefined) throw err;
    return `unreadable (${errnoOf(err)})`;
  });
  if (typeof ns === 'string') throw new ValidationError(fieldOf(t), `${file} is ${ns}`);
  if (ns.type !== 'net')
    throw new ValidationError(fieldOf(t), `${file} is a ${ns.type} namespace, not a network namespace`);
  const node = (await nodeNamespaces()).find((n) => n.id.dev === id.dev && n.id.ino === id.ino);
  if (node) throw new ValidationError(fieldOf(t), `${file} is ${node.what}: a nic is never moved there`);
  return id;
}

/** The record's target if it is still the namespace we attached to, else undefined (dead). */
export async function liveTarget(rec: NicRecord): Promise<NetnsRef | undefined> {
  if ('kvm' in rec.target) return undefined;
  const id = await nsIdentity(rec.target);
  return id && id.dev === rec.ns.dev && id.ino === rec.ns.ino ? targetRef(rec.target) : undefined;
}

/**
 * True while the record's target lives: its namespace, or for a guest the recorded QEMU pid (no pid: until detached).
 */
export async function targetAlive(rec: NicRecord): Promise<boolean> {
  if ('kvm' in rec.target) return rec.vm ? alive(rec.vm) : true;
  return (await liveTarget(rec)) !== undefined;
}
