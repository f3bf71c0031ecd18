// ovs.bridge-add / ovs.bridge-del: v1 `add-br B [set Bridge B k=v]` / `del-br B` as one
// transaction each. bridge-add with may_exist=true is idempotent; bridge-del of a missing bridge
// succeeds; we only delete, or change the columns of, bridges we created (owner tag).
import { parseLinkName } from '../../lib/validate.ts';
import { argsOf, parseOptBool, parseStringMap, usageOf } from '../validate.ts';
import { ARGS } from './wire.ts';
import { parseSettings } from '../planners/columns.ts';
import { parseCallerName } from '../planners/names.ts';
import { planBridgeAdd, planBridgeDel, type BridgeAdd, type BridgeDel } from '../planners/bridge.ts';
import type { PlanCommand } from './types.ts';

/** ovs.bridge-add {bridge, options?, may_exist?} -> null. */
export const bridgeAdd: PlanCommand<BridgeAdd, null> = {
  mode: 'plan',
  usage: usageOf(ARGS['ovs.bridge-add'], 'Create an OVS bridge (v1 add-br); returns null.', { bridge: 'backplane' }),
  validate(raw) {
    const o = argsOf(raw, ARGS['ovs.bridge-add']);
    const bridge = parseCallerName('bridge', o.bridge);
    return {
      bridge,
      options: parseSettings('Bridge', parseStringMap('options', o.options), 'options'),
      mayExist: parseOptBool('may_exist', o.may_exist),
    };
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
  usage: usageOf(
    ARGS['ovs.bridge-del'],
    'Delete a bridge this plugin created; a missing bridge is success; returns "".',
    { bridge: 'br1' },
  ),
  validate(raw) {
    const o = argsOf(raw, ARGS['ovs.bridge-del']);
    return { bridge: parseLinkName('bridge', o.bridge) };
  },
  plan: planBridgeDel,
};
