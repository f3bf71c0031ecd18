// `vxlan`: a veth whose host end is a port of the VXLAN bridge of `vxbackend` for VNI `id`.
// An existing VXLAN bridge (made by `ovs.vxlan-ensure`, e.g. with unicast `remotes`) is used
// as it is; a missing one is made as `ovs.vxlan-ensure {master: vxbackend, vxlan}` makes it
// (the same function: kernel device `vtep<vni>` with v1's multicast group, then one transaction).
import { ValidationError } from '../../../lib/errors.ts';
import { getLink } from '../../../lib/ip.ts';
import { SELF } from '../../../lib/netns.ts';
import { notFound } from '../../planners/errors.ts';
import { placeOf } from '../../planners/fake-bridge.ts';
import { View } from '../../planners/view.ts';
import { ensureVxlan, vxlanBridgeOf } from '../../planners/vxlan.ts';
import { vethKind } from '../veth.ts';
import { ovsPlug } from './ovs.ts';
import type { RecordOf } from '../types.ts';

/** The underlay VXLAN nics use (v1). */
export const VXLAN_MASTER = 'vxbackend';

/** How a vxlan nic's host end (veth or tap) is plugged. */
export const vxlanPlug = ovsPlug<RecordOf<'vxlan'>>({
  bridgeOf(ctx, rec) {
    const vni = Number(rec.nic.id);
    rec.vni = vni;
    const view = new View(ctx.ovs.client.cache);
    const there = vxlanBridgeOf(view, vni);
    if (there) return there;
    if (!placeOf(view, VXLAN_MASTER))
      throw notFound(`master bridge ${VXLAN_MASTER} does not exist`, { master: VXLAN_MASTER });
    if (view.byName('Bridge', `vxlbr${vni}`))
      throw new ValidationError('nic.id', `bridge vxlbr${vni} exists and is not the bridge of vxlan ${vni}`);
    return `vxlbr${vni}`;
  },
  async ensure(ctx, rec) {
    if (vxlanBridgeOf(new View(ctx.ovs.client.cache), rec.vni)) return;
    if (!(await getLink(SELF, VXLAN_MASTER)))
      throw notFound(`master link ${VXLAN_MASTER} does not exist`, { master: VXLAN_MASTER });
    await ensureVxlan({ master: VXLAN_MASTER, vxlan: rec.vni }, ctx.ovs);
  },
});

/** The vxlan kind. */
export const vxlanKind = vethKind(vxlanPlug);
