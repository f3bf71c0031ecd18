// The change from a device's state to a config, in `wg syncconf`'s sense and never `setconf`'s:
// device fields only when they differ; peers absent from the config removed; new peers added;
// peers that stay updated in place with only what differs, so their sessions (and the endpoints
// WireGuard learned) survive. No "replace all peers": in the kernel that is wg_peer_remove_all,
// which drops every session (the Zero-OS update that cuts hidden nodes off until their next
// keepalive). An unchanged config gives an empty change, which a backend does not send.
// Allowed IPs are never replaced either: a peer gains its new ones by adding them, and the
// ones it loses are moved away (below: sinkKey), so its other routes never gap.
import { createHash } from 'node:crypto';
import { clampPrivateKey, publicKeyOf } from './types.ts';
import type { WgChange, WgConfig, WgPeerChange, WgPeerConfig, WgPeerState, WgState } from './types.ts';

/**
 * The key of the sink: a peer made and removed again in the same change, to take the allowed
 * IPs that staying peers lose. Inserting an allowed IP moves it from the peer holding it (in
 * the kernel's trie and wireguard-go's alike), one prefix at a time, so the losing peer keeps
 * every other route throughout; removing the sink then drops the moved ones. Neither the
 * image's kernel (6.1) nor Debian's wireguard-go can remove one allowed IP of a peer, and a
 * replace (empty, then insert) drops whatever the peer routes in between. Derived from the
 * device's private key: the same diff for the same states (a pure function), and never a real
 * peer's. A sink left by a crash mid-change is a peer the config does not have: removed.
 */
export function sinkKey(privateKey: string): string {
  return publicKeyOf(clampPrivateKey(createHash('sha256').update(`zos-wg-sink:${privateKey}`).digest('base64')));
}

/** True when `a` and `b` hold the same allowed IPs, in any order (both canonical). */
export function sameAllowedIps(a: readonly string[], b: readonly string[]): boolean {
  const sa = new Set(a);
  const sb = new Set(b);
  return sa.size === sb.size && [...sa].every((x) => sb.has(x));
}

/**
 * How a staying peer's allowed IPs change: the ones it gains, added (types.ts WgPeerChange);
 * the ones it loses that no peer of the config takes over go to `sunk` (for the sink; one
 * another peer gains moves to it by that peer's add).
 */
function allowedIpsChange(
  want: readonly string[],
  have: readonly string[],
  taken: ReadonlySet<string>,
  sunk: string[],
): { allowedIps?: string[]; addAllowedIps?: true } {
  if (sameAllowedIps(want, have)) return {};
  const had = new Set(have);
  const kept = new Set(want);
  sunk.push(...have.filter((a) => !kept.has(a) && !taken.has(a)));
  const gained = want.filter((a) => !had.has(a));
  return gained.length ? { allowedIps: gained, addAllowedIps: true } : {};
}

/** The change of one peer that stays, or undefined when nothing of it differs (lost allowed IPs go to `sunk`). */
function peerUpdate(
  want: WgPeerConfig,
  have: WgPeerState,
  taken: ReadonlySet<string>,
  sunk: string[],
): WgPeerChange | undefined {
  const keepalive = want.persistentKeepalive ?? 0;
  const c = {
    // A peer given without endpoint keeps what WireGuard learned (a laptop, a hidden node).
    ...(want.endpoint !== undefined && want.endpoint !== have.endpoint ? { endpoint: want.endpoint } : {}),
    ...(keepalive !== have.persistentKeepalive ? { persistentKeepalive: keepalive } : {}),
    ...allowedIpsChange(want.allowedIps, have.allowedIps, taken, sunk),
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
 * updates and creations in the config's order, then the sink (sinkKey) made with the allowed
 * IPs staying peers lose, and removed. Pure.
 */
export function diffConfig(want: WgConfig, have: WgState): WgChange {
  const current = new Map(have.peers.map((p) => [p.publicKey, p]));
  const wanted = new Set(want.peers.map((p) => p.publicKey));
  const taken = new Set(want.peers.flatMap((p) => p.allowedIps));
  const sunk: string[] = [];
  const peers: WgPeerChange[] = have.peers
    .filter((p) => !wanted.has(p.publicKey))
    .map((p) => ({ publicKey: p.publicKey, remove: true as const }));
  for (const p of want.peers) {
    const h = current.get(p.publicKey);
    const c = h ? peerUpdate(p, h, taken, sunk) : peerCreate(p);
    if (c) peers.push(c);
  }
  if (sunk.length) {
    const sink = sinkKey(want.privateKey);
    peers.push({ publicKey: sink, create: true, allowedIps: sunk }, { publicKey: sink, remove: true });
  }
  return {
    ...(want.privateKey !== have.privateKey ? { privateKey: want.privateKey } : {}),
    ...(want.listenPort !== have.listenPort ? { listenPort: want.listenPort } : {}),
    ...((want.fwmark ?? 0) !== have.fwmark ? { fwmark: want.fwmark ?? 0 } : {}),
    peers,
  };
}
