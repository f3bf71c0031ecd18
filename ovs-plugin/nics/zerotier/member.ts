// A zerotier nic's member process: `zerotier-one -U <home>` started inside the target's network
// namespace (nsenter --net=, which execs it in place: the pid we get is zerotier-one's), detached
// from us so it outlives an exec call, as the dhcp kind's udhcpc. It writes its pid into
// `<home>/zerotier-one.pid`; a member is ours when its command line names exactly our home, so a
// member started by a plugin killed before it read that file is still found (by a scan of
// /proc). Stopped with SIGTERM (it removes its TAP), then SIGKILL after a bound.
import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { sleep } from '../../../lib/backoff.ts';
import { spawnDetached } from '../../../lib/child.ts';
import { isMissingPath, isProcessGone } from '../../../lib/errors.ts';
import type { NetnsRef } from '../../../lib/netns.ts';
import type { ZtMember } from '../types.ts';

/** How long a member has to stop on SIGTERM (measured: 1-2 s) before SIGKILL. */
const TERM_MS = 5000;
/** How long a SIGKILLed member may take to be gone. */
const KILL_MS = 2000;

/** `/proc/<pid>/<file>`, or '' when the process is gone (ENOENT, ESRCH). */
async function procFile(pid: number, file: string): Promise<string> {
  return readFile(`/proc/${pid}/${file}`, 'utf8').catch((err: unknown) => {
    if (isMissingPath(err) || isProcessGone(err)) return '';
    throw err;
  });
}

/** True when `pid` is a live (not zombie) zerotier-one of `home`. */
async function isMember(pid: number, home: string): Promise<boolean> {
  const argv = (await procFile(pid, 'cmdline')).split('\0');
  if (basename(argv[0] ?? '') !== 'zerotier-one' || argv.at(-2) !== home) return false;
  const stat = await procFile(pid, 'stat');
  return stat !== '' && stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
}

/** The pids of the members of `home`: the one its pid file names, else any a scan of /proc finds. */
export async function memberPids(home: string): Promise<number[]> {
  const named = Number(
    (
      await readFile(join(home, 'zerotier-one.pid'), 'utf8').catch((err: unknown) => {
        if (isMissingPath(err)) return '';
        throw err;
      })
    ).trim(),
  );
  if (Number.isInteger(named) && named > 1 && (await isMember(named, home))) return [named];
  const out: number[] = [];
  for (const p of await readdir('/proc')) if (/^\d+$/.test(p) && (await isMember(Number(p), home))) out.push(Number(p));
  return out;
}

/** The arguments a member runs with: the last is its home (memberPids looks for it there). */
export const memberArgs = (m: ZtMember): string[] => ['-U', `-p${m.port}`, m.home];

/** Starts the member of `m` inside `target`; resolves with its pid once it runs. */
export const startMember = (target: NetnsRef, bin: string, m: ZtMember): Promise<number> =>
  spawnDetached(target, bin, memberArgs(m));

/** Waits up to `ms` for `pid` to stop being a member of `home`; true when it is gone. */
async function goneWithin(pid: number, home: string, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    if (!(await isMember(pid, home))) return true;
    if (Date.now() > end) return false;
    await sleep(50);
  }
}

/** Sends `sig` to `pid`; a process that is gone is success. */
function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (err) {
    if (!isProcessGone(err)) throw err;
  }
}

/** Stops every member of `home`: SIGTERM, then SIGKILL after TERM_MS; none running is success. */
export async function stopMember(home: string): Promise<void> {
  for (const pid of await memberPids(home)) {
    signal(pid, 'SIGTERM');
    if (await goneWithin(pid, home, TERM_MS)) continue;
    signal(pid, 'SIGKILL');
    await goneWithin(pid, home, KILL_MS);
  }
}
