// Per-namespace sysctls. Keys use the slash form (net/ipv6/conf/<if>/...) so interface names
// with dots stay unambiguous. /proc/sys/net shows the namespace of the process reading it, so
// this process's own namespace is read and written directly (no fork); any other goes through
// `sysctl` run inside it (lib/netns.ts runIn).
import { readFile, writeFile } from 'node:fs/promises';
import { isMissingPath } from './errors.ts';
import { isSelf, runIn, type NetnsRef } from './netns.ts';

/** Sets `key` (slash form) to `value` in `ref`. */
export async function setSysctl(ref: NetnsRef, key: string, value: string | number): Promise<void> {
  if (isSelf(ref)) return writeFile(`/proc/sys/${key}`, `${value}\n`);
  await runIn(ref, 'sysctl', ['-qw', `${key}=${value}`], { timeoutMs: 10_000 });
}

/** Reads `key` (slash form) in `ref`, or undefined when it does not exist. */
export async function getSysctl(ref: NetnsRef, key: string): Promise<string | undefined> {
  if (isSelf(ref))
    return readFile(`/proc/sys/${key}`, 'utf8').then(
      (v) => v.trim(),
      (err: unknown) => {
        if (isMissingPath(err)) return undefined;
        throw err;
      },
    );
  const r = await runIn(ref, 'cat', [`/proc/sys/${key}`], { allowFailure: true, timeoutMs: 10_000 });
  return r.exitCode === 0 ? r.stdout.trim() : undefined;
}
