// Absolute paths of the programs the agent runs and hands to others. The probe and zinit's
// dhcp-zos must run the same DHCP client: an image may have busybox without a `udhcpc` applet
// link, where a unit saying `exec: udhcpc` cannot be spawned at all (zinit: state Failure, never
// retried) and the node loses its lease at the first renewal. Resolved once per run, from PATH,
// and checked again before a hand-off. `ip` by absolute path too: the image's busybox sh runs
// its own `ip` applet (no `onlink` in some versions, no `monitor`) before anything on PATH.
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { delimiter, isAbsolute, join } from 'node:path';
import { noDhcpClient, noIpTool } from '../lib/errors.ts';
import { run } from '../lib/exec.ts';

/** A DHCP client command: `["/usr/sbin/udhcpc"]` or `["/usr/bin/busybox", "udhcpc"]`. */
export interface DhcpClient {
  argv: string[];
}

/** The absolute path of executable `name` on `path` (PATH's format), or undefined. */
export async function which(name: string, path = process.env.PATH ?? ''): Promise<string | undefined> {
  for (const dir of path.split(delimiter)) {
    if (!isAbsolute(dir)) continue; // a relative PATH entry would depend on zinit's cwd
    const file = join(dir, name);
    try {
      if ((await stat(file)).isFile()) {
        await access(file, constants.X_OK);
        return file;
      }
    } catch { /* not here */ }
  }
  return undefined;
}

/** A `udhcpc` on PATH, else busybox when `busybox --list` has the applet; EDHCPCLIENT if neither. */
export async function findDhcpClient(path = process.env.PATH ?? ''): Promise<DhcpClient> {
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
  resolved ??= findDhcpClient().catch((err: unknown) => { resolved = undefined; throw err; });
  return resolved;
}

/** Checks that the client is still an executable file before zinit is told to run it. */
export async function checkDhcpClient(c: DhcpClient): Promise<void> {
  const file = c.argv[0]!;
  try {
    if (!(await stat(file)).isFile()) throw new Error('not a file');
    await access(file, constants.X_OK);
  } catch (err) {
    throw noDhcpClient(`DHCP client ${file} is not an executable file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { file });
  }
}

/** Absolute path of iproute2's `ip` for scripts we write (EIPMISSING when PATH has none). */
export async function ipPath(path = process.env.PATH ?? ''): Promise<string> {
  const p = await which('ip', path);
  if (!p) throw noIpTool(path);
  return p;
}
