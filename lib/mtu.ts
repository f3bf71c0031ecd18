// Which MTUs the agent puts on a link. IPv6 needs 1280 (RFC 8200 section 5): below it the
// kernel takes IPv6 off the link (not even a link-local address stays), so a DHCP option 26 of
// 68 (RFC 2132's minimum) would leave zos "online" without IPv6. A value the NIC cannot do is
// refused by the kernel half-way (NIC set, zos not). Both are ignored with a warning instead.

/** The smallest MTU we apply (IPv6's minimum link MTU). */
export const MIN_MTU = 1280;

/** Why `mtu` is not applied on a link that takes at most `max` (undefined: it is). */
export function mtuProblem(mtu: number, max = 65535): string | undefined {
  if (!Number.isInteger(mtu) || mtu < MIN_MTU) return `${mtu} is below ${MIN_MTU} (IPv6 would be taken off the link)`;
  if (mtu > max) return `${mtu} is above what the NIC can do (${max})`;
  return undefined;
}
