// In-process rtnetlink (the shared socket of lib/rtnl-socket.ts) for what reaches another
// namespace without a child: listing its links, and making a veth pair whose peer is born in it.
// A socket acts in the namespace of this process (Node cannot setns), so other namespaces are
// reached only where the kernel lets a request name them: a peer's IFLA_NET_NS_FD at creation,
// IFLA_TARGET_NETNSID on a link dump (the namespace gets an nsid here first, RTM_NEWNSID: the
// kernel's id of that namespace as seen from ours, as `ip netns set` makes). Renames, addresses
// and routes inside another namespace stay with `ip -n` (no target-netnsid form for them).
// Requests block the event loop for their kernel time: deletes (tens of ms waiting for RCU)
// stay with `ip`. Without the addon, or with ZOS_RTNL=0, callers use `ip` (available() false).
// Changes to links of our own namespace are lib/rtnl.ts.
import { closeSync, openSync } from 'node:fs';
import type { NetlinkSocket, RtNetlinkSocket } from 'netlink';
import { AppError, isMissingPath, KERNEL_ERRNO, LinkNotFoundError, NetnsGoneError } from './errors.ts';
import { netnsFile, netnsLabel, type NetnsRef } from './netns.ts';
import { refusal, rtnlError, rtnlQueued, rtnlSocket } from './rtnl-socket.ts';

type Sockets = { rt: RtNetlinkSocket; raw: NetlinkSocket };
/** Undefined when rtnetlink is not available here. */
const open = async (): Promise<Sockets | undefined> => {
  const r = await rtnlSocket();
  return r && { rt: r.sock, raw: r.raw };
};
/** `fn` on the shared queue (its errors typed by the caller: failure() below). */
const serial = <T>(fn: () => Promise<T>): Promise<T> => rtnlQueued(fn);

/** True when in-process rtnetlink can be used here. */
export const available = async (): Promise<boolean> => (await open()) !== undefined;

// One netlink attribute (RFC 3549 2.3.2: length, type, payload padded to 4 bytes).
const attr = (type: number, payload: Buffer): Buffer => {
  const h = Buffer.alloc(4);
  h.writeUInt16LE(4 + payload.length, 0);
  h.writeUInt16LE(type, 2);
  return Buffer.concat([h, payload, Buffer.alloc((4 - (payload.length % 4)) % 4)]);
};
const u32 = (v: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0);
  return b;
};
const s32 = (v: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeInt32LE(v);
  return b;
};
const str = (s: string): Buffer => Buffer.from(`${s}\0`);
const macBytes = (m: string): Buffer => Buffer.from(m.split(':').map((x) => parseInt(x, 16)));

// linux/rtnetlink.h, if_link.h, net_namespace.h, veth.h.
const RTM_NEWLINK = 16,
  RTM_NEWNSID = 88,
  RTM_GETNSID = 90;
const NETNSA_NSID = 1,
  NETNSA_FD = 3;
const IFLA_ADDRESS = 1,
  IFLA_IFNAME = 3,
  IFLA_MTU = 4,
  IFLA_LINKINFO = 18,
  IFLA_NET_NS_FD = 28;
const IFLA_INFO_KIND = 1,
  IFLA_INFO_DATA = 2,
  VETH_INFO_PEER = 1;
const NLM_F_EXCL = 0x200,
  NLM_F_CREATE = 0x400,
  IFF_UP = 1;

/**
 * The typed error of a failed request (rtnl-socket.ts rtnlError: ENODEV LinkNotFoundError, another
 * errno RtnlError naming it); ENOENT for a request naming namespace `ref` is NetnsGoneError.
 */
function failure(command: string, err: unknown, ref?: NetnsRef, errno = refusal(err)): AppError {
  if (ref && errno === KERNEL_ERRNO.noEntry) {
    return new NetnsGoneError(
      { command: `rtnetlink ${command}`, exitCode: 2, stderr: `RTNETLINK answers: ${errno}` },
      netnsLabel(ref),
      err,
    );
  }
  return rtnlError(command, err, undefined, errno);
}

/** Runs `fn` with an open fd of `ref`'s namespace file; a missing file is NetnsGoneError. */
function withNsFd<T>(ref: NetnsRef, what: string, fn: (fd: number) => Promise<T>): Promise<T> {
  let fd: number;
  try {
    fd = openSync(netnsFile(ref), 'r');
  } catch (err) {
    return Promise.reject(isMissingPath(err) ? failure(what, err, ref, KERNEL_ERRNO.noEntry) : err);
  }
  return fn(fd).finally(() => closeSync(fd));
}

/** The nsid `ref` has in our namespace, assigning one if it has none. */
async function nsid(s: Sockets, fd: number): Promise<number> {
  const get = async (): Promise<number> => {
    const [msgs] = await s.raw.request(RTM_GETNSID, Buffer.concat([Buffer.alloc(4), attr(NETNSA_FD, u32(fd))]));
    const d = msgs[0]?.data;
    for (let o = 4; d && o + 4 <= d.length; o += (d.readUInt16LE(o) + 3) & ~3) {
      if (d.readUInt16LE(o + 2) === NETNSA_NSID) return d.readInt32LE(o + 4);
    }
    return -1;
  };
  const id = await get();
  if (id >= 0) return id;
  // EEXIST: another process gave it one meanwhile (read below); any other refusal is thrown.
  await s.raw
    .request(RTM_NEWNSID, Buffer.concat([Buffer.alloc(4), attr(NETNSA_NSID, s32(-1)), attr(NETNSA_FD, u32(fd))]))
    .catch((err: unknown) => {
      if (refusal(err) !== KERNEL_ERRNO.exists) throw err;
    });
  return get();
}

