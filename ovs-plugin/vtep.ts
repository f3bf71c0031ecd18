// Kernel VXLAN tunnel endpoints `vtep<vni>` via iproute2, in the namespace this process runs in
// (SELF: the host's, as v1; tests run the plugin inside a test namespace). The kernel part is not transactional,
// so it is ordered to survive SIGKILL at any point: the device is created fully configured under
// a temporary name `vtmp<vni>` and then renamed, so `vtep<vni>` never exists half-configured; a
// left-over `vtmp<vni>` (it would block the VNI: the kernel refuses a second device with the same
// VNI and port) is removed by the next attempt, if it is a vxlan device of that VNI (a foreign
// link of that name is never deleted); a renamed-but-down device is set up by it.
import { AppError, conflict, IpError, notFound, withNote } from '../lib/errors.ts';
import { bridge, ip, listLinks, type IpLink } from '../lib/ip.ts';
import { deleteLinkIfExists, renameLink } from '../lib/link.ts';
import { SELF } from '../lib/netns.ts';

/** UDP port of the tunnels (IANA VXLAN port, as v1). */
export const VXLAN_PORT = 4789;

/** Name of the kernel device for `vni`. */
export const vtepName = (vni: number): string => `vtep${vni}`;
/** The name `vtep<vni>` is configured under before it is renamed (never a caller's name). */
export const tmpName = (vni: number): string => `vtmp${vni}`;

/** v1's multicast group for a VNI: 239.x.y.z from floor(vni / 256) + 1 (openvswitch-plugin vtep.go). */
export function vxlanGroup(vni: number): string {
  const id = Math.floor(vni / 256) + 1;
  return `239.${(id >> 16) & 0xff}.${(id >> 8) & 0xff}.${id & 0xff}`;
}

/** What the endpoint should be: VNI, underlay link, and unicast peers instead of multicast. */
export interface VtepSpec {
  vni: number;
  master: string;
  remotes?: string[];
}

const locks = new Map<number, Promise<unknown>>();

/** Runs `fn` after any other operation on the same VNI in this process (the daemon's clients race). */
export function withVniLock<T>(vni: number, fn: () => Promise<T>): Promise<T> {
  const prev = locks.get(vni) ?? Promise.resolve();
  // The chain only orders the operations: each one's failure goes to its own caller through `next`.
  const next = prev.catch(() => undefined).then(fn);
  const tail = next.catch(() => undefined);
  locks.set(vni, tail);
  void tail.then(() => {
    if (locks.get(vni) === tail) locks.delete(vni);
  });
  return next;
}

function checkExisting(link: IpLink, spec: VtepSpec): void {
  const name = vtepName(spec.vni);
  const d = link.linkinfo?.info_data ?? {};
  if (link.linkinfo?.info_kind !== 'vxlan') throw conflict(`${name} exists but is not a vxlan device`, { link: name });
  if (d.id !== spec.vni) throw conflict(`${name} exists with vni ${String(d.id)}`, { link: name });
  if (d.link !== spec.master)
    throw conflict(`${name} is on ${String(d.link)}; reassigning vxlan to another master is not allowed`, {
      link: name,
      master: d.link,
    });
  const group = spec.remotes ? undefined : vxlanGroup(spec.vni);
  if (d.group !== group)
    throw conflict(`${name} has group ${String(d.group ?? 'none')}, want ${group ?? 'none (unicast remotes)'}`, {
      link: name,
    });
}

/** The zero-MAC flood entries (`bridge fdb ... dst IP`) of `dev`. */
async function floodPeers(dev: string): Promise<string[]> {
  const out = (await bridge(SELF, ['-j', 'fdb', 'show', 'dev', dev])).trim();
  return (JSON.parse(out || '[]') as { mac: string; dst?: string }[])
    .filter((e) => e.mac === '00:00:00:00:00:00' && e.dst)
    .map((e) => e.dst!);
}

/**
 * Makes the flood entries of `dev` exactly `remotes`. A failure says what holds afterwards
 * (the peers `dev` now floods to), and a device of the other address family is ECONFLICT.
 */
