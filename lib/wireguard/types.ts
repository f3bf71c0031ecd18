// What a WireGuard device is asked to be (WgConfig), what it is (WgState, read back from the
// device) and the change between them (WgChange, lib/wireguard/diff.ts): one shape for both
// backends (kernel over generic netlink, wireguard-go over its UAPI socket). Keys are base64 of
// 32 bytes, as `wg` and the Zero-OS documents write them; allowed IPs are kept canonical
// (network address, lower-case, shortest IPv6) so that sets compare as strings.
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import { ValidationError } from '../errors.ts';
import { addrValue } from '../unicast.ts';
import { parseCidr, parseIntInRange, typeName } from '../validate.ts';

/** One peer as asked. */
export interface WgPeerConfig {
  readonly publicKey: string;
  /** `ip:port` or `[v6]:port`; absent: the peer dials in, and WireGuard learns its endpoint. */
  readonly endpoint?: string;
  readonly allowedIps: readonly string[];
  /** Seconds, 0 or absent: off. */
  readonly persistentKeepalive?: number;
}

/** A device as asked. */
export interface WgConfig {
  readonly privateKey: string;
  readonly listenPort: number;
  /** 0 or absent: none. */
  readonly fwmark?: number;
  readonly peers: readonly WgPeerConfig[];
}

/** One peer as the device reports it. */
export interface WgPeerState {
  publicKey: string;
  endpoint?: string;
  allowedIps: string[];
  persistentKeepalive: number;
  /** Milliseconds since the epoch of the last handshake; 0: none yet. */
  lastHandshakeMs: number;
  rxBytes: bigint;
  txBytes: bigint;
}

/** A device as it reports itself. */
export interface WgState {
  /** Absent when the device has no private key yet. */
  privateKey?: string;
  publicKey?: string;
  listenPort: number;
  fwmark: number;
  peers: WgPeerState[];
}

/** What to change of one peer: removed, or created / updated with only the fields given. */
export type WgPeerChange =
  | { readonly publicKey: string; readonly remove: true }
  | {
      readonly publicKey: string;
      /** false: the peer exists; the change must not create it again (WGPEER_F_UPDATE_ONLY). */
      readonly create: boolean;
      readonly endpoint?: string;
      readonly persistentKeepalive?: number;
      /** Replaces the peer's allowed IPs with exactly these (WGPEER_F_REPLACE_ALLOWEDIPS)... */
      readonly allowedIps?: readonly string[];
      /**
       * ...or, when true, adds them to the peer's (none removed; one another peer holds moves
       * here). A replace empties the peer's allowed IPs before it inserts the new ones, and a
       * packet routed in between (by the kernel's RCU lookup or wireguard-go's) finds no peer
       * and is dropped: diffConfig never replaces (a lost one is moved to its sink: diff.ts).
       */
      readonly addAllowedIps?: true;
    };

/** The minimal change that turns a device's state into a config; never "replace all peers". */
export interface WgChange {
  readonly privateKey?: string;
  readonly listenPort?: number;
  readonly fwmark?: number;
  readonly peers: readonly WgPeerChange[];
}

/** True when applying `c` would change nothing (so it is not sent at all). */
export const isEmptyChange = (c: WgChange): boolean =>
  c.privateKey === undefined && c.listenPort === undefined && c.fwmark === undefined && c.peers.length === 0;

/** Hex (the UAPI's form) of a base64 key. */
export const keyToHex = (b64: string): string => Buffer.from(b64, 'base64').toString('hex');

/** Base64 (our form) of a hex key. */
export const keyFromHex = (hex: string): string => Buffer.from(hex, 'hex').toString('base64');

/** The X25519 public key (base64) of a private key (base64), computed with node:crypto. */
export function publicKeyOf(privateKey: string): string {
  const d = Buffer.from(privateKey, 'base64').toString('base64url');
  const jwk = createPublicKey(createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d, x: '' }, format: 'jwk' })).export(
    { format: 'jwk' },
  );
  return Buffer.from(jwk.x!, 'base64url').toString('base64');
}

/** A key: base64 of exactly 32 bytes, in its canonical 44-character form. */
export function wgKey(field: string, v: unknown): string {
  if (typeof v !== 'string' || !/^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/.test(v)) {
    throw new ValidationError(
      field,
      'must be a WireGuard key (base64 of 32 bytes, 44 characters), got ' +
        (typeof v === 'string' ? JSON.stringify(v.slice(0, 60)) : typeName(v)),
    );
  }
  return v;
}

/**
 * A private key as WireGuard keeps it: clamped for X25519 (RFC 7748 5: the low 3 bits of the
 * first byte cleared, the top bit of the last cleared, its next bit set). Both wireguard-go
 * and the kernel clamp what they are given and report the clamped key, so an unclamped key
 * would look changed on every read; the public key is the same either way.
 */