/** Names of the links of `ref` (one dump, no child), or undefined when rtnetlink is not available. */
export async function linkNamesIn(ref: NetnsRef): Promise<string[] | undefined> {
  const s = await open();
  if (!s) return undefined;
  const names = (links: Awaited<ReturnType<RtNetlinkSocket['getLinks']>>) =>
    links.map((l) => l.attrs.ifname).filter((n): n is string => !!n);
  try {
    if ('self' in ref) return names(await serial(() => s.rt.getLinks()));
    return await withNsFd(ref, 'RTM_GETLINK', (fd) =>
      serial(async () => names(await s.rt.getLinks(undefined, { targetNetnsid: await nsid(s, fd) }))),
    );
  } catch (err) {
    throw err instanceof AppError ? err : failure(`RTM_GETLINK in ${netnsLabel(ref)}`, err, ref);
  }
}

/** True when this process's namespace has a link named `name`. */
async function hasLinkHere(s: Sockets, name: string): Promise<boolean> {
  try {
    const [m] = await serial(() => s.rt.getLink({}, { ifname: name }));
    return !!m;
  } catch (err) {
    const f = failure(`RTM_GETLINK ${name}`, err);
    if (f instanceof LinkNotFoundError) return false;
    throw f;
  }
}

/** A struct ifinfomsg (16 bytes), IFF_UP set and changed when `up`. */
function ifinfo(up?: boolean): Buffer {
  const b = Buffer.alloc(16);
  if (up) {
    b.writeUInt32LE(IFF_UP, 8);
    b.writeUInt32LE(IFF_UP, 12);
  }
  return b;
}

/**
 * What addVeth makes: `name` here, `peer` born in `peerNs` with `peerAddress` (up with `peerUp`); both with `mtu`,
 * `name` with `localMtu` if given.
 */
export interface RtVeth {
  name: string;
  peer: string;
  peerNs: NetnsRef;
  peerAddress?: string;
  mtu?: number;
  localMtu?: number;
  peerUp?: boolean;
}

/**
 * Creates the veth pair in one RTM_NEWLINK (NLM_F_EXCL: a name taken on either side fails it
 * whole): the device the message describes is `peer`, made in `peerNs` (IFLA_NET_NS_FD) with
 * its MAC, MTU and up state; its veth peer (VETH_INFO_PEER) is `name`, here. That way round the
 * far end can be born up: veth_open fails (ENOTCONN) for the end made first, before the pair
 * is linked, so `name` is set up afterwards (setLinkUp). False when rtnetlink is not available.
 */
export async function addVeth(v: RtVeth): Promise<boolean> {
  const s = await open();
  if (!s) return false;
  // Older kernels (Debian's 6.1 does, this machine's 6.18 does not) look the message's IFLA_IFNAME
  // up in the sender's namespace before they read IFLA_NET_NS_FD: a link of ours named like the peer (the node's own
  // eth0 when a
  // container's nic is eth0) makes the request EEXIST (NLM_F_EXCL: never a change to our link).
  // Then the caller's `ip` path (our end described first, the peer born there) does it.
  if (await hasLinkHere(s, v.peer)) return false;
  const what = `RTM_NEWLINK veth ${v.name} peer ${v.peer} netns ${netnsLabel(v.peerNs)}`;
  await withNsFd(v.peerNs, what, async (fd) => {
    const mtu = v.mtu ? attr(IFLA_MTU, u32(v.mtu)) : Buffer.alloc(0);
    const localMtu = v.localMtu ?? v.mtu;
    const local = Buffer.concat([
      ifinfo(),
      attr(IFLA_IFNAME, str(v.name)),
      ...(localMtu ? [attr(IFLA_MTU, u32(localMtu))] : []),
    ]);
    const linkinfo = Buffer.concat([
      attr(IFLA_INFO_KIND, str('veth')),
      attr(IFLA_INFO_DATA, attr(VETH_INFO_PEER, local)),
    ]);
    const msg = Buffer.concat([
      ifinfo(v.peerUp),
      attr(IFLA_IFNAME, str(v.peer)),
      attr(IFLA_NET_NS_FD, u32(fd)),
      mtu,
      ...(v.peerAddress ? [attr(IFLA_ADDRESS, macBytes(v.peerAddress))] : []),
      attr(IFLA_LINKINFO, linkinfo),
    ]);
    try {
      await serial(() => s.rt.request(RTM_NEWLINK, msg, { flags: NLM_F_CREATE | NLM_F_EXCL }));
    } catch (err) {
      throw failure(what, err, v.peerNs);
    }
  });
  return true;
}
