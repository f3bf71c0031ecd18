// ovs.vlan-ensure / ovs.vlan-del. A VLAN is a bridge (default `vlbr<tag>`) joined to the master
// bridge by a patch pair: `vlbr<tag>p` on the master with tag=<tag> (0 = untagged) and
// `vlbr<tag>in` on the VLAN bridge. Built or removed in ONE transaction, so a crash leaves
// either nothing or the whole pair (v1 left half pairs that broke every retry, 0-core #206).
import { argsObject, linkName, optName, vlanId } from '../validate.ts';
import type { CachedRow, Operation } from '../ovsdb/types.ts';
import { ovsSet, uuid } from '../ovsdb/notation.ts';
import { busy, conflict, notFound, notOwned } from './errors.ts';
import { addRefs, delRefs, insertBridge, insertPort, patchIface, waitAbsent, waitHasPort, waitNamed, waitNamesFree, waitRow } from './ops.ts';
import type { Command, Env, Plan, Planner } from './types.ts';
import { idOf, isOwned, optInt, str, uuidsOf, View } from './view.ts';

/** Names v1 uses for VLAN `tag`: patch port on the master, its peer, the default bridge name. */
export const vlanNames = (tag: number) => ({ patch: `vlbr${tag}p`, peer: `vlbr${tag}in`, bridge: `vlbr${tag}` });

/** Arguments of vlan-ensure / vlan-del. */
export interface VlanArgs { master?: string; vlan: number; name?: string }

const validateVlan = (required: string[]) => (raw: unknown): VlanArgs => {
  const o = argsObject(raw, ['master', 'vlan', 'name'], required);
  return { master: optName('master', o.master), vlan: vlanId('vlan', o.vlan), name: optName('name', o.name) };
};

/** The VLAN bridge a port row `vlbr<N>in` sits on, if any. */
function located(view: View, name: string): { port?: CachedRow; bridge?: CachedRow } {
  const port = view.byName('Port', name);
  return { port, bridge: port ? view.bridgeOfPort(idOf(port)) : undefined };
}

/** The tag a bridge's `vlbr<N>in` port says it carries, for conflict messages. */
function tagOfBridge(view: View, br: CachedRow): number | undefined {
  const m = view.portsOf(br).map((p) => /^vlbr(\d+)in$/.exec(str(p.name))).find((x) => x);
  return m ? Number(m[1]) : undefined;
}

/**
 * True for a bridge that v1 (or a hand-run ovs-vsctl) left empty: not created by us and holding
 * nothing but its own internal port. Our own transactions never leave such a half state, so an
 * empty bridge of ours was made on purpose (bridge-add) and is not taken over.
 */
export function isBare(view: View, br: CachedRow): boolean {
  return !isOwned(br) && view.portsOf(br).every((p) => p.name === br.name);
}

/**
 * The planner of ovs.vlan-ensure: the VLAN bridge of `vlan` on `master` (made, completed or
 * confirmed in one transaction) -> its name. nic kinds call this, not the command.
 */
