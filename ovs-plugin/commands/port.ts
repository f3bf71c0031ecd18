// ovs.port-add / ovs.port-del / ovs.bond-add: v1 `add-port B P [tag=N]` + `set Interface P ...`,
// `del-port [B] P`, `add-bond B P links... [lacp=active] bond_mode=M`, each one transaction.
import { ValidationError } from '../../lib/errors.ts';
import { argsOf, linkName, nameList, optBool, optName, stringMap, vlanTag } from '../validate.ts';
import { columnOps, columnRow } from './columns.ts';
import { conflict, exists, notFound, notOwned } from './errors.ts';
import { addRefs, delRefs, insertPort, waitAbsent, waitNamed, waitNamesFree } from './ops.ts';
import type { Command } from './types.ts';
import { idOf, isOwned, str, View } from './view.ts';
import type { CachedRow } from '../ovsdb/types.ts';

interface PortAddArgs { bridge: string; port: string; vlan: number; options: Record<string, string>; mayExist: boolean }

function masterOf(view: View, bridge: string): CachedRow {
  const br = view.byName('Bridge', bridge);
  if (!br) throw notFound(`bridge ${bridge} does not exist`, { bridge });
  return br;
}

/** ovs.port-add {bridge, port, vlan?, options? (Interface columns), may_exist?} -> null. */
export const portAdd: Command<PortAddArgs, null> = {
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
    const options = stringMap('options', o.options);
    columnRow('Interface', options, 'options');
    return { bridge: linkName('bridge', o.bridge), port: linkName('port', o.port), vlan: vlanTag('vlan', o.vlan), options, mayExist: optBool('may_exist', o.may_exist) };
  },
  plan: (a) => (view, p) => {
    const claims = [`Port:${a.port}`];
    const reads = [`Bridge:${a.bridge}`];
    const br = masterOf(view, a.bridge);
    const port = view.byName('Port', a.port);
    const tag = { tag: a.vlan ? String(a.vlan) : '[]' };
    if (port) {
      const on = view.bridgeOfPort(idOf(port));
      if (!a.mayExist) throw exists(`port ${a.port} exists`, { port: a.port, bridge: on ? str(on.name) : undefined });
      if (!on || idOf(on) !== idOf(br)) throw conflict(`port ${a.port} is on bridge ${on ? str(on.name) : '(none)'}, not ${a.bridge}`, { port: a.port });
      const iface = view.interfacesOf(port).find((i) => i.name === a.port);
      const ops = [waitNamed('Bridge', idOf(br), a.bridge), waitNamed('Port', idOf(port), a.port),
        ...columnOps('Port', idOf(port), port, tag), ...(iface ? columnOps('Interface', idOf(iface), iface, a.options) : [])];
      return { ops, result: null, claims, reads };
    }
    const ins = insertPort(p, { name: a.port, interfaces: [{ name: a.port, row: columnRow('Interface', a.options, 'options') }], row: a.vlan ? { tag: a.vlan } : {} });
    const ops = [waitNamed('Bridge', idOf(br), a.bridge), ...waitNamesFree([], [a.port], [a.port]), ...ins.ops, addRefs('Bridge', idOf(br), 'ports', [ins.ref])];
    return { ops, result: null, claims, reads };
  },
};

interface PortDelArgs { port: string; bridge?: string }

/** ovs.port-del {port, bridge?} -> null; a missing port is success; only ports we created. */
export const portDel: Command<PortDelArgs, null> = {
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
    return { port: linkName('port', o.port), bridge: optName('bridge', o.bridge) };
  },
  plan: (a) => (view) => {
    const claims = [`Port:${a.port}`];
    const port = view.byName('Port', a.port);
    if (!port) return { ops: [waitAbsent('Port', a.port)], result: null, claims };
    const on = view.bridgeOfPort(idOf(port));
    if (a.bridge !== undefined && (!on || on.name !== a.bridge)) throw conflict(`port ${a.port} is not on bridge ${a.bridge}`, { port: a.port, bridge: a.bridge });
    if (on && on.name === a.port) throw conflict(`port ${a.port} is the internal port of bridge ${a.port}; use bridge-del`, { port: a.port });
    if (!isOwned(port)) throw notOwned(`port ${a.port} was not created by ovs-plugin`, { port: a.port });
    if (!on) return { ops: [waitNamed('Port', idOf(port), a.port)], result: null, claims };
    return { ops: [waitNamed('Port', idOf(port), a.port), delRefs('Bridge', idOf(on), 'ports', [idOf(port)])], result: null, claims, reads: [`Bridge:${str(on.name)}`] };
  },
};

const BOND_MODES = ['balance-slb', 'balance-tcp', 'active-backup'];
interface BondAddArgs { bridge: string; port: string; links: string[]; mode: string; lacp: boolean }

/** ovs.bond-add {bridge, port, links (>= 2), mode? (balance-slb), lacp?} -> null; same bond again is success. */
export const bondAdd: Command<BondAddArgs, null> = {
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
    if (typeof mode !== 'string' || !BOND_MODES.includes(mode)) throw new ValidationError('mode', `must be one of ${BOND_MODES.join(', ')}`);
    const links = nameList('links', o.links, 2);
    const port = linkName('port', o.port);
    if (links.includes(port)) throw new ValidationError('links', `must not contain the bond port name ${port}`);
    return { bridge: linkName('bridge', o.bridge), port, links, mode, lacp: optBool('lacp', o.lacp) };
  },
  plan: (a) => (view, p) => {
    const claims = [`Port:${a.port}`, ...a.links.map((l) => `Interface:${l}`)];
    const reads = [`Bridge:${a.bridge}`];
    const br = masterOf(view, a.bridge);
    const lacp = a.lacp ? 'active' : undefined;
    const port = view.byName('Port', a.port);
    if (port) {
      const on = view.bridgeOfPort(idOf(port));
      const names = view.interfacesOf(port).map((i) => str(i.name)).sort();
      const same = on && idOf(on) === idOf(br) && JSON.stringify(names) === JSON.stringify([...a.links].sort())
        && port.bond_mode === a.mode && (lacp === undefined ? port.lacp === undefined || JSON.stringify(port.lacp) === '["set",[]]' : port.lacp === lacp);
      if (!same) throw exists(`port ${a.port} exists with other settings`, { port: a.port });
      return { ops: [waitNamed('Port', idOf(port), a.port), waitNamed('Bridge', idOf(br), a.bridge)], result: null, claims, reads };
    }
    const ins = insertPort(p, { name: a.port, interfaces: a.links.map((name) => ({ name })), row: { bond_mode: a.mode, ...(lacp ? { lacp } : {}) } });
    const ops = [waitNamed('Bridge', idOf(br), a.bridge), ...waitNamesFree([], [a.port, ...a.links], [a.port, ...a.links]), ...ins.ops, addRefs('Bridge', idOf(br), 'ports', [ins.ref])];
    return { ops, result: null, claims, reads };
  },
};
