// Carrier of the links in the agent's own namespace, event-driven: an rtnetlink socket joined to
// RTNLGRP_LINK (netlink package; verified to deliver link events here). The package drops the
// message type (NEWLINK vs DELLINK), so each burst of events triggers one fresh dump, which is
// also what catches links that leave (moved to a probe namespace) or come back. Dumps go over a
// second socket: a dump on the subscribed socket gets multicast messages mixed into its
// multipart answer and fails ("Multipart message not terminated properly").
// Fallback, used when the native addon cannot load (a broken bundle must not leave a node
// offline): `ip -o monitor link` as a child process for events, `ip -j link` for dumps.
import type { RtNetlinkSocket } from 'netlink';
import { startChild, type Child } from '../../lib/child.ts';
import { listLinks } from '../../lib/ip.ts';
import { SELF } from '../../lib/netns.ts';
import type { Logger } from '../../lib/log.ts';

/** One link of the agent's namespace as the watcher sees it. */
export interface LinkState {
  name: string;
  ifindex: number;
  up: boolean;
  /** IFF_LOWER_UP: the link has carrier. */
  carrier: boolean;
  mtu: number;
}

type Source = { kind: 'netlink'; events: RtNetlinkSocket; query: RtNetlinkSocket } | { kind: 'ip-monitor'; proc: Child };

/** Calls `onChange` with all links after subscribing and after every link event; close() stops it. */
export class LinkWatcher {
  private closed = false;
  private busy = false;
  private again = false;
  private source!: Source;

  private constructor(private readonly onChange: (links: Map<string, LinkState>) => void, private readonly log: Logger) {}

  /** Subscribes first, then dumps, so no event between the two is lost. */
  static async open(onChange: (links: Map<string, LinkState>) => void, log: Logger, opts: { ipMonitor?: boolean } = {}): Promise<LinkWatcher> {
    const w = new LinkWatcher(onChange, log);
    let nl: typeof import('netlink') | undefined;
    if (!opts.ipMonitor) {
      try {
        nl = await import('netlink'); // lazy: a missing addon must not crash the agent at start
      } catch (err) {
        log.warn('netlink-unavailable', { error: String(err), fallback: 'ip monitor' });
      }
    }
    if (nl) {
      const events = nl.createRtNetlink();
      events.socket.ref(); // keep the event loop alive while we wait for carrier events
      events.addMembership('LINK');
      events.on('message', (msgs) => { if (msgs.some((m) => m.kind === 'link')) w.refresh(); });
      events.on('invalid', (err) => log.debug('netlink-invalid', { error: String(err) }));
      w.source = { kind: 'netlink', events, query: nl.createRtNetlink() };
    } else {
      // Tied to us through its stdin: if the agent dies (even SIGKILL) the pipe closes, `read`
      // returns and the shell kills `ip monitor`, which would otherwise block forever.
      const proc = startChild(SELF, 'sh', ['-c', '"$@" </dev/null & p=$!; read _; kill $p', 'sh', 'ip', '-o', 'monitor', 'link'],
        { stdin: 'pipe', onLine: () => w.refresh() });
      void proc.exited.then((e) => { if (e.error && !w.closed) log.error('ip-monitor-failed', { error: e.error.message }); });
      w.source = { kind: 'ip-monitor', proc };
    }
    log.debug('link-events', { via: w.source.kind });
    await w.dump();
    return w;
  }

  /** Re-reads all links now (coalescing bursts). */
  refresh(): void {
    if (this.closed) return;
    if (this.busy) { this.again = true; return; }
    this.busy = true;
    void this.dump().catch((err: unknown) => this.log.warn('link-dump-failed', { error: String(err) })).finally(() => {
      this.busy = false;
      if (this.again) { this.again = false; this.refresh(); }
    });
  }

  private async dump(): Promise<void> {
    const links = new Map<string, LinkState>();
    if (this.source.kind === 'netlink') {
      for (const m of await this.source.query.getLinks()) {
        const name = m.attrs.ifname;
        if (!name || m.data.index === undefined) continue;
        links.set(name, { name, ifindex: m.data.index, up: !!m.data.flags?.up, carrier: !!m.data.flags?.lowerUp, mtu: m.attrs.mtu ?? 1500 });
      }
    } else {
      for (const l of await listLinks(SELF)) {
        links.set(l.ifname, { name: l.ifname, ifindex: l.ifindex, up: l.flags.includes('UP'), carrier: l.flags.includes('LOWER_UP'), mtu: l.mtu });
      }
    }
    if (!this.closed) this.onChange(links);
  }

  /** Closes the socket (or stops `ip monitor`); no more callbacks. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.source.kind === 'ip-monitor') { this.source.proc.closeStdin(); return; }
    for (const s of [this.source.events, this.source.query]) {
      try { s.socket.close(); } catch { /* already closed */ }
    }
  }
}
