// The mesh planner's plan: a tenant network (name, netid, ip_range), its nodes and its laptop
// accesses, with every choice that must not change later written down (subnets, keys, ports,
// relays). Pure functions: each takes a plan and returns the next one, validating its input
// first (errors name the CLI flag), so a refused change leaves nothing half done. Key making is
// passed in (`KeySource`) so tests can plan deterministically. Documents: plan-documents.ts.
import { createHash } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import { conflict, exists, noFreeSubnet, notFound, busy, ValidationError } from '../../lib/errors.ts';
import { notUnicastV4, notUnicastV6 } from '../../lib/unicast.ts';
import { parseIntInRange, typeName } from '../../lib/validate.ts';
import { parseIpRange } from './document.ts';
import { parsePrefix4, prefixText4, v4Value, within4, WIRE_RANGE } from './ipv4.ts';
import { generateKeyPair, type WgKeyPair } from './plan-keys.ts';

/** The plan file's format version; another one is refused (EPLAN), never guessed at. */
export const PLAN_VERSION = 1;

/** One node's NR. `endpoints`: its public addresses (at most one IPv4, one IPv6); none: a hidden node. */
export interface PlanNode {
  readonly id: string;
  readonly endpoints: readonly string[];
  readonly subnet: string;
  readonly private_key: string;
  readonly port: number;
  /** A hidden node's relay (a public node's id), kept until that node leaves; none while no node is public. */
  readonly relay?: string;
}

/** A laptop's access through public node `node` (its entrypoint). Its private key lives only here. */
export interface PlanAccess {
  readonly name: string;
  readonly node: string;
  readonly subnet: string;
  readonly private_key: string;
  /** Reach the entrypoint over IPv4 (else IPv6 when it has one). */
  readonly ipv4: boolean;
  readonly mtu: number;
}

/** The whole plan as the file holds it. `retired`: /24s of removed nodes and accesses, oldest first. */
export interface Plan {
  readonly version: typeof PLAN_VERSION;
  readonly name: string;
  readonly netid: string;
  readonly ip_range: string;
  readonly nodes: readonly PlanNode[];
  readonly accesses: readonly PlanAccess[];
  readonly retired: readonly string[];
}

/** Makes a key pair; generateKeyPair (node:crypto) unless a test passes its own. */
export type KeySource = () => WgKeyPair;

/** Listen ports are derived inside [PORT_MIN, PORT_MAX] (above most services, below Linux's ephemeral 32768..). */
export const PORT_MIN = 20000;
export const PORT_MAX = 29999;
/**
 * /24s are handed out with third octet FIRST_OCTET..LAST_OCTET, as Zero-OS's clients do (.0 and .1 left out, .255 too).
 */
export const FIRST_OCTET = 2;
export const LAST_OCTET = 254;
/** A laptop's tunnel MTU unless `--mtu` says otherwise: a 1500-byte path minus WireGuard over IPv6 (80). */
export const DEFAULT_ACCESS_MTU = 1420;

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

const sha256 = (...parts: string[]): Buffer => createHash('sha256').update(parts.join('\0'), 'utf8').digest();

/** Base58 (Bitcoin alphabet) of `bytes`, as Zero-OS writes its NetID. */
function base58(bytes: Buffer): string {
  let n = BigInt(`0x${bytes.toString('hex')}`);
  let out = '';
  while (n > 0n) {
    out = BASE58[Number(n % 58n)]! + out;
    n /= 58n;
  }
  for (const b of bytes) {
    if (b !== 0) break;
    out = `1${out}`;
  }
  return out;
}

/** The netid of network `name`: the first 13 characters of base58(sha256(name)) (Zero-OS: of md5("<twin>:<name>")). */
export const netidOf = (name: string): string => base58(sha256(name)).slice(0, 13);

/** The port derived for node `id` of network `netid`: PORT_MIN + sha256(netid, id) mod the range's size. */
export const derivedPort = (netid: string, id: string): number =>
  PORT_MIN + (sha256(netid, id).readUInt32BE(0) % (PORT_MAX - PORT_MIN + 1));

