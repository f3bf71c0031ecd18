// ovs.port-add / ovs.port-del / ovs.bond-add: v1 `add-port B P [tag=N]` + `set Interface P ...`,
// `del-port [B] P`, `add-bond B P links... [lacp=active] bond_mode=M`, each one transaction.
import { ValidationError } from '../../lib/errors.ts';
import { argsOf, parseNameList, parseOptBool, parseStringMap, parseOptVlanTag } from '../validate.ts';
import { checkAgainstSwitch, columnOps, columnRow, parseSettings, type Setting } from '../planners/columns.ts';
import { conflict, exists, notFound, notOwned } from '../planners/errors.ts';
import { assertNewNames, parseCallerName, parseOptRefName, parseRefName } from '../planners/names.ts';
import { addRefs, delRefs, insertPort, waitAbsent, waitNamed, waitNamesFree } from '../planners/ops.ts';
import { fakeNamed, placeOf, placeReads, waitPlace, type Place } from '../planners/fake-bridge.ts';
import type { Command } from './types.ts';
import { mutates } from '../planners/plan.ts';
import { isOwned, type Seen, View } from '../planners/view.ts';
import { typeOf } from '../ovsdb/rows.ts';
import type { BondMode } from './wire.ts';

interface PortAdd { bridge: string; port: string; vlan: number; options: Setting[]; mayExist: boolean }

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

/** ovs.port-add {bridge, port, vlan?, options? (Interface columns), may_exist?} -> null. */
export const portAdd: Command<PortAdd, null> = {
  usage: {
    summary: 'Add a port (and its interface) to a bridge (v1 add-port); returns null.',
    args: [
      { name: 'bridge', required: true, type: 'name', doc: 'the bridge' },
      { name: 'port', required: true, type: 'name', doc: 'the port and interface name (a NIC, tap or veth)' },
      { name: 'vlan', type: '0..4094', doc: 'access tag; 0 (default) is untagged' },
      { name: 'options', type: '{column[:key]: string}', doc: 'Interface columns, e.g. {"type": "internal", "mtu_request": "9000"}' },
      { name: 'may_exist', type: 'boolean', doc: 'an existing port on that bridge is success (updated only if it is ours)' },
    ],
    example: { bridge: 'backplane', port: 'eth1' },
  },
  validate(raw) {
    const o = argsOf(raw, portAdd.usage.args);
    const options = parseSettings('Interface', parseStringMap('options', o.options), 'options');
    return { bridge: parseRefName('bridge', o.bridge), port: parseCallerName('port', o.port), vlan: parseOptVlanTag('vlan', o.vlan), options, mayExist: parseOptBool('may_exist', o.may_exist) };
  },
  plan: (a) => (view, prefix) => {
    const claims = [`Port:${a.port}`];
    const place = placeNamed(view, a.bridge);
    const br = place.bridge;
    const reads = placeReads(place, a.bridge);
    // Onto a fake bridge (ovs-vsctl add-port FAKE X): a port of its parent with its tag.
    if (place.fake && a.vlan !== 0 && a.vlan !== place.tag) {
      throw conflict(`bridge ${a.bridge} is vlan ${place.tag} of ${br.name}: its ports carry tag ${place.tag}, not ${a.vlan}`, { bridge: a.bridge, vlan: a.vlan });
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
        throw conflict(`port ${a.port} is on bridge ${on?.name ?? '(none)'}${place.fake ? ` with tag ${port.tag ?? 'none'}` : ''}, not ${a.bridge}`, { port: a.port });
      }
      const iface = view.interfacesOf(port).find((i) => i.name === a.port);
      const tag = parseSettings('Port', new Map([['tag', vlan ? String(vlan) : '[]']]), 'vlan');
      const changes = [...columnOps('Port', view.raw('Port', port._uuid)!, tag),
        ...(iface ? columnOps('Interface', view.raw('Interface', iface._uuid)!, a.options) : [])];
      if (mutates(changes) && !(isOwned(port) && (!iface || isOwned(iface)))) {
        throw notOwned(`port ${a.port} was not created by ovs-plugin: its columns are not ours to change`, { port: a.port });
      }
      return { ops: [...guard, waitNamed('Port', port._uuid, a.port), ...changes], result: null, claims, reads };
    }
    assertNewNames(view, [{ name: a.port, field: 'port' }]);
    const ins = insertPort(prefix, { name: a.port, interfaces: [{ name: a.port, row: columnRow(a.options) }], row: vlan ? { tag: vlan } : {} });
    const ops = [...guard, ...waitNamesFree([], [a.port], [a.port]), ...ins.ops, addRefs('Bridge', br._uuid, 'ports', [ins.ref])];
    return { ops, result: null, claims, reads };
  },
};

interface PortDel { port: string; bridge?: string }

