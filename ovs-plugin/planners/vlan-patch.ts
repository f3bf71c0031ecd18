// v1's VLAN layout: a bridge per VLAN (default `vlbr<tag>`) joined to the master by a patch pair,
// `vlbr<tag>p` on the master with tag=<tag> (0 = untagged, a trunk) and `vlbr<tag>in` on the VLAN
// bridge. Built or removed in ONE transaction, so a crash leaves either nothing or the whole pair
// (v1 left half pairs that broke every retry, 0-core #206). Adoption: a bridge v1 left empty is
// completed with our pair but stays v1's; vlan-del then removes what we added (the pair) and
// leaves that bridge as it was found. vlan.ts picks this layout for VLAN 0, for OVS_VLAN_LAYOUT
// =patch and for every VLAN v1 (or an earlier run) left in it.
import type { Operation } from '../ovsdb/types.ts';
import { busy, conflict, notFound, notOwned } from './errors.ts';
import { assertNewNames, vlanNames } from './names.ts';
import {
  addRefs,
  delRefs,
  insertBridge,
  insertPort,
  patchIface,
  waitAbsent,
  waitHasPort,
  waitNamed,
  waitNamesFree,
  waitUnchanged,
} from './ops.ts';
import type { Env, Plan, Planner } from './plan.ts';
import { isOwned, type Seen, type View } from './view.ts';

/** Arguments of vlan-ensure / vlan-del. */
export interface VlanArgs {
  master?: string;
  vlan: number;
  name?: string;
}

/** The port row called `name` and the bridge it sits on, if any. */
export function located(view: View, name: string): { port?: Seen<'Port'>; bridge?: Seen<'Bridge'> } {
  const port = view.byName('Port', name);
  return { port, bridge: port ? view.bridgeOfPort(port._uuid) : undefined };
}

/** The tag a bridge's `vlbr<N>in` port says it carries, for conflict messages. */
function tagOfBridge(view: View, br: Seen<'Bridge'>): number | undefined {
  const m = view
    .portsOf(br)
    .map((p) => /^vlbr(\d+)in$/.exec(p.name))
    .find((x) => x);
  return m ? Number(m[1]) : undefined;
}

/** Throws ECONFLICT unless port `port` is one patch interface of its name peered with `peer`. */
function checkPatch(view: View, port: Seen<'Port'>, peer: string, vlan: number): void {
  const ifs = view.interfacesOf(port);
  const ok =
    ifs.length === 1 && ifs[0]!.name === port.name && ifs[0]!.type === 'patch' && ifs[0]!.options.get('peer') === peer;
  if (!ok) {
    const what = ifs
      .map(
        (i) => `${i.name} type ${i.type || 'system'}${i.options.get('peer') ? ` peer ${i.options.get('peer')}` : ''}`,
      )
      .join(', ');
    throw conflict(`port ${port.name} of vlan ${vlan} is not a patch to ${peer} (${what || 'no interface'})`, {
      vlan,
      port: port.name,
    });
  }
}

/**
 * True for a bridge that v1 (or a hand-run ovs-vsctl) left empty: not created by us and holding
 * nothing but its own internal port. Our own transactions never leave such a half state, so an
 * empty bridge of ours was made on purpose (bridge-add) and is not taken over.
 */
export function isBare(view: View, br: Seen<'Bridge'>): boolean {
  return !isOwned(br) && view.portsOf(br).every((p) => p.name === br.name);
}

