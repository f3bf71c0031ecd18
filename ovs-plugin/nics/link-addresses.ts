// A link's addresses as `ip -j addr show` reports them, read in a named namespace (inside.ts
// checks a nic with them, dhcp.ts waits for its lease on them, attach answers with them).
import { ipJson } from '../../lib/ip.ts';
import type { NetnsRef } from '../../lib/netns.ts';

/** `name` in `ref` with its global addresses (one `ip -j addr show`), or undefined. */
export async function linkAddresses(ref: NetnsRef, name: string): Promise<{ address?: string; mtu: number; addresses: string[] } | undefined> {
  type A = { address?: string; mtu: number; addr_info?: { local: string; prefixlen: number; scope: string }[] };
  const [a] = await ipJson<A>(ref, ['addr', 'show', 'dev', name]).catch(() => [] as A[]);
  return a && { address: a.address, mtu: a.mtu, addresses: (a.addr_info ?? []).filter((x) => x.scope === 'global').map((x) => `${x.local}/${x.prefixlen}`) };
}

/** Addresses (cidr form, global scope) of `name` in `ref` ([] when it is not there). */
export async function addressesOf(ref: NetnsRef, name: string): Promise<string[]> {
  return (await linkAddresses(ref, name))?.addresses ?? [];
}
