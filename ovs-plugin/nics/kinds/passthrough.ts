// `passthrough`: the host link `id` itself moved into the target, if nothing else uses it (no
// link stacked on it, no host address or default route: link-use.ts). Before the first change the
// record keeps its name, MAC, MTU, up state, permanent MAC and PCI address; detach gives it back
// exactly so, found by those (never by name alone: it may have been renamed, or returned by
// the kernel to the host when the container's namespace died).
import { NetnsGoneError } from '../../../lib/errors.ts';
import { getLink, ip, listLinks } from '../../../lib/ip.ts';
import { netnsTarget, SELF, type NetnsRef } from '../../../lib/netns.ts';
import { failpoint } from '../failpoint.ts';
import { checkInside, configureInside, undoConfig } from '../inside.ts';
import { claimNoUpper, refuseLinkInUse } from '../link-use.ts';
import { allowedParent, claimParent, type HostLink } from '../parent.ts';
import type { NicKind, RecordOf } from '../types.ts';

/** A passthrough record. */
type Passthrough = RecordOf<'passthrough'>;

/** True when `l` is the NIC `rec` took (permanent MAC, else PCI address, else MAC + kind + a name we gave it). */
function isTheNic(l: HostLink, rec: Passthrough): boolean {
  const s = rec.saved;
  if (s.permaddr) return (l.permaddr ?? l.address) === s.permaddr;
  if (s.pci) return l.parentbus === 'pci' && l.parentdev === s.pci;
  return (
    [rec.hwaddr, s.mac].includes(l.address ?? '') &&
    (l.linkinfo?.info_kind ?? '') === (s.kind ?? '') &&
    [rec.name, rec.temp, s.name].includes(l.ifname)
  );
}

/** The NIC in `ref`, if it is there (undefined when the namespace is gone; other failures thrown). */
async function findIn(ref: NetnsRef, rec: Passthrough): Promise<HostLink | undefined> {
  try {
    return ((await listLinks(ref)) as HostLink[]).find((l) => isTheNic(l, rec));
  } catch (err) {
    if (err instanceof NetnsGoneError) return undefined;
    throw err;
  }
}

/** The passthrough kind. */
export const passthroughKind: NicKind<Passthrough> = {
  async prepare(ctx, rec) {
    const l = await allowedParent(ctx, String(rec.nic.id));
    await refuseLinkInUse(l.ifname);
    rec.saved = {
      name: l.ifname,
      mac: l.address!,
      mtu: l.mtu,
      up: l.flags.includes('UP'),
      ...(l.permaddr || l.parentbus ? { permaddr: l.permaddr ?? l.address } : {}),
      ...(l.parentbus === 'pci' && l.parentdev ? { pci: l.parentdev } : {}),
      ...(l.linkinfo?.info_kind ? { kind: l.linkinfo.info_kind } : {}),
    };
    if (!rec.nic.hwaddr) rec.hwaddr = l.address!;
  },
  claim(rec, all) {
    claimParent(String(rec.nic.id), all);
    claimNoUpper(String(rec.nic.id), all);
  },
  async attach(ctx, rec, undo) {
    const s = rec.saved;
    await ip(SELF, ['link', 'set', 'dev', s.name, 'down']);
    undo.push(`restore ${s.name}`, () => restore(rec));
    failpoint('attach:down');
    await ip(SELF, ['link', 'set', 'dev', s.name, 'netns', netnsTarget(ctx.target!), 'name', rec.temp]);
    undo.push(`move ${rec.temp} back`, () => bringBack(ctx.target!, rec));
    failpoint('attach:moved');
    await configureInside(ctx.target!, rec, undo, ctx.ovs.nics.dhcpWaitMs);
  },
  async detach(ctx, rec) {
    if (ctx.target) await bringBack(ctx.target, rec);
    failpoint('detach:moved');
    const returned = await restore(rec);
    await undoConfig(rec);
    return { returned };
  },
  check: (ctx, rec) => checkInside(ctx.target, rec),
};

/** Moves the NIC from `target` to the host under the record's temporary name (if it is there). */
async function bringBack(target: NetnsRef, rec: Passthrough): Promise<void> {
  const l = await findIn(target, rec);
  if (!l) return;
  await ip(target, ['link', 'set', 'dev', l.ifname, 'down']);
  await ip(target, ['link', 'set', 'dev', l.ifname, 'netns', netnsTarget(SELF), 'name', rec.temp]);
}

/** Gives the NIC on the host its name, MAC, MTU and up state back; false if it is not on the host. */
async function restore(rec: Passthrough): Promise<boolean> {
  const s = rec.saved;
  const l = await findIn(SELF, rec);
  if (!l) return false;
  let name = l.ifname;
  // Its old name may be taken meanwhile: then it keeps the temporary one (and says so in the log of gc).
  if (name !== s.name && !(await getLink(SELF, s.name))) {
    await ip(SELF, ['link', 'set', 'dev', name, 'down']);
    await ip(SELF, ['link', 'set', 'dev', name, 'name', s.name]);
    name = s.name;
  }
  await ip(SELF, ['link', 'set', 'dev', name, 'address', s.mac, 'mtu', String(s.mtu)]);
  await ip(SELF, ['link', 'set', 'dev', name, s.up ? 'up' : 'down']);
  return true;
}
