// Carrier of the links in the agent's own namespace, event-driven: an rtnetlink socket joined to
// RTNLGRP_LINK (netlink package; verified to deliver link events here). The package drops the
// message type (NEWLINK vs DELLINK), so each burst of events triggers one fresh dump, which is
// also what catches links that leave (moved to a probe namespace) or come back. Dumps go over a
// second socket: a dump on the subscribed socket gets multicast messages mixed into its
// multipart answer and fails ("Multipart message not terminated properly").
// Fallback, used when the native addon cannot load (a broken bundle must not leave a node
// offline): iproute2's `ip -o monitor link` (iproute2.ts: by absolute path, no shell) as a
// child process for events, `ip -j link` for dumps.
import type { RtNetlinkSocket } from 'netlink';
import { startChild, type Child } from '../../lib/child.ts';
import { listLinks } from '../../lib/ip.ts';
import { SELF } from '../../lib/netns.ts';
import type { Logger } from '../../lib/log.ts';
import { candidatesFor, IP_PLACES, iproute2Ip, utilLinuxSetpriv } from '../../lib/tools.ts';

/** One link of the agent's namespace as the watcher sees it. */
export interface LinkState {
  name: string;
  ifindex: number;
  up: boolean;
  /** IFF_LOWER_UP: the link has carrier. */
  carrier: boolean;
  mtu: number;
}

/** How long a netlink link dump may take before that dump is read with `ip -j link`. */
const NETLINK_DUMP_MS = 3000;

type Source =
  | { kind: 'netlink'; events: RtNetlinkSocket; query: RtNetlinkSocket }
  | { kind: 'ip-monitor'; proc: Child };

/** Calls `onChange` with all links after subscribing and after every link event; close() stops it. */
export class LinkWatcher {
  private closed = false;
  private busy = false;
  private again = false;
  private source!: Source;

  private constructor(
    private readonly onChange: (links: Map<string, LinkState>) => void,
    private readonly log: Logger,
  ) {}

  /** Subscribes first, then dumps, so no event between the two is lost. */
  static async open(
    onChange: (links: Map<string, LinkState>) => void,
    log: Logger,
    opts: { ipMonitor?: boolean } = {},
  ): Promise<LinkWatcher> {
    const w = new LinkWatcher(onChange, log);
    let nl: typeof import('netlink/dist/rt/rt.js') | undefined;
    if (!opts.ipMonitor) {
      try {
        // rtnetlink only (not nl80211, wg); lazy: a missing addon must not crash the agent at start
        nl = await import('netlink/dist/rt/rt.js');
      } catch (err) {
        log.warn('netlink-unavailable', { error: String(err), fallback: 'ip monitor' });
      }
    }
    if (nl) {
      const events = nl.createRtNetlink();
      events.socket.ref(); // keep the event loop alive while we wait for carrier events
      events.addMembership('LINK');
      events.on('message', (msgs) => {
        if (msgs.some((m) => m.kind === 'link')) w.refresh();
      });
      events.on('invalid', (err) => log.debug('netlink-invalid', { error: String(err) }));
      w.source = { kind: 'netlink', events, query: nl.createRtNetlink() };
    } else {
      const [ipPath, setpriv] = await Promise.all([iproute2Ip(), utilLinuxSetpriv()]);
      if (!ipPath)
        log.error('ip-monitor-failed', { error: `no iproute2 ip in ${candidatesFor('ip', IP_PLACES).join(' ')}` });
      else if (!setpriv)
        log.warn('ip-monitor-untied', { why: 'no util-linux setpriv: ip monitor may outlive a killed agent' });
      // No shell (busybox's would run its own `ip`). Tied to us by the kernel: setpriv sets
      // PR_SET_PDEATHSIG, so `ip monitor`, which would otherwise block forever, gets SIGKILL
      // when the agent dies (even by SIGKILL), then execs ip.
      const [cmd, args] = setpriv
        ? [setpriv, ['--pdeathsig', 'KILL', '--', ipPath ?? 'ip', '-o', 'monitor', 'link']]
        : [ipPath ?? 'ip', ['-o', 'monitor', 'link']];
      const proc = startChild(SELF, cmd, args, { onLine: () => w.refresh() });
      void proc.exited.then((e) => {
        if (!w.closed)
          log.error('ip-monitor-exited', {
            code: e.code,
            signal: e.signal,
            error: e.error?.message,
            command: proc.command,
          });
      });
      w.source = { kind: 'ip-monitor', proc };
    }
    log.debug('link-events', { via: w.source.kind });
    await w.dump();
    return w;
  }

  /** Re-reads all links now (coalescing bursts). */
  refresh(): void {
    if (this.closed) return;
    if (this.busy) {
      this.again = true;
      return;
    }
    this.busy = true;
    void this.dump()
      .catch((err: unknown) => this.log.warn('link-dump-failed', { error: String(err) }))
      .finally(() => {
        this.busy = false;
        if (this.again) {
          this.again = false;
          this.refresh();
        }
      });
  }

  // A netlink dump that gets no answer (seen once on a loaded machine: open() never returned,
  // so the sockets were never closed and the process never exited) is bounded, and that dump
  // is read with `ip -j link` instead.
  private async dump(): Promise<void> {
    const links = new Map<string, LinkState>();
    const msgs =
      this.source.kind !== 'netlink'
        ? undefined
        : await this.source.query.getLinks(undefined, undefined, { timeout: NETLINK_DUMP_MS }).catch((err: unknown) => {
            this.log.warn('netlink-dump-failed', { error: String(err), fallback: 'ip link' });
            return undefined;
          });
    if (msgs) {
      for (const m of msgs) {
        const name = m.attrs.ifname;
        if (!name || m.data.index === undefined) continue;
        links.set(name, {
          name,
          ifindex: m.data.index,
          up: !!m.data.flags?.up,
          carrier: !!m.data.flags?.lowerUp,
          mtu: m.attrs.mtu ?? 1500,
        });
      }
    } else {
      for (const l of await listLinks(SELF)) {
        links.set(l.ifname, {
          name: l.ifname,
          ifindex: l.ifindex,
          up: l.flags.includes('UP'),
          carrier: l.flags.includes('LOWER_UP'),
          mtu: l.mtu,
        });
      }
    }
    if (!this.closed) this.onChange(links);
  }

  /** Closes the socket (or stops `ip monitor`); no more callbacks. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.source.kind === 'ip-monitor') {
      this.source.proc.kill();
      return;
    }
    for (const s of [this.source.events, this.source.query]) {
      try {
        s.socket.close();
      } catch {
        /* already closed */
      }
    }
  }
}
