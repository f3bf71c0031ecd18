// Per-namespace sysctls. Keys use the slash form (net/ipv6/conf/<if>/...) so interface names
// with dots stay unambiguous; `ns` undefined means the namespace this process runs in, where
// /proc/sys/net shows this process's own namespace and is written directly (no fork).
import { readFile, writeFile } from 'node:fs/promises';
import { run } from './exec.ts';
import { netnsPath } from './netns.ts';

/** Sets `key` (slash form) to `value` in namespace `ns`. */
export async function setSysctl(ns: string | undefined, key: string, value: string | number): Promise<void> {
  if (!ns) return writeFile(`/proc/sys/${key}`, `${value}\n`);
  await run('nsenter', [`--net=${netnsPath(ns)}`, '--', 'sysctl', '-qw', `${key}=${value}`], { timeoutMs: 10_000 });
}

/** Reads `key` (slash form) in namespace `ns`, or undefined when it does not exist. */
export async function getSysctl(ns: string | undefined, key: string): Promise<string | undefined> {
  if (!ns) return readFile(`/proc/sys/${key}`, 'utf8').then((v) => v.trim(), () => undefined);
  const r = await run('nsenter', [`--net=${netnsPath(ns)}`, '--', 'sysctl', '-n', key], { allowFailure: true, timeoutMs: 10_000 });
  return r.exitCode === 0 ? r.stdout.trim() : undefined;
}
