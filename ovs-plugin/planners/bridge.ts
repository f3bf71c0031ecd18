// The planners of ovs.bridge-add / ovs.bridge-del: v1 `add-br B [set Bridge B k=v]` / `del-br B`
// as one transaction each; we only delete, or change the columns of, bridges we created.
import { checkAgainstSwitch, columnOps, columnRow, type Setting } from './columns.ts';
import { exists, notFound, notOwned } from './errors.ts';
import { fakeNamed, waitFake, waitTagPorts } from './fake-bridge.ts';
import { assertNewNames } from './names.ts';
import { delRefs, insertBridge, waitNamed, waitNamesFree } from './ops.ts';
import { mutates, type Env, type Planner } from './plan.ts';
import { isOwned } from './view.ts';

/** The validated arguments of ovs.bridge-add. */
export interface BridgeAdd {
  bridge: string;
  options: Setting[];
  mayExist: boolean;
}

/** The validated arguments of ovs.bridge-del. */
export interface BridgeDel {
  bridge: string;
}

/** The planner of ovs.bridge-add. */
export const planBridgeAdd =
  (a: BridgeAdd, env: Env): Planner<null> =>
  (view, prefix) => {
    const claims = [`Bridge:${a.bridge}`, `Port:${a.bridge}`];
    const root = view.root();
    if (!root) throw notFound('OVSDB has no Open_vSwitch row');
    checkAgainstSwitch(a.options, root);
    const br = view.byName('Bridge', a.bridge);
    if (br) {
      if (!a.mayExist) throw exists(`bridge ${a.bridge} exists`, { bridge: a.bridge });
      const changes = columnOps('Bridge', view.raw('Bridge', br._uuid)!, a.options);
      if (mutates(changes) && !isOwned(br)) {
        throw notOwned(`bridge ${a.bridge} was not created by ovs-plugin: its columns are not ours to change`, {
          bridge: a.bridge,
        });
      }
      return { ops: [waitNamed('Bridge', br._uuid, a.bridge), ...changes], result: null, claims };
    }
    assertNewNames(view, [{ name: a.bridge, field: 'bridge' }]);
    const ops = [
      ...waitNamesFree([a.bridge], [a.bridge], [a.bridge]),
      ...insertBridge(prefix, a.bridge, root._uuid, env.datapathType, [], columnRow(a.options)),
    ];
    return { ops, result: null, claims };
  };

/**
 * The planner of ovs.bridge-del: a fake bridge goes as `ovs-vsctl del-br` takes it (its port and the ports of its
 * parent that carry its tag).
 */
export const planBridgeDel =
  (a: BridgeDel): Planner<string> =>
  (view) => {
    const claims = [`Bridge:${a.bridge}`];
    const br = view.byName('Bridge', a.bridge);
    const fake = br ? undefined : fakeNamed(view, a.bridge);
    if (fake) {
      if (!isOwned(fake.port)) throw notOwned(`bridge ${a.bridge} was not created by ovs-plugin`, { bridge: a.bridge });
      const tagged = view.rows('Port').filter((x) => x.tag === fake.tag);
      const gone = tagged
        .filter((x) => x._uuid === fake.port._uuid || view.bridgeOfPort(x._uuid)?._uuid === fake.parent._uuid)
        .map((x) => x._uuid);
      const ops = [
        ...waitFake(fake),
        waitTagPorts(
          fake.tag,
          tagged.map((x) => x.name),
        ),
        delRefs('Bridge', fake.parent._uuid, 'ports', gone),
      ];
      return { ops, result: '', claims: [...claims, `Port:${a.bridge}`, `Vlan:${fake.tag}`] };
    }
    if (!br) return { ops: [waitNamesFree([a.bridge], [], [])].flat(), result: '', claims };
    if (!isOwned(br)) throw notOwned(`bridge ${a.bridge} was not created by ovs-plugin`, { bridge: a.bridge });
    const root = view.root()!;
    return {
      ops: [waitNamed('Bridge', br._uuid, a.bridge), delRefs('Open_vSwitch', root._uuid, 'bridges', [br._uuid])],
      result: '',
      claims,
    };
  };
