// The OVS veth kinds (vlan, vxlan): the host end is an OVS port of ours on the kind's bridge,
// added and removed in one transaction each (ovs-port.ts). On a netdev-datapath bridge both
// veth ends get TX checksum offload turned off (veth.ts txOff). A VLAN bridge that is a fake
// bridge (planners/fake-bridge.ts) takes the port on its parent with its tag. A kind with
// `access` (vlan) makes it an access port of that one VLAN (on a bridge of its own, VLAN 0:
// untagged frames only), so no layout of the VLAN bridge makes the nic a trunk.
import { placeOf, placeReads, waitPlace } from '../../planners/fake-bridge.ts';
import type { Planner } from '../../planners/plan.ts';
import { View } from '../../planners/view.ts';
import { accessPlan, datapathOf, plugPlan, portPlace, unplugPlan } from '../ovs-port.ts';
import type { VethPlug } from '../veth.ts';
import type { Draft, KindCtx, RecordOf } from '../types.ts';

/** The records of the OVS kinds. */
export type OvsRecord = RecordOf<'vlan'> | RecordOf<'vxlan'>;

/** What an OVS kind adds: which bridge (read-only, may throw), and how to make it. */
export interface OvsBridgeOf<R extends OvsRecord> {
  bridgeOf(ctx: KindCtx, rec: Draft<R>): string;
  ensure(ctx: KindCtx, rec: R): Promise<void>;
  /** The port carries the one VLAN of its place only (vlan nics), never a trunk. */
  access?: boolean;
}

/** plugPlan onto bridge name `bridge`: a fake bridge's parent with its tag, the fake pinned. */
function plugOnto(bridge: string, port: string, key: string, access: boolean): Planner<null> {
  return (view, prefix) => {
    const place = placeOf(view, bridge);
    if (!place?.fake) return plugPlan(bridge, port, key, 0, access)(view, prefix);
    const plan = plugPlan(place.bridge.name, port, key, place.tag, access)(view, prefix);
    return {
      ...plan,
      ops: [...waitPlace(place, bridge), ...plan.ops],
      reads: [...(plan.reads ?? []), ...placeReads(place, bridge)],
    };
  };
}

/** The bridge row and tag a port "on `bridge`" has (a fake bridge: its parent and tag). */
function wantedPlace(view: View, bridge: string): { bridge: string; tag: number } {
  const place = placeOf(view, bridge);
  return place ? { bridge: place.bridge.name, tag: place.tag } : { bridge, tag: 0 };
}

/** How a veth or tap is plugged into an OVS bridge of the kind. */
export function ovsPlug<R extends OvsRecord>(o: OvsBridgeOf<R>): VethPlug<R> {
  const access = !!o.access;
  return {
    async prepare(ctx, rec) {
      rec.bridge = o.bridgeOf(ctx, rec);
      const view = new View(ctx.ovs.client.cache);
      const dp = datapathOf(view, wantedPlace(view, rec.bridge).bridge) || ctx.ovs.env.datapathType;
      rec.txOff = dp === 'netdev';
    },
    ensure: (ctx, rec) => o.ensure(ctx, rec),
    // The Bridge row the port goes on (a fake bridge's parent): its internal interface.
    bridgeLink: (ctx, rec) => wantedPlace(new View(ctx.ovs.client.cache), rec.bridge).bridge,
    async plug(ctx, rec, undo) {
      await ctx.ovs.commit(plugOnto(rec.bridge, rec.host, rec.key, access));
      undo.push(`remove port ${rec.host}`, () => ctx.ovs.commit(unplugPlan(rec.host, rec.key)));
    },
    async unplug(ctx, rec) {
      await ctx.ovs.commit(unplugPlan(rec.host, rec.key));
    },
    async checkPlug(ctx, rec) {
      const view = new View(ctx.ovs.client.cache);
      const at = portPlace(view, rec.host);
      if (!at) return [{ what: 'port', want: rec.bridge, got: 'missing', repairable: true }];
      const want = wantedPlace(view, rec.bridge);
      const d = [];
      if (at.bridge !== want.bridge) d.push({ what: 'port', want: rec.bridge, got: at.bridge, repairable: false });
      if (at.tag !== want.tag) d.push({ what: 'port-tag', want: want.tag, got: at.tag, repairable: false });
      else if (access && !at.access) d.push({ what: 'port-vlan-mode', want: 'access', got: 'trunk', repairable: true });
      const err = await interfaceError(ctx, rec.host);
      if (err) d.push({ what: 'interface-error', got: err, repairable: false });
      return d;
    },
    async replug(ctx, rec) {
      const view = new View(ctx.ovs.client.cache);
      const at = portPlace(view, rec.host);
      if (at) {
        if (access && !at.access && at.tag === wantedPlace(view, rec.bridge).tag)
          await ctx.ovs.commit(accessPlan(rec.host, rec.key, at.tag));
        return;
      }
      await o.ensure(ctx, rec);
      await ctx.ovs.commit(plugOnto(rec.bridge, rec.host, rec.key, access));
    },
  };
}

/** Interface.error of `name` (not in the monitor: one select). */
async function interfaceError(ctx: KindCtx, name: string): Promise<string | undefined> {
  const r = await ctx.ovs.client.transact('Open_vSwitch', [
    { op: 'select', table: 'Interface', where: [['name', '==', name]], columns: ['error'] },
  ]);
  const e = (r[0]?.rows?.[0] as { error?: unknown } | undefined)?.error;
  return typeof e === 'string' && e ? e : undefined;
}