/** A name of the plan (network, node id, access): 1..64 of [A-Za-z0-9_.-], starting alphanumeric. */
export function planName(field: string, v: unknown): string {
  if (typeof v !== 'string' || !NAME_RE.test(v)) {
    throw new ValidationError(
      field,
      (typeof v === 'string' ? JSON.stringify(v.slice(0, 70)) : typeName(v)) +
        ' is not a name (1..64 characters of A-Z a-z 0-9 _ . -, starting with a letter or digit)',
    );
  }
  return v;
}

/** A node's public address: unicast, and not inside the overlay it would carry (ip_range, 100.64.0.0/16). */
export function publicAddress(field: string, v: unknown, ipRange: string): string {
  if (typeof v !== 'string' || !(isIPv4(v) || isIPv6(v)))
    throw new ValidationError(
      field,
      `${typeof v === 'string' ? JSON.stringify(v.slice(0, 60)) : typeName(v)} is not an IPv4 or IPv6 address`,
    );
  const why = isIPv4(v) ? notUnicastV4(v) : notUnicastV6(v);
  if (why) throw new ValidationError(field, `${v} ${why}`);
  const inside = (p: string): boolean => within4({ net: v4Value(v), len: 32 }, parsePrefix4(p)!);
  if (isIPv4(v) && (inside(ipRange) || inside(WIRE_RANGE)))
    throw new ValidationError(
      field,
      `${v} is inside the overlay (${ipRange} or ${WIRE_RANGE}): the tunnel would carry itself`,
    );
  return v;
}

/** Rendezvous weight of public node `pub` for hidden node `hidden`: the lowest is its relay. */
const relayWeight = (netid: string, hidden: string, pub: string): string => sha256(netid, hidden, pub).toString('hex');

/** The relay a hidden node gets among `publics` (stable: a function of names only), or undefined. */
export function chooseRelay(netid: string, hidden: string, publics: readonly string[]): string | undefined {
  return [...publics].sort((a, b) => (relayWeight(netid, hidden, a) < relayWeight(netid, hidden, b) ? -1 : 1))[0];
}

/** True for a node with a public address (it can be dialled, relay and be an entrypoint). */
export const isPublic = (n: PlanNode): boolean => n.endpoints.length > 0;

/** Gives every hidden node without a relay one (an existing relay is never changed). */
function withRelays(plan: Plan): Plan {
  const publics = plan.nodes.filter(isPublic).map((n) => n.id);
  const nodes = plan.nodes.map((n) => {
    if (isPublic(n) || (n.relay !== undefined && publics.includes(n.relay))) return n;
    const { relay: _old, ...rest } = n;
    const relay = chooseRelay(plan.netid, n.id, publics);
    return relay === undefined ? rest : { ...rest, relay };
  });
  return { ...plan, nodes };
}

/** The next /24: the lowest never used; when none is left, the longest retired; else ENOSUBNET. */
function nextSubnet(plan: Plan, field: string): { subnet: string; retired: readonly string[] } {
  const range = parsePrefix4(plan.ip_range)!;
  const taken = new Set([...plan.nodes.map((n) => n.subnet), ...plan.accesses.map((a) => a.subnet)]);
  for (let o = FIRST_OCTET; o <= LAST_OCTET; o++) {
    const s = prefixText4({ net: range.net + o * 256, len: 24 });
    if (!taken.has(s) && !plan.retired.includes(s)) return { subnet: s, retired: plan.retired };
  }
  const reuse = plan.retired.find((s) => !taken.has(s));
  if (reuse === undefined) throw noFreeSubnet(plan.ip_range, field);
  return { subnet: reuse, retired: plan.retired.filter((s) => s !== reuse) };
}

/** A new plan for network `name` over `ipRange` (a /16 of RFC 1918), with no node yet. */
export function createPlan(input: { name: unknown; ipRange: unknown }): Plan {
  const name = planName('--name', input.name);
  parseIpRange('--ip-range', input.ipRange);
  return {
    version: PLAN_VERSION,
    name,
    netid: netidOf(name),
    ip_range: input.ipRange as string,
    nodes: [],
    accesses: [],
    retired: [],
  };
}

