// iproute2 with the network namespace named on every call (a NetnsRef, lib/netns.ts). Failures
// are typed where callers decide on them (a delete takes "not found" as done): LinkNotFoundError,
// NetnsGoneError, IpTimeoutError, else IpError; all of them are ExecErrors.
import { IpError, IpTimeoutError, LinkNotFoundError, NetnsGoneError, type ExecError } from './errors.ts';
import type { RunFailure } from './exec.ts';
import { runIn, type NetnsRef } from './netns.ts';

/** Options of one `ip` call. */
export interface IpOptions {
  /** Default 15 s: `ip` answers in milliseconds unless the kernel's rtnl lock is contended. */
  timeoutMs?: number;
  /** Text for stdin (`ip -batch -`). */
  input?: string;
  signal?: AbortSignal;
}

const NOT_FOUND =
  /Cannot find device "([^"]*)"|Device "([^"]*)" does not exist|^(?:RTNETLINK answers|Error): No such device/m;
const TARGET_GONE = /Invalid "netns" value|^RTNETLINK answers: No such process/m;

/** The typed error for a failed `ip`/`bridge` call in `ref` (the namespace itself: lib/netns.ts). */
function ipErrorOf(f: RunFailure, cause?: unknown, target?: string): ExecError {
  if (f.timedOut) return new IpTimeoutError(f, cause);
  const nf = NOT_FOUND.exec(f.stderr);
  if (nf) return new LinkNotFoundError(f, nf[1] ?? nf[2], cause);
  if (TARGET_GONE.test(f.stderr)) return new NetnsGoneError(f, target ?? 'target', cause);
  return new IpError(f, cause);
}

/** Runs `ip args...` in `ref`, returning stdout; fails with the typed errors above. */
export async function ip(ref: NetnsRef, args: readonly string[], opts: IpOptions = {}): Promise<string> {
  const at = args.indexOf('netns');
  const target = at >= 0 ? args[at + 1] : undefined;
  return (await runIn(ref, 'ip', args, { timeoutMs: 15_000, ...opts }, (f, cause) => ipErrorOf(f, cause, target)))
    .stdout;
}

/** Runs `bridge args...` (iproute2) in `ref`, returning stdout; errors as ip(). */
export async function bridge(ref: NetnsRef, args: readonly string[], opts: IpOptions = {}): Promise<string> {
  return (await runIn(ref, 'bridge', args, { timeoutMs: 15_000, ...opts }, (f, cause) => ipErrorOf(f, cause))).stdout;
}

/** Runs `ip -j args...` in `ref` and parses the JSON answer ([] when ip prints nothing). */
export async function ipJson<T = unknown>(ref: NetnsRef, args: readonly string[]): Promise<T[]> {
  const text = (await ip(ref, ['-j', ...args])).trim();
  return text ? (JSON.parse(text) as T[]) : [];
}

/** The part of `ip -j -d link show` we read. */
export interface IpLink {
  ifindex: number;
  ifname: string;
  flags: string[];
  mtu: number;
  operstate: string;
  address?: string;
  master?: string;
  link_type?: string;
  linkinfo?: { info_kind?: string; info_slave_kind?: string; info_data?: Record<string, unknown> };
  parentbus?: string;
  parentdev?: string;
}

/**
 * Lists the links of `ref` with details, or the one link `name` ([] when it does not exist).
 * Every other failure (namespace gone, ip failed or timed out) is thrown.
 */
export async function listLinks(ref: NetnsRef, name?: string): Promise<IpLink[]> {
  if (name === undefined) return ipJson<IpLink>(ref, ['-d', 'link', 'show']);
  try {
    return await ipJson<IpLink>(ref, ['-d', 'link', 'show', 'dev', name]);
  } catch (err) {
    if (err instanceof LinkNotFoundError) return [];
    throw err;
  }
}

/** The link `name` in `ref`, or undefined when it does not exist. */
export async function getLink(ref: NetnsRef, name: string): Promise<IpLink | undefined> {
  return (await listLinks(ref, name))[0];
}
