// Chassis enrolment (fleet.join / fleet.leave): the Open_vSwitch row's external_ids that
// ovn-controller reads (ovn-controller(8) "Configuration") and br-int, in one transaction each,
// guarded by the external_ids the plan was built from. Keys we set are the ones leave removes;
// `system-id` stays, so a rejoin is the same chassis. We never start ovn-controller.
import { ValidationError } from '../../lib/errors.ts';
import { ovsMap, uuid } from '../ovsdb/notation.ts';
import type { Operation } from '../ovsdb/types.ts';
import { notFound } from '../planners/errors.ts';
import { delRefs, insertBridge, waitNamed, waitNamesFree, waitUnchanged } from '../planners/ops.ts';
import type { Env, Planner } from '../planners/plan.ts';
import { isOwned, type View } from '../planners/view.ts';
import type { Encap, Mapping } from './args.ts';

/** The integration bridge ovn-controller uses (its default `ovn-bridge`). */
export const BR_INT = 'br-int';
/** external_ids key of ours on the Open_vSwitch row: the NB remotes, which also says "joined by us". */
export const NB_KEY = 'zos-fleet-nb';
/** The chassis name ovn-controller registers under (kept across leave and rejoin). */
export const SYSTEM_ID = 'system-id';

/** The keys fleet.join sets and fleet.leave removes (system-id excepted). */
export const JOIN_KEYS = [
  'hostname',
  'ovn-remote',
  'ovn-encap-type',
  'ovn-encap-ip',
  'ovn-bridge-mappings',
  'ovn-bridge-datapath-type',
  NB_KEY,
] as const;

/** What fleet.join was asked for, validated, with the chassis name and hostname decided. */
export interface Join {
  nb: string;
  sb: string;
  encap: Encap;
  encapIp: string;
  mappings?: Mapping[];
  systemId: string;
  hostname: string;
}

/** The answer of fleet.join. */
export interface JoinResult {
  chassis: string;
  hostname: string;
  encap: Encap;
  encap_ip: string;
  bridge: string;
  /** False when the node was already joined exactly so (nothing written). */
  changed: boolean;
}

/** The Open_vSwitch external_ids of a joined chassis, as a map. */
export function joinIds(j: Join, env: Env): Map<string, string> {
  const m = new Map<string, string>([
    [SYSTEM_ID, j.systemId],
    ['hostname', j.hostname],
    ['ovn-remote', j.sb],
    ['ovn-encap-type', j.encap],
    ['ovn-encap-ip', j.encapIp],
    ['ovn-bridge-datapath-type', env.datapathType],
    [NB_KEY, j.nb],
  ]);
  if (j.mappings) m.set('ovn-bridge-mappings', j.mappings.map((x) => `${x.network}:${x.bridge}`).join(','));
  return m;
}

const sameMap = (a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean =>
  a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);

/** The ops that make the Open_vSwitch row's external_ids `ids` (none when they are already), guarded. */
function setRootIds(root: NonNullable<ReturnType<View['root']>>, ids: Map<string, string>): Operation[] {
  if (sameMap(ids, root.external_ids)) return [];
  return [
    waitUnchanged('Open_vSwitch', root, ['external_ids']),
    {
      op: 'update',
      table: 'Open_vSwitch',
      where: [['_uuid', '==', uuid(root._uuid)]],
      row: { external_ids: ovsMap(ids) },
    },
  ];
}

/** The planner of fleet.join: external_ids set (other keys kept), br-int made if missing; a repeat writes nothing. */
export const planJoin =
  (j: Join, env: Env): Planner<JoinResult> =>
  (view, prefix) => {
    const root = view.root();
    if (!root) throw notFound('OVSDB has no Open_vSwitch row');
    for (const m of j.mappings ?? [])
      if (!view.byName('Bridge', m.bridge))
        throw new ValidationError('bridge_mappings', `bridge ${m.bridge} (for ${m.network}) does not exist`);
    const ids = new Map(root.external_ids);
    for (const k of JOIN_KEYS) ids.delete(k);
    for (const [k, v] of joinIds(j, env)) ids.set(k, v);
    const ops: Operation[] = setRootIds(root, ids);
    const br = view.byName('Bridge', BR_INT);
    if (!br) {
      // As ovn-controller makes it (fail_mode secure, no in-band), with our datapath and owner tag.
      const row = { fail_mode: 'secure', other_config: ovsMap({ 'disable-in-band': 'true' }) };
      ops.push(...waitNamesFree([BR_INT], [BR_INT], [BR_INT]));
      ops.push(...insertBridge(prefix, BR_INT, root._uuid, env.datapathType, [], row));
    } else ops.push(waitNamed('Bridge', br._uuid, BR_INT));
    const result = {
      chassis: j.systemId,
      hostname: j.hostname,
      encap: j.encap,
      encap_ip: j.encapIp,
      bridge: BR_INT,
      changed: ops.some((o) => o.op !== 'wait'),
    };
    return { ops, result, claims: ['Open_vSwitch:external_ids', `Bridge:${BR_INT}`, `Port:${BR_INT}`] };
  };

/** The planner of fleet.leave: our keys removed (system-id kept), br-int deleted if we made it. -> whether joined. */
export const planLeave = (): Planner<boolean> => (view) => {
  const root = view.root();
  if (!root) throw notFound('OVSDB has no Open_vSwitch row');
  const ids = new Map(root.external_ids);
  for (const k of JOIN_KEYS) ids.delete(k);
  const joined = root.external_ids.has(NB_KEY);
  const ops: Operation[] = setRootIds(root, ids);
  const br = view.byName('Bridge', BR_INT);
  if (br && isOwned(br))
    ops.push(waitNamed('Bridge', br._uuid, BR_INT), delRefs('Open_vSwitch', root._uuid, 'bridges', [br._uuid]));
  return { ops, result: joined, claims: ['Open_vSwitch:external_ids', `Bridge:${BR_INT}`, `Port:${BR_INT}`] };
};

/** What this node's Open_vSwitch row says about fleet mode (from the monitor cache). */
export interface Membership {
  joined: boolean;
  chassis?: string;
  hostname?: string;
  nb?: string;
  sb?: string;
  encap?: string;
  encapIp?: string;
  mappings?: string;
}

/** The node's fleet membership as the Open_vSwitch row holds it. */
export function membershipOf(view: View): Membership {
  const ids = view.root()?.external_ids ?? new Map<string, string>();
  const g = (k: string) => ids.get(k);
  const m: Membership = { joined: ids.has(NB_KEY) && ids.has('ovn-remote') };
  const add = (k: keyof Membership, v: string | undefined) => {
    if (v !== undefined) (m as unknown as Record<string, string>)[k] = v;
  };
  add('chassis', g(SYSTEM_ID));
  add('hostname', g('hostname'));
  add('nb', g(NB_KEY));
  add('sb', g('ovn-remote'));
  add('encap', g('ovn-encap-type'));
  add('encapIp', g('ovn-encap-ip'));
  add('mappings', g('ovn-bridge-mappings'));
  return m;
}
