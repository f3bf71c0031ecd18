// Link operations both programs need, each naming its namespace (CNI pkg/ip). Deletes are
// idempotent in their IfExists form: a link or namespace that is gone is success (CNI vlan.go
// cmdDel). Steps that change the system register their undo on the caller's UndoStack.
import { randomBytes } from 'node:crypto';
import { LinkNotFoundError, NetnsGoneError } from './errors.ts';
import { ip } from './ip.ts';
import { isSelf, netnsTarget, type NetnsRef } from './netns.ts';
import { setLinkUp } from './rtnl.ts';
import { addVeth } from './rtnl-netns.ts';
import type { UndoStack } from './undo.ts';

/** `ip link del NAME` in `ref`; throws LinkNotFoundError when there is no such link. */
export async function deleteLink(ref: NetnsRef, name: string): Promise<void> {
  await ip(ref, ['link', 'del', 'dev', name]);
}

/** Deletes `name` in `ref` if it is there; not found and namespace gone are success. True if it deleted. */
export async function deleteLinkIfExists(ref: NetnsRef, name: string): Promise<boolean> {
  try {
    await deleteLink(ref, name);
    return true;
  } catch (err) {
    if (err instanceof LinkNotFoundError || err instanceof NetnsGoneError) return false;
    throw err;
  }
}

/** Renames `from` to `to` in `ref` (the kernel refuses while the link is up, on most kernels). */
export async function renameLink(ref: NetnsRef, from: string, to: string, undo?: UndoStack): Promise<void> {
  await ip(ref, ['link', 'set', 'dev', from, 'name', to]);
  undo?.push(`rename ${to} back to ${from}`, () => ip(ref, ['link', 'set', 'dev', to, 'name', from]));
}

/**
 * Moves `name` from `from` into `to` keeping its name (one `ip` call). A link of that name in
 * `to` makes the kernel refuse it (EEXIST) with nothing moved. Its undo moves it back.
 */
export async function moveLink(from: NetnsRef, name: string, to: NetnsRef, undo?: UndoStack): Promise<void> {
  await ip(from, ['link', 'set', 'dev', name, 'netns', netnsTarget(to)]);
  undo?.push(`move ${name} back`, () => ip(to, ['link', 'set', 'dev', name, 'netns', netnsTarget(from)]));
}

/** A temporary link name: `zt` and 12 hex digits (fits IFNAMSIZ; never a name we keep). */
const tempLinkName = (): string => `zt${randomBytes(6).toString('hex')}`;

/**
 * Moves `name` from `from` into `to` under a temporary name, then renames it there to `as`
 * (default: its own name), so it never clashes with a link of that name in either namespace
 * mid-way. Each step registers its undo. Returns the final name.
 */
export async function moveLinkIn(o: {
  from: NetnsRef;
  name: string;
  to: NetnsRef;
  as?: string;
  undo?: UndoStack;
}): Promise<string> {
  const tmp = tempLinkName();
  const final = o.as ?? o.name;
  await ip(o.from, ['link', 'set', 'dev', o.name, 'netns', netnsTarget(o.to), 'name', tmp]);
  o.undo?.push(`move ${o.name} back`, () =>
    ip(o.to, ['link', 'set', 'dev', tmp, 'netns', netnsTarget(o.from), 'name', o.name]),
  );
  await ip(o.to, ['link', 'set', 'dev', tmp, 'name', final]);
  o.undo?.push(`rename ${final} back to ${tmp}`, () => ip(o.to, ['link', 'set', 'dev', final, 'name', tmp]));
  return final;
}

/** What setupVeth makes: `name` in `ref`, its peer `peer` in `peerNs`. */
export interface VethSpec {
  ref: NetnsRef;
  name: string;
  peer: string;
  peerNs: NetnsRef;
  /** The peer's MTU, and `name`'s unless `localMtu` is given. */
  mtu?: number;
  /** `name`'s own MTU (a nic's host end takes its bridge's, so the bridge keeps it). */
  localMtu?: number;
  /** The peer's MAC, set as it is born. */
  peerAddress?: string;
  /** Also set `name` up (same request). */
  up?: boolean;
  /** Also set the peer up. */
  peerUp?: boolean;
  undo?: UndoStack;
}

/**
 * Creates a veth pair in one request, its peer born in `peerNs` (so nothing half-made is left
 * if the peer's name is taken there): in-process rtnetlink when `ref` is this process's own
 * namespace (no child: lib/rtnl-netns.ts), else `ip`. Its undo, registered once the pair exists,
 * deletes it (deleting one end deletes both).
 */
export async function setupVeth(v: VethSpec): Promise<void> {
  if (!(isSelf(v.ref) && (await addVeth(v)))) {
    const mtu = v.mtu ? ['mtu', String(v.mtu)] : [];
    const localMtu = v.localMtu ?? v.mtu;
    const mac = v.peerAddress ? ['address', v.peerAddress] : [];
    await ip(v.ref, [
      'link',
      'add',
      'name',
      v.name,
      ...(localMtu ? ['mtu', String(localMtu)] : []),
      'type',
      'veth',
      'peer',
      'name',
      v.peer,
      ...mtu,
      ...mac,
      'netns',
      netnsTarget(v.peerNs),
    ]);
    v.undo?.push(`delete veth ${v.name}`, () => deleteLinkIfExists(v.ref, v.name));
    if (v.up) await ip(v.ref, ['link', 'set', 'dev', v.name, 'up']);
    if (v.peerUp) await ip(v.peerNs, ['link', 'set', 'dev', v.peer, 'up']);
    return;
  }
  v.undo?.push(`delete veth ${v.name}`, () => deleteLinkIfExists(v.ref, v.name));
  if (v.up) await setLinkUp(v.ref, v.name, true);
}
