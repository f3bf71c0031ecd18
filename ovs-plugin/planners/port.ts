// The planners of ovs.port-add / ovs.port-del / ovs.bond-add: v1 `add-port`, `del-port` and
// `add-bond` as one transaction each; we only delete, or change the columns of, ports we created.
import type { BondMode } from '../commands/wire.ts';
import { checkAgainstSwitch, columnOps, columnRow, parseSettings, type Setting } from './columns.ts';
import { conflict, exists, notFound, notOwned } from './errors.ts';
import { fakeNamed, placeOf, placeReads, waitPlace, type Place } from './fake-bridge.ts';
import { assertNewNames } from './names.ts';
import { addRefs, delRefs, insertPort, waitAbsent, waitNamed, waitNamesFree } from './ops.ts';
import { mutates, type Planner } from './plan.ts';
import { isOwned, type Seen, type View } from './view.ts';

/** The validated arguments of ovs.port-add. */
export interface PortAdd {
  bridge: string;
  port: string;
  vlan: number;
  options: Setting[];
  mayExist: boolean;
}

function masterOf(view: View, bridge: string): Seen<'Bridge'> {
  const br = view.byName('Bridge', bridge);
  if (!br) throw notFound(`bridge ${bridge} does not exist`, { bridge });
  return br;
}

/** Where a port "on bridge `name`" goes (a fake bridge: its parent, with its tag); ENOTFOUND when none. */
function placeNamed(view: View, name: string): Place {
  const place = placeOf(view, name);
  if (!place) throw notFound(`bridge ${name} does not exist`, { bridge: name });
  return place;
}

/** The validated arguments of ovs.port-del. */
export interface PortDel {
  port: string;
  bridge?: string;
}

/** The validated arguments of ovs.bond-add. */
export interface BondAdd {
  bridge: string;
  port: string;
  links: string[];
  mode: BondMode;
  lacp: boolean;
}

/** The planner of ovs.port-add. */
export const planPortAdd =
  (a: PortAdd): Planner<null> =>
  (view, prefix) => {
    const claims = [`Port:${a.port}`];
    const place = placeNamed(view, a.bridge);
    const br = place.bridge;
    const reads = placeReads(place, a.bridge);
    // Onto a fake bridge (ovs-vsctl add-port FAKE X): a port of its parent with its tag.
    if (place.fake && a.vlan !== 0 && a.vlan !== place.tag) {
      throw conflict(
        `bridge ${a.bridge} is vlan ${place.tag} of ${br.name}: its ports carry tag ${place.tag}, not ${a.vlan}`,
        { bridge: a.bridge, vlan: a.vlan },
      );
    }
    const vlan = place.fake ? place.tag : a.vlan;
    const guard = waitPlace(place, a.bridge);
    const root = view.root();
    if (root) checkAgainstSwitch(a.options, root);
    const port = view.byName('Port', a.port);
    if (port) {
      const on = view.bridgeOfPort(port._uuid);
      if (!a.mayExist) throw exists(`port ${a.port} exists`, { port: a.port, bridge: on?.name });
      if (!on || on._uuid !== br._uuid || (place.fake && port.tag !== place.tag)) {
        throw conflict(
          `port ${a.port} is on bridge ${on?.name ?? '(none)'}` +
            `${place.fake ? ` with tag ${port.tag ?? 'none'}` : ''}, not ${a.bridge}`,
          { port: a.port },
        );
      }
      const iface = view.interfacesOf(port).find((i) => i.name === a.port);
      const tag = parseSettings('Port', new Map([['tag', vlan ? String(vlan) : '[]']]), 'vlan');
      const changes = [
        ...columnOps('Port', view.raw('Port', port._uuid)!, tag),
        ...(iface ? columnOps('Interface', view.raw('Interface', iface._uuid)!, a.options) : []),
      ];
      if (mutates(changes) && !(isOwned(port) && (!iface || isOwned(iface)))) {
        throw notOwned(`port ${a.port} was not created by ovs-plugin: its columns are not ours to change`, {
          port: a.port,
        });
      }
      return { ops: [...guard, waitNamed('Port', port._uuid, a.port), ...changes], result: null, claims, reads };
    }
    assertNewNames(view, [{ name: a.port, field: 'port' }]);
    const ins = insertPort(prefix, {
      name: a.port,
      interfaces: [{ name: a.port, row: columnRow(a.options) }],
      row: vlan ? { tag: vlan } : {},
    });
    const ops = [
      ...guard,
      ...waitNamesFree([], [a.port], [a.port]),
      ...ins.ops,
      addRefs('Bridge', br._uuid, 'ports', [ins.ref]),
    ];
    return { ops, result: null, claims, reads };
  };

