// Per-namespace sysctls. Keys use the slash form (net/ipv6/conf/<if>/...) so interface names
// with dots stay unambiguous; `ns` undefined means the namespace this process runs in.
import { run } from '../lib/exec.ts';
import { netnsPath } from '../lib/netns.ts';

/** Sets `key` (slash form) to `value` in namespace `ns`. */
export async function setSysctl(ns: string | undefined, key: string, value: string | number): Promise<void> {
  const args = ['-qw', `${key}=${value}`];
  if (ns) await run('nsenter', [`--net=${netnsPath(ns)}`, '--', 'sysctl', ...args], { timeoutMs: 10_000 });
  else await run('sysctl', args, { timeoutMs: 10_000 });
}

/** Reads `key` (slash form) in namespace `ns`, or undefined when it does not exist. */
export async function getSysctl(ns: string | undefined, key: string): Promise<string | undefined> {
  const args = ['-n', key];
  const r = ns ? await run('nsenter', [`--net=${netnsPath(ns)}`, '--', 'sysctl', ...args], { allowFailure: true, timeoutMs: 10_000 })
    : await run('sysctl', args, { allowFailure: true, timeoutMs: 10_000 });
  return r.exitCode === 0 ? r.stdout.trim() : undefined;
}
