// ovs.vlan-ensure / ovs.vlan-del: their arguments and help; the planners (planners/vlan.ts) do
// the work, for these commands and for the vlan nic kind.
import { parseVlanTag } from '../../lib/validate.ts';
import { argsOf, type ArgSpec, type Usage } from '../validate.ts';
import { parseOptCallerName, parseOptRefName } from '../planners/names.ts';
import { planVlanDel, planVlanEnsure } from '../planners/vlan.ts';
import type { VlanArgs } from '../planners/vlan-patch.ts';
import type { PlanCommand } from './types.ts';

const validateVlan = (args: readonly ArgSpec[]) => (raw: unknown): VlanArgs => {
  const o = argsOf(raw, args);
  const vlan = parseVlanTag('vlan', o.vlan);
  const master = parseOptRefName('master', o.master);
  return { master, vlan, name: parseOptCallerName('name', o.name) };
};

/** What --help says about vlan-ensure. */
const VLAN_ENSURE: Usage = {
  summary: 'Ensure the VLAN bridge of the tag on the master (a fake bridge; v1 patch layout for VLAN 0 or OVS_VLAN_LAYOUT=patch); returns the bridge name.',
  args: [
    { name: 'master', required: true, type: 'name', doc: 'the bridge carrying the tagged traffic' },
    { name: 'vlan', required: true, type: '0..4094', doc: 'the tag; 0 is untagged' },
    { name: 'name', type: 'name', doc: 'the VLAN bridge (default vlbr<tag>)' },
  ],
  example: { master: 'backplane', vlan: 100 },
};

/** ovs.vlan-ensure {master, vlan, name?} -> name of the VLAN bridge. */
export const vlanEnsure: PlanCommand<VlanArgs, string> = {
  mode: 'plan',
  usage: VLAN_ENSURE,
  validate: validateVlan(VLAN_ENSURE.args),
  plan: planVlanEnsure,
};

/** What --help says about vlan-del. */
const VLAN_DEL: Usage = {
  summary: 'Remove what vlan-ensure added (the fake bridge, or the patch pair and the bridge if ours); gone is success; returns null.',
  args: [
    { name: 'vlan', required: true, type: '0..4094', doc: 'the tag' },
    { name: 'master', type: 'name', doc: 'the master it must be patched into' },
    { name: 'name', type: 'name', doc: 'the VLAN bridge it must be' },
  ],
  example: { vlan: 100 },
};

/**
 * ovs.vlan-del {master?, vlan, name?} -> null: removes what we added (the fake bridge; or the
 * patch pair, and the VLAN bridge if we created it; an adopted bridge stays as found); gone is
 * success; a VLAN of which nothing is ours is ENOTOWNED.
 */
export const vlanDel: PlanCommand<VlanArgs, null> = {
  mode: 'plan',
  usage: VLAN_DEL,
  validate: validateVlan(VLAN_DEL.args),
  plan: planVlanDel,
};
