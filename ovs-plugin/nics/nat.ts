// The NAT bridge of `default` nics: Linux bridge `nat0` on the host with the pool's first
// address and IPv4 forwarding on (what may pass, and the masquerade: nat-rules.ts). Shared by
// every default nic and kept when the last one goes, as v1 kept core0. Addresses come from the
// pool (OVS_PLUGIN_NAT_POOL, default 172.18.0.0/16 as v1's core0), allocated in the state file.
import { ValidationError } from '../../lib/errors.ts';
import { poolExhausted } from './errors.ts';
import { randomMac } from './mac.ts';
import { getLink, ip, ipJson } from '../../lib/ip.ts';
import { SELF } from '../../lib/netns.ts';
import { getSysctl, setSysctl } from '../../lib/sysctl.ts';
import { parseCidr } from '../../lib/validate.ts';
import type { Drift, NicRecord } from './types.ts';

/** The NAT bridge's name. */
export const NAT_BRIDGE = 'nat0';

/** The pool: network, prefix, and the gateway (its first address, on nat0). */
export interface Pool {
  base: number;
  prefix: number;
  gateway: string;
}

const toInt = (a: string): number => a.split('.').reduce((n, o) => n * 256 + Number(o), 0);
const toIp = (n: number): string => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');

/** The pool of `text` (OVS_PLUGIN_NAT_POOL: an IPv4 network /8../30); EINVALID naming the variable otherwise. */
export function parseNatPool(text: string): Pool {
  const c = parseCidr('OVS_PLUGIN_NAT_POOL', text);
  if (c.family !== 4 || c.prefix < 8 || c.prefix > 30)
    throw new ValidationError('OVS_PLUGIN_NAT_POOL', 'must be an IPv4 network /8 .. /30');
  const size = 2 ** (32 - c.prefix);
  const base = toInt(c.address) - (toInt(c.address) % size);
  return { base, prefix: c.prefix, gateway: toIp(base + 1) };
}

/** The pool's network as `a.b.c.d/prefix`. */
export const poolNet = (pool: Pool): string => `${toIp(pool.base)}/${pool.prefix}`;

/**
 * The lowest pool address no default nic's record holds, as `a.b.c.d/prefix`; EEXHAUSTED when
 * none is left. A `network` nic's address is of its NR's /24, another address space (a tenant
 * may pick 172.18.0.0/16 too): it takes nothing from the pool.
 */
export function allocate(pool: Pool, all: readonly NicRecord[]): string {
  const taken = new Set(
    all
      .filter((r) => r.nic.type === 'default')
      .map((r) => r.address?.split('/')[0])
      .filter(Boolean),
  );
  const size = 2 ** (32 - pool.prefix);
  for (let i = 2; i < size - 1; i++) {
    const a = toIp(pool.base + i);
    if (!taken.has(a)) return `${a}/${pool.prefix}`;
  }
  throw poolExhausted(`${toIp(pool.base)}/${pool.prefix}`);
}

/** Refuses (EINVALID nic.type) when a link named nat0 exists and is not a Linux bridge. */
export async function checkNatBridge(): Promise<void> {
  const l = await getLink(SELF, NAT_BRIDGE);
  if (l && l.linkinfo?.info_kind !== 'bridge')
    throw new ValidationError('nic.type', `${NAT_BRIDGE} exists on the host and is not a bridge`);
}

/**
 * Makes nat0 (a Linux bridge), its address, up, and IPv4 forwarding on; each step idempotent (the rules: nat-sync.ts).
 */
export async function ensureNat(pool: Pool): Promise<void> {
  if (!(await getLink(SELF, NAT_BRIDGE))) {
    // A MAC of its own, given at creation: a bridge without one takes its lowest port's, so each
    // port that leaves could change the gateway's MAC under every container's ARP cache.
    await ip(SELF, ['link', 'add', 'name', NAT_BRIDGE, 'address', randomMac(), 'type', 'bridge']).catch(async (err) => {
      if (!(await getLink(SELF, NAT_BRIDGE))) throw err;
    });
  }
  await checkNatBridge();
  await ip(SELF, ['addr', 'replace', `${pool.gateway}/${pool.prefix}`, 'dev', NAT_BRIDGE]);
  await ip(SELF, ['link', 'set', 'dev', NAT_BRIDGE, 'up']);
  await setSysctl(SELF, 'net/ipv4/ip_forward', 1);
}

/** What of ensureNat's work is missing now: nat0, its being up, its address, IPv4 forwarding. */
export async function natBridgeDrift(pool: Pool): Promise<Drift[]> {
  const d: Drift[] = [];
  const l = await getLink(SELF, NAT_BRIDGE);
  if (!l) d.push({ what: NAT_BRIDGE, want: 'bridge', got: 'missing', repairable: true });
  else if (l.linkinfo?.info_kind !== 'bridge')
    d.push({ what: NAT_BRIDGE, want: 'bridge', got: l.linkinfo?.info_kind ?? 'none', repairable: false });
  else {
    if (!l.flags.includes('UP')) d.push({ what: `${NAT_BRIDGE}-up`, want: true, got: false, repairable: true });
    const want = `${pool.gateway}/${pool.prefix}`;
    const got = (
      await ipJson<{ addr_info?: { family: string; local: string; prefixlen: number }[] }>(SELF, [
        '-4',
        'addr',
        'show',
        'dev',
        NAT_BRIDGE,
      ])
    )
      .flatMap((a) => a.addr_info ?? [])
      .map((a) => `${a.local}/${a.prefixlen}`);
    if (!got.includes(want)) d.push({ what: `${NAT_BRIDGE}-address`, want, got, repairable: true });
  }
  const fwd = await getSysctl(SELF, 'net/ipv4/ip_forward');
  if (fwd !== '1') d.push({ what: 'ip_forward', want: '1', got: fwd ?? 'missing', repairable: true });
  return d;
}
