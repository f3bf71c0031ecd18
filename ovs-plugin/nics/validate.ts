// Argument rules of the nic.* commands: syntax only (kinds, id per kind, MAC, CIDR, MTU,
// names, targets; a cidr's and gateway's addresses by the agent's ip= rule); what needs the system (target exists, name
// free, parent allowed) is each
// kind's prepare(). Every failure is EINVALID naming the field, before any change.
import { isIPv4, isIPv6 } from 'node:net';
import { ValidationError } from '../../lib/errors.ts';
import {
  parseCidr,
  parseHostCidr,
  parseIntInRange,
  parseIpAddress,
  parseLinkName,
  parseMac,
  typeName,
  parseVni,
} from '../../lib/validate.ts';
import { gatewayOnLink, gatewayProblem, notUnicastV4, notUnicastV6 } from '../../lib/unicast.ts';
import { parseNetid } from '../overlay/document.ts';
import { parseNetworkName } from '../fleet/args.ts';
import { argsObject, given, parseOptBool } from '../validate.ts';
import { assertNever, KINDS, type Kind, type NicConfig, type NicSpec, type TargetSpec } from './types.ts';

/** Linux allows 68 (IPv4 minimum) .. 65535; IPv6 needs 1280, checked where an address is v6. */
const MTU_MIN = 68;
const MTU_MAX = 65535;

/** Names the kernel or we use: never given to a nic inside (v1 refused `default` too). */
const RESERVED = new Set(['lo', 'default', 'all']);

/**
 * A netns or guest name: one safe path component (a name is a file in /run/netns, and callers name files after guests).
 */
const safeName = (v: unknown): v is string =>
  typeof v === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(v) && v !== '.' && v !== '..';

/** A target object: exactly one of netns / pid / kvm. */
export function parseTargetSpec(v: unknown, field = 'target'): TargetSpec {
  if (v === null || typeof v !== 'object' || Array.isArray(v))
    throw new ValidationError(field, `must be an object {netns} or {pid} or {kvm}, got ${typeName(v)}`);
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o);
  for (const k of keys)
    if (!['netns', 'pid', 'kvm'].includes(k)) throw new ValidationError(`${field}.${k.slice(0, 32)}`, 'unknown field');
  if (given(o.kvm)) {
    if (given(o.netns)) throw new ValidationError(field, 'give one of netns, pid, kvm');
    if (!safeName(o.kvm))
      throw new ValidationError(`${field}.kvm`, 'must be 1..64 characters of A-Z a-z 0-9 _ . -, not . or ..');
    return given(o.pid) ? { kvm: o.kvm, pid: parseIntInRange(`${field}.pid`, o.pid, 1, 2 ** 22) } : { kvm: o.kvm };
  }
  if (given(o.netns) && given(o.pid)) throw new ValidationError(field, 'give one of netns, pid, kvm');
  if (given(o.netns)) {
    if (!safeName(o.netns))
      throw new ValidationError(`${field}.netns`, 'must be 1..64 characters of A-Z a-z 0-9 _ . -, not . or ..');
    return { netns: o.netns };
  }
  if (given(o.pid)) return { pid: parseIntInRange(`${field}.pid`, o.pid, 1, 2 ** 22) };
  throw new ValidationError(field, 'needs netns, pid or kvm');
}

/** The `id` a kind takes: a tag, a VNI, a link name, or nothing. */
function kindId(type: Kind, v: unknown): string | number | undefined {
  const f = 'nic.id';
  const num = (x: unknown) => (typeof x === 'string' && /^\d{1,8}$/.test(x) ? Number(x) : x);
  switch (type) {
    case 'vlan':
      return parseIntInRange(f, num(v), 0, 4094);
    case 'vxlan':
      return parseVni(f, num(v));
    case 'bridge':
    case 'macvlan':
    case 'passthrough':
      return parseLinkName(f, v);
    case 'network':
      return parseNetid(f, v);
    case 'zerotier':
      return parseZtNetwork(f, v);
    case 'fleet':
      return parseNetworkName(f, v);
    case 'default':
      return undefined;
    default:
      return assertNever(type);
  }
}

/** A ZeroTier network id: 16 hex digits (the controller's node id and a network number), lower-case. */
function parseZtNetwork(field: string, v: unknown): string {
  if (typeof v !== 'string' || !/^[0-9a-fA-F]{16}$/.test(v))
    throw new ValidationError(field, `must be a ZeroTier network id (16 hex digits), got ${JSON.stringify(v)}`);
  return v.toLowerCase();
}

/** Most a zerotier nic's attach waits for its network (config.wait_ms). */
const ZT_WAIT_MAX = 600_000;

