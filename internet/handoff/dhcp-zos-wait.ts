// After `monitor dhcp-zos`, ask zinit how the unit fared. zinit v0.2.14 marks a unit it cannot
// spawn (a missing binary) `Failure` and never retries it; a client that exits at once flaps
// between Running and Error (zinit restarts it 2 s later). The hand-off counts only when the
// client has run with the same pid for `settleMs` (or, as a oneshot, exited 0: Success), or as
// soon as that very process has shown it runs: `started(pid)` (the hand-off's: the mark its hook
// script leaves on udhcpc's first deconfig, after the client parsed its arguments and found zos;
// dhcp-zos-script.ts), which saves the settle time on every boot.
import { dhcpZosNotRunning } from '../../lib/errors.ts';
import { sleep } from '../../lib/backoff.ts';
import type { ServiceStatus, ZinitClient } from '../../zinit/client.ts';

/** zinit service name of the permanent DHCP client (as Zero-OS names it). */
export const DHCP_ZOS = 'dhcp-zos';

/** How long to wait for dhcp-zos to run, how long it must keep one pid, how often to ask. */
export interface WaitDhcpZosOptions {
  timeoutMs?: number;
  settleMs?: number;
  pollMs?: number;
  /** True once the client with this pid has shown it runs (checked on each Running answer). */
  started?: (pid: number) => Promise<boolean>;
}

/** Polls `status dhcp-zos` until it runs; EDHCPZOS naming zinit's state when it does not. */
export async function waitDhcpZos(client: ZinitClient, o: WaitDhcpZosOptions = {}): Promise<ServiceStatus> {
  const { timeoutMs = 10_000, settleMs = 200, pollMs = 20 } = o;
  const end = Date.now() + timeoutMs;
  let since: { pid: number; at: number } | undefined;
  for (;;) {
    const s = await client.status(DHCP_ZOS);
    if (!s) throw dhcpZosNotRunning(`zinit does not know ${DHCP_ZOS} after monitor`, { state: null });
    if (s.state === 'Success') return s;
    if (s.state === 'Failure') {
      throw dhcpZosNotRunning(`zinit could not spawn ${DHCP_ZOS} (state Failure; zinit does not retry it)`, {
        state: s.state,
      });
    }
    if (s.state === 'Running' && s.pid > 0) {
      if (o.started && (await o.started(s.pid))) return s;
      if (since?.pid !== s.pid) since = { pid: s.pid, at: Date.now() };
      else if (Date.now() - since.at >= settleMs) return s;
    } else since = undefined;
    if (Date.now() > end) {
      throw dhcpZosNotRunning(`${DHCP_ZOS} is not running ${timeoutMs} ms after monitor (state ${s.state})`, {
        state: s.state,
        pid: s.pid,
      });
    }
    await sleep(pollMs);
  }
}