async function syncRemotes(dev: string, remotes: string[]): Promise<void> {
  const have = await floodPeers(dev);
  try {
    for (const r of remotes)
      if (!have.includes(r)) await bridge(SELF, ['fdb', 'append', '00:00:00:00:00:00', 'dev', dev, 'dst', r]);
    for (const h of have)
      if (!remotes.includes(h)) await bridge(SELF, ['fdb', 'del', '00:00:00:00:00:00', 'dev', dev, 'dst', h]);
  } catch (err) {
    // any failure: said as "its peers are unknown"; the first error is thrown
    const now = await floodPeers(dev).catch(() => undefined);
    const holds =
      now === undefined ? 'its peers are unknown' : `it now floods to ${now.length ? now.join(', ') : 'no peer'}`;
    if (err instanceof IpError && /family not supported/i.test(err.stderr)) {
      throw conflict(
        `${dev} was made for the other IP family than ${remotes.join(', ')} (vxlan-del it to change); ${holds}`,
        { link: dev, remotes: now },
      );
    }
    if (err instanceof AppError) throw withNote(err, holds, { remotes: now });
    throw err;
  }
}

/**
 * Deletes a `vtmp<vni>` left by a killed attempt, but only a vxlan device of that VNI: another
 * link of that name (someone's veth) is not ours and is refused, not deleted.
 */
async function deleteLeftoverTmp(vni: number): Promise<void> {
  const tmp = tmpName(vni);
  const [link] = await listLinks(SELF, tmp);
  if (!link) return;
  const kind = link.linkinfo?.info_kind;
  const id = link.linkinfo?.info_data?.id;
  if (kind !== 'vxlan' || id !== vni) {
    throw conflict(
      `${tmp} exists and is not a left-over vxlan device of vni ${vni} ` +
        `(kind ${kind ?? 'unknown'}${id !== undefined ? `, vni ${String(id)}` : ''}); not deleting it`,
      { link: tmp },
    );
  }
  await deleteLinkIfExists(SELF, tmp);
}

/**
 * Ensures `vtep<vni>` exists as specified (MTU 1500 asked; the kernel caps it at the master's MTU
 * minus the 50-byte VXLAN header) and is up; `created` says whether this call made it (for undo).
 */
export async function ensureVtep(spec: VtepSpec): Promise<{ name: string; created: boolean }> {
  const name = vtepName(spec.vni);
  if ((await listLinks(SELF, spec.master)).length === 0)
    throw notFound(`master link ${spec.master} does not exist`, { master: spec.master });
  let created = false;
  let [link] = await listLinks(SELF, name);
  if (!link) {
    const tmp = tmpName(spec.vni);
    await deleteLeftoverTmp(spec.vni);
    // Unicast peers: an IPv6 socket needs an IPv6 local address (`::`: any); else v1's group.
    const group = !spec.remotes
      ? ['group', vxlanGroup(spec.vni)]
      : spec.remotes.some((r) => r.includes(':'))
        ? ['local', '::']
        : [];
    await ip(SELF, [
      'link',
      'add',
      tmp,
      'mtu',
      '1500',
      'type',
      'vxlan',
      'id',
      String(spec.vni),
      ...group,
      'dev',
      spec.master,
      'dstport',
      String(VXLAN_PORT),
      'learning',
    ]);
    try {
      await renameLink(SELF, tmp, name);
      created = true;
    } catch (err) {
      await deleteLinkIfExists(SELF, tmp);
      if (!(err instanceof IpError) || !/exists/i.test(err.stderr)) throw err;
    }
    [link] = await listLinks(SELF, name);
    if (!link) throw notFound(`${name} vanished while being created`, { link: name });
  }
  try {
    checkExisting(link, spec);
    if (!link.flags.includes('UP')) await ip(SELF, ['link', 'set', name, 'up']);
    await syncRemotes(name, spec.remotes ?? []);
  } catch (err) {
    if (created) await deleteLinkIfExists(SELF, name);
    throw err;
  }
  return { name, created };
}

/** Deletes `vtep<vni>` (and a left-over `vtmp<vni>`) if it is a vxlan device of that VNI; gone is success. */
export async function deleteVtep(vni: number): Promise<void> {
  await deleteLeftoverTmp(vni);
  const [link] = await listLinks(SELF, vtepName(vni));
  if (!link) return;
  if (link.linkinfo?.info_kind !== 'vxlan' || link.linkinfo.info_data?.id !== vni) {
    throw conflict(`${vtepName(vni)} is not the vxlan device of vni ${vni}; not deleting it`, { link: vtepName(vni) });
  }
  await deleteLinkIfExists(SELF, vtepName(vni));
}