/** A zerotier nic's config: only `wait_ms` (ZeroTier's controller gives the addresses and routes). */
function zerotierConfig(v: unknown): NicConfig | undefined {
  if (!given(v)) return undefined;
  if (typeof v !== 'object' || Array.isArray(v))
    throw new ValidationError('nic.config', `must be an object, got ${typeName(v)}`);
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o))
    if (k !== 'wait_ms')
      throw new ValidationError(
        `nic.config.${k.slice(0, 32)}`,
        "a zerotier nic takes only wait_ms (its addresses are the network's)",
      );
  return given(o.wait_ms) ? { wait_ms: parseIntInRange('nic.config.wait_ms', o.wait_ms, 0, ZT_WAIT_MAX) } : {};
}

/** What a zerotier nic refuses: ZeroTier gives its MAC (from node and network ids) and MTU, and no DNS is written. */
function zerotierRefusals(o: Record<string, unknown>): void {
  const why: Record<string, string> = {
    hwaddr: "a zerotier nic's MAC is ZeroTier's (made from the node and network ids)",
    mtu: "a zerotier nic takes its network's MTU",
    root: 'a zerotier nic writes nothing into the root',
  };
  for (const [f, m] of Object.entries(why)) if (given(o[f])) throw new ValidationError(`nic.${f}`, m);
}

/** A unicast MAC, lower-case: a multicast or all-zero one is refused. */
function unicastMac(field: string, v: unknown): string {
  const m = parseMac(field, v);
  if ((parseInt(m.slice(0, 2), 16) & 1) === 1) throw new ValidationError(field, `${m} is a multicast address`);
  if (m === '00:00:00:00:00:00') throw new ValidationError(field, 'all-zero MAC');
  return m;
}

function config(v: unknown): NicConfig | undefined {
  if (!given(v)) return undefined;
  const o = argsObject(v, ['cidr', 'gateway', 'dns', 'dhcp'], []);
  const c: NicConfig = {};
  const host = given(o.cidr) ? parseHostCidr('nic.config.cidr', o.cidr) : undefined;
  if (host) c.cidr = o.cidr as string;
  if (given(o.gateway)) c.gateway = parseIpAddress('nic.config.gateway', o.gateway);
  if (given(o.dns)) {
    if (!Array.isArray(o.dns) || o.dns.length > 8)
      throw new ValidationError('nic.config.dns', 'must be an array of at most 8 IP addresses');
    c.dns = o.dns.map((x, i) => parseIpAddress(`nic.config.dns[${i}]`, x));
  }
  if (parseOptBool('nic.config.dhcp', o.dhcp)) c.dhcp = true;
  if (c.dhcp && c.cidr) throw new ValidationError('nic.config.dhcp', 'give dhcp or cidr, not both');
  if (c.gateway && host) {
    const { address, prefix, family } = host;
    if ((family === 4) !== isIPv4(c.gateway))
      throw new ValidationError('nic.config.gateway', `${c.gateway} is not of the address family of ${c.cidr}`);
    // The gateway rule of the agent's ip= (lib/unicast.ts); the route is installed without
    // `onlink`, so a gateway off the subnet is refused here rather than by the kernel midway.
    const why =
      gatewayProblem(c.gateway, address, prefix, family) ??
      (gatewayOnLink(c.gateway, address, prefix, family) ? undefined : `is outside ${address}/${prefix}`);
    if (why) throw new ValidationError('nic.config.gateway', `${c.gateway} ${why}`);
  } else if (c.gateway) {
    const why = isIPv4(c.gateway)
      ? notUnicastV4(c.gateway, { linkLocal: true })
      : notUnicastV6(c.gateway, { linkLocal: true });
    if (why) throw new ValidationError('nic.config.gateway', `${c.gateway} ${why}`);
  }
  return c;
}

/**
 * A network nic's config: only `cidr`, an IPv4 address of the NR's /24 written /24 (which /24 is
 * checked against the NR by the kind); it sets its own gateway, routes and addresses.
 */
function networkConfig(c: NicConfig): void {
  for (const f of ['gateway', 'dns', 'dhcp'] as const) {
    if (c[f] !== undefined)
      throw new ValidationError(
        `nic.config.${f}`,
        'a network nic takes its gateway and routes from its network resource',
      );
  }
  if (c.cidr && !/^\d+\.\d+\.\d+\.\d+\/24$/.test(c.cidr))
    throw new ValidationError(
      'nic.config.cidr',
      `${c.cidr} is not an IPv4 address/24 (a network nic's address is one of its network resource's /24)`,
    );
}

