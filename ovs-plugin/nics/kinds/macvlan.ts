// `macvlan`: a macvlan (mode bridge) on a host parent link `id`, made on the host under the
// record's temporary name with the record's MAC, moved into the target and renamed there.
// Detach finds it by that temporary name on the host or, inside, by name and MAC.
import { ValidationError } from '../../../lib/errors.ts';
import { getLink, ip } from '../../../lib/ip.ts';
import { deleteLinkIfExists, moveLink } from '../../../lib/link.ts';
import { SELF, type NetnsRef } from '../../../lib/netns.ts';
import { failpoint } from '../failpoint.ts';
import { checkInside, configureInside, undoConfig } from '../inside.ts';
import { allowedParent, claimParent } from '../parent.ts';
import type { NicKind, NicRecord, RecordOf } from '../types.ts';

/** Deletes `name` in `ref` only if it is this nic's link (its MAC, the kind given). */
export async function deleteIfOurs(ref: NetnsRef, name: string, rec: NicRecord, kind: string): Promise<void> {
  const l = await getLink(ref, name);
  if (l && l.address === rec.hwaddr && l.linkinfo?.info_kind === kind) await deleteLinkIfExists(ref, name);
}

/** The macvlan kind. */
export const macvlanKind: NicKind<RecordOf<'macvlan'>> = {
  async prepare(ctx, rec) {
    const p = await allowedParent(ctx, String(rec.nic.id));
    if (rec.mtu && rec.mtu > p.mtu)
      throw new ValidationError('nic.mtu', `${rec.mtu} is above the MTU of ${p.ifname} (${p.mtu})`);
    rec.parent = p.ifname;
  },
  claim: (rec, all) => claimParent(String(rec.nic.id), all),
  async attach(ctx, rec, undo) {
    const mtu = rec.mtu ? ['mtu', String(rec.mtu)] : [];
    await ip(SELF, [
      'link',
      'add',
      'link',
      rec.parent,
      'name',
      rec.temp,
      'address',
      rec.hwaddr,
      ...mtu,
      'type',
      'macvlan',
      'mode',
      'bridge',
    ]);
    undo.push(`delete ${rec.temp}`, () => deleteLinkIfExists(SELF, rec.temp));
    failpoint('attach:created');
    await moveLink(SELF, rec.temp, ctx.target!, undo);
    failpoint('attach:moved');
    await configureInside(ctx.target!, rec, undo, ctx.ovs.nics.dhcpWaitMs);
  },
  async detach(ctx, rec) {
    await deleteIfOurs(SELF, rec.temp, rec, 'macvlan');
    failpoint('detach:deleted');
    if (ctx.target) for (const n of [rec.name, rec.temp]) await deleteIfOurs(ctx.target, n, rec, 'macvlan');
    await undoConfig(rec);
    return {};
  },
  async check(ctx, rec) {
    const d = await checkInside(ctx.target, rec);
    if (!(await getLink(SELF, rec.parent)))
      d.push({ what: 'parent', want: rec.parent, got: 'missing', repairable: false });
    return d;
  },
};
