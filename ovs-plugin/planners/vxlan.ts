// What ovs.vxlan-ensure / ovs.vxlan-del and the vxlan nic kind do. A VXLAN network is the kernel
// device `vtep<vni>` on the master link, plugged into OVS bridge `vxlbr<vni>` (default name).
// Order: kernel device first (kept on failure only if it existed before), then one OVSDB
// transaction; a crash in between leaves a usable device that the retry adopts. An empty bridge
// v1 left is adopted as in vlan.ts: vxlan-del then takes only our port out of it.
import type { Operation } from '../ovsdb/types.ts';
import { deleteLinkIfExists } from '../../lib/link.ts';
import { SELF } from '../../lib/netns.ts';
import { deleteVtep, ensureVtep, vtepName, withVniLock } from '../vtep.ts';
import { busy, conflict, notFound, notOwned } from './errors.ts';
import { assertNewNames, vxlanBridgeName } from './names.ts';
import {
  addRefs,
  delRefs,
  insertBridge,
  insertPort,
  waitAbsent,
  waitHasPort,
  waitNamesFree,
  waitUnchanged,
} from './ops.ts';
import type { Ctx, Plan, Planner } from './plan.ts';
import { isBare } from './vlan-patch.ts';
import { placeOf, placeReads, waitPlace } from './fake-bridge.ts';
import { isOwned, type Seen, View } from './view.ts';

/** Arguments of vxlan-ensure / vxlan-del. */
export interface VxlanArgs {
  master?: string;
  vxlan: number;
  name?: string;
  remotes?: string[];
}

/** Throws ECONFLICT unless `port` is the one plain (system) interface `vtep<vni>`. */
function checkVtepPort(view: View, port: Seen<'Port'>, vni: number): void {
  const ifs = view.interfacesOf(port);
  if (ifs.length !== 1 || ifs[0]!.name !== port.name || !['', 'system'].includes(ifs[0]!.type)) {
    throw conflict(
      `port ${port.name} is not the kernel device of vxlan ${vni} ` +
        `(${ifs.map((i) => `${i.name} type ${i.type}`).join(', ')})`,
      { vxlan: vni, port: port.name },
    );
  }
}

/** The plan that plugs `vtep<vni>` into its bridge, or verifies it already is. */
function plugPlan(a: VxlanArgs, datapathType: string): Planner<string> {
  return (view, prefix): Plan<string> => {
    const dev = vtepName(a.vxlan);
    const want = a.name ?? vxlanBridgeName(a.vxlan);
    const claims = [`Port:${dev}`, `Bridge:${want}`];
    // The master may be a fake bridge (v1's `vlan-ensure {name: vxbackend}` makes one now).
    const place = placeOf(view, a.master!);
    if (!place) throw notFound(`master bridge ${a.master} does not exist`, { master: a.master });
    const mbr = place.bridge;
    const guard = waitPlace(place, a.master!);
    const reads = placeReads(place, a.master!);
    if (want === a.master) throw conflict(`vxlan bridge name ${want} is the master bridge`, { name: want });
    const port = view.byName('Port', dev);
    const on = port ? view.bridgeOfPort(port._uuid) : undefined;
    if (port && on) {
      checkVtepPort(view, port, a.vxlan);
      if (on._uuid === mbr._uuid)
        throw conflict(`${dev} is a port of the master bridge ${a.master}`, { vxlan: a.vxlan });
      if (a.name !== undefined && on.name !== a.name) {
        throw conflict(`vxlan ${a.vxlan} is bridge ${on.name}; reassigning a vxlan to another bridge is not allowed`, {
          vxlan: a.vxlan,
          bridge: on.name,
        });
      }
      return { ops: [...guard, waitHasPort(on._uuid, on.name, port._uuid)], result: on.name, claims };
    }
    const field = a.name !== undefined ? 'name' : 'vxlan';
    const named = view.byName('Bridge', want);
    if (named && isBare(view, named)) {
      // v1 died between add-br and add-port: adopt the empty bridge (see vlan.ts).
      assertNewNames(view, [{ name: dev, field: 'vxlan' }]);
      const ins = insertPort(`${prefix}x`, { name: dev, interfaces: [{ name: dev }] });
      const ops = [
        ...guard,
        waitUnchanged('Bridge', named, ['name', 'ports']),
        ...waitNamesFree([], [dev], [dev]),
        ...ins.ops,
        addRefs('Bridge', named._uuid, 'ports', [ins.ref]),
      ];
      return { ops, result: want, claims, reads };
    }
    if (named) throw conflict(`bridge ${want} exists and is not the bridge of vxlan ${a.vxlan}`, { name: want });
    const root = view.root();
    if (!root) throw notFound('OVSDB has no Open_vSwitch row');
    assertNewNames(view, [
      { name: want, field },
      { name: dev, field: 'vxlan' },
    ]);
    const ops: Operation[] = [
      ...guard,
      ...waitNamesFree([want], [want, dev], [want, dev]),
      ...insertBridge(`${prefix}x`, want, root._uuid, datapathType, [{ name: dev, interfaces: [{ name: dev }] }]),
    ];
    return { ops, result: want, claims, reads };
  };
}

