// The change from a device's state to a config, in `wg syncconf`'s sense and never `setconf`'s:
// device fields only when they differ; peers absent from the config removed; new peers added;
// peers that stay updated in place with only what differs, so their sessions (and the endpoints
// WireGuard learned) survive. No "replace all peers": in the kernel that is wg_peer_remove_all,
// which drops every session (the Zero-OS update that cuts hidden nodes off until their next
// keepalive). An unchanged config gives an empty change, which a backend does not send.
import type { WgChange, WgConfig, WgPeerChange, WgPeerConfig, WgPeerState, WgState } from './types.ts';

/** True when `a` and `b` hold the same allowed IPs, in any order (both canonical). */
export function sameAllowedIps(a: readonly string[], b: readonly string[]): boolean {
  const sa = new Set(a);
  const sb = new Set(b);
  return sa.size === sb.size && [...sa].every((x) => sb.has(x));
}

/**
 * How a staying peer's allowed IPs change: nothing; only the ones it gains, added (its routes
 * never gap); or, when it loses one, the whole set replaced (types.ts WgPeerChange).
 */
function allowedIpsChange(
  want: readonly string[],
  have: readonly string[],
): { allowedIps?: string[]; addAllowedIps?: true } {
  if (sameAllowedIps(want, have)) return {};
  const had = new Set(have);
  const kept = new Set(want);
  if (have.every((a) => kept.has(a))) return { allowedIps: want.filter((a) => !had.has(a)), addAllowedIps: true };
  return { allowedIps: [...want] };
}

/** The change of one peer that stays, or undefined when nothing of it differs. */
function peerUpdate(want: WgPeerConfig, have: WgPeerState): WgPeerChange | undefined {
  const keepalive = want.persistentKeepalive ?? 0;
  const c = {
    // A peer given without endpoint keeps what WireGuard learned (a laptop, a hidden node).
    ...(want.endpoint !== undefined && want.endpoint !== have.endpoint ? { endpoint: want.endpoint } : {}),
    ...(keepalive !== have.persistentKeepalive ? { persistentKeepalive: keepalive } : {}),
    ...allowedIpsChange(want.allowedIps, have.allowedIps),
  };
  return Object.keys(c).length === 0 ? undefined : { publicKey: want.publicKey, create: false, ...c };
}

/** A peer that is not on the device yet, with all it is given. */
function peerCreate(want: WgPeerConfig): WgPeerChange {
  return {
    publicKey: want.publicKey,
    create: true,
    allowedIps: [...want.allowedIps],
    ...(want.endpoint !== undefined ? { endpoint: want.endpoint } : {}),
    ...(want.persistentKeepalive ? { persistentKeepalive: want.persistentKeepalive } : {}),
  };
}

/**
 * The minimal change that makes a device in state `have` configured as `want` (a validated,
 * canonical config: lib/wireguard/types.ts validateWgConfig). Removals come first, then
 * updates and creations in the config's order. Pure.
 */
export function diffConfig(want: WgConfig, have: WgState): WgChange {
  const current = new Map(have.peers.map((p) => [p.publicKey, p]));
  const wanted = new Set(want.peers.map((p) => p.publicKey));
  const peers: WgPeerChange[] = have.peers
    .filter((p) => !wanted.has(p.publicKey))
    .map((p) => ({ publicKey: p.publicKey, remove: true as const }));
  for (const p of want.peers) {
    const h = current.get(p.publicKey);
    const c = h ? peerUpdate(p, h) : peerCreate(p);
    if (c) peers.push(c);
  }
  return {
    ...(want.privateKey !== have.privateKey ? { privateKey: want.privateKey } : {}),
    ...(want.listenPort !== have.listenPort ? { listenPort: want.listenPort } : {}),
    ...((want.fwmark ?? 0) !== have.fwmark ? { fwmark: want.fwmark ?? 0 } : {}),
    peers,
  };
}
