// Kernel WireGuard over generic netlink (the `netlink` package's `wireguard` family,
// include/uapi/linux/wireguard.h): a WgChange becomes one WG_CMD_SET_DEVICE message and a
// WG_CMD_GET_DEVICE dump becomes a WgState. Pure conversions here (unit-tested on machines
// without the module), and the socket round trip. A generic netlink socket acts in the network
// namespace it was opened in, and the WireGuard family has no netnsid attribute: this process
// reaches devices of its own namespace only (a device in another one needs a helper running
// there: see docs/overlay.md).
import { isIPv4 } from 'node:net';
import { AttrStream } from 'netlink/dist/structs.js';
import {
  formatDevice,
  parseAllowedIp,
  parseDevice,
  parsePeer,
  type Device,
  type Peer,
} from 'netlink/dist/wg/structs.js';
import { addrValue } from '../unicast.ts';
import { KERNEL_ERRNO, wgBadAnswer, wgNoDevice, wgRefused, wgUnreachable } from '../errors.ts';
import { publicKeyOf, type WgChange, type WgPeerState, type WgState } from './types.ts';

/**
 * include/uapi/linux/wireguard.h `enum wg_cmd`: WG_CMD_GET_DEVICE is 0, WG_CMD_SET_DEVICE 1. The
 * `netlink` package's own `Commands` says 1 and 2 (its getDevice/setDevice send the wrong
 * command: the kernel answers EOPNOTSUPP, measured in the image), so we send these ourselves.
 */
export const WG_CMD = { GET_DEVICE: 0, SET_DEVICE: 1 } as const;
/** NLM_F_DUMP (NLM_F_ROOT | NLM_F_MATCH): WG_CMD_GET_DEVICE exists only as a dump. */
const NLM_F_DUMP = 0x300;
/** include/uapi/linux/wireguard.h */
const WG_GENL_VERSION = 1;
/** include/uapi/linux/netlink.h: the flag on a nested attribute's type. */
export const NLA_F_NESTED = 0x8000;
const WGDEVICE_A_PEERS = 8;
const WGPEER_A_ALLOWEDIPS = 9;

type Nesting = 'device' | 'peers' | 'peer' | 'allowedips';

/**
 * Sets NLA_F_NESTED on every nested attribute of a WG_CMD_SET_DEVICE body, in place: the
 * kernel parses each peer and each allowed IP with nla_parse_nested(), which is strict since
 * Linux 5.2 and refuses a nest without the flag (EINVAL, "NLA_F_NESTED is missing"); the
 * `netlink` package never sets it (measured in the image: every set with a peer was EINVAL).
 * Lengths and types are in host order, as the package writes them (little-endian here).
 */
export function markNested(buf: Buffer, start = 0, end = buf.length, level: Nesting = 'device'): Buffer {
  let off = start;
  while (off + 4 <= end) {
    const len = buf.readUInt16LE(off);
    if (len < 4 || off + len > end) throw wgBadAnswer('', `malformed attribute at ${off} while encoding`);
    const type = buf.readUInt16LE(off + 2) & 0x3fff;
    const inner: Nesting | undefined =
      level === 'device'
        ? type === WGDEVICE_A_PEERS
          ? 'peers'
          : undefined
        : level === 'peers'
          ? 'peer'
          : level === 'peer'
            ? type === WGPEER_A_ALLOWEDIPS
              ? 'allowedips'
              : undefined
            : undefined;
    if (inner || level === 'allowedips') buf.writeUInt16LE(buf.readUInt16LE(off + 2) | NLA_F_NESTED, off + 2);
    if (inner) markNested(buf, off + 4, off + len, inner);
    off += (len + 3) & ~3;
  }
  return buf;
}

