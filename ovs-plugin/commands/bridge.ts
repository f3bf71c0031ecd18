// ovs.bridge-add / ovs.bridge-del: v1 `add-br B [set Bridge B k=v]` / `del-br B` as one
// transaction each. bridge-add with may_exist=true is idempotent; bridge-del of a missing bridge
// succeeds; we only delete, or change the columns of, bridges we created (owner tag).
import { parseLinkName } from '../../lib/validate.ts';
import { argsOf, parseOptBool, parseStringMap } from '../validate.ts';
import { checkAgainstSwitch, columnOps, columnRow, parseSettings, type Setting } from '../planners/columns.ts';
import { exists, notFound, notOwned } from '../planners/errors.ts';
import { assertNewNames, parseCallerName } from '../planners/names.ts';
import { insertBridge, waitNamed, waitNamesFree, delRefs } from '../planners/ops.ts';
import { fakeNamed, waitFake, waitTagPorts } from '../planners/fake-bridge.ts';
import type { Command } from './types.ts';
import { mutates } from '../planners/plan.ts';
import { isOwned } from '../planners/view.ts';

interface BridgeAdd { bridge: string; options: Setting[]; mayExist: boolean }

/** ovs.bridge-add {bridge, options?, may_exist?} -> null. */
export const bridgeAdd: Command<BridgeAdd, null> = {
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
  plan: (a, env) => (view, prefix) => {
    const claims = [`Bridge:${a.bridge}`, `Port:${a.bridge}`];
    const root = view.root();
    if (!root) throw notFound('OVSDB has no Open_vSwitch row');
    checkAgainstSwitch(a.options, root);
    const br = view.byName('Bridge', a.bridge);
    if (br) {
      if (!a.mayExist) throw exists(`bridge ${a.bridge} exists`, { bridge: a.bridge });
      const changes = columnOps('Bridge', view.raw('Bridge', br._uuid)!, a.options);
      if (mutates(changes) && !isOwned(br)) {
        throw notOwned(`bridge ${a.bridge} was not created by ovs-plugin: its columns are not ours to change`, { bridge: a.bridge });
      }
      return { ops: [waitNamed('Bridge', br._uuid, a.bridge), ...changes], result: null, claims };
    }
    assertNewNames(view, [{ name: a.bridge, field: 'bridge' }]);
    const ops = [
      ...waitNamesFree([a.bridge], [a.bridge], [a.bridge]),
      ...insertBridge(prefix, a.bridge, root._uuid, env.datapathType, [], columnRow(a.options)),
    ];
    return { ops, result: null, claims };
  },
};

interface BridgeDel { bridge: string }

/**
 * ovs.bridge-del {bridge} -> "" (v1 returned ovs-vsctl's empty output); a missing bridge is
 * success. A fake bridge goes as `ovs-vsctl del-br` takes it: its port and the ports of its
 * parent that carry its tag.
 */
export const bridgeDel: Command<BridgeDel, string> = {
  usage: {
    summary: 'Delete a bridge this plugin created; a missing bridge is success; returns "".',
    args: [{ name: 'bridge', required: true, type: 'name', doc: 'the bridge to delete' }],
    example: { bridge: 'br1' },
  },
  validate(raw) {
    const o = argsOf(raw, bridgeDel.usage.args);
    return { bridge: parseLinkName('bridge', o.bridge) };
  },
  plan: (a) => (view) => {
    const claims = [`Bridge:${a.bridge}`];
    const br = view.byName('Bridge', a.bridge);
    const fake = br ? undefined : fakeNamed(view, a.bridge);
    if (fake) {
      if (!isOwned(fake.port)) throw notOwned(`bridge ${a.bridge} was not created by ovs-plugin`, { bridge: a.bridge });
      const tagged = view.rows('Port').filter((x) => x.tag === fake.tag);
      const gone = tagged.filter((x) => x._uuid === fake.port._uuid || view.bridgeOfPort(x._uuid)?._uuid === fake.parent._uuid).map((x) => x._uuid);
      const ops = [...waitFake(fake), waitTagPorts(fake.tag, tagged.map((x) => x.name)), delRefs('Bridge', fake.parent._uuid, 'ports', gone)];
      return { ops, result: '', claims: [...claims, `Port:${a.bridge}`, `Vlan:${fake.tag}`] };
    }
    if (!br) return { ops: [waitNamesFree([a.bridge], [], [])].flat(), result: '', claims };
    if (!isOwned(br)) throw notOwned(`bridge ${a.bridge} was not created by ovs-plugin`, { bridge: a.bridge });
    const root = view.root()!;
    return { ops: [waitNamed('Bridge', br._uuid, a.bridge), delRefs('Open_vSwitch', root._uuid, 'bridges', [br._uuid])], result: '', claims };
  },
};
