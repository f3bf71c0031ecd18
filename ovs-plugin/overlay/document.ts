// The Zero-OS v3 `network` workload document (one node's network resource) as the tfgrid
// clients write it, and the netid that names it. Validated whole before anything uses it: the
// node side (`net.apply`) and the mesh planner share these rules, so a planned document is one
// a node accepts. Every error names the field (`network.peers[2].endpoint`).
import { isIPv4, isIPv6 } from 'node:net';
import { ValidationError } from '../../lib/errors.ts';
import { notUnicastV4, notUnicastV6 } from '../../lib/unicast.ts';
import { parseCidr, parseIntInRange, typeName } from '../../lib/validate.ts';
import { isPrivateSlash16, overlap4, parsePrefix4, within4, type Prefix4 } from './ipv4.ts';
import { isWgKey, publicKeyOf } from './plan-keys.ts';

/** One peer of an NR: another node's NR or a laptop. `endpoint` absent: the peer dials in. */
export interface NetworkPeer {
  readonly subnet: string;
  readonly wireguard_public_key: string;
  readonly allowed_ips: readonly string[];
  readonly endpoint?: string;
}

/** One node's NR: the fields of Zero-OS's `Network` workload this build takes. */
export interface NetworkDocument {
  readonly ip_range: string;
  readonly subnet: string;
  readonly wireguard_private_key: string;
  readonly wireguard_listen_port: number;
  readonly peers: readonly NetworkPeer[];
}

/** Zero-OS's NetID: 1..13 characters of [A-Za-z0-9], so `n-<netid>` fits IFNAMSIZ - 1. */
export function parseNetid(field: string, v: unknown): string {
  if (typeof v !== 'string' || !/^[A-Za-z0-9]{1,13}$/.test(v)) {
    throw new ValidationError(
      field,
      (typeof v === 'string' ? JSON.stringify(v.slice(0, 40)) : typeName(v)) +
        ' is not a netid (1..13 characters of A-Z a-z 0-9)',
    );
  }
  return v;
}

/** A tenant ip_range: a /16 of RFC 1918, written as its network address. */
export function parseIpRange(field: string, v: unknown): Prefix4 {
  const p = typeof v === 'string' ? parsePrefix4(v) : undefined;
  if (!p || !isPrivateSlash16(p)) {
    throw new ValidationError(
      field,
      (typeof v === 'string' ? JSON.stringify(v.slice(0, 40)) : typeName(v)) +
        ' is not a /16 of RFC 1918 written as its network address (10.20.0.0/16, 172.16.0.0/16, 192.168.0.0/16)',
    );
  }
  return p;
}

/** An NR's /24 inside `range`, written as its network address. */
export function parseSubnet(field: string, v: unknown, range: Prefix4, rangeText: string): Prefix4 {
  const p = typeof v === 'string' ? parsePrefix4(v) : undefined;
  if (p?.len !== 24 || !within4(p, range)) {
    throw new ValidationError(
      field,
      (typeof v === 'string' ? JSON.stringify(v.slice(0, 40)) : typeName(v)) +
        ` is not a /24 inside ip_range ${rangeText}, written as its network address`,
    );
  }
  return p;
}

/** A WireGuard key: 32 bytes in standard base64. */
export function parseKey(field: string, v: unknown): string {
  if (!isWgKey(v))
    throw new ValidationError(field, 'is not a WireGuard key (32 bytes in standard base64, 44 characters)');
  return v;
}

/** A WireGuard endpoint `ip:port` or `[v6]:port` with a unicast address; "" means none (as Zero-OS writes it). */
export function parseEndpoint(field: string, v: unknown): string | undefined {
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'string')
    throw new ValidationError(field, `must be a string "ip:port" or "[v6]:port", got ${typeName(v)}`);
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([0-9.]+)):(\d{1,5})$/.exec(v);
  const ip = m?.[1] ?? m?.[2];
  const ok = m && (m[1] ? isIPv6(m[1]) : isIPv4(m[2]!));
  if (!ok) throw new ValidationError(field, `${JSON.stringify(v.slice(0, 60))} is not "ip:port" or "[v6]:port"`);
  const why = m[1] ? notUnicastV6(ip!) : notUnicastV4(ip!);
  if (why) throw new ValidationError(field, `${ip} ${why}`);
  if (!/^[1-9]\d*$/.test(m[3]!)) throw new ValidationError(field, `port ${m[3]} is not a port 1..65535`);
  parseIntInRange(field, Number(m[3]), 1, 65535);
  return v;
}