/** ovs.port-del {port, bridge?} -> null; a missing port is success; only ports we created. */
export const portDel: Command<PortDel, null> = {
  usage: {
    summary: 'Delete a port this plugin created; a missing port is success; returns null.',
    args: [
      { name: 'port', required: true, type: 'name', doc: 'the port' },
      { name: 'bridge', type: 'name', doc: 'the bridge it must be on' },
    ],
    example: { port: 'eth1' },
  },
  validate(raw) {
    const o = argsOf(raw, portDel.usage.args);
    return { port: parseRefName('port', o.port), bridge: parseOptRefName('bridge', o.bridge) };
  },
  plan: (a) => (view) => {
    const claims = [`Port:${a.port}`];
    const port = view.byName('Port', a.port);
    if (!port) return { ops: [waitAbsent('Port', a.port)], result: null, claims };
    const on = view.bridgeOfPort(port._uuid);
    const at = a.bridge === undefined ? undefined : placeOf(view, a.bridge);
    if (a.bridge !== undefined && (!on || !at || on._uuid !== at.bridge._uuid || (at.fake && port.tag !== at.tag))) {
      throw conflict(`port ${a.port} is not on bridge ${a.bridge}`, { port: a.port, bridge: a.bridge });
    }
    if (on && on.name === a.port) throw conflict(`port ${a.port} is the internal port of bridge ${a.port}; use bridge-del`, { port: a.port });
    const fake = fakeNamed(view, a.port);
    if (fake) throw conflict(`port ${a.port} is the VLAN bridge of vlan ${fake.tag} on ${fake.parent.name}; use vlan-del`, { port: a.port });
    if (!isOwned(port)) throw notOwned(`port ${a.port} was not created by ovs-plugin`, { port: a.port });
    if (!on) return { ops: [waitNamed('Port', port._uuid, a.port)], result: null, claims };
    return { ops: [waitNamed('Port', port._uuid, a.port), delRefs('Bridge', on._uuid, 'ports', [port._uuid])], result: null, claims, reads: [`Bridge:${on.name}`] };
  },
};

/** Bond modes, from the schema's enum of Port.bond_mode. */
const BOND_MODES = typeOf('Port', 'bond_mode').key.enum as readonly BondMode[];
interface BondAdd { bridge: string; port: string; links: string[]; mode: BondMode; lacp: boolean }

/** ovs.bond-add {bridge, port, links (>= 2), mode? (balance-slb), lacp?} -> null; same bond again is success. */
export const bondAdd: Command<BondAdd, null> = {
  usage: {
    summary: 'Add a bond port over two or more links (v1 add-bond); the same bond again is success; returns null.',
    args: [
      { name: 'bridge', required: true, type: 'name', doc: 'the bridge' },
      { name: 'port', required: true, type: 'name', doc: 'the bond port' },
      { name: 'links', required: true, type: '[name, name, ...]', doc: 'at least 2 distinct interfaces' },
      { name: 'mode', type: BOND_MODES.join(' | '), doc: 'bond_mode (default balance-slb)' },
      { name: 'lacp', type: 'boolean', doc: 'lacp=active' },
    ],
    example: { bridge: 'backplane', port: 'bond0', links: ['eth1', 'eth2'], mode: 'balance-tcp', lacp: true },
  },
  validate(raw) {
    const o = argsOf(raw, bondAdd.usage.args);
    const mode = o.mode === undefined || o.mode === null || o.mode === '' ? 'balance-slb' : o.mode;
    if (typeof mode !== 'string' || !BOND_MODES.includes(mode as BondMode)) throw new ValidationError('mode', `must be one of ${BOND_MODES.join(', ')}`);
    const links = parseNameList('links', o.links, 2);
    links.forEach((l, i) => parseCallerName(`links[${i}]`, l));
    const port = parseCallerName('port', o.port);
    if (links.includes(port)) throw new ValidationError('links', `must not contain the bond port name ${port}`);
    return { bridge: parseRefName('bridge', o.bridge), port, links, mode: mode as BondMode, lacp: parseOptBool('lacp', o.lacp) };
  },
  plan: (a) => (view, prefix) => {
    const claims = [`Port:${a.port}`, ...a.links.map((l) => `Interface:${l}`)];
    const reads = [`Bridge:${a.bridge}`];
    const br = masterOf(view, a.bridge);
    const lacp = a.lacp ? 'active' : undefined;
    const port = view.byName('Port', a.port);
    if (port) {
      const on = view.bridgeOfPort(port._uuid);
      const names = view.interfacesOf(port).map((i) => i.name).sort();
      const want = [...a.links].sort();
      const same = on?._uuid === br._uuid && names.length === want.length && names.every((n, i) => n === want[i])
        && port.bond_mode === a.mode && port.lacp === lacp;
      if (!same) throw exists(`port ${a.port} exists with other settings`, { port: a.port });
      return { ops: [waitNamed('Port', port._uuid, a.port), waitNamed('Bridge', br._uuid, a.bridge)], result: null, claims, reads };
    }
    assertNewNames(view, [{ name: a.port, field: 'port' }, ...a.links.map((name, i) => ({ name, field: `links[${i}]` }))]);
    const ins = insertPort(prefix, { name: a.port, interfaces: a.links.map((name) => ({ name })), row: { bond_mode: a.mode, ...(lacp ? { lacp } : {}) } });
    const ops = [waitNamed('Bridge', br._uuid, a.bridge), ...waitNamesFree([], [a.port, ...a.links], [a.port, ...a.links]), ...ins.ops, addRefs('Bridge', br._uuid, 'ports', [ins.ref])];
    return { ops, result: null, claims, reads };
  },
};
