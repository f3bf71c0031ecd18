// A fleet nic's logical port in the NB: made on its network's switch with the nic's MAC and
// address (`addresses`, and the same as `port_security`, so the port drops frames from any
// other source MAC or IP), pinned to this chassis (`options:requested-chassis`), tagged as ours
// with the nic's record key and chassis; removed only when it is ours and that nic's. One
// transaction each, guarded by the switch's port set (a MAC or address taken meanwhile is seen
// on the re-plan).
import { ovsSet, namedUuid, uuid } from '../ovsdb/notation.ts';
import { encodeNb } from '../ovsdb/ovn-rows.ts';
import { conflict, exists, notFound, notOwned } from '../planners/errors.ts';
import { OWNER, OWNER_KEY } from '../planners/view.ts';
import { isOurs, waitSwitchPorts, type Ls, type Lsp, type NbPlan, type NbView } from './nb-plan.ts';
import { ourSwitch } from './networks.ts';

/** external_ids key of a fleet nic's logical port: the nic's record key. */
export const LPORT_NIC = 'zos-nic';
/** external_ids key of a fleet nic's logical port: the chassis that made it (gc touches its own only). */
export const LPORT_CHASSIS = 'zos-chassis';

/** What a logical port is made from. */
export interface LportSpec {
  network: string;
  name: string;
  mac: string;
  /** The nic's address without prefix, if it has one. */
  ip?: string;
  chassis: string;
  /** The nic's record key. */
  key: string;
}

/** The `addresses` / `port_security` entry of a nic: "MAC [IP]" (ovn-nb(5)). */
export const addressEntry = (s: Pick<LportSpec, 'mac' | 'ip'>): string => (s.ip ? `${s.mac} ${s.ip}` : s.mac);

/** True when logical port `p` is the one of nic `key`. */
export const isNicLport = (p: Lsp, key: string): boolean => isOurs(p) && p.external_ids.get(LPORT_NIC) === key;

/** The MAC and IPs of a port's `addresses` entries (dynamic and router entries ignored). */
function held(p: Lsp): { macs: Set<string>; ips: Set<string> } {
  const macs = new Set<string>();
  const ips = new Set<string>();
  for (const e of p.addresses) {
    const [mac, ...rest] = e.split(/\s+/);
    if (mac && /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(mac)) macs.add(mac.toLowerCase());
    for (const ip of rest) ips.add(ip.split('/')[0]!);
  }
  return { macs, ips };
}

/** True when port `p` still has the addresses, port security and chassis `s` gives it. */
export const lportAsMade = (p: Lsp, s: LportSpec): boolean =>
  p.addresses.length === 1 &&
  p.addresses[0] === addressEntry(s) &&
  p.port_security.length === 1 &&
  p.port_security[0] === addressEntry(s) &&
  p.options.get('requested-chassis') === s.chassis;

/** EEXIST naming the field when another port of `ls` already holds the MAC or the address. */
export function refuseClash(v: NbView, ls: Ls, s: Pick<LportSpec, 'mac' | 'ip' | 'name'>): void {
  for (const p of v.portsOf(ls)) {
    if (p.name === s.name) continue;
    const h = held(p);
    if (h.macs.has(s.mac.toLowerCase()))
      throw exists(`nic.hwaddr: ${s.mac} is on port ${p.name} of network ${ls.name}`, { field: 'nic.hwaddr' });
    if (s.ip && h.ips.has(s.ip))
      throw exists(`nic.config.cidr: ${s.ip} is on port ${p.name} of network ${ls.name}`, {
        field: 'nic.config.cidr',
      });
  }
}

/** Our switch of network `name` for a nic: ENOTFOUND naming nic.id when there is none. */
export function nicSwitch(v: NbView, network: string): Ls {
  const ls = ourSwitch(v, network, 'nic.id');
  if (!ls)
    throw notFound(`nic.id: fleet network ${network} does not exist (fleet.network-ensure)`, { field: 'nic.id' });
  return ls;
}

/** The planner that makes the logical port of `s`; the same port there already is success. */
export const planLportEnsure =
  (s: LportSpec) =>
  (v: NbView): NbPlan<null> => {
    const ls = nicSwitch(v, s.network);
    const entry = addressEntry(s);
    const there = v.portNamed(s.name);
    if (there) {
      if (!isNicLport(there, s.key) || v.switchOf(there._uuid)?._uuid !== ls._uuid)
        throw conflict(`logical port ${s.name} exists and is not this nic's on ${s.network}`, { port: s.name });
      if (lportAsMade(there, s)) return { ops: [waitSwitchPorts(ls)], result: null };
      // Drifted (nic.check repair): its addresses, port security and chassis put back.
      refuseClash(v, ls, s);
      const row = encodeNb('Logical_Switch_Port', {
        addresses: [entry],
        port_security: [entry],
        options: new Map([...there.options, ['requested-chassis', s.chassis]]),
      });
      return {
        ops: [
          waitSwitchPorts(ls),
          { op: 'update', table: 'Logical_Switch_Port', where: [['_uuid', '==', uuid(there._uuid)]], row },
        ],
        result: null,
      };
    }
    refuseClash(v, ls, s);
    return {
      ops: [
        waitSwitchPorts(ls),
        {
          op: 'insert',
          table: 'Logical_Switch_Port',
          'uuid-name': 'lsp',
          row: encodeNb('Logical_Switch_Port', {
            name: s.name,
            addresses: [entry],
            port_security: [entry],
            options: new Map([['requested-chassis', s.chassis]]),
            external_ids: new Map([
              [OWNER_KEY, OWNER],
              [LPORT_NIC, s.key],
              [LPORT_CHASSIS, s.chassis],
            ]),
          }),
        },
        {
          op: 'mutate',
          table: 'Logical_Switch',
          where: [['_uuid', '==', uuid(ls._uuid)]],
          mutations: [['ports', 'insert', ovsSet([namedUuid('lsp')])]],
        },
      ],
      result: null,
    };
  };

/** The planner that removes logical port `name` of nic `key`; gone is success; someone else's is ENOTOWNED. */
export const planLportDel =
  (name: string, key: string) =>
  (v: NbView): NbPlan<boolean> => {
    const p = v.portNamed(name);
    if (!p) return { ops: [], result: false };
    if (!isNicLport(p, key)) throw notOwned(`logical port ${name} is not the port of nic ${key}`, { port: name });
    const ls = v.switchOf(p._uuid);
    if (!ls) return { ops: [], result: false };
    return {
      ops: [
        waitSwitchPorts(ls),
        {
          op: 'mutate',
          table: 'Logical_Switch',
          where: [['_uuid', '==', uuid(ls._uuid)]],
          mutations: [['ports', 'delete', ovsSet([uuid(p._uuid)])]],
        },
      ],
      result: true,
    };
  };

/** The logical ports of ours made for nics on `chassis` (gc's candidates): name and nic key. */
export const chassisLports = (v: NbView, chassis: string): { name: string; key: string }[] =>
  v
    .ports()
    .filter((p) => isOurs(p) && p.external_ids.get(LPORT_CHASSIS) === chassis && p.external_ids.has(LPORT_NIC))
    .map((p) => ({ name: p.name, key: p.external_ids.get(LPORT_NIC)! }));
