// iproute2 with the network namespace named on every call: Node cannot setns per thread, so
// a namespace is always given to `ip -n`, never assumed. `ns` undefined means the namespace this
// process runs in.
import { run, type RunOptions } from './exec.ts';

/** Runs `ip [-n ns] args...`, returning stdout. */
export async function ip(ns: string | undefined, args: readonly string[], opts: RunOptions = {}): Promise<string> {
  const full = ns ? ['-n', ns, ...args] : [...args];
  return (await run('ip', full, { timeoutMs: 15_000, ...opts })).stdout;
}

/** Runs `ip -j [-n ns] args...` and parses the JSON answer ([] when ip prints nothing). */
export async function ipJson<T = unknown>(ns: string | undefined, args: readonly string[]): Promise<T[]> {
  const out = await ip(ns, ['-j', ...args]);
  const text = out.trim();
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

/** Lists links in `ns` with details, or one link when `name` is given ([] if it does not exist). */
export async function listLinks(ns: string | undefined, name?: string): Promise<IpLink[]> {
  if (name === undefined) return ipJson<IpLink>(ns, ['-d', 'link', 'show']);
  const r = await run('ip', [...(ns ? ['-n', ns] : []), '-j', '-d', 'link', 'show', 'dev', name], { allowFailure: true, timeoutMs: 15_000 });
  if (r.exitCode !== 0) return [];
  return JSON.parse(r.stdout.trim() || '[]') as IpLink[];
}
