// ovs.vxlan-ensure / ovs.vxlan-del / ovs.vtep-ensure / ovs.vtep-del. A VXLAN network is the kernel
// device `vtep<vni>` on the master link, plugged into OVS bridge `vxlbr<vni>` (default name).
// Order: kernel device first (kept on failure only if it existed before), then one OVSDB
// transaction; a crash in between leaves a usable device that the retry adopts.
import { argsObject, ipList, linkName, optName, vni } from '../validate.ts';
import type { Operation } from '../ovsdb/types.ts';
import { ovsSet, uuid } from '../ovsdb/notation.ts';
import { deleteLinkIfExists } from '../../lib/link.ts';
import { SELF } from '../../lib/netns.ts';
import { deleteVtep, ensureVtep, vtepName, withVniLock } from '../vtep.ts';
import { busy, conflict, notFound, notOwned } from './errors.ts';
import { addRefs, delRefs, insertBridge, insertPort, waitAbsent, waitHasPort, waitNamed, waitNamesFree, waitRow } from './ops.ts';
import type { Command, Ctx, Plan, Planner } from './types.ts';
import { isBare } from './vlan.ts';
import { idOf, isOwned, str, uuidsOf, View } from './view.ts';

/** Arguments of vxlan-ensure / vxlan-del. */
export interface VxlanArgs { master?: string; vxlan: number; name?: string; remotes?: string[] }

/** The plan that plugs `vtep<vni>` into its bridge, or verifies it already is. */
function plugPlan(a: VxlanArgs, datapathType: string): Planner<string> {
  return (view, p): Plan<string> => {
    const dev = vtepName(a.vxlan);
    const want = a.name ?? `vxlbr${a.vxlan}`;
    const claims = [`Port:${dev}`, `Bridge:${want}`];
    const mbr = view.byName('Bridge', a.master!);
    if (!mbr) throw notFound(`master bridge ${a.master} does not exist`, { master: a.master });
    if (want === a.master) throw conflict(`vxlan bridge name ${want} is the master bridge`, { name: want });
    const port = view.byName('Port', dev);
    const on = port ? view.bridgeOfPort(idOf(port)) : undefined;
    if (port && on) {
      if (a.name !== undefined && str(on.name) !== a.name) {
        throw conflict(`vxlan ${a.vxlan} is bridge ${str(on.name)}; reassigning a vxlan to another bridge is not allowed`, { vxlan: a.vxlan, bridge: str(on.name) });
      }
      return { ops: [waitNamed('Bridge', idOf(mbr), a.master!), waitHasPort(idOf(on), str(on.name), idOf(port))], result: str(on.name), claims };
    }
    const named = view.byName('Bridge', want);
    if (named && isBare(view, named)) {
      // v1 died between add-br and add-port: adopt the empty bridge (see vlan.ts).
      const ins = insertPort(`${p}x`, { name: dev, interfaces: [{ name: dev }] });
      const ops = [waitNamed('Bridge', idOf(mbr), a.master!), waitRow('Bridge', idOf(named), { name: want, ports: ovsSet(uuidsOf(named.ports).map(uuid)) }),
        ...waitNamesFree([], [dev], [dev]), ...ins.ops, addRefs('Bridge', idOf(named), 'ports', [ins.ref])];
      return { ops, result: want, claims, reads: [`Bridge:${a.master}`] };
    }
    if (named) throw conflict(`bridge ${want} exists and is not the bridge of vxlan ${a.vxlan}`, { name: want });
    const root = view.root();
    if (!root) throw notFound('OVSDB has no Open_vSwitch row');
    const ops: Operation[] = [waitNamed('Bridge', idOf(mbr), a.master!), ...waitNamesFree([want], [want, dev], [want, dev]),
      ...insertBridge(`${p}x`, want, idOf(root), datapathType, [{ name: dev, interfaces: [{ name: dev }] }])];
    return { ops, result: want, claims, reads: [`Bridge:${a.master}`] };
  };
}

