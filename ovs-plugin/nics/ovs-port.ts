// The OVS port of a veth (or tap) nic: one transaction through the engine, like every `ovs.*`
// command. The Port and Interface carry our owner tag and `zos-nic=<record key>`, so gc and
// detach remove only ports of ours, of that nic.
import { ovsMap, uuid } from '../ovsdb/notation.ts';
import type { Operation } from '../ovsdb/types.ts';
import { conflict, notFound, notOwned } from '../planners/errors.ts';
import { addRefs, delRefs, insertPort, waitAbsent, waitHasPort, waitNamed, waitNamesFree } from '../planners/ops.ts';
import type { Plan, Planner } from '../planners/plan.ts';
import { isOwned, type Seen, type View } from '../planners/view.ts';

/** external_ids key naming the nic record a port belongs to. */
export const NIC_KEY = 'zos-nic';

/** True when the port row is ours and belongs to nic `key`. */
export const isNicPort = (row: Seen<'Port'>, key: string): boolean =>
  isOwned(row) && row.external_ids.get(NIC_KEY) === key;

/**
 * The Port columns of a nic port carrying `tag`: an access port of that VLAN when `access`
 * (ovs-vswitchd.conf.db(5) "VLAN Configuration": an access port carries exactly the VLAN in
 * `tag`, 0 = untagged frames only, and drops frames that arrive with a nonzero 802.1Q tag);
 * otherwise `tag` if nonzero, else nothing (a trunk of every VLAN the bridge carries).
 */
export const portVlanRow = (tag: number, access: boolean): { tag?: number; vlan_mode?: 'access' } =>
  access ? { vlan_mode: 'access', tag } : tag ? { tag } : {};

/** True when `row`'s VLAN columns are what portVlanRow gives for `tag`/`access`. */
export const hasVlanRow = (row: Seen<'Port'>, tag: number, access: boolean): boolean =>
  (row.tag ?? 0) === tag && (!access || (row.vlan_mode === 'access' && row.tag === tag));

/**
 * Adds port `port` (tag `tag`, 0 = none; an access port when `access`) to `bridge` for nic
 * `key`, its Interface's external_ids with `ifaceIds` too (a fleet nic's `iface-id`); the same
 * port there already is success.
 */
export function plugPlan(
  bridge: string,
  port: string,
  key: string,
  tag = 0,
  access = false,
  ifaceIds: Record<string, string> = {},
): Planner<null> {
  return (view: View, prefix: string): Plan<null> => {
    const claims = [`Port:${port}`];
    const reads = [`Bridge:${bridge}`];
    const br = view.byName('Bridge', bridge);
    if (!br) throw notFound(`bridge ${bridge} does not exist`, { bridge });
    const row = view.byName('Port', port);
    if (row) {
      const on = view.bridgeOfPort(row._uuid);
      if (!isNicPort(row, key) || !on || on._uuid !== br._uuid || !hasVlanRow(row, tag, access)) {
        throw conflict(`port ${port} exists and is not this nic's port on ${bridge}`, { port });
      }
      return { ops: [waitHasPort(br._uuid, bridge, row._uuid)], result: null, claims, reads };
    }
    const ids = { external_ids: ovsMap({ [NIC_KEY]: key }) };
    const ins = insertPort(prefix, {
      name: port,
      interfaces: [{ name: port, row: { external_ids: ovsMap({ ...ifaceIds, [NIC_KEY]: key }) } }],
      row: { ...ids, ...portVlanRow(tag, access) },
    });
    return {
      ops: [
        waitNamed('Bridge', br._uuid, bridge),
        ...waitNamesFree([], [port], [port]),
        ...ins.ops,
        addRefs('Bridge', br._uuid, 'ports', [ins.ref]),
      ],
      result: null,
      claims,
      reads,
    };
  };
}

/** Makes nic `key`'s port `port` an access port of `tag` (repair of a port that carries other VLANs). */
export function accessPlan(port: string, key: string, tag: number): Planner<null> {
  return (view: View): Plan<null> => {
    const row = view.byName('Port', port);
    if (!row) throw notFound(`port ${port} does not exist`, { port });
    if (!isNicPort(row, key)) throw notOwned(`port ${port} is not the port of nic ${key}`, { port });
    if (hasVlanRow(row, tag, true))
      return { ops: [waitNamed('Port', row._uuid, port)], result: null, claims: [`Port:${port}`] };
    const update: Operation = {
      op: 'update',
      table: 'Port',
      where: [['_uuid', '==', uuid(row._uuid)]],
      row: portVlanRow(tag, true),
    };
    return { ops: [waitNamed('Port', row._uuid, port), update], result: null, claims: [`Port:${port}`] };
  };
}

/** Removes port `port` if it is nic `key`'s; gone is success; a port of someone else is ENOTOWNED. */
export function unplugPlan(port: string, key: string): Planner<boolean> {
  return (view: View): Plan<boolean> => {
    const claims = [`Port:${port}`];
    const row = view.byName('Port', port);
    if (!row) return { ops: [waitAbsent('Port', port)], result: false, claims };
    if (!isNicPort(row, key)) throw notOwned(`port ${port} is not the port of nic ${key}`, { port });
    const on = view.bridgeOfPort(row._uuid);
    if (!on) return { ops: [waitNamed('Port', row._uuid, port)], result: false, claims };
    return {
      ops: [waitHasPort(on._uuid, on.name, row._uuid), delRefs('Bridge', on._uuid, 'ports', [row._uuid])],
      result: true,
      claims,
      reads: [`Bridge:${on.name}`],
    };
  };
}

/** Where port `port` is now: its bridge, tag and whether it is an access port, or undefined. */
export function portPlace(view: View, port: string): { bridge: string; tag: number; access: boolean } | undefined {
  const row = view.byName('Port', port);
  const on = row ? view.bridgeOfPort(row._uuid) : undefined;
  return row && on
    ? { bridge: on.name, tag: row.tag ?? 0, access: row.vlan_mode === 'access' && row.tag !== undefined }
    : undefined;
}

/** datapath_type of bridge `name` ('' when missing). */
export const datapathOf = (view: View, name: string): string => view.byName('Bridge', name)?.datapath_type ?? '';
