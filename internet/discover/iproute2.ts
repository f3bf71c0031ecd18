// The iproute2 `ip` (and util-linux `setpriv`) the link-event fallback runs, by absolute path,
// resolved once. Debian's busybox-static shell runs its own applets before $PATH, and busybox's
// `ip` has no `monitor`: it prints its usage and exits, so a NIC whose carrier comes later is
// never seen (measured in a booted image). A candidate counts only if its version line names
// the real tool, so a busybox symlink named `ip` or `setpriv` is never taken.
import { delimiter, join } from 'node:path';
import { run } from '../../lib/exec.ts';

/** Where iproute2's `ip` lives on Debian and on merged-/usr systems, before $PATH. */
export const IP_PLACES = ['/usr/sbin/ip', '/sbin/ip', '/bin/ip', '/usr/bin/ip'];

/** Where util-linux's `setpriv` lives, before $PATH. */
export const SETPRIV_PLACES = ['/usr/bin/setpriv', '/bin/setpriv', '/usr/sbin/setpriv'];

/** `places`, then each `$PATH` entry + `name`, without repeats. */
export function candidatesFor(name: string, places: readonly string[], path = process.env.PATH ?? ''): string[] {
  return [...new Set([...places, ...path.split(delimiter).filter(Boolean).map((d) => join(d, name))])];
}

/** The first candidate whose `<path> <versionFlag>` prints `mark` (undefined: none does). */
export async function findTool(candidates: readonly string[], versionFlag: string, mark: RegExp): Promise<string | undefined> {
  for (const c of candidates) {
    const r = await run(c, [versionFlag], { allowFailure: true, timeoutMs: 5000 }).catch(() => undefined);
    if (r && r.exitCode === 0 && mark.test(r.stdout + r.stderr)) return c;
  }
  return undefined;
}

let ipTool: Promise<string | undefined> | undefined;
let setprivTool: Promise<string | undefined> | undefined;

/** iproute2's `ip` ("ip utility, iproute2-6.1.0"), resolved once per process. */
export const iproute2Ip = (): Promise<string | undefined> => (ipTool ??= findTool(candidatesFor('ip', IP_PLACES), '-V', /iproute2/));

/** util-linux's `setpriv` ("setpriv from util-linux 2.38.1"), resolved once per process. */
export const utilLinuxSetpriv = (): Promise<string | undefined> =>
  (setprivTool ??= findTool(candidatesFor('setpriv', SETPRIV_PLACES), '--version', /util-linux/));
