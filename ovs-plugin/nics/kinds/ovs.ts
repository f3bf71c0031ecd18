// The OVS veth kinds (vlan, vxlan): the host end is an OVS port of ours on the kind's bridge,
// added and removed in one transaction each (ovs-port.ts). On a netdev-datapath bridge both
// veth ends get TX checksum offload turned off (veth.ts txOff). A VLAN bridge that is a fake
// bridge (commands/fake-bridge.ts) takes the port on its parent with its tag.
import { placeOf, placeReads, waitPlace } from '../../commands/fake-bridge.ts';
import type { Planner } from '../../commands/types.ts';
import { View } from '../../commands/view.ts';
import { datapathOf, plugPlan, portPlace, unplugPlan } from '../ovs-port.ts';
import type { VethPlug } from '../veth.ts';
import type { KindCtx, NicRecord } from '../types.ts';

/** What an OVS kind adds: which bridge (read-only, may throw), and how to make it. */
export interface OvsBridgeOf {
  bridgeOf(ctx: KindCtx, rec: NicRecord): string;
  ensure(ctx: KindCtx, rec: NicRecord): Promise<void>;
}

/** plugPlan onto bridge name `bridge`: a fake bridge's parent with its tag, the fake pinned. */
function plugOnto(bridge: string, port: string, key: string): Planner<null> {
  return (view, p) => {
    const place = placeOf(view, bridge);
    if (!place?.fake) return plugPlan(bridge, port, key)(view, p);
    const plan = plugPlan(place.bridge.name, port, key, place.tag)(view, p);
    return { ...plan, ops: [...waitPlace(place, bridge), ...plan.ops], reads: [...(plan.reads ?? []), ...placeReads(place, bridge)] };
  };
}

/** The bridge row and tag a port "on `bridge`" has (a fake bridge: its parent and tag). */
function wantedPlace(view: View, bridge: string): { bridge: string; tag: number } {
  const place = placeOf(view, bridge);
  return place ? { bridge: place.bridge.name, tag: place.tag } : { bridge, tag: 0 };
}

/** How a veth or tap is plugged into an OVS bridge of the kind. */
export function ovsPlug(o: OvsBridgeOf): VethPlug {
  return {
    async prepare(ctx, rec) {
      rec.bridge = o.bridgeOf(ctx, rec);
      const view = new View(ctx.ovs.client.cache);
      const dp = datapathOf(view, wantedPlace(view, rec.bridge).bridge) || ctx.ovs.env.datapathType;
      rec.txOff = dp === 'netdev';
    },
    ensure: (ctx, rec) => o.ensure(ctx, rec),
    async plug(ctx, rec, undo) {
      await ctx.ovs.commit(plugOnto(rec.bridge!, rec.host!, rec.key));
      undo.push(`remove port ${rec.host}`, () => ctx.ovs.commit(unplugPlan(rec.host!, rec.key)));
    },
    async unplug(ctx, rec) {
      await ctx.ovs.commit(unplugPlan(rec.host!, rec.key));
    },
    async checkPlug(ctx, rec) {
      const view = new View(ctx.ovs.client.cache);
      const at = portPlace(view, rec.host!);
      if (!at) return [{ what: 'port', want: rec.bridge, got: 'missing', repairable: true }];
      const want = wantedPlace(view, rec.bridge!);
      const d = [];
      if (at.bridge !== want.bridge) d.push({ what: 'port', want: rec.bridge, got: at.bridge, repairable: false });
      if (at.tag !== want.tag) d.push({ what: 'port-tag', want: want.tag, got: at.tag, repairable: false });
      const err = await interfaceError(ctx, rec.host!);
      if (err) d.push({ what: 'interface-error', got: err, repairable: false });
      return d;
    },
    async replug(ctx, rec) {
      if (portPlace(new View(ctx.ovs.client.cache), rec.host!)) return;
      await o.ensure(ctx, rec);
      await ctx.ovs.commit(plugOnto(rec.bridge!, rec.host!, rec.key));
    },
  };
}

/** Interface.error of `name` (not in the monitor: one select). */
async function interfaceError(ctx: KindCtx, name: string): Promise<string | undefined> {
  const r = await ctx.ovs.client.transact('Open_vSwitch', [{ op: 'select', table: 'Interface', where: [['name', '==', name]], columns: ['error'] }]);
  const e = (r[0]?.rows?.[0] as { error?: unknown } | undefined)?.error;
  return typeof e === 'string' && e ? e : undefined;
}