/** The attributes of `b`: type (flags masked), payload, and the whole attribute padded to 4 bytes. */
function attributesOf(b: Buffer): { type: number; payload: Buffer; raw: Buffer }[] {
  const out = [];
  for (let off = 0; off + 4 <= b.length; ) {
    const len = b.readUInt16LE(off);
    if (len < 4 || off + len > b.length) throw new Error(`invalid attribute length ${len} at ${off}`);
    const raw = b.subarray(off, off + len);
    out.push({
      type: b.readUInt16LE(off + 2) & 0x3fff,
      payload: b.subarray(off + 4, off + len),
      raw: len % 4 ? Buffer.concat([raw, Buffer.alloc(4 - (len % 4))]) : raw,
    });
    off += (len + 3) & ~3;
  }
  return out;
}

/** A peer of a dump: the package's parser, with the allowed IPs' nests read here (all type 0). */
function decodePeer(b: Buffer): Peer {
  const parts = attributesOf(b);
  const ips = parts.find((a) => a.type === WGPEER_A_ALLOWEDIPS);
  const peer = parsePeer(Buffer.concat(parts.filter((a) => a.type !== WGPEER_A_ALLOWEDIPS).map((a) => a.raw)));
  return ips ? { ...peer, allowedIps: attributesOf(ips.payload).map((a) => parseAllowedIp(a.payload)) } : peer;
}

/**
 * One message of a WG_CMD_GET_DEVICE dump. The kernel nests every peer and every allowed IP
 * under type 0 (nla_nest_start(skb, 0)); the package's parser wants 1, 2, 3... and throws
 * "Non-sequential array types" on the first device with a peer (measured in the image).
 */
export function decodeDevice(b: Buffer): Device {
  const parts = attributesOf(b);
  const peers = parts.find((a) => a.type === WGDEVICE_A_PEERS);
  const device = parseDevice(Buffer.concat(parts.filter((a) => a.type !== WGDEVICE_A_PEERS).map((a) => a.raw)));
  return peers ? { ...device, peers: attributesOf(peers.payload).map((a) => decodePeer(a.payload)) } : device;
}

/** The attributes of a WG_CMD_SET_DEVICE message as the kernel takes them (nests flagged). */
export function encodeSetDevice(d: Device): Buffer {
  const attrs = new AttrStream();
  attrs.emit(formatDevice(d));
  return markNested(Buffer.concat(attrs.bufs));
}

const AF_INET = 2;
const AF_INET6 = 10;

const key = (b64: string): Buffer => Buffer.from(b64, 'base64');

/** An address as the bytes of struct in_addr / in6_addr. */
function addrBytes(a: string): Buffer {
  const v4 = isIPv4(a);
  const n = addrValue(a);
  const b = Buffer.alloc(v4 ? 4 : 16);
  for (let i = 0; i < b.length; i++) b[b.length - 1 - i] = Number((n >> BigInt(8 * i)) & 255n);
  return b;
}

/** The text form of an in_addr / in6_addr (RFC 5952 for IPv6). */
function addrText(b: Buffer): string {
  if (b.length === 4) return [...b].join('.');
  const groups = [...Array(8).keys()].map((i) => b.readUInt16BE(2 * i).toString(16)).join(':');
  return new URL(`http://[${groups}]`).hostname.slice(1, -1);
}

/** `ip:port` / `[v6]:port` as struct sockaddr_in (16 bytes) or sockaddr_in6 (28 bytes). */
export function sockaddrOf(endpoint: string): Buffer {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(endpoint)!;
  const v6 = m[1] !== undefined;
  const b = Buffer.alloc(v6 ? 28 : 16);
  b.writeUInt16LE(v6 ? AF_INET6 : AF_INET, 0); // sa_family: host order
  b.writeUInt16BE(Number(m[3]), 2); // port: network order
  addrBytes(v6 ? m[1]! : m[2]!).copy(b, v6 ? 8 : 4); // sin6_flowinfo (4 bytes) before sin6_addr
  return b;
}

/** The endpoint text of a sockaddr_in / sockaddr_in6; undefined for an unset one (family 0). */
export function endpointOf(b: Buffer): string | undefined {
  const family = b.readUInt16LE(0);
  const port = b.readUInt16BE(2);
  if (family === AF_INET && b.length >= 8) return `${addrText(b.subarray(4, 8))}:${port}`;
  if (family === AF_INET6 && b.length >= 24) return `[${addrText(b.subarray(8, 24))}]:${port}`;
  return undefined;
}

