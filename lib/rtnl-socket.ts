// The one in-process rtnetlink socket both programs share (the `netlink` package's addon, its
// rtnetlink part only), a queue that sends one request at a time (the package mixes up the
// answers of two dumps in flight on one socket), and the typed error of a refusal. A socket
// acts in the namespace of this process (Node cannot setns): lib/rtnl.ts changes links here,
// lib/rtnl-netns.ts reaches other namespaces where the kernel lets a request name them. No
// addon (a broken bundle must not keep a node offline) or turned off (ZOS_RTNL=0, which each
// program's settings module reads and hands to setRtnlEnabled): callers use `ip`.
import type { NetlinkSocket, RtNetlinkSocket } from 'netlink';
import { AppError, errnoOf, InternalError, KERNEL_ERRNO, LinkNotFoundError, RtnlError } from './errors.ts';
import { isSelf, type NetnsRef } from './netns.ts';

/** The package's rtnetlink module with its link-attribute codecs. */
export type Nl = typeof import('netlink/dist/rt/rt.js') & { ifla: typeof import('netlink/dist/rt/ifla.js') };
/** The open sockets: `sock` speaks rtnetlink, `raw` sends messages the package has no type for (nsid). */
export interface Rtnl {
  nl: Nl;
  sock: RtNetlinkSocket;
  raw: NetlinkSocket;
}

let loaded: Promise<Rtnl | undefined> | undefined;
let enabled = true;

/** Turns the in-process socket off (false: `ip` for everything); before its first use. */
export function setRtnlEnabled(on: boolean): void {
  enabled = on;
}
let pending = 0;
/** The tail of the request queue. */
let tail: Promise<unknown> = Promise.resolve();

/** The shared sockets, opened on first use (undefined: use `ip`). */
export function rtnlSocket(): Promise<Rtnl | undefined> {
  loaded ??= !enabled
    ? Promise.resolve(undefined)
    : Promise.all([
        import('netlink/dist/rt/rt.js'),
        import('netlink/dist/rt/ifla.js'),
        import('netlink/dist/netlink.js'),
      ]).then(
        ([nl, ifla, base]) => {
          const sock = nl.createRtNetlink();
          const raw = base.createNetlink(0 /* NETLINK_ROUTE */);
          // ref'd only while a request waits (below): they never keep a oneshot alive
          sock.socket.unref();
          raw.unref();
          return { nl: { ...nl, ifla }, sock, raw };
        },
        () => undefined,
      ); // any load failure: no addon here, callers use `ip` (above)
  return loaded;
}

/** True when changes in `ref` can go in-process (this namespace, addon loaded); false: through `ip`. */
export async function inProcess(ref: NetnsRef): Promise<boolean> {
  return isSelf(ref) && (await rtnlSocket()) !== undefined;
}

/**
 * The errno name of a failed request: the kernel's answer as the package words it ("Request
 * rejected: ENODEV"), or the socket's own system error (ENOBUFS); undefined for anything else.
 */
export const refusal = (err: unknown): string | undefined =>
  /Request rejected: (\S+)/.exec(String(err))?.[1] ?? errnoOf(err);

/**
 * The typed error of a failed request: ENODEV is LinkNotFoundError (worded as `ip`'s "RTNETLINK
 * answers: ENODEV"), any other errno RtnlError (ERTNL, naming it: no child ran, so no exit
 * status), and a failure that is no errno at all (the package's own) InternalError.
 */
export function rtnlError(what: string, err: unknown, dev?: string, errno = refusal(err)): AppError {
  if (errno === undefined)
    return new InternalError(`rtnetlink ${what}: ${err instanceof Error ? err.message : String(err)}`, err);
  if (errno === KERNEL_ERRNO.noDevice)
    return new LinkNotFoundError(
      { command: `rtnetlink ${what}`, exitCode: 2, stderr: `RTNETLINK answers: ${errno}` },
      dev,
      err,
    );
  return new RtnlError(what, errno, dev, err);
}

/**
 * Runs `fn` once every request queued before it has finished, the sockets referenced meanwhile
 * (they keep the process alive only while a request waits). Its failures pass unchanged: for
 * callers that type them themselves. Only for callers that checked rtnlSocket() (or inProcess).
 */
export function rtnlQueued<T>(fn: (r: Rtnl) => Promise<T>): Promise<T> {
  const run = async (): Promise<T> => {
    const r = (await rtnlSocket())!;
    if (pending++ === 0) {
      r.sock.socket.ref();
      r.raw.ref();
    }
    try {
      return await fn(r);
    } finally {
      if (--pending === 0) {
        r.sock.socket.unref();
        r.raw.unref();
      }
    }
  };
  const r = tail.then(run, run);
  tail = r.catch(() => undefined); // the queue's tail only orders requests; `r` carries the error to its caller
  return r;
}

/** rtnlQueued, a refusal typed (rtnlError) unless `fn` threw a typed error already. */
export function rtnlRequest<T>(what: string, dev: string | undefined, fn: (r: Rtnl) => Promise<T>): Promise<T> {
  return rtnlQueued(fn).catch((err: unknown) => {
    throw err instanceof AppError ? err : rtnlError(what, err, dev);
  });
}
