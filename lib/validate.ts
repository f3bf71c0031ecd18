// Validators for input from outside. Each throws ValidationError naming the field; none changes
// anything. Shared by the agent (kernel command line, flags) and the plugin (JSON commands).
import { isIPv4, isIPv6 } from 'node:net';
import { ValidationError } from './errors.ts';
import { hostAddressProblem } from './unicast.ts';

/** Linux interface names: 1..15 bytes (IFNAMSIZ - 1) of [A-Za-z0-9_.-], not "." or "..". */
export function parseLinkName(field: string, v: unknown): string {
  if (typeof v !== 'string') throw new ValidationError(field, `must be a string, got ${typeName(v)}`);
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(v) || v === '.' || v === '..') {
    throw new ValidationError(
      field,
      `${JSON.stringify(v.slice(0, 40))} is not a valid interface name (1..15 characters of A-Z a-z 0-9 _ . -)`,
    );
  }
  return v;
}

/** An integer within [min, max]. */
export function parseIntInRange(field: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v))
    throw new ValidationError(field, `must be an integer, got ${typeName(v)}`);
  if (v < min || v > max) throw new ValidationError(field, `${v} is out of range ${min}..${max}`);
  return v;
}

/** 802.1Q VLAN ids: 0 and 4095 are reserved (IEEE 802.1Q 9.6), so a VLAN is 1..4094. */
const VLAN_MIN = 1;
const VLAN_MAX = 4094;

/** A VLAN (802.1Q sub-interface, bridge VLAN, kernel command line): 1..4094; 0 is not a VLAN. */
export const parseVlanId = (field: string, v: unknown): number => parseIntInRange(field, v, VLAN_MIN, VLAN_MAX);

/** An OVS port tag: 0 (untagged) or a VLAN 1..4094, as the plugin's commands take it. */
export const parseVlanTag = (field: string, v: unknown): number => parseIntInRange(field, v, 0, VLAN_MAX);

/**
 * A VLAN written as text (kernel command line `vlan:priv=`): `none` or `untagged` for no VLAN
 * (undefined), else decimal digits naming a VLAN 1..4094.
 */
export function parseVlanText(field: string, v: string): number | undefined {
  if (v === 'none' || v === 'untagged') return undefined;
  if (!/^\d{1,4}$/.test(v) || Number(v) < VLAN_MIN || Number(v) > VLAN_MAX) {
    throw new ValidationError(
      field,
      `${JSON.stringify(v)} is not a VLAN id ${VLAN_MIN}..${VLAN_MAX}, "none" or "untagged"`,
    );
  }
  return Number(v);
}

/** VXLAN network identifier: 1 .. 2^24 - 1. */
export const parseVni = (field: string, v: unknown): number => parseIntInRange(field, v, 1, 16777215);

/** True for a MAC address written `aa:bb:cc:dd:ee:ff` (either case). */
export const isMac = (v: unknown): v is string =>
  typeof v === 'string' && /^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$/.test(v);

/** A MAC address `aa:bb:cc:dd:ee:ff`, returned lower-case. */
export function parseMac(field: string, v: unknown): string {
  if (!isMac(v)) {
    throw new ValidationError(field, `${JSON.stringify(v)} is not a MAC address (aa:bb:cc:dd:ee:ff)`);
  }
  return v.toLowerCase();
}

/** An IPv4 or IPv6 address. */
export function parseIpAddress(field: string, v: unknown, family?: 4 | 6): string {
  const ok = typeof v === 'string' && (family === 4 ? isIPv4(v) : family === 6 ? isIPv6(v) : isIPv4(v) || isIPv6(v));
  if (!ok) throw new ValidationError(field, `${JSON.stringify(v)} is not an IPv${family ?? '4 or IPv6'} address`);
  return v as string;
}

/**
 * A prefix length written in decimal (`24`): a leading zero is refused, not read: iproute2 reads
 * `024` as octal (/20), so what is reported would not be what is applied.
 */
export function parsePrefixText(v: string): number | undefined {
  return /^(0|[1-9]\d{0,2})$/.test(v) ? Number(v) : undefined;
}

/** `address/prefix` with the prefix in range for the family (nic config, the NAT pool). */
export function parseCidr(field: string, v: unknown): { address: string; prefix: number; family: 4 | 6 } {
  if (typeof v !== 'string') throw new ValidationError(field, `must be a string like 10.0.0.2/24, got ${typeName(v)}`);
  const m = /^([^/]+)\/(\d+)$/.exec(v);
  const family = m && isIPv4(m[1]!) ? 4 : m && isIPv6(m[1]!) ? 6 : 0;
  const prefix = m ? parsePrefixText(m[2]!) : undefined;
  if (!family || prefix === undefined || prefix > (family === 4 ? 32 : 128)) {
    throw new ValidationError(
      field,
      `${JSON.stringify(v.slice(0, 60))} is not an address/prefix (decimal prefix without leading zeros)`,
    );
  }
  return { address: m![1]!, prefix, family: family as 4 | 6 };
}

/**
 * A host's own `address/prefix` (nic config): a cidr whose address is a unicast host address of
 * its subnet (lib/unicast.ts, the rule ip= uses): not 0.0.0.0/8, loopback, multicast, the
 * subnet's network or broadcast address; /0 is no subnet.
 */
export function parseHostCidr(field: string, v: unknown): { address: string; prefix: number; family: 4 | 6 } {
  const c = parseCidr(field, v);
  if (c.prefix === 0) throw new ValidationError(field, `${v as string}: a /0 is no subnet`);
  const why = hostAddressProblem(c.address, c.prefix, c.family, { linkLocal: true });
  if (why) throw new ValidationError(field, `${c.address} ${why}`);
  return c;
}

/** Prefix length of a dotted IPv4 netmask (255.255.255.0 -> 24); undefined unless contiguous. */
export function prefixOfNetmask(v: string): number | undefined {
  if (!isIPv4(v)) return undefined;
  const n = v.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  const prefix = 32 - Math.log2(2 ** 32 - n);
  return Number.isInteger(prefix) ? prefix : undefined;
}

/** Dotted IPv4 netmask (255.255.255.0) to its prefix length; rejects non-contiguous masks. */
export function netmaskToPrefix(field: string, v: string): number {
  if (!isIPv4(v)) throw new ValidationError(field, `${JSON.stringify(v)} is not a netmask`);
  const prefix = prefixOfNetmask(v);
  if (prefix === undefined) throw new ValidationError(field, `${v} is not a contiguous netmask`);
  return prefix;
}

/** A short description of a value's type for messages. */
export function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)?.slice(0, 40)}`;
}
