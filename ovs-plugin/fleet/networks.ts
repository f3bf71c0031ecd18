// Fleet networks: one logical switch of ours per name in the NB (external_ids zos-owner), each
// made or removed in one transaction. With `vlan` it also holds a localnet port `ln-<name>` on
// the physical network `physnet` with that tag, so it meets the node-local VLAN of the same tag
// where a chassis maps physnet to a bridge (fleet.join bridge_mappings). Without, it is an
// overlay switch: OVN picks its tunnel key.
import { namedUuid, ovsSet, uuid } from '../ovsdb/notation.ts';
import { encodeNb } from '../ovsdb/ovn-rows.ts';
import { busy, conflict, notOwned } from '../planners/errors.ts';
import { OWNER, OWNER_KEY } from '../planners/view.ts';
import { isOurs, waitNoSwitch, waitSwitchPorts, type Ls, type NbPlan, type NbView } from './nb-plan.ts';

/** The physical network name a VLAN network's localnet port is on. */
export const PHYSNET = 'physnet';
/** The localnet port of network `name`. */
export const localnetName = (name: string): string => `ln-${name}`;

/** The answer of fleet.network-ensure. */
export interface NetworkResult {
  name: string;
  vlan?: number;
  /** False when it existed already, exactly so. */
  changed: boolean;
}

/** Our switch named `name`: undefined when none; ECONFLICT when it is not ours or the name is taken twice. */
export function ourSwitch(v: NbView, name: string, field = 'name'): Ls | undefined {
  const all = v.switchesNamed(name);
  if (all.length > 1) throw conflict(`${all.length} logical switches are named ${name}`, { field });
  const ls = all[0];
  if (ls && !isOurs(ls)) throw conflict(`logical switch ${name} exists and was not made by ovs-plugin`, { field });
  return ls;
}

/** The VLAN of our switch `ls`: its localnet port's tag, or undefined for an overlay switch. */
export function vlanOf(v: NbView, ls: Ls): number | undefined {
  const ln = v.portsOf(ls).find((p) => p.name === localnetName(ls.name) && p.type === 'localnet');
  return ln?.tag;
}

/** The planner of fleet.network-ensure {name, vlan?}. */
export const planNetworkEnsure =
  (name: string, vlan: number | undefined) =>
  (v: NbView): NbPlan<NetworkResult> => {
    const result = { name, ...(vlan !== undefined ? { vlan } : {}) };
    const ls = ourSwitch(v, name);
    if (ls) {
      const has = vlanOf(v, ls);
      if (has !== vlan)
        throw conflict(`network ${name} exists ${has === undefined ? 'without a VLAN' : `with vlan ${has}`}`, {
          field: 'vlan',
        });
      return { ops: [waitSwitchPorts(ls)], result: { ...result, changed: false } };
    }
    const ours = { [OWNER_KEY]: OWNER };
    const ops = [waitNoSwitch(name)];
    const ports = [];
    if (vlan !== undefined) {
      ops.push({
        op: 'insert',
        table: 'Logical_Switch_Port',
        'uuid-name': 'ln',
        row: encodeNb('Logical_Switch_Port', {
          name: localnetName(name),
          type: 'localnet',
          addresses: ['unknown'],
          options: new Map([['network_name', PHYSNET]]),
          tag: vlan,
          external_ids: new Map(Object.entries(ours)),
        }),
      });
      ports.push(namedUuid('ln'));
    }
    ops.push({
      op: 'insert',
      table: 'Logical_Switch',
      row: {
        ...encodeNb('Logical_Switch', { name, external_ids: new Map(Object.entries(ours)) }),
        ports: ovsSet(ports),
      },
    });
    return { ops, result: { ...result, changed: true } };
  };

/** The planner of fleet.network-del {name}: gone is success; EBUSY while ports other than its localnet remain. */
export const planNetworkDel =
  (name: string) =>
  (v: NbView): NbPlan<null> => {
    const all = v.switchesNamed(name);
    if (all.length === 0) return { ops: [waitNoSwitch(name)], result: null };
    const ls = all.find(isOurs);
    if (!ls) throw notOwned(`logical switch ${name} was not made by ovs-plugin`, { field: 'name' });
    const others = v.portsOf(ls).filter((p) => p.name !== localnetName(name));
    if (others.length)
      throw busy(`network ${name} still has ${others.length} port(s): ${others.map((p) => p.name).join(', ')}`, {
        field: 'name',
      });
    // Its ports are not a root table: the localnet port goes with the switch (RFC 7047 3.2 isRoot).
    return {
      ops: [waitSwitchPorts(ls), { op: 'delete', table: 'Logical_Switch', where: [['_uuid', '==', uuid(ls._uuid)]] }],
      result: null,
    };
  };
