// What a `network` nic needs of the network resource (NR) it plugs into, read from what the NR
// spec fixes (docs/overlay.md): the NR record in `nets.json` beside the nic state file (written
// by net.apply, replaced atomically, so a read needs no lock) and the kernel (the host bridge
// `b-<netid>` must exist). One small module so the lead can point it at the engine's own reader
// (overlay/nr-state.ts readNets) when merging: the record shape read here is the engine's.
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { badState, errnoOf, isMissingPath } from '../../lib/errors.ts';
import { getLink } from '../../lib/ip.ts';
import { SELF } from '../../lib/netns.ts';
import { parsePrefix4, v4Text, within4, type Prefix4 } from '../overlay/ipv4.ts';
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

/** `nets.json` beside the nic state file `statePath` (overlay/nr-state.ts netsPath). */
export const netsPathOf = (statePath: string): string => join(dirname(statePath), 'nets.json');

const obj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The record of `netid` in `path` (undefined when the file or the record is not there); ESTATE when the file is damaged. */
async function recordOf(path: string, netid: string): Promise<Record<string, unknown> | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (isMissingPath(err)) return undefined;
    throw badState(`${path} cannot be read as the NR state (${errnoOf(err) ?? String(err)})`, { path });
  }
  let v: unknown;
  try { v = JSON.parse(text); } catch { throw badState(`${path} is not JSON (the NR state is damaged)`, { path }); }
  if (!obj(v) || v.version !== 1 || !Array.isArray(v.nets)) throw badState(`${path} is not a version 1 NR state`, { path });
  const r = v.nets.find((x) => obj(x) && x.netid === netid);
  return r as Record<string, unknown> | undefined;
}

/**
 * The NR `netid` as a `network` nic needs it. ENOTFOUND naming `nic.id` when it has no record,
 * or its bridge is not on the host (an apply that has not made it yet); EBUSY while it is being
 * deleted; ESTATE when its record lacks what a nic needs.
 */
export async function readNetResource(statePath: string, netid: string): Promise<NetResource> {
  const path = netsPathOf(statePath);
  const r = await recordOf(path, netid);
  if (!r) throw nicNotFound(`nic.id: no network resource ${netid}`, { field: 'nic.id', netid });
  if (r.phase === 'deleting') throw nicBusy('nic.id', `network resource ${netid} is being deleted`, { netid });
  const doc = obj(r.doc) ? r.doc : {};
  const subnet = typeof doc.subnet === 'string' ? parsePrefix4(doc.subnet) : undefined;
  const range = typeof doc.ip_range === 'string' ? parsePrefix4(doc.ip_range) : undefined;
  const mtu = r.mtu;
  const mtuOk = typeof mtu === 'number' && Number.isInteger(mtu) && mtu >= 1280 && mtu <= 65535;
  if (subnet?.len !== 24 || range?.len !== 16 || !within4(subnet, range) || !mtuOk) {
    throw badState(`${path} is damaged: the record of ${netid} lacks a /24 subnet inside a /16 ip_range or an MTU 1280..65535`, { path, netid });
  }
  const bridge = `b-${netid}`;
  const l = await getLink(SELF, bridge);
  if (!l) throw nicNotFound(`nic.id: network resource ${netid} has no bridge ${bridge} on the host (not applied yet?)`, { field: 'nic.id', netid });
  if (l.linkinfo?.info_kind !== 'bridge') throw badState(`${bridge} exists on the host but is not a Linux bridge`, { netid });
  return {
    netid, bridge, subnet, ipRange: doc.ip_range as string, gateway: v4Text(subnet.net + 1),
    ula64: ulaSubnet(netid, subnet), ula48: ulaNetwork(netid), mtu,
  };
}