/** The planner of ovs.port-del: a missing port is success; only ports we created. */
export const planPortDel =
  (a: PortDel): Planner<null> =>
  (view) => {
    const claims = [`Port:${a.port}`];
    const port = view.byName('Port', a.port);
    if (!port) return { ops: [waitAbsent('Port', a.port)], result: null, claims };
    const on = view.bridgeOfPort(port._uuid);
    const at = a.bridge === undefined ? undefined : placeOf(view, a.bridge);
    if (a.bridge !== undefined && (!on || !at || on._uuid !== at.bridge._uuid || (at.fake && port.tag !== at.tag))) {
      throw conflict(`port ${a.port} is not on bridge ${a.bridge}`, { port: a.port, bridge: a.bridge });
    }
    if (on && on.name === a.port)
      throw conflict(`port ${a.port} is the internal port of bridge ${a.port}; use bridge-del`, { port: a.port });
    const fake = fakeNamed(view, a.port);
    if (fake)
      throw conflict(`port ${a.port} is the VLAN bridge of vlan ${fake.tag} on ${fake.parent.name}; use vlan-del`, {
        port: a.port,
      });
    if (!isOwned(port)) throw notOwned(`port ${a.port} was not created by ovs-plugin`, { port: a.port });
    if (!on) return { ops: [waitNamed('Port', port._uuid, a.port)], result: null, claims };
    return {
      ops: [waitNamed('Port', port._uuid, a.port), delRefs('Bridge', on._uuid, 'ports', [port._uuid])],
      result: null,
      claims,
      reads: [`Bridge:${on.name}`],
    };
  };

/** The planner of ovs.bond-add: the same bond again is success. */
export const planBondAdd =
  (a: BondAdd): Planner<null> =>
  (view, prefix) => {
    const claims = [`Port:${a.port}`, ...a.links.map((l) => `Interface:${l}`)];
    const reads = [`Bridge:${a.bridge}`];
    const br = masterOf(view, a.bridge);
    const lacp = a.lacp ? 'active' : undefined;
    const port = view.byName('Port', a.port);
    if (port) {
      const on = view.bridgeOfPort(port._uuid);
      const names = view
        .interfacesOf(port)
        .map((i) => i.name)
        .sort();
      const want = [...a.links].sort();
      const same =
        on?._uuid === br._uuid &&
        names.length === want.length &&
        names.every((n, i) => n === want[i]) &&
        port.bond_mode === a.mode &&
        port.lacp === lacp;
      if (!same) throw exists(`port ${a.port} exists with other settings`, { port: a.port });
      return {
        ops: [waitNamed('Port', port._uuid, a.port), waitNamed('Bridge', br._uuid, a.bridge)],
        result: null,
        claims,
        reads,
      };
    }
    assertNewNames(view, [
      { name: a.port, field: 'port' },
      ...a.links.map((name, i) => ({ name, field: `links[${i}]` })),
    ]);
    const ins = insertPort(prefix, {
      name: a.port,
      interfaces: a.links.map((name) => ({ name })),
      row: { bond_mode: a.mode, ...(lacp ? { lacp } : {}) },
    });
    const ops = [
      waitNamed('Bridge', br._uuid, a.bridge),
      ...waitNamesFree([], [a.port, ...a.links], [a.port, ...a.links]),
      ...ins.ops,
      addRefs('Bridge', br._uuid, 'ports', [ins.ref]),
    ];
    return { ops, result: null, claims, reads };
  };
