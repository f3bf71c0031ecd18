// The planners of ovs.vlan-ensure / ovs.vlan-del and of the vlan nic kind. A new VLAN is a fake
// bridge (default name `vlbr<tag>`) on the master: one tagged internal port, listed by ovs-vsctl
// as a bridge (fake-bridge.ts); VLAN 0 and OVS_VLAN_LAYOUT=patch make v1's bridge-per-VLAN with a patch pair instead
// (vlan-patch.ts). A VLAN
// found in either layout (ours, v1's, or half of v1's) is used, completed or deleted in its own.
import type { Operation } from '../ovsdb/types.ts';
import { busy, conflict, notFound, notOwned } from './errors.ts';
import { fakeNamed, fakesOfTag, insertFake, portsOfFake, waitFake, waitTagPorts, type Fake } from './fake-bridge.ts';
import { assertNewNames, vlanNames } from './names.ts';
import { delRefs, waitNamed, waitNamesFree } from './ops.ts';
import type { Env, Plan, Planner } from './plan.ts';
import { located, planPatchDel, planPatchEnsure, type VlanArgs } from './vlan-patch.ts';
import { isOwned, type View } from './view.ts';

/** True when `a.vlan` has any piece of v1's layout (either patch port): that layout decides. */
function hasPatch(view: View, vlan: number): boolean {
  const n = vlanNames(vlan);
  return !!(located(view, n.patch).port || located(view, n.peer).port);
}

/** Guards that no fake bridge of `tag` exists (two writers must not both make one). */
const waitNoFake = (tag: number): Operation => ({
  op: 'wait',
  table: 'Port',
  where: [
    ['tag', '==', tag],
    ['fake_bridge', '==', true],
  ],
  columns: ['name'],
  until: '==',
  rows: [],
  timeout: 0,
});

/**
 * The planner of ovs.vlan-ensure: the VLAN bridge of `vlan` on `master` (made, completed or
 * confirmed in one transaction) -> its name. nic kinds call this, not the command.
 */
export function planVlanEnsure(a: VlanArgs, env: Env): Planner<string> {
  const patch = planPatchEnsure(a, env);
  return (view, prefix): Plan<string> => {
    const master = a.master!;
    const want = a.name ?? vlanNames(a.vlan).bridge;
    const mbr = view.byName('Bridge', master);
    if (!mbr) throw notFound(`master bridge ${master} does not exist`, { master });
    if (want === master) throw conflict(`vlan bridge name ${want} is the master bridge`, { name: want });
    if (hasPatch(view, a.vlan)) return patch(view, prefix);
    const claims = [`Port:${want}`, `Bridge:${want}`, `Vlan:${a.vlan}`];
    const reads = [`Bridge:${master}`];
    const confirm = (f: Fake): Plan<string> => {
      if (f.parent._uuid !== mbr._uuid) {
        throw conflict(
          `vlan ${a.vlan} is patched into bridge ${f.parent.name}, not ${master}; ` +
            'reassigning a vlan tag to another master is not allowed',
          { vlan: a.vlan, master: f.parent.name },
        );
      }
      if (a.name !== undefined && f.port.name !== a.name) {
        throw conflict(
          `vlan ${a.vlan} is bridge ${f.port.name}; reassigning a vlan tag to another bridge is not allowed`,
          { vlan: a.vlan, bridge: f.port.name },
        );
      }
      return { ops: [waitNamed('Bridge', mbr._uuid, master), ...waitFake(f)], result: f.port.name, claims, reads };
    };
    const named = fakeNamed(view, want);
    if (named && named.tag !== a.vlan)
      throw conflict(`bridge ${want} exists and is the bridge of vlan ${named.tag}`, { name: want, vlan: named.tag });
    if (named) return confirm(named);
    const same = fakesOfTag(view, a.vlan);
    if (same.length) return confirm(same[0]!);
    // VLAN 0 stays v1's trunk patch; a bridge of that name (v1's empty leftover, or a conflict) is for vlan-patch.ts.
    if (a.vlan === 0 || env.vlanLayout === 'patch' || view.byName('Bridge', want)) return patch(view, prefix);
    assertNewNames(view, [{ name: want, field: a.name !== undefined ? 'name' : 'vlan' }]);
    const ops = [
      waitNamed('Bridge', mbr._uuid, master),
      waitNoFake(a.vlan),
      ...waitNamesFree([want], [want], [want]),
      ...insertFake(`${prefix}fb`, want, mbr._uuid, a.vlan),
    ];
    return { ops, result: want, claims, reads };
  };
}

/** vlan-del of a fake bridge: its port leaves the parent, if it is ours and no port carries its tag there. */
function planFakeDel(a: VlanArgs, view: View): Plan<null> | undefined {
  const f = (a.name !== undefined ? fakeNamed(view, a.name) : undefined) ?? fakesOfTag(view, a.vlan)[0];
  if (!f) return undefined;
  if (f.tag !== a.vlan)
    throw conflict(`bridge ${f.port.name} is the bridge of vlan ${f.tag}, not ${a.vlan}`, {
      vlan: a.vlan,
      name: f.port.name,
    });
  if (a.master !== undefined && f.parent.name !== a.master)
    throw conflict(`vlan ${a.vlan} is patched into bridge ${f.parent.name}, not ${a.master}`, { vlan: a.vlan });
  if (a.name !== undefined && f.port.name !== a.name)
    throw conflict(`vlan ${a.vlan} is bridge ${f.port.name}, not ${a.name}`, { vlan: a.vlan });
  if (!isOwned(f.port))
    throw notOwned(`vlan ${a.vlan} was not created by ovs-plugin (nothing of it is ours to remove)`, {
      vlan: a.vlan,
      rows: [f.port.name],
    });
  const extra = portsOfFake(view, f).map((x) => x.name);
  if (extra.length)
    throw busy(`bridge ${f.port.name} still has ports: ${extra.join(', ')}`, { bridge: f.port.name, ports: extra });
  const tagged = view
    .rows('Port')
    .filter((x) => x.tag === a.vlan)
    .map((x) => x.name);
  const ops = [
    ...waitFake(f),
    waitTagPorts(a.vlan, tagged),
    delRefs('Bridge', f.parent._uuid, 'ports', [f.port._uuid]),
  ];
  return { ops, result: null, claims: [`Port:${f.port.name}`, `Bridge:${f.port.name}`, `Vlan:${a.vlan}`] };
}

/**
 * The planner of ovs.vlan-del {master?, vlan, name?} -> null: removes what we added (the fake
 * bridge; or the patch pair, and the VLAN bridge if we created it; an adopted bridge stays as
 * found); gone is success; a VLAN of which nothing is ours is ENOTOWNED.
 */
export function planVlanDel(a: VlanArgs): Planner<null> {
  const patch = planPatchDel(a);
  return (view, prefix): Plan<null> => {
    if (hasPatch(view, a.vlan)) return patch(view, prefix);
    const fake = planFakeDel(a, view);
    if (fake) return fake;
    if (a.name !== undefined && view.byName('Port', a.name) && !view.byName('Bridge', a.name)) {
      throw conflict(`bridge ${a.name} is not the bridge of vlan ${a.vlan}`, { vlan: a.vlan, name: a.name });
    }
    const plan = patch(view, prefix);
    return { ...plan, ops: [...plan.ops, waitNoFake(a.vlan)] };
  };
}