function object(
  field: string,
  v: unknown,
  members: readonly string[],
  required: readonly string[],
): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new ValidationError(field, `must be an object, got ${typeName(v)}`);
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o))
    if (!members.includes(k))
      throw new ValidationError(`${field}.${k}`, `unknown member (known: ${members.join(', ')})`);
  for (const k of required) if (o[k] === undefined) throw new ValidationError(`${field}.${k}`, 'is required');
  return o;
}

/** At most this many peers per NR (wireguard-go's limit is 65536; 4096 keeps one document small). */
export const MAX_PEERS = 4096;

/**
 * Validates a `network` document whole, naming the field of the first problem: ip_range a /16
 * of RFC 1918; subnet a /24 in it; keys 32 bytes of base64; listen port 1..65535; each peer's
 * subnet a /24 in ip_range that overlaps neither ours nor another peer's, a key that is neither
 * ours nor another peer's, allowed_ips a non-empty list of prefixes, endpoint `ip:port` /
 * `[v6]:port` or none.
 */
export function parseNetworkDocument(raw: unknown, field = 'network'): NetworkDocument {
  const PEER = ['subnet', 'wireguard_public_key', 'allowed_ips', 'endpoint'];
  const o = object(
    field,
    raw,
    ['ip_range', 'subnet', 'wireguard_private_key', 'wireguard_listen_port', 'peers'],
    ['ip_range', 'subnet', 'wireguard_private_key', 'wireguard_listen_port', 'peers'],
  );
  const range = parseIpRange(`${field}.ip_range`, o.ip_range);
  const ownSubnet = parseSubnet(`${field}.subnet`, o.subnet, range, o.ip_range as string);
  const privateKey = parseKey(`${field}.wireguard_private_key`, o.wireguard_private_key);
  const port = parseIntInRange(`${field}.wireguard_listen_port`, o.wireguard_listen_port, 1, 65535);
  if (!Array.isArray(o.peers))
    throw new ValidationError(`${field}.peers`, `must be an array, got ${typeName(o.peers)}`);
  if (o.peers.length > MAX_PEERS)
    throw new ValidationError(`${field}.peers`, `${o.peers.length} peers: at most ${MAX_PEERS}`);
  const ownKey = publicKeyOf(privateKey);
  // Every subnet is a /24 (parseSubnet): two overlap exactly when their network addresses are equal.
  const subnets = new Map<number, number>();
  const keys = new Map<string, number>();
  const peers = o.peers.map((rp: unknown, i): NetworkPeer => {
    const f = `${field}.peers[${i}]`;
    const p = object(f, rp, PEER, ['subnet', 'wireguard_public_key', 'allowed_ips']);
    const subnet = parseSubnet(`${f}.subnet`, p.subnet, range, o.ip_range as string);
    if (overlap4(subnet, ownSubnet))
      throw new ValidationError(`${f}.subnet`, `${p.subnet as string} is this NR's own subnet`);
    const key = parseKey(`${f}.wireguard_public_key`, p.wireguard_public_key);
    if (key === ownKey) throw new ValidationError(`${f}.wireguard_public_key`, "is this NR's own public key");
    const other = subnets.get(subnet.net);
    if (other !== undefined)
      throw new ValidationError(`${f}.subnet`, `${p.subnet as string} overlaps peers[${other}].subnet`);
    const holder = keys.get(key);
    if (holder !== undefined) throw new ValidationError(`${f}.wireguard_public_key`, `is peers[${holder}]'s key too`);
    subnets.set(subnet.net, i);
    keys.set(key, i);
    if (!Array.isArray(p.allowed_ips) || p.allowed_ips.length === 0) {
      throw new ValidationError(
        `${f}.allowed_ips`,
        `must be a non-empty array of prefixes, got ${typeName(p.allowed_ips)}`,
      );
    }
    const allowed = p.allowed_ips.map((a: unknown, j) => {
      parseCidr(`${f}.allowed_ips[${j}]`, a);
      return a as string;
    });
    const endpoint = parseEndpoint(`${f}.endpoint`, p.endpoint);
    return {
      subnet: p.subnet as string,
      wireguard_public_key: key,
      allowed_ips: allowed,
      ...(endpoint ? { endpoint } : {}),
    };
  });
  return {
    ip_range: o.ip_range as string,
    subnet: o.subnet as string,
    wireguard_private_key: privateKey,
    wireguard_listen_port: port,
    peers,
  };
}