/**
 * What ovs.vxlan-ensure does, for it and for the vxlan nic kind: the kernel device, then the
 * plug plan in one transaction (a device this call made is deleted if that fails) -> bridge name.
 */
export function ensureVxlan(a: VxlanArgs, ctx: Pick<Ctx, 'client' | 'env' | 'commit'>): Promise<string> {
  return withVniLock(a.vxlan, async () => {
    const planner = plugPlan(a, ctx.env.datapathType);
    planner(new View(ctx.client.cache), 'pre_'); // conflicts fail before any kernel change
    const { name, created } = await ensureVtep({ vni: a.vxlan, master: a.master!, remotes: a.remotes });
    try {
      return await ctx.commit(planner);
    } catch (err) {
      if (created) await deleteLinkIfExists(SELF, name);
      throw err;
    }
  });
}

/** The bridge `vtep<vni>` is plugged into now, or undefined (read-only, for planners and nic kinds). */
export function vxlanBridgeOf(view: View, vni: number): string | undefined {
  const port = view.byName('Port', vtepName(vni));
  return port ? view.bridgeOfPort(port._uuid)?.name : undefined;
}

/**
 * What ovs.vxlan-del does: removes our bridge (or our port from an adopted one), then the kernel
 * device; gone is success.
 */
export function deleteVxlan(a: VxlanArgs, ctx: Pick<Ctx, 'commit'>): Promise<null> {
  return withVniLock(a.vxlan, async () => {
    const dev = vtepName(a.vxlan);
    await ctx.commit((view): Plan<null> => {
      const claims = [`Port:${dev}`, `Bridge:${a.name ?? vxlanBridgeName(a.vxlan)}`];
      const port = view.byName('Port', dev);
      const br = port ? view.bridgeOfPort(port._uuid) : undefined;
      if (a.name !== undefined && br && br.name !== a.name)
        throw conflict(`vxlan ${a.vxlan} is bridge ${br.name}, not ${a.name}`, { vxlan: a.vxlan });
      if (a.name !== undefined && !br && view.byName('Bridge', a.name))
        throw conflict(`bridge ${a.name} is not the bridge of vxlan ${a.vxlan}`, { name: a.name });
      if (!br || !port) return { ops: [waitAbsent('Port', dev)], result: null, claims };
      if (!isOwned(br) && !isOwned(port))
        throw notOwned(`bridge ${br.name} was not created by ovs-plugin`, { bridge: br.name });
      const extra = view
        .portsOf(br)
        .map((x) => x.name)
        .filter((x) => x !== br.name && x !== dev);
      if (extra.length)
        throw busy(`bridge ${br.name} still has ports: ${extra.join(', ')}`, { bridge: br.name, ports: extra });
      // An adopted bridge stays as it was found; only our port leaves it.
      const cut = isOwned(br)
        ? delRefs('Open_vSwitch', view.root()!._uuid, 'bridges', [br._uuid])
        : delRefs('Bridge', br._uuid, 'ports', [port._uuid]);
      return { ops: [waitUnchanged('Bridge', br, ['name', 'ports']), cut], result: null, claims };
    });
    await deleteVtep(a.vxlan);
    return null;
  });
}
