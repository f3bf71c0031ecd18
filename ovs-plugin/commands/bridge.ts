// ovs.bridge-add / ovs.bridge-del: v1 `add-br B [set Bridge B k=v]` / `del-br B` as one
// transaction each. bridge-add with may_exist=true is idempotent; bridge-del of a missing bridge
// succeeds; we only delete, or change the columns of, bridges we created (owner tag).
import { parseLinkName } from '../../lib/validate.ts';
import { argsOf, parseOptBool, parseStringMap } from '../validate.ts';
import { parseSettings } from '../planners/columns.ts';
import { parseCallerName } from '../planners/names.ts';
import { planBridgeAdd, planBridgeDel, type BridgeAdd, type BridgeDel } from '../planners/bridge.ts';
import type { PlanCommand } from './types.ts';

/** ovs.bridge-add {bridge, options?, may_exist?} -> null. */
export const bridgeAdd: PlanCommand<BridgeAdd, null> = {
  mode: 'plan',
  usage: {
    summary: 'Create an OVS bridge (v1 add-br); returns null.',
    args: [
      { name: 'bridge', required: true, type: 'name', doc: 'the bridge to create' },
      { name: 'options', type: '{column[:key]: string}', doc: 'Bridge columns to set, e.g. {"stp_enable": "true", "other_config:hwaddr": "..."}' },
      { name: 'may_exist', type: 'boolean', doc: 'an existing bridge is success (its columns are changed only if it is ours)' },
    ],
    example: { bridge: 'backplane' },
  },
  validate(raw) {
    const o = argsOf(raw, bridgeAdd.usage.args);
    const bridge = parseCallerName('bridge', o.bridge);
    return { bridge, options: parseSettings('Bridge', parseStringMap('options', o.options), 'options'), mayExist: parseOptBool('may_exist', o.may_exist) };
  },
  plan: planBridgeAdd,
};

/**
 * ovs.bridge-del {bridge} -> "" (v1 returned ovs-vsctl's empty output); a missing bridge is
 * success. A fake bridge goes as `ovs-vsctl del-br` takes it: its port and the ports of its
 * parent that carry its tag.
 */
export const bridgeDel: PlanCommand<BridgeDel, string> = {
  mode: 'plan',
  usage: {
    summary: 'Delete a bridge this plugin created; a missing bridge is success; returns "".',
    args: [{ name: 'bridge', required: true, type: 'name', doc: 'the bridge to delete' }],
    example: { bridge: 'br1' },
  },
  validate(raw) {
    const o = argsOf(raw, bridgeDel.usage.args);
    return { bridge: parseLinkName('bridge', o.bridge) };
  },
  plan: planBridgeDel,
};
