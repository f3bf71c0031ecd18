// Argument rules of the fleet.* commands, syntax only (what needs the system, an encap IP on this
// node or a mapped bridge that exists, is checked by the command before its transaction). Every
// failure is EINVALID naming the field, before anything is read or changed.
import { isIP } from 'node:net';
import { ValidationError } from '../../lib/errors.ts';
import { parseIpAddress, parseVlanId, typeName } from '../../lib/validate.ts';
import { given } from '../validate.ts';

/** The tunnel encapsulations a chassis may offer (ovn-controller(8) `ovn-encap-type`). */
export const ENCAPS = ['geneve', 'vxlan'] as const;
/** One encapsulation. */
export type Encap = (typeof ENCAPS)[number];

/** One OVSDB remote as `ovn-remote` takes it: `tcp:HOST:PORT`, `ssl:HOST:PORT`, `unix:PATH`. */
export interface Remote {
  kind: 'tcp' | 'ssl' | 'unix';
  /** As given (the text ovn-remote and our client take). */
  text: string;
}

const HOST = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]{1,253})):(\d{1,5})$/;

function remote(field: string, t: string): Remote {
  if (t.startsWith('unix:')) {
    const path = t.slice(5);
    if (!path.startsWith('/') || path.length > 107 || /[\s,]/.test(path))
      throw new ValidationError(field, `${JSON.stringify(t)}: unix: needs an absolute socket path (<= 107 bytes)`);
    return { kind: 'unix', text: t };
  }
  const m = /^(tcp|ssl):(.*)$/.exec(t);
  const h = m ? HOST.exec(m[2]!) : null;
  const port = h ? Number(h[3]) : 0;
  if (!m || !h || port < 1 || port > 65535 || (h[1] !== undefined && isIP(h[1]) !== 6))
    throw new ValidationError(
      field,
      `${JSON.stringify(t.slice(0, 80))} is not an OVSDB address (tcp:HOST:PORT, ssl:HOST:PORT, unix:PATH)`,
    );
  return { kind: m[1] as 'tcp' | 'ssl', text: t };
}

/** `nb` / `sb`: one or more OVSDB remotes, comma-separated as `ovn-remote` takes them. */
export function parseRemotes(field: string, v: unknown): Remote[] {
  if (typeof v !== 'string' || v === '' || v.length > 4096)
    throw new ValidationError(field, `must be a string of OVSDB addresses, got ${typeName(v)}`);
  const list = v.split(',').map((t) => remote(field, t));
  if (list.length > 16) throw new ValidationError(field, 'at most 16 addresses');
  return list;
}

/** The remotes our own client can reach: tcp: and unix: (it has no TLS yet); EINVALID when there is none. */
export function reachable(field: string, list: readonly Remote[]): string[] {
  const out = list.filter((r) => r.kind !== 'ssl').map((r) => r.text);
  if (!out.length)
    throw new ValidationError(field, 'the plugin talks to this database itself and speaks tcp: and unix: only');
  return out;
}

/** `encap`: geneve (default) or vxlan. */
export function parseEncap(v: unknown): Encap {
  if (!given(v)) return 'geneve';
  if (typeof v !== 'string' || !(ENCAPS as readonly string[]).includes(v))
    throw new ValidationError('encap', `must be one of ${ENCAPS.join(', ')}, got ${JSON.stringify(v)?.slice(0, 40)}`);
  return v as Encap;
}

/** `encap_ip`: a unicast address (that it is on this node is checked by fleet.join). */
export const parseEncapIp = (v: unknown): string => parseIpAddress('encap_ip', v);

/** One `physnet:bridge` pair of `bridge_mappings`. */
export interface Mapping {
  network: string;
  bridge: string;
}

const WORD = /^[A-Za-z0-9_.-]{1,64}$/;
const BRIDGE = /^[A-Za-z0-9_.-]{1,15}$/;

/** `bridge_mappings`: `physnet:bridge[,...]` (ovn-controller(8) `ovn-bridge-mappings`), each network once. */
export function parseMappings(v: unknown): Mapping[] | undefined {
  if (!given(v)) return undefined;
  if (typeof v !== 'string' || v === '' || v.length > 2048)
    throw new ValidationError('bridge_mappings', `must be a string physnet:bridge[,...], got ${typeName(v)}`);
  const seen = new Set<string>();
  return v.split(',').map((pair) => {
    const [network, bridge, extra] = pair.split(':');
    if (extra !== undefined || !network || !bridge || !WORD.test(network) || !BRIDGE.test(bridge))
      throw new ValidationError('bridge_mappings', `${JSON.stringify(pair.slice(0, 80))} is not physnet:bridge`);
    if (seen.has(network)) throw new ValidationError('bridge_mappings', `network ${network} is mapped twice`);
    seen.add(network);
    return { network, bridge };
  });
}

/** `hostname`: what the chassis is called in the SB (ovn-controller's `external_ids:hostname`). */
export function parseHostname(v: unknown): string | undefined {
  if (!given(v)) return undefined;
  if (typeof v !== 'string' || !/^[A-Za-z0-9]([A-Za-z0-9.-]{0,62})$/.test(v))
    throw new ValidationError('hostname', 'must be 1..63 characters of A-Z a-z 0-9 . - (a host name)');
  return v;
}

/** A fleet network's name: a logical switch name of ours, 1..32 characters of A-Z a-z 0-9 _ . - */
export function parseNetworkName(field: string, v: unknown): string {
  if (typeof v !== 'string' || !/^[A-Za-z0-9_.-]{1,32}$/.test(v))
    throw new ValidationError(field, `must be 1..32 characters of A-Z a-z 0-9 _ . -, got ${typeName(v)}`);
  return v;
}

/** A fleet network's `vlan`: 1..4094, the tag of its localnet port on `physnet`. */
export const parseNetworkVlan = (v: unknown): number | undefined => (given(v) ? parseVlanId('vlan', v) : undefined);
