// Candidates go up in the agent's namespace only to show carrier. RAs are refused there first:
// an RA in the moment before the NIC moves would give it a SLAAC address and a default route
// here (and on the next run it would count as live).
import { ExecError, isMissingPath } from '../../lib/errors.ts';
import { ip } from '../../lib/ip.ts';
import type { Logger } from '../../lib/log.ts';
import { SELF } from '../../lib/netns.ts';
import { inProcess, setLinkUp } from '../../lib/rtnl.ts';
import { setSysctl } from '../../lib/sysctl.ts';

const stderrOf = (err: unknown): string => (err instanceof ExecError ? err.stderr : String(err)).trim();

/** Refuses RAs on `nic` before it goes up; no such key (IPv6 off, the link gone) is fine, another failure is logged. */
const refuseRa = (nic: string, log: Logger): Promise<void> =>
  setSysctl(SELF, `net/ipv6/conf/${nic}/accept_ra`, 0).catch((err: unknown) => {
    if (!isMissingPath(err)) log.warn('accept-ra-failed', { nic, error: String(err) });
  });

/** Sets `nic` up (RAs refused first); false, logged, when the kernel refuses. */
export async function linkUp(nic: string, log: Logger): Promise<boolean> {
  await refuseRa(nic, log);
  try {
    await setLinkUp(SELF, nic, true);
    return true;
  } catch (err) {
    log.warn('link-up-failed', { nic, stderr: stderrOf(err) });
    return false;
  }
}

/**
 * Sets every NIC up, in-process (lib/rtnl.ts), else in one `ip -force -batch -`: each fork holds the agent's only
 * thread for
 * a while (test/bench/spawn.ts measures how long), and one per NIC delayed every probe; a name
 * ip's batch parser would split is set up alone. Returns the NICs that went up.
 */
export async function linksUp(nics: string[], log: Logger): Promise<Set<string>> {
  if (await inProcess(SELF)) {
    // no fork at all (lib/rtnl.ts)
    const up = await Promise.all(nics.map((n) => linkUp(n, log)));
    return new Set(nics.filter((_, i) => up[i]));
  }
  // the batch parser splits on blanks, '#' starts a comment
  const batchable = nics.filter((n) => /^[A-Za-z0-9_.@-]+$/.test(n));
  const alone = nics.filter((n) => !batchable.includes(n));
  await Promise.all(batchable.map((n) => refuseRa(n, log)));
  const input = batchable.map((n) => `link set ${n} up\n`).join('');
  // `-force`: every line is tried; the failed ones are named in stderr and make ip exit non-zero.
  const batch = async (): Promise<string> => {
    if (!input) return '';
    try {
      await ip(SELF, ['-force', '-batch', '-'], { input });
      return '';
    } catch (err) {
      if (err instanceof ExecError && !err.timedOut) return err.stderr;
      throw err;
    }
  };
  const [stderr, ...single] = await Promise.all([batch(), ...alone.map((n) => linkUp(n, log))]);
  const up = new Set(alone.filter((_, i) => single[i]));
  // Failed lines are named "Command failed -:<line>", each after its own error message.
  const failed = new Set([...stderr.matchAll(/Command failed -:(\d+)/g)].map((m) => Number(m[1]) - 1));
  batchable.forEach((n, i) => {
    if (!failed.has(i)) up.add(n);
    else log.warn('link-up-failed', { nic: n, stderr: stderr.trim() });
  });
  return up;
}

/** Sets a NIC we brought up down again (a loser, on the way out); a failure is logged, not thrown. */
export async function linkDown(nic: string, log: Logger): Promise<void> {
  await setLinkUp(SELF, nic, false).catch((err: unknown) =>
    log.debug('link-down-failed', { nic, stderr: stderrOf(err) }),
  );
}
