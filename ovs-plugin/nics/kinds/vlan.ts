// `vlan`: a veth whose host end is a port of the VLAN bridge of `backplane` for tag `id`, the
// bridge `ovs.vlan-ensure` makes, through the same planner (made here if missing). The port is
// an access port of the VLAN (ovs.ts), so the nic sees its own VLAN only: VLAN 0's v1 patch
// bridge carries every tag, the nic's port only untagged frames.
import { planVlanEnsure } from '../../planners/vlan.ts';
import { View } from '../../planners/view.ts';
import { vethKind } from '../veth.ts';
import { ovsPlug } from './ovs.ts';
import type { RecordOf } from '../types.ts';

/** The master bridge VLAN nics hang off (v1). */
export const VLAN_MASTER = 'backplane';

/** How a vlan nic's host end (veth or tap) is plugged. */
export const vlanPlug = ovsPlug<RecordOf<'vlan'>>({
  // Its own VLAN only: an access port (VLAN 0: untagged frames only), whatever the layout.
  access: true,
  bridgeOf(ctx, rec) {
    const tag = Number(rec.nic.id);
    rec.tag = tag;
    // Conflicts (missing master, tag bound elsewhere) fail here, before any change.
    return planVlanEnsure({ master: VLAN_MASTER, vlan: tag }, ctx.ovs.env)(new View(ctx.ovs.client.cache), 'pre_')
      .result;
  },
  async ensure(ctx, rec) {
    await ctx.ovs.commit(planVlanEnsure({ master: VLAN_MASTER, vlan: rec.tag }, ctx.ovs.env));
  },
});

/** The vlan kind. */
export const vlanKind = vethKind(vlanPlug);