export function planVlanEnsure(a: VlanArgs, env: Env): Planner<string> {
  return (view, p): Plan<string> => {
    const n = vlanNames(a.vlan);
    const master = a.master!;
    const want = a.name ?? n.bridge;
    const claims = [`Port:${n.patch}`, `Port:${n.peer}`, `Bridge:${want}`];
    const reads = [`Bridge:${master}`];
    const mbr = view.byName('Bridge', master);
    if (!mbr) throw notFound(`master bridge ${master} does not exist`, { master });
    if (want === master) throw conflict(`vlan bridge name ${want} is the master bridge`, { name: want });
    const patch = located(view, n.patch);
    const peer = located(view, n.peer);
    if (patch.bridge && idOf(patch.bridge) !== idOf(mbr)) {
      throw conflict(`vlan ${a.vlan} is patched into bridge ${str(patch.bridge.name)}, not ${master}; reassigning a vlan tag to another master is not allowed`, { vlan: a.vlan, master: str(patch.bridge.name) });
    }
    if (patch.port && (optInt(patch.port.tag) ?? 0) !== a.vlan) {
      throw conflict(`port ${n.patch} carries tag ${optInt(patch.port.tag) ?? 0}, not ${a.vlan}`, { vlan: a.vlan });
    }
    if (peer.bridge && a.name !== undefined && str(peer.bridge.name) !== a.name) {
      throw conflict(`vlan ${a.vlan} is bridge ${str(peer.bridge.name)}; reassigning a vlan tag to another bridge is not allowed`, { vlan: a.vlan, bridge: str(peer.bridge.name) });
    }
    const name = peer.bridge ? str(peer.bridge.name) : want;
    const named = view.byName('Bridge', name);
    // An empty bridge of this name (only its internal port) is what v1 left when it died after
    // add-br (0-core #206): adopt it instead of failing every retry. Any other bridge conflicts.
    const adopt = !peer.bridge && named && isBare(view, named) ? named : undefined;
    if (!peer.bridge && named && !adopt) {
      const other = tagOfBridge(view, named);
      throw conflict(`bridge ${name} exists and ${other === undefined ? 'is not a vlan bridge' : `is the bridge of vlan ${other}`}`, { name, vlan: other });
    }
    const ops: Operation[] = [waitNamed('Bridge', idOf(mbr), master)];
    if (patch.port) {
      ops.push(waitRow('Port', idOf(patch.port), { name: n.patch, tag: a.vlan ? a.vlan : ovsSet([]) }), waitHasPort(idOf(mbr), master, idOf(patch.port)));
    } else {
      const ins = insertPort(`${p}pa`, { name: n.patch, interfaces: [{ name: n.patch, row: patchIface(n.peer) }], row: a.vlan ? { tag: a.vlan } : {} });
      ops.push(...waitNamesFree([], [n.patch], [n.patch]), ...ins.ops, addRefs('Bridge', idOf(mbr), 'ports', [ins.ref]));
    }
    if (peer.bridge && peer.port) {
      ops.push(waitHasPort(idOf(peer.bridge), name, idOf(peer.port)));
    } else if (adopt) {
      const ins = insertPort(`${p}pe`, { name: n.peer, interfaces: [{ name: n.peer, row: patchIface(n.patch) }] });
      ops.push(waitRow('Bridge', idOf(adopt), { name, ports: ovsSet(uuidsOf(adopt.ports).map(uuid)) }), ...waitNamesFree([], [n.peer], [n.peer]),
        ...ins.ops, addRefs('Bridge', idOf(adopt), 'ports', [ins.ref]));
    } else {
      const root = view.root();
      if (!root) throw notFound('OVSDB has no Open_vSwitch row');
      ops.push(...waitNamesFree([name], [name, n.peer], [name, n.peer]),
        ...insertBridge(`${p}vb`, name, idOf(root), env.datapathType, [{ name: n.peer, interfaces: [{ name: n.peer, row: patchIface(n.patch) }] }]));
    }
    return { ops, result: name, claims, reads };
  };
}

/** ovs.vlan-ensure {master, vlan, name?} -> name of the VLAN bridge. */
export const vlanEnsure: Command<VlanArgs, string> = {
  validate: validateVlan(['master', 'vlan']),
  plan: planVlanEnsure,
};

/** ovs.vlan-del {master?, vlan, name?} -> null: removes the pair and the VLAN bridge we created; gone is success. */
export const vlanDel: Command<VlanArgs, null> = {
  validate: validateVlan(['vlan']),
  plan: (a) => (view): Plan<null> => {
    const n = vlanNames(a.vlan);
    const claims = [`Port:${n.patch}`, `Port:${n.peer}`, `Bridge:${a.name ?? n.bridge}`];
    const patch = located(view, n.patch);
    const peer = located(view, n.peer);
    if (a.master !== undefined && patch.bridge && str(patch.bridge.name) !== a.master) {
      throw conflict(`vlan ${a.vlan} is patched into bridge ${str(patch.bridge.name)}, not ${a.master}`, { vlan: a.vlan });
    }
    if (a.name !== undefined && peer.bridge && str(peer.bridge.name) !== a.name) {
      throw conflict(`vlan ${a.vlan} is bridge ${str(peer.bridge.name)}, not ${a.name}`, { vlan: a.vlan });
    }
    if (a.name !== undefined && !peer.bridge && view.byName('Bridge', a.name)) {
      throw conflict(`bridge ${a.name} is not the bridge of vlan ${a.vlan}`, { vlan: a.vlan, name: a.name });
    }
    const ops: Operation[] = [];
    if (patch.port && patch.bridge) {
      if (!isOwned(patch.port)) throw notOwned(`port ${n.patch} was not created by ovs-plugin`, { port: n.patch });
      ops.push(waitHasPort(idOf(patch.bridge), str(patch.bridge.name), idOf(patch.port)), delRefs('Bridge', idOf(patch.bridge), 'ports', [idOf(patch.port)]));
    } else ops.push(waitAbsent('Port', n.patch));
    if (peer.bridge) {
      const br = peer.bridge;
      const name = str(br.name);
      if (!isOwned(br)) throw notOwned(`bridge ${name} was not created by ovs-plugin`, { bridge: name });
      const extra = view.portsOf(br).map((x) => str(x.name)).filter((x) => x !== name && x !== n.peer);
      if (extra.length) throw busy(`bridge ${name} still has ports: ${extra.join(', ')}`, { bridge: name, ports: extra });
      const root = view.root()!;
      ops.push(waitRow('Bridge', idOf(br), { name, ports: ovsSet(uuidsOf(br.ports).map(uuid)) }), delRefs('Open_vSwitch', idOf(root), 'bridges', [idOf(br)]));
    } else ops.push(waitAbsent('Port', n.peer));
    return { ops, result: null, claims };
  },
};
