// ovs.port-add / ovs.port-del / ovs.bond-add: v1 `add-port B P [tag=N]` + `set Interface P ...`,
// `del-port [B] P`, `add-bond B P links... [lacp=active] bond_mode=M`, each one transaction.
import { ValidationError } from '../../lib/errors.ts';
import { argsOf, parseNameList, parseOptBool, parseStringMap, parseOptVlanTag, usageOf } from '../validate.ts';
import { ARGS, BOND_MODES, type BondMode } from './wire.ts';
import { parseSettings } from '../planners/columns.ts';
import { parseCallerName, parseOptRefName, parseRefName } from '../planners/names.ts';
import { planBondAdd, planPortAdd, planPortDel, type BondAdd, type PortAdd, type PortDel } from '../planners/port.ts';
import type { PlanCommand } from './types.ts';

/** ovs.port-add {bridge, port, vlan?, options? (Interface columns), may_exist?} -> null. */
export const portAdd: PlanCommand<PortAdd, null> = {
  mode: 'plan',
  usage: usageOf(ARGS['ovs.port-add'], 'Add a port (and its interface) to a bridge (v1 add-port); returns null.', {
    bridge: 'backplane',
    port: 'eth1',
  }),
  validate(raw) {
    const o = argsOf(raw, ARGS['ovs.port-add']);
    const options = parseSettings('Interface', parseStringMap('options', o.options), 'options');
    return {
      bridge: parseRefName('bridge', o.bridge),
      port: parseCallerName('port', o.port),
      vlan: parseOptVlanTag('vlan', o.vlan),
      options,
      mayExist: parseOptBool('may_exist', o.may_exist),
    };
  },
  plan: planPortAdd,
};

/** ovs.port-del {port, bridge?} -> null; a missing port is success; only ports we created. */
export const portDel: PlanCommand<PortDel, null> = {
  mode: 'plan',
  usage: usageOf(ARGS['ovs.port-del'], 'Delete a port this plugin created; a missing port is success; returns null.', {
    port: 'eth1',
  }),
  validate(raw) {
    const o = argsOf(raw, ARGS['ovs.port-del']);
    return { port: parseRefName('port', o.port), bridge: parseOptRefName('bridge', o.bridge) };
  },
  plan: planPortDel,
};

/** ovs.bond-add {bridge, port, links (>= 2), mode? (balance-slb), lacp?} -> null; same bond again is success. */
export const bondAdd: PlanCommand<BondAdd, null> = {
  mode: 'plan',
  usage: usageOf(
    ARGS['ovs.bond-add'],
    'Add a bond port over two or more links (v1 add-bond); the same bond again is success; returns null.',
    { bridge: 'backplane', port: 'bond0', links: ['eth1', 'eth2'], mode: 'balance-tcp', lacp: true },
  ),
  validate(raw) {
    const o = argsOf(raw, ARGS['ovs.bond-add']);
    const mode = o.mode === undefined || o.mode === null || o.mode === '' ? 'balance-slb' : o.mode;
    if (typeof mode !== 'string' || !BOND_MODES.includes(mode as BondMode))
      throw new ValidationError('mode', `must be one of ${BOND_MODES.join(', ')}`);
    const links = parseNameList('links', o.links, 2);
    for (const [i, l] of links.entries()) parseCallerName(`links[${i}]`, l);
    const port = parseCallerName('port', o.port);
    if (links.includes(port)) throw new ValidationError('links', `must not contain the bond port name ${port}`);
    return {
      bridge: parseRefName('bridge', o.bridge),
      port,
      links,
      mode: mode as BondMode,
      lacp: parseOptBool('lacp', o.lacp),
    };
  },
  plan: planBondAdd,
};
