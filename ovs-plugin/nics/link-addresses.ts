// A link's addresses as `ip -j addr show` reports them, read in a named namespace (inside.ts
// checks a nic with them, attach answers with them).
import { LinkNotFoundError } from '../../lib/errors.ts';
import { ipJson } from '../../lib/ip.ts';
import type { NetnsRef } from '../../lib/netns.ts';

/**
 * `name` in `ref` with its global addresses (one `ip -j addr show`), or undefined when there is
 * no such link; a namespace gone (NetnsGoneError), a timeout or another failure of `ip` is thrown.
 */
export async function linkAddresses(
  ref: NetnsRef,
  name: string,
): Promise<{ address?: string; mtu: number; addresses: string[] } | undefined> {
  type A = { address?: string; mtu: number; addr_info?: { local: string; prefixlen: number; scope: string }[] };
  const [a] = await ipJson<A>(ref, ['addr', 'show', 'dev', name]).catch((err: unknown) => {
    if (err instanceof LinkNotFoundError) return [] as A[];
    throw err;
  });
  return (
    a && {
      address: a.address,
      mtu: a.mtu,
      addresses: (a.addr_info ?? []).filter((x) => x.scope === 'global').map((x) => `${x.local}/${x.prefixlen}`),
    }
  );
}

/** Addresses (cidr form, global scope) of `name` in `ref` ([] when the link is not there; other failures thrown). */
export async function addressesOf(ref: NetnsRef, name: string): Promise<string[]> {
  return (await linkAddresses(ref, name))?.addresses ?? [];
}