/** vlan-ensure in v1's layout: the bridge and patch pair of `a.vlan`, made, completed or confirmed -> its name. */
export function planPatchEnsure(a: VlanArgs, env: Env): Planner<string> {
  return (view, prefix): Plan<string> => {
    const n = vlanNames(a.vlan);
    const master = a.master!;
    const want = a.name ?? n.bridge;
    const claims = [`Port:${n.patch}`, `Port:${n.peer}`, `Bridge:${want}`, `Vlan:${a.vlan}`];
    const reads = [`Bridge:${master}`];
    const mbr = view.byName('Bridge', master);
    if (!mbr) throw notFound(`master bridge ${master} does not exist`, { master });
    if (want === master) throw conflict(`vlan bridge name ${want} is the master bridge`, { name: want });
    const patch = located(view, n.patch);
    const peer = located(view, n.peer);
    if (patch.bridge && patch.bridge._uuid !== mbr._uuid) {
      throw conflict(
        `vlan ${a.vlan} is patched into bridge ${patch.bridge.name}, not ${master}; ` +
          'reassigning a vlan tag to another master is not allowed',
        { vlan: a.vlan, master: patch.bridge.name },
      );
    }
    if (patch.port && (patch.port.tag ?? 0) !== a.vlan) {
      throw conflict(`port ${n.patch} carries tag ${patch.port.tag ?? 0}, not ${a.vlan}`, { vlan: a.vlan });
    }
    if (patch.port) checkPatch(view, patch.port, n.peer, a.vlan);
    if (peer.port) checkPatch(view, peer.port, n.patch, a.vlan);
    if (peer.bridge && peer.bridge._uuid === mbr._uuid)
      throw conflict(`port ${n.peer} of vlan ${a.vlan} is on the master bridge ${master}`, { vlan: a.vlan });
    if (peer.bridge && a.name !== undefined && peer.bridge.name !== a.name) {
      throw conflict(
        `vlan ${a.vlan} is bridge ${peer.bridge.name}; reassigning a vlan tag to another bridge is not allowed`,
        { vlan: a.vlan, bridge: peer.bridge.name },
      );
    }
    const name = peer.bridge ? peer.bridge.name : want;
    const named = view.byName('Bridge', name);
    // An empty bridge of this name (only its internal port) is what v1 left when it died after
    // add-br (0-core #206): adopt it instead of failing every retry. Any other bridge conflicts.
    const adopt = !peer.bridge && named && isBare(view, named) ? named : undefined;
    if (!peer.bridge && named && !adopt) {
      const other = tagOfBridge(view, named);
      throw conflict(
        `bridge ${name} exists and ${other === undefined ? 'is not a vlan bridge' : `is the bridge of vlan ${other}`}`,
        { name, vlan: other },
      );
    }
    const field = a.name !== undefined ? 'name' : 'vlan';
    const ops: Operation[] = [waitNamed('Bridge', mbr._uuid, master)];
    if (patch.port) {
      ops.push(waitUnchanged('Port', patch.port, ['name', 'tag']), waitHasPort(mbr._uuid, master, patch.port._uuid));
    } else {
      assertNewNames(view, [{ name: n.patch, field: 'vlan' }]);
      const ins = insertPort(`${prefix}pa`, {
        name: n.patch,
        interfaces: [{ name: n.patch, row: patchIface(n.peer) }],
        row: a.vlan ? { tag: a.vlan } : {},
      });
      ops.push(
        ...waitNamesFree([], [n.patch], [n.patch]),
        ...ins.ops,
        addRefs('Bridge', mbr._uuid, 'ports', [ins.ref]),
      );
    }
    if (peer.bridge && peer.port) {
      ops.push(waitHasPort(peer.bridge._uuid, name, peer.port._uuid));
    } else if (adopt) {
      assertNewNames(view, [{ name: n.peer, field: 'vlan' }]);
      const ins = insertPort(`${prefix}pe`, { name: n.peer, interfaces: [{ name: n.peer, row: patchIface(n.patch) }] });
      ops.push(
        waitUnchanged('Bridge', adopt, ['name', 'ports']),
        ...waitNamesFree([], [n.peer], [n.peer]),
        ...ins.ops,
        addRefs('Bridge', adopt._uuid, 'ports', [ins.ref]),
      );
    } else {
      const root = view.root();
      if (!root) throw notFound('OVSDB has no Open_vSwitch row');
      assertNewNames(view, [
        { name, field },
        { name: n.peer, field: 'vlan' },
      ]);
      ops.push(
        ...waitNamesFree([name], [name, n.peer], [name, n.peer]),
        ...insertBridge(`${prefix}vb`, name, root._uuid, env.datapathType, [
          { name: n.peer, interfaces: [{ name: n.peer, row: patchIface(n.patch) }] },
        ]),
      );
    }
    return { ops, result: name, claims, reads };
  };
}

/** vlan-del in v1's layout: removes what we added (the pair, and the bridge if ours). */
export function planPatchDel(a: VlanArgs): Planner<null> {
  return (view: View): Plan<null> => {
    const n = vlanNames(a.vlan);
    const claims = [`Port:${n.patch}`, `Port:${n.peer}`, `Bridge:${a.name ?? n.bridge}`, `Vlan:${a.vlan}`];
    const patch = located(view, n.patch);
    const peer = located(view, n.peer);
    if (a.master !== undefined && patch.bridge && patch.bridge.name !== a.master) {
      throw conflict(`vlan ${a.vlan} is patched into bridge ${patch.bridge.name}, not ${a.master}`, { vlan: a.vlan });
    }
    if (a.name !== undefined && peer.bridge && peer.bridge.name !== a.name) {
      throw conflict(`vlan ${a.vlan} is bridge ${peer.bridge.name}, not ${a.name}`, { vlan: a.vlan });
    }
    if (a.name !== undefined && !peer.bridge && view.byName('Bridge', a.name)) {
      throw conflict(`bridge ${a.name} is not the bridge of vlan ${a.vlan}`, { vlan: a.vlan, name: a.name });
    }
    const ours = [patch.port, peer.port, peer.bridge].filter((r) => r && isOwned(r));
    const theirs = [patch.port, peer.port, peer.bridge].filter((r) => r && !isOwned(r));
    if (ours.length === 0 && theirs.length > 0) {
      throw notOwned(`vlan ${a.vlan} was not created by ovs-plugin (nothing of it is ours to remove)`, {
        vlan: a.vlan,
        rows: theirs.map((r) => r!.name),
      });
    }
    const ops: Operation[] = [];
    if (peer.bridge) {
      const br = peer.bridge;
      const extra = view
        .portsOf(br)
        .map((x) => x.name)
        .filter((x) => x !== br.name && x !== n.peer);
      if (extra.length)
        throw busy(`bridge ${br.name} still has ports: ${extra.join(', ')}`, { bridge: br.name, ports: extra });
    }
    if (patch.port && patch.bridge && isOwned(patch.port)) {
      ops.push(
        waitHasPort(patch.bridge._uuid, patch.bridge.name, patch.port._uuid),
        delRefs('Bridge', patch.bridge._uuid, 'ports', [patch.port._uuid]),
      );
    } else if (!patch.port) ops.push(waitAbsent('Port', n.patch));
    if (peer.bridge && isOwned(peer.bridge)) {
      const root = view.root()!;
      ops.push(
        waitUnchanged('Bridge', peer.bridge, ['name', 'ports']),
        delRefs('Open_vSwitch', root._uuid, 'bridges', [peer.bridge._uuid]),
      );
    } else if (peer.bridge && peer.port && isOwned(peer.port)) {
      // Adopted: the bridge stays v1's, as it was found; only our port leaves it.
      ops.push(
        waitUnchanged('Bridge', peer.bridge, ['name', 'ports']),
        delRefs('Bridge', peer.bridge._uuid, 'ports', [peer.port._uuid]),
      );
    } else if (!peer.port) ops.push(waitAbsent('Port', n.peer));
    return { ops, result: null, claims };
  };
}
