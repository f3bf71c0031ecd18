// What a `network` nic needs of the network resource (NR) it plugs into: the NR record in
// `nets.json` beside the nic state file (overlay/nr-state.ts; written by net.apply, replaced
// atomically, so a read needs no lock) and the kernel (the host bridge `b-<netid>` must exist).
import { badState } from '../../lib/errors.ts';
import { getLink } from '../../lib/ip.ts';
import { SELF } from '../../lib/netns.ts';
import { parsePrefix4, v4Text, type Prefix4 } from '../overlay/ipv4.ts';
import { findNr, netsPath, readNets } from '../overlay/nr-state.ts';
import { ulaNetwork, ulaSubnet } from '../overlay/ula.ts';
import { nicBusy, nicNotFound } from './errors.ts';

/** What a workload nic of NR `netid` is given. */
export interface NetResource {
  netid: string;
  /** The host bridge the workloads' host ends join: `b-<netid>`. */
  bridge: string;
  /** The NR's /24 (`doc.subnet`). */
  subnet: Prefix4;
  /** The network's /16 (`doc.ip_range`), routed through the gateway. */
  ipRange: string;
  /** `<subnet>.1`, the NR's side on the bridge. */
  gateway: string;
  /** The NR's ULA /64 (`fdXX:XXXX:XXXX:<b3>::/64`); its `::1` is the IPv6 gateway. */
  ula64: string;
  /** The network's ULA /48, routed through the IPv6 gateway. */
  ula48: string;
  /** The NR's MTU (its WireGuard link's, bridge's and every workload's). */
  mtu: number;
}

/**
 * The NR `netid` as a `network` nic needs it. ENOTFOUND naming `nic.id` when it has no record,
 * or its bridge is not on the host (an apply that has not made it yet); EBUSY while it is being
 * deleted; ESTATE when its record lacks what a nic needs.
 */
export async function readNetResource(statePath: string, netid: string): Promise<NetResource> {
  const path = netsPath(statePath);
  const r = findNr(await readNets(path), netid);
  if (!r) throw nicNotFound(`nic.id: no network resource ${netid}`, { field: 'nic.id', netid });
  if (r.phase === 'deleting') throw nicBusy('nic.id', `network resource ${netid} is being deleted`, { netid });
  // readNets checked the record's shape (the document as net.apply validated it, the MTU).
  const subnet = parsePrefix4(r.doc.subnet)!;
  const mtu = r.mtu;
  const bridge = `b-${netid}`;
  const l = await getLink(SELF, bridge);
  if (!l)
    throw nicNotFound(`nic.id: network resource ${netid} has no bridge ${bridge} on the host (not applied yet?)`, {
      field: 'nic.id',
      netid,
    });
  if (l.linkinfo?.info_kind !== 'bridge')
    throw badState(`${bridge} exists on the host but is not a Linux bridge`, { netid });
  return {
    netid,
    bridge,
    subnet,
    ipRange: r.doc.ip_range,
    gateway: v4Text(subnet.net + 1),
    ula64: ulaSubnet(netid, subnet),
    ula48: ulaNetwork(netid),
    mtu,
  };
}