export function clampPrivateKey(b64: string): string {
  const k = Buffer.from(b64, 'base64');
  k[0]! &= 248;
  k[31]! &= 127;
  k[31]! |= 64;
  return k.toString('base64');
}

/** An endpoint `ipv4:port` or `[ipv6]:port` (a literal address: names are not resolved), port 1..65535. */
export function wgEndpoint(field: string, v: unknown): string {
  const m = typeof v === 'string' ? /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(v) : null;
  const port = m ? Number(m[3]) : 0;
  if (!m || !(m[1] !== undefined ? isIPv6(m[1]) : isIPv4(m[2]!)) || port < 1 || port > 65535 || !/^[1-9]/.test(m[3]!)) {
    throw new ValidationError(
      field,
      'must be ip:port or [ipv6]:port with port 1..65535, got ' +
        (typeof v === 'string' ? JSON.stringify(v.slice(0, 60)) : typeName(v)),
    );
  }
  return m[1] !== undefined ? `[${canonicalV6(m[1])}]:${port}` : (v as string);
}

/** The shortest lower-case form of an IPv6 address (RFC 5952), as URL's host parser writes it. */
const canonicalV6 = (a: string): string => new URL(`http://[${a.replace(/%.*$/, '')}]`).hostname.slice(1, -1);

/** Address `a` of `family` with its host bits (past `prefix`) cleared. */
function maskAddress(a: string, prefix: number, family: 4 | 6): string {
  const bits = BigInt(family === 4 ? 32 : 128);
  const host = (1n << (bits - BigInt(prefix))) - 1n;
  const n = addrValue(family === 6 ? canonicalV6(a) : a) & (((1n << bits) - 1n) ^ host);
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((n >> s) & 255n)).join('.');
  return canonicalV6([...Array(8).keys()].map((i) => ((n >> BigInt(112 - 16 * i)) & 0xffffn).toString(16)).join(':'));
}

/** An allowed IP `address/prefix` in canonical form (host bits cleared, as WireGuard stores it). */
export function wgAllowedIp(field: string, v: unknown): string {
  const c = parseCidr(field, v);
  return `${maskAddress(c.address, c.prefix, c.family)}/${c.prefix}`;
}

/** Checks a whole config, naming the first bad field (`<prefix>.peers[2].allowedIps[0]`); returns it canonical. */
export function validateWgConfig(v: unknown, prefix = 'wireguard'): WgConfig {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new ValidationError(prefix, `must be an object, got ${typeName(v)}`);
  const o = v as Record<string, unknown>;
  const privateKey = clampPrivateKey(wgKey(`${prefix}.privateKey`, o.privateKey));
  const listenPort = parseIntInRange(`${prefix}.listenPort`, o.listenPort, 1, 65535);
  const fwmark = o.fwmark === undefined ? undefined : parseIntInRange(`${prefix}.fwmark`, o.fwmark, 0, 0xffffffff);
  if (!Array.isArray(o.peers))
    throw new ValidationError(`${prefix}.peers`, `must be an array, got ${typeName(o.peers)}`);
  const own = publicKeyOf(privateKey);
  const seen = new Set<string>();
  const peers = o.peers.map((p: unknown, i): WgPeerConfig => {
    const f = `${prefix}.peers[${i}]`;
    if (typeof p !== 'object' || p === null || Array.isArray(p))
      throw new ValidationError(f, `must be an object, got ${typeName(p)}`);
    const q = p as Record<string, unknown>;
    const publicKey = wgKey(`${f}.publicKey`, q.publicKey);
    if (publicKey === own) throw new ValidationError(`${f}.publicKey`, "is the device's own public key");
    if (seen.has(publicKey)) throw new ValidationError(`${f}.publicKey`, `${publicKey} is given twice`);
    seen.add(publicKey);
    if (!Array.isArray(q.allowedIps))
      throw new ValidationError(`${f}.allowedIps`, `must be an array, got ${typeName(q.allowedIps)}`);
    const allowedIps = [...new Set(q.allowedIps.map((a: unknown, j) => wgAllowedIp(`${f}.allowedIps[${j}]`, a)))];
    return {
      publicKey,
      allowedIps,
      ...(q.endpoint !== undefined ? { endpoint: wgEndpoint(`${f}.endpoint`, q.endpoint) } : {}),
      ...(q.persistentKeepalive !== undefined
        ? { persistentKeepalive: parseIntInRange(`${f}.persistentKeepalive`, q.persistentKeepalive, 0, 65535) }
        : {}),
    };
  });
  return { privateKey, listenPort, ...(fwmark !== undefined ? { fwmark } : {}), peers };
}
