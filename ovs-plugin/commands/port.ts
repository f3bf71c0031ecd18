// ovs.port-add / ovs.port-del / ovs.bond-add: v1 `add-port B P [tag=N]` + `set Interface P ...`,
// `del-port [B] P`, `add-bond B P links... [lacp=active] bond_mode=M`, each one transaction.
import { ValidationError } from '../../lib/errors.ts';
import { argsOf, parseNameList, parseOptBool, parseStringMap, parseOptVlanTag } from '../validate.ts';
import { parseSettings } from '../planners/columns.ts';
import { parseCallerName, parseOptRefName, parseRefName } from '../planners/names.ts';
import { planBondAdd, planPortAdd, planPortDel, type BondAdd, type PortAdd, type PortDel } from '../planners/port.ts';
import type { PlanCommand } from './types.ts';
import { typeOf } from '../ovsdb/rows.ts';
import type { BondMode } from './wire.ts';

/** ovs.port-add {bridge, port, vlan?, options? (Interface columns), may_exist?} -> null. */
export const portAdd: PlanCommand<PortAdd, null> = {
  mode: 'plan',
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
  plan: planPortAdd,
};

/** ovs.port-del {port, bridge?} -> null; a missing port is success; only ports we created. */
export const portDel: PlanCommand<PortDel, null> = {
  mode: 'plan',
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
  plan: planPortDel,
};

/** Bond modes, from the schema's enum of Port.bond_mode. */
const BOND_MODES = typeOf('Port', 'bond_mode').key.enum as readonly BondMode[];

/** ovs.bond-add {bridge, port, links (>= 2), mode? (balance-slb), lacp?} -> null; same bond again is success. */
export const bondAdd: PlanCommand<BondAdd, null> = {
  mode: 'plan',
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
  plan: planBondAdd,
};