/** Adds node `id` with its public addresses (none: hidden) and port (derived unless given). */
export function addNode(
  plan: Plan,
  input: { id: unknown; endpoints?: readonly unknown[]; port?: unknown },
  keys: KeySource = generateKeyPair,
): Plan {
  const id = planName('--node', input.id);
  if (plan.nodes.some((n) => n.id === id))
    throw exists(`--node: node ${id} is in the plan already`, { field: '--node' });
  const endpoints = (input.endpoints ?? []).map((e) => publicAddress('--endpoint', e, plan.ip_range));
  if (endpoints.filter(isIPv4).length > 1 || endpoints.filter(isIPv6).length > 1)
    throw new ValidationError('--endpoint', 'at most one IPv4 and one IPv6 address');
  const port = input.port === undefined ? derivedPort(plan.netid, id) : parseIntInRange('--port', input.port, 1, 65535);
  const { subnet, retired } = nextSubnet(plan, '--node');
  const node: PlanNode = {
    id,
    endpoints: [...endpoints].sort((a, b) => Number(isIPv6(a)) - Number(isIPv6(b))),
    subnet,
    private_key: keys().privateKey,
    port,
  };
  return withRelays({ ...plan, nodes: [...plan.nodes, node], retired });
}

/** Removes node `id`; its hidden nodes get new relays; refused (EBUSY) while it is an access's entrypoint. */
export function removeNode(plan: Plan, input: { id: unknown }): Plan {
  const id = planName('--node', input.id);
  const node = plan.nodes.find((n) => n.id === id);
  if (!node) throw notFound(`--node: no node ${id} in the plan`, { field: '--node' });
  const users = plan.accesses.filter((a) => a.node === id).map((a) => a.name);
  if (users.length)
    throw busy(`--node: node ${id} is the entrypoint of access ${users.join(', ')}: remove those first`, {
      field: '--node',
      accesses: users,
    });
  return withRelays({ ...plan, nodes: plan.nodes.filter((n) => n !== node), retired: [...plan.retired, node.subnet] });
}

/** The lowest `access<N>` not yet used: the name of an access added without `--name`. */
const defaultAccessName = (plan: Plan): string => {
  for (let i = 1; ; i++) if (!plan.accesses.some((a) => a.name === `access${i}`)) return `access${i}`;
};

/** Adds a laptop access through public node `node`; returns the plan and the access. */
export function addAccess(
  plan: Plan,
  input: { node: unknown; name?: unknown; ipv4?: boolean; mtu?: unknown },
  keys: KeySource = generateKeyPair,
): { plan: Plan; access: PlanAccess } {
  const nodeId = planName('--node', input.node);
  const node = plan.nodes.find((n) => n.id === nodeId);
  if (!node) throw notFound(`--node: no node ${nodeId} in the plan`, { field: '--node' });
  if (!isPublic(node))
    throw conflict(`--node: node ${nodeId} is hidden (no --endpoint): an entrypoint must be public`, {
      field: '--node',
    });
  if (input.ipv4 && !node.endpoints.some(isIPv4))
    throw new ValidationError('--ipv4', `node ${nodeId} has no IPv4 endpoint`);
  const name = input.name === undefined ? defaultAccessName(plan) : planName('--name', input.name);
  if (plan.accesses.some((a) => a.name === name))
    throw exists(`--name: access ${name} is in the plan already`, { field: '--name' });
  const mtu = input.mtu === undefined ? DEFAULT_ACCESS_MTU : parseIntInRange('--mtu', input.mtu, 1280, 9000);
  const { subnet, retired } = nextSubnet(plan, '--node');
  const access: PlanAccess = {
    name,
    node: nodeId,
    subnet,
    private_key: keys().privateKey,
    ipv4: input.ipv4 === true,
    mtu,
  };
  return { plan: { ...plan, accesses: [...plan.accesses, access], retired }, access };
}

/** Removes access `name`; its /24 is retired. */
export function removeAccess(plan: Plan, input: { name: unknown }): Plan {
  const name = planName('--name', input.name);
  const access = plan.accesses.find((a) => a.name === name);
  if (!access) throw notFound(`--name: no access ${name} in the plan`, { field: '--name' });
  return { ...plan, accesses: plan.accesses.filter((a) => a !== access), retired: [...plan.retired, access.subnet] };
}