/** ovs.vxlan-ensure {master, vxlan, name?, remotes?} -> name of the VXLAN bridge. */
export const vxlanEnsure: Command<VxlanArgs, string> = {
  validate(raw) {
    const o = argsObject(raw, ['master', 'vxlan', 'name', 'remotes'], ['master', 'vxlan']);
    return { master: linkName('master', o.master), vxlan: vni('vxlan', o.vxlan), name: optName('name', o.name), remotes: ipList('remotes', o.remotes) };
  },
  run: (a, ctx) => ensureVxlan(a, ctx),
};

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
  const on = port ? view.bridgeOfPort(idOf(port)) : undefined;
  return on ? str(on.name) : undefined;
}

/** ovs.vxlan-del {vxlan, name?, master?} -> null: removes our bridge, then the kernel device; gone is success. */
export const vxlanDel: Command<VxlanArgs, null> = {
  validate(raw) {
    const o = argsObject(raw, ['master', 'vxlan', 'name'], ['vxlan']);
    return { master: optName('master', o.master), vxlan: vni('vxlan', o.vxlan), name: optName('name', o.name) };
  },
  run: (a, ctx) => withVniLock(a.vxlan, async () => {
    const dev = vtepName(a.vxlan);
    await ctx.commit((view): Plan<null> => {
      const claims = [`Port:${dev}`, `Bridge:${a.name ?? `vxlbr${a.vxlan}`}`];
      const port = view.byName('Port', dev);
      const br = port ? view.bridgeOfPort(idOf(port)) : undefined;
      if (a.name !== undefined && br && str(br.name) !== a.name) throw conflict(`vxlan ${a.vxlan} is bridge ${str(br.name)}, not ${a.name}`, { vxlan: a.vxlan });
      if (a.name !== undefined && !br && view.byName('Bridge', a.name)) throw conflict(`bridge ${a.name} is not the bridge of vxlan ${a.vxlan}`, { name: a.name });
      if (!br) return { ops: [waitAbsent('Port', dev)], result: null, claims };
      const name = str(br.name);
      if (!isOwned(br)) throw notOwned(`bridge ${name} was not created by ovs-plugin`, { bridge: name });
      const extra = view.portsOf(br).map((x) => str(x.name)).filter((x) => x !== name && x !== dev);
      if (extra.length) throw busy(`bridge ${name} still has ports: ${extra.join(', ')}`, { bridge: name, ports: extra });
      const root = view.root()!;
      return { ops: [waitRow('Bridge', idOf(br), { name, ports: ovsSet(uuidsOf(br.ports).map(uuid)) }), delRefs('Open_vSwitch', idOf(root), 'bridges', [idOf(br)])], result: null, claims };
    });
    await deleteVtep(a.vxlan);
    return null;
  }),
};

interface VtepArgs { bridge?: string; vnid: number }

/** ovs.vtep-ensure {bridge (the underlay link), vnid} -> "vtep<vnid>". */
export const vtepEnsure: Command<VtepArgs, string> = {
  validate(raw) {
    const o = argsObject(raw, ['bridge', 'vnid'], ['bridge', 'vnid']);
    return { bridge: linkName('bridge', o.bridge), vnid: vni('vnid', o.vnid) };
  },
  run: (a) => withVniLock(a.vnid, async () => (await ensureVtep({ vni: a.vnid, master: a.bridge! })).name),
};

/** ovs.vtep-del {vnid} -> null; refuses while the device is still an OVS port (use vxlan-del). */
export const vtepDel: Command<VtepArgs, null> = {
  validate(raw) {
    const o = argsObject(raw, ['vnid'], ['vnid']);
    return { vnid: vni('vnid', o.vnid) };
  },
  run: (a, ctx) => withVniLock(a.vnid, async () => {
    const port = [...(ctx.client.cache.get('Port')?.values() ?? [])].find((r) => r.name === vtepName(a.vnid));
    if (port) throw busy(`${vtepName(a.vnid)} is an OVS port; use vxlan-del`, { link: vtepName(a.vnid) });
    await deleteVtep(a.vnid);
    return null;
  }),
};
