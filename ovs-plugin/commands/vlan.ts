// ovs.vlan-ensure / ovs.vlan-del: their arguments and help; the planners (planners/vlan.ts) do
// the work, for these commands and for the vlan nic kind.
import { parseVlanTag } from '../../lib/validate.ts';
import { argsOf, usageOf } from '../validate.ts';
import { ARGS } from './wire.ts';
import { parseOptCallerName, parseOptRefName } from '../planners/names.ts';
import { planVlanDel, planVlanEnsure } from '../planners/vlan.ts';
import type { VlanArgs } from '../planners/vlan-patch.ts';
import type { PlanCommand } from './types.ts';

const validateVlan =
  (decl: (typeof ARGS)['ovs.vlan-ensure' | 'ovs.vlan-del']) =>
  (raw: unknown): VlanArgs => {
    const o = argsOf(raw, decl);
    const vlan = parseVlanTag('vlan', o.vlan);
    const master = parseOptRefName('master', o.master);
    return { master, vlan, name: parseOptCallerName('name', o.name) };
  };

/** ovs.vlan-ensure {master, vlan, name?} -> name of the VLAN bridge. */
export const vlanEnsure: PlanCommand<VlanArgs, string> = {
  mode: 'plan',
  usage: usageOf(
    ARGS['ovs.vlan-ensure'],
    'Ensure the VLAN bridge of the tag on the master ' +
      '(a fake bridge; v1 patch layout for VLAN 0 or OVS_VLAN_LAYOUT=patch); returns the bridge name.',
    { master: 'backplane', vlan: 100 },
  ),
  validate: validateVlan(ARGS['ovs.vlan-ensure']),
  plan: planVlanEnsure,
};

/**
 * ovs.vlan-del {master?, vlan, name?} -> null: removes what we added (the fake bridge; or the
 * patch pair, and the VLAN bridge if we created it; an adopted bridge stays as found); gone is
 * success; a VLAN of which nothing is ours is ENOTOWNED.
 */
export const vlanDel: PlanCommand<VlanArgs, null> = {
  mode: 'plan',
  usage: usageOf(
    ARGS['ovs.vlan-del'],
    'Remove what vlan-ensure added (the fake bridge, or the patch pair and the bridge if ours); ' +
      'gone is success; returns null.',
    { vlan: 100 },
  ),
  validate: validateVlan(ARGS['ovs.vlan-del']),
  plan: planVlanDel,
};
