// Absolute paths of the programs the agent runs and hands to others. The probe and zinit's
// dhcp-zos must run the same DHCP client: an image may have busybox without a `udhcpc` applet
// link, where a unit saying `exec: udhcpc` cannot be spawned at all (zinit: state Failure, never
// retried) and the node loses its lease at the first renewal. Resolved once per run, from PATH,
// and checked again before a hand-off. `ip` (and util-linux `setpriv`) by absolute path too:
// Debian's busybox-static shell runs its own applets before $PATH, and busybox's `ip` has no
// `monitor` (a NIC whose carrier comes later is never seen) and no `onlink` in some versions.
// A candidate counts only if its version line names the real tool, so a busybox symlink named
// `ip` or `setpriv` is never taken.
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { delimiter, isAbsolute, join } from 'node:path';
import { ExecError, isAccessDenied, isMissingPath, isNotDirectory, noDhcpClient, noIpTool } from './errors.ts';
import { run } from './exec.ts';

/**
 * udhcpc's ARP check of an offered address (`-aMSEC`, RFC 5227 2.1.1; busybox's default wait is
 * 2000 ms): a host already holding the address answers and udhcpc sends DHCPDECLINE, then
 * discovers again after `-A` seconds. A holder answers within a millisecond or two on a LAN and
 * every lease waits the full time, so it is short. Used by the agent's probe, dhcp-zos and the
 * plugin's DHCP nics alike.
 */
export const ARP_CHECK = '-a300';

/** PATH when a program's settings have not set one (tests calling these in-process). */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

let searchPath = DEFAULT_PATH;

/** The PATH this process looks tools up on (each program's settings module sets it from PATH at start). */
export function setToolPath(path: string): void {
  searchPath = path;
}

/** A DHCP client command: `["/usr/sbin/udhcpc"]` or `["/usr/bin/busybox", "udhcpc"]`. */
export interface DhcpClient {
  argv: string[];
}

/** The absolute path of executable `name` on `path` (PATH's format), or undefined. */
export async function which(name: string, path = searchPath): Promise<string | undefined> {
  for (const dir of path.split(delimiter)) {
    if (!isAbsolute(dir)) continue; // a relative PATH entry would depend on zinit's cwd
    const file = join(dir, name);
    try {
      if ((await stat(file)).isFile()) {
        await access(file, constants.X_OK);
        return file;
      }
    } catch (err) {
      // not here, or not ours to run
      if (!isMissingPath(err) && !isAccessDenied(err) && !isNotDirectory(err)) throw err;
    }
  }
  return undefined;
}

/** A `udhcpc` on PATH, else busybox when `busybox --list` has the applet; EDHCPCLIENT if neither. */
export async function findDhcpClient(path = searchPath): Promise<DhcpClient> {
  const own = await which('udhcpc', path);
  if (own) return { argv: [own] };
  const busybox = await which('busybox', path);
  if (busybox) {
    const r = await run(busybox, ['--list'], { allowFailure: true, timeoutMs: 5000 });
    if (r.exitCode === 0 && r.stdout.split('\n').includes('udhcpc')) return { argv: [busybox, 'udhcpc'] };
  }
  throw noDhcpClient(`no DHCP client: neither udhcpc nor busybox with the udhcpc applet on PATH (${path})`, { path });
}

let resolved: Promise<DhcpClient> | undefined;

/** The DHCP client of this run, resolved on first use (a failure is not remembered). */
export function dhcpClient(): Promise<DhcpClient> {
  resolved ??= findDhcpClient().catch((err: unknown) => {
    resolved = undefined;
    throw err;
  });
  return resolved;
}

/** Checks that the client is still an executable file before zinit is told to run it. */
export async function checkDhcpClient(c: DhcpClient): Promise<void> {
  const file = c.argv[0]!;
  try {
    if (!(await stat(file)).isFile()) throw new Error('not a file');
    await access(file, constants.X_OK);
  } catch (err) {
    throw noDhcpClient(
      `DHCP client ${file} is not an executable file ` +
        `(${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      { file },
    );
  }
}

/** Absolute path of iproute2's `ip` for scripts we write (EIPMISSING when there is none). */
export async function ipPath(path = searchPath, places: readonly string[] = IP_PLACES): Promise<string> {
  const p = await findTool(candidatesFor('ip', places, path), '-V', /iproute2/);
  if (!p) throw noIpTool(path);
  return p;
}

/** Where iproute2's `ip` lives on Debian and on merged-/usr systems, before $PATH. */
export const IP_PLACES = ['/usr/sbin/ip', '/sbin/ip', '/bin/ip', '/usr/bin/ip'];

/** Where util-linux's `setpriv` lives, before $PATH. */
export const SETPRIV_PLACES = ['/usr/bin/setpriv', '/bin/setpriv', '/usr/sbin/setpriv'];

/** `places`, then each `$PATH` entry + `name`, without repeats. */
export function candidatesFor(name: string, places: readonly string[], path = searchPath): string[] {
  return [
    ...new Set([
      ...places,
      ...path
        .split(delimiter)
        .filter(Boolean)
        .map((d) => join(d, name)),
    ]),
  ];
}

/** The first candidate whose `<path> <versionFlag>` prints `mark` (undefined: none does). */
export async function findTool(
  candidates: readonly string[],
  versionFlag: string,
  mark: RegExp,
): Promise<string | undefined> {
  for (const c of candidates) {
    // It could not run or ran past its time: not this one. Anything else is thrown.
    const r = await run(c, [versionFlag], { allowFailure: true, timeoutMs: 5000 }).catch((err: unknown) => {
      if (err instanceof ExecError) return undefined;
      throw err;
    });
    if (r && r.exitCode === 0 && mark.test(r.stdout + r.stderr)) return c;
  }
  return undefined;
}

let ipTool: Promise<string | undefined> | undefined;
let setprivTool: Promise<string | undefined> | undefined;

/** iproute2's `ip` ("ip utility, iproute2-6.1.0"), resolved once per process. */
export const iproute2Ip = (): Promise<string | undefined> =>
  (ipTool ??= findTool(candidatesFor('ip', IP_PLACES), '-V', /iproute2/));

/** util-linux's `setpriv` ("setpriv from util-linux 2.38.1"), resolved once per process. */
export const utilLinuxSetpriv = (): Promise<string | undefined> =>
  (setprivTool ??= findTool(candidatesFor('setpriv', SETPRIV_PLACES), '--version', /util-linux/));
