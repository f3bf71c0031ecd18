// `fleet`: a veth (a guest's tap) on br-int bound to an OVN logical port of the fleet network
// `id` (docs/fleet.md). The logical port is made in the NB (the nic's MAC and address, the
// same as port security, requested-chassis this node) beside the veth, then the host end is plugged into
// br-int with `external_ids:iface-id` = the logical port, and attach answers once
// ovn-controller has marked the interface `ovn-installed` (EPORTDOWN after
// OVS_PLUGIN_PORT_UP_MS, every step undone). Detach removes both; check compares the NB port,
// the SB binding and the local interface. MTU: the underlay link's minus the tunnel overhead.
import { notFound } from '../../../lib/errors.ts';
import { requireJoined, joinedNb, type Joined } from '../../fleet/joined.ts';
import type { Encap } from '../../fleet/args.ts';
import { BR_INT, membershipOf } from '../../fleet/chassis.ts';
import { isInstalled, waitInstalled } from '../../fleet/installed.ts';
import {
  addressEntry,
  lportAsMade,
  nicSwitch,
  planLportDel,
  planLportEnsure,
  refuseClash,
  type LportSpec,
} from '../../fleet/lport.ts';
import { sbBinding } from '../../fleet/nb-link.ts';
import { commitNb, NbView } from '../../fleet/nb-plan.ts';
import { vlanOf } from '../../fleet/networks.ts';
import { linkHolding, tunnelOverhead } from '../../fleet/underlay.ts';
import { View } from '../../planners/view.ts';
import { datapathOf, plugPlan, portPlace, unplugPlan } from '../ovs-port.ts';
import { vethKind, type VethPlug } from '../veth.ts';
import type { Draft, Drift, KindCtx, RecordOf } from '../types.ts';

type FleetRecord = RecordOf<'fleet'>;

/** The logical port of `rec` as the NB should hold it. */
const specOf = (rec: FleetRecord | Draft<FleetRecord>): LportSpec => {
  const ip = rec.nic.config?.cidr?.split('/')[0];
  return {
    network: String(rec.nic.id),
    name: rec.lport!,
    mac: rec.hwaddr,
    ...(ip ? { ip } : {}),
    chassis: rec.chassis!,
    key: rec.key,
  };
};

/** The host end's Interface external_ids: the binding ovn-controller looks for. */
const ifaceIds = (rec: FleetRecord) => ({ 'iface-id': rec.lport });

/** Plugs the host end into br-int, bound to its logical port (the same port there already is success). */
async function plugPort(ctx: KindCtx, rec: FleetRecord): Promise<void> {
  await ctx.ovs.commit(plugPlan(BR_INT, rec.host, rec.key, 0, false, ifaceIds(rec)));
}

/** How a fleet nic's host end (veth or tap) is bound. */
export const fleetPlug: VethPlug<FleetRecord> = {
  async prepare(ctx, rec) {
    const m: Joined = requireJoined(ctx.ovs.client, 'nic.type');
    const view = new View(ctx.ovs.client.cache);
    if (!view.byName('Bridge', BR_INT))
      throw notFound(`nic.type: bridge ${BR_INT} does not exist (fleet.join makes it)`, { field: 'nic.type' });
    rec.bridge = BR_INT;
    rec.chassis = m.chassis;
    // Unique in the NB: this chassis and the attachment's own random part.
    rec.lport = `${m.chassis}-${rec.temp.slice(2)}`;
    rec.txOff = datapathOf(view, BR_INT) === 'netdev';
    const v = new NbView(await joinedNb(m));
    const ls = nicSwitch(v, String(rec.nic.id));
    refuseClash(v, ls, specOf(rec));
    if (rec.mtu === undefined) {
      // An overlay network's frames cross the underlay inside a tunnel: its MTU minus the overhead.
      const base = (m.encapIp ? await linkHolding(m.encapIp) : undefined)?.mtu ?? 1500;
      rec.mtu = vlanOf(v, ls) === undefined ? base - tunnelOverhead(m.encap as Encap, m.encapIp ?? '') : base;
    }
  },
  ensureBeside: true,
  async ensure(ctx, rec, undo) {
    const nb = requireJoined(ctx.ovs.client, 'nic.type').nb;
    await commitNb(nb, planLportEnsure(specOf(rec)));
    undo.push(`delete logical port ${rec.lport}`, () => commitNb(nb, planLportDel(rec.lport, rec.key)));
  },
  bridgeLink: () => BR_INT,
  async plug(ctx, rec, undo) {
    await plugPort(ctx, rec);
    undo.push(`remove port ${rec.host}`, () => ctx.ovs.commit(unplugPlan(rec.host, rec.key)));
    await waitInstalled(ctx.ovs.client, rec.host, rec.lport, ctx.ovs.nics.portUpMs);
  },
  async unplug(ctx, rec) {
    await ctx.ovs.commit(unplugPlan(rec.host, rec.key));
    // fleet.leave refuses while fleet nics are recorded: a node that is not joined has no NB of ours.
    const m = membershipOf(new View(ctx.ovs.client.cache));
    if (!m.joined || !m.nb) return;
    await commitNb(m.nb, planLportDel(rec.lport, rec.key));
  },
  async checkPlug(ctx, rec) {
    const d: Drift[] = [];
    const view = new View(ctx.ovs.client.cache);
    const at = portPlace(view, rec.host);
    if (!at) d.push({ what: 'port', want: BR_INT, got: 'missing', repairable: true });
    else if (at.bridge !== BR_INT) d.push({ what: 'port', want: BR_INT, got: at.bridge, repairable: false });
    else {
      const id = view.byName('Interface', rec.host)?.external_ids.get('iface-id');
      if (id !== rec.lport) d.push({ what: 'iface-id', want: rec.lport, got: id ?? 'none', repairable: false });
      else if (!isInstalled(ctx.ovs.client, rec.host))
        d.push({ what: 'ovn-installed', want: true, got: false, repairable: true });
    }
    const m = membershipOf(view);
    if (!m.joined) return [...d, { what: 'fleet', want: 'joined', got: 'not joined', repairable: false }];
    const p = new NbView(await joinedNb(m as Joined)).portNamed(rec.lport);
    const spec = specOf(rec);
    if (!p) d.push({ what: 'logical-port', want: rec.lport, got: 'missing', repairable: true });
    else if (!lportAsMade(p, spec))
      d.push({ what: 'logical-port-addresses', want: addressEntry(spec), got: p.addresses, repairable: true });
    const b = await sbBinding(m.sb!, rec.lport).catch((err: unknown) => ({ error: String(err) }));
    if (b && 'error' in b) d.push({ what: 'binding', want: rec.chassis, got: b.error, repairable: false });
    else if (b?.chassis !== rec.chassis)
      d.push({ what: 'binding', want: rec.chassis, got: b?.chassis ?? 'unbound', repairable: !p });
    return d;
  },
  async replug(ctx, rec) {
    await commitNb(requireJoined(ctx.ovs.client, 'nic.type').nb, planLportEnsure(specOf(rec)));
    if (!portPlace(new View(ctx.ovs.client.cache), rec.host)) await plugPort(ctx, rec);
    await waitInstalled(ctx.ovs.client, rec.host, rec.lport, ctx.ovs.nics.portUpMs);
  },
};

/** The fleet kind. */
export const fleetKind = vethKind(fleetPlug);