/**
 * The WG_CMD_SET_DEVICE message for `c` on `ifname`: peers that stay carry
 * WGPEER_F_UPDATE_ONLY, replaced allowed IPs WGPEER_F_REPLACE_ALLOWEDIPS (added ones none), removed peers
 * WGPEER_F_REMOVE_ME; never WGDEVICE_F_REPLACE_PEERS (it drops every session).
 */
export function setDeviceMessage(ifname: string, c: WgChange): Device {
  const peers: Peer[] = c.peers.map((p): Peer => {
    if ('remove' in p) return { publicKey: key(p.publicKey), flags: { removeMe: true } };
    const flags = {
      ...(p.create ? {} : { updateOnly: true as const }),
      ...(p.allowedIps && !p.addAllowedIps ? { replaceAllowedIps: true as const } : {}),
    };
    return {
      publicKey: key(p.publicKey),
      ...(Object.keys(flags).length ? { flags } : {}),
      ...(p.endpoint !== undefined ? { endpoint: sockaddrOf(p.endpoint) } : {}),
      ...(p.persistentKeepalive !== undefined ? { persistentKeepaliveInterval: p.persistentKeepalive } : {}),
      ...(p.allowedIps
        ? {
            allowedIps: p.allowedIps.map((a) => {
              const [addr, prefix] = a.split('/') as [string, string];
              return { family: isIPv4(addr) ? AF_INET : AF_INET6, ipaddr: addrBytes(addr), cidrMask: Number(prefix) };
            }),
          }
        : {}),
    };
  });
  return {
    ifname,
    ...(c.privateKey !== undefined ? { privateKey: key(c.privateKey) } : {}),
    ...(c.listenPort !== undefined ? { listenPort: c.listenPort } : {}),
    ...(c.fwmark !== undefined ? { fwmark: c.fwmark } : {}),
    ...(peers.length ? { peers } : {}),
  };
}

/**
 * The state of a device from its WG_CMD_GET_DEVICE dump (the kernel splits a device with many
 * peers over several messages; the same peer may continue in the next one).
 */
export function stateOfDump(ifname: string, parts: readonly Device[]): WgState {
  const state: WgState = { listenPort: 0, fwmark: 0, peers: [] };
  const byKey = new Map<string, WgPeerState>();
  for (const d of parts) {
    if (d.privateKey?.some((x) => x !== 0)) {
      state.privateKey = d.privateKey.toString('base64');
      state.publicKey = publicKeyOf(state.privateKey);
    }
    if (d.listenPort !== undefined) state.listenPort = d.listenPort;
    if (d.fwmark !== undefined) state.fwmark = d.fwmark;
    for (const p of d.peers ?? []) {
      if (p.publicKey?.length !== 32) throw wgBadAnswer(ifname, 'a peer without a 32-byte public key');
      const k = p.publicKey.toString('base64');
      let s = byKey.get(k);
      if (!s) {
        s = { publicKey: k, allowedIps: [], persistentKeepalive: 0, lastHandshakeMs: 0, rxBytes: 0n, txBytes: 0n };
        byKey.set(k, s);
        state.peers.push(s);
      }
      const ep = p.endpoint ? endpointOf(p.endpoint) : undefined;
      if (ep !== undefined) s.endpoint = ep;
      if (p.persistentKeepaliveInterval !== undefined) s.persistentKeepalive = p.persistentKeepaliveInterval;
      // struct __kernel_timespec: s64 tv_sec, s64 tv_nsec
      if (p.lastHandshakeTime && p.lastHandshakeTime.length >= 16) {
        s.lastHandshakeMs =
          Number(p.lastHandshakeTime.readBigInt64LE(0)) * 1000 +
          Math.floor(Number(p.lastHandshakeTime.readBigInt64LE(8)) / 1e6);
      }
      if (p.rxBytes !== undefined) s.rxBytes = p.rxBytes;
      if (p.txBytes !== undefined) s.txBytes = p.txBytes;
      for (const a of p.allowedIps ?? [])
        if (a.ipaddr && a.cidrMask !== undefined) s.allowedIps.push(`${addrText(a.ipaddr)}/${a.cidrMask}`);
    }
  }
  return state;
}

