// ovs.bridge-add / ovs.bridge-del: v1 `add-br B [set Bridge B k=v]` / `del-br B` as one
// transaction each. bridge-add with may_exist=true is idempotent; bridge-del of a missing bridge
// succeeds; we only delete bridges we created (owner tag).
import { argsOf, linkName, optBool, stringMap } from '../validate.ts';
import { exists, notFound, notOwned } from './errors.ts';
import { insertBridge, waitNamed, waitNamesFree, delRefs } from './ops.ts';
import { columnOps, columnRow } from './columns.ts';
import type { Command } from './types.ts';
import { idOf, isOwned } from './view.ts';

interface BridgeAddArgs { bridge: string; options: Record<string, string>; mayExist: boolean }

/** ovs.bridge-add {bridge, options?, may_exist?} -> null. */
export const bridgeAdd: Command<BridgeAddArgs, null> = {
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
    const options = stringMap('options', o.options);
    columnRow('Bridge', options, 'options');
    return { bridge: linkName('bridge', o.bridge), options, mayExist: optBool('may_exist', o.may_exist) };
  },
  plan: (a, env) => (view, p) => {
    const claims = [`Bridge:${a.bridge}`, `Port:${a.bridge}`];
    const br = view.byName('Bridge', a.bridge);
    if (br) {
      if (!a.mayExist) throw exists(`bridge ${a.bridge} exists`, { bridge: a.bridge });
      return { ops: [waitNamed('Bridge', idOf(br), a.bridge), ...columnOps('Bridge', idOf(br), br, a.options)], result: null, claims };
    }
    const root = view.root();
    if (!root) throw notFound('OVSDB has no Open_vSwitch row');
    const ops = [
      ...waitNamesFree([a.bridge], [a.bridge], [a.bridge]),
      ...insertBridge(p, a.bridge, idOf(root), env.datapathType, [], columnRow('Bridge', a.options, 'options')),
    ];
    return { ops, result: null, claims };
  },
};

interface BridgeDelArgs { bridge: string }

/** ovs.bridge-del {bridge} -> "" (v1 returned ovs-vsctl's empty output); a missing bridge is success. */
export const bridgeDel: Command<BridgeDelArgs, string> = {
  usage: {
    summary: 'Delete a bridge this plugin created; a missing bridge is success; returns "".',
    args: [{ name: 'bridge', required: true, type: 'name', doc: 'the bridge to delete' }],
    example: { bridge: 'br1' },
  },
  validate(raw) {
    const o = argsOf(raw, bridgeDel.usage.args);
    return { bridge: linkName('bridge', o.bridge) };
  },
  plan: (a) => (view) => {
    const claims = [`Bridge:${a.bridge}`];
    const br = view.byName('Bridge', a.bridge);
    if (!br) return { ops: [waitNamesFree([a.bridge], [], [])].flat(), result: '', claims };
    if (!isOwned(br)) throw notOwned(`bridge ${a.bridge} was not created by ovs-plugin`, { bridge: a.bridge });
    const root = view.root()!;
    return { ops: [waitNamed('Bridge', idOf(br), a.bridge), delRefs('Open_vSwitch', idOf(root), 'bridges', [idOf(br)])], result: '', claims };
  },
};