/** A nic object {type, id, hwaddr?, name?, mtu?, config?, root?}. */
export function parseNicSpec(v: unknown): NicSpec {
  if (v === null || typeof v !== 'object' || Array.isArray(v))
    throw new ValidationError('nic', `must be an object, got ${typeName(v)}`);
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o))
    if (!['type', 'id', 'hwaddr', 'name', 'mtu', 'queues', 'config', 'root'].includes(k))
      throw new ValidationError(`nic.${k.slice(0, 32)}`, 'unknown field');
  if (typeof o.type !== 'string' || !(KINDS as readonly string[]).includes(o.type)) {
    throw new ValidationError('nic.type', `must be one of ${KINDS.join(', ')}, got ${typeName(o.type)}`);
  }
  const type = o.type as Kind;
  if (type === 'zerotier') zerotierRefusals(o);
  if (type !== 'default' && !given(o.id)) throw new ValidationError('nic.id', `is required for type ${type}`);
  const spec: NicSpec = { type };
  const id = kindId(type, o.id);
  if (id !== undefined) spec.id = id;
  if (given(o.hwaddr)) spec.hwaddr = unicastMac('nic.hwaddr', o.hwaddr);
  if (given(o.name)) {
    const n = parseLinkName('nic.name', o.name);
    if (RESERVED.has(n)) throw new ValidationError('nic.name', `${n} is reserved`);
    spec.name = n;
  }
  // A network nic has its NR's MTU (kinds/network.ts), the path MTU every nic of the NR shares.
  if (type === 'network' && given(o.mtu))
    throw new ValidationError('nic.mtu', 'a network nic takes the MTU of its network resource');
  if (given(o.mtu)) spec.mtu = parseIntInRange('nic.mtu', o.mtu, MTU_MIN, MTU_MAX);
  // A tap's queue count (kvm guests): the kernel's MAX_TAP_QUEUES is 256.
  if (given(o.queues)) spec.queues = parseIntInRange('nic.queues', o.queues, 1, MAX_QUEUES);
  const c = type === 'zerotier' ? zerotierConfig(o.config) : config(o.config);
  if (c) {
    if (c.cidr && spec.mtu !== undefined && spec.mtu < 1280 && isIPv6(parseCidr('nic.config.cidr', c.cidr).address)) {
      throw new ValidationError('nic.mtu', 'IPv6 needs an MTU of at least 1280');
    }
    // The pool's address is a default nic's own (kinds/default.ts).
    if (c.cidr && type === 'default')
      throw new ValidationError('nic.config.cidr', 'a default nic takes its address from the NAT pool');
    if (type === 'network') networkConfig(c);
    // OVN could answer DHCP itself (DHCP_Options), but fleet mode does not configure it yet.
    if (type === 'fleet' && c.dhcp) throw new ValidationError('nic.config.dhcp', 'a fleet nic takes a static cidr');
    spec.config = c;
  }
  if (given(o.root)) {
    const root = o.root;
    if (typeof root !== 'string' || Buffer.byteLength(root) > 4096)
      throw new ValidationError('nic.root', `must be a path of at most 4096 bytes, got ${typeName(root)}`);
    if (!root.startsWith('/') || root.split('/').includes('..'))
      throw new ValidationError('nic.root', 'must be an absolute path without ..');
    spec.root = root;
  }
  return spec;
}

/** Most queues of one tap (linux/if_tun.h MAX_TAP_QUEUES). */
export const MAX_QUEUES = 256;

/** nic.attach {target, nic}, its fields checked against its declaration (commands/wire.ts). */
export function attachArgs(o: { target?: unknown; nic?: unknown }): { target: TargetSpec; nic: NicSpec } {
  const a = { target: parseTargetSpec(o.target), nic: parseNicSpec(o.nic) };
  if (a.nic.queues !== undefined && !('kvm' in a.target))
    throw new ValidationError('nic.queues', "only a kvm guest's tap has queues");
  return a;
}

/** nic.detach / nic.check {target, name, repair?}, their fields checked against their declarations. */
export function namedArgs(o: { target?: unknown; name?: unknown; repair?: unknown }): {
  target: TargetSpec;
  name: string;
  repair: boolean;
} {
  return {
    target: parseTargetSpec(o.target),
    name: parseLinkName('name', o.name),
    repair: parseOptBool('repair', o.repair),
  };
}

/** nic.list {target?}, its fields checked against its declaration. */
export function listArgs(o: { target?: unknown }): { target?: TargetSpec } {
  return given(o.target) ? { target: parseTargetSpec(o.target) } : {};
}