/** The package's socket, opened on first use in this process's namespace. */
type WgSocket = import('netlink/dist/wg/wg.js').WireGuardSocket;
let opened: Promise<WgSocket> | undefined;
/** include/uapi/linux/genetlink.h CTRL_CMD_GETFAMILY. */
const CTRL_CMD_GETFAMILY = 3;

/**
 * The generic netlink WireGuard socket; fails when the family does not resolve (no module). The
 * family is asked for by name (the package's createWireGuard dumps every family instead): for a
 * name it does not know, the kernel loads the module that serves it (request_module of the
 * module's genl alias, as `ip link add type wireguard` does with its link alias), so no probe
 * link is needed where the module exists but is not loaded yet.
 */
export function genlSocket(): Promise<WgSocket> {
  opened ??= Promise.all([import('netlink/dist/wg/wg.js'), import('netlink/dist/genl/genl.js')]).then(
    async ([wg, genl]) => {
      const sock = genl.createGenericNetlink();
      try {
        const [family] = await sock.ctrlRequest(CTRL_CMD_GETFAMILY, { familyName: wg.WG_GENL_NAME });
        if (!family) throw new Error('wireguard genl family not available');
        const s = new wg.WireGuardSocket(sock, family, {});
        sock.socket.unref();
        return s;
      } catch (err) {
        sock.socket.close();
        throw err;
      }
    },
  );
  opened.catch(() => {
    opened = undefined;
  });
  return opened;
}

/** The family id the package resolved (a private field of its socket class; the request is ours). */
const familyOf = (s: WgSocket): number => (s as unknown as { familyId: number }).familyId;

/** True when the kernel's `wireguard` generic netlink family resolves here. */
export const genlAvailable = (): Promise<boolean> =>
  genlSocket().then(
    () => true,
    () => false,
  );

/**
 * The kernel's refusal as a typed error (the package throws "Request rejected: ENODEV"): no
 * such device, or the errno it answered; anything else (the socket itself) is unreachable.
 */
export function genlError(ifname: string, err: unknown): Error {
  const errno = /Request rejected: (\S+)/.exec(String(err))?.[1];
  if (errno === KERNEL_ERRNO.noDevice) return wgNoDevice(ifname, `generic netlink: ${errno}`);
  if (errno !== undefined) return wgRefused(ifname, errno);
  return wgUnreachable(ifname, `generic netlink: ${err instanceof Error ? err.message : String(err)}`, err);
}

/** Reads device `ifname` of this process's namespace. */
export async function genlGet(ifname: string): Promise<WgState> {
  const s = await genlSocket().catch((err) => {
    throw wgUnreachable(ifname, 'no wireguard generic netlink family (module not loaded?)', err);
  });
  try {
    // The package's own getDevice() sends its (wrong) command number: the request is built here.
    const [msgs] = await s.socket.request(
      familyOf(s),
      WG_CMD.GET_DEVICE,
      WG_GENL_VERSION,
      [encodeSetDevice({ ifname })],
      { flags: NLM_F_DUMP },
    );
    return stateOfDump(
      ifname,
      msgs.map((m) => decodeDevice(m.data)),
    );
  } catch (err) {
    throw genlError(ifname, err);
  }
}

/** Applies `c` to device `ifname` of this process's namespace in one message. */
export async function genlSet(ifname: string, c: WgChange): Promise<void> {
  const s = await genlSocket().catch((err) => {
    throw wgUnreachable(ifname, 'no wireguard generic netlink family (module not loaded?)', err);
  });
  try {
    await s.socket.request(familyOf(s), WG_CMD.SET_DEVICE, WG_GENL_VERSION, [
      encodeSetDevice(setDeviceMessage(ifname, c)),
    ]);
  } catch (err) {
    throw genlError(ifname, err);
  }
}
