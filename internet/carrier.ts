// Carrier of the links in the agent's own namespace, event-driven: an rtnetlink socket joined to
// RTNLGRP_LINK (netlink package; verified to deliver link events here, so the `ip -o monitor
// link` fallback is not needed). The package drops the message type (NEWLINK vs DELLINK), so
// each burst of events triggers one fresh dump, which is also what catches links that leave
// (moved to a probe namespace) or come back. Dumps go over a second socket: a dump on the
// subscribed socket gets multicast messages mixed into its multipart answer and fails
// ("Multipart message not terminated properly").
import { createRtNetlink, type RtNetlinkSocket } from 'netlink';
import type { Logger } from '../lib/log.ts';

export interface LinkState {
  name: string;
  ifindex: number;
  up: boolean;
  /** IFF_LOWER_UP: the link has carrier. */
  carrier: boolean;
  mtu: number;
}

/** Calls `onChange` with all links after subscribing and after every link event; close() stops it. */
export class LinkWatcher {
  private closed = false;
  private busy = false;
  private again = false;

  private constructor(private readonly sock: RtNetlinkSocket, private readonly query: RtNetlinkSocket,
    private readonly onChange: (links: Map<string, LinkState>) => void,
    private readonly log: Logger) {}

  /** Subscribes first, then dumps, so no event between the two is lost. */
  static async open(onChange: (links: Map<string, LinkState>) => void, log: Logger): Promise<LinkWatcher> {
    const sock = createRtNetlink();
    sock.socket.ref(); // keep the event loop alive while we wait for carrier events
    const w = new LinkWatcher(sock, createRtNetlink(), onChange, log);
    sock.addMembership('LINK');
    sock.on('message', (msgs) => { if (msgs.some((m) => m.kind === 'link')) w.refresh(); });
    sock.on('invalid', (err) => log.debug('netlink-invalid', { error: String(err) }));
    await w.dump();
    return w;
  }

  /** Re-reads all links now (coalescing bursts). */
  refresh(): void {
    if (this.closed) return;
    if (this.busy) { this.again = true; return; }
    this.busy = true;
    void this.dump().catch((err: unknown) => this.log.warn('netlink-dump-failed', { error: String(err) })).finally(() => {
      this.busy = false;
      if (this.again) { this.again = false; this.refresh(); }
    });
  }

  private async dump(): Promise<void> {
    const msgs = await this.query.getLinks();
    if (this.closed) return;
    const links = new Map<string, LinkState>();
    for (const m of msgs) {
      const name = m.attrs.ifname;
      if (!name || m.data.index === undefined) continue;
      links.set(name, { name, ifindex: m.data.index, up: !!m.data.flags?.up, carrier: !!m.data.flags?.lowerUp, mtu: m.attrs.mtu ?? 1500 });
    }
    this.onChange(links);
  }

  /** Closes the socket; no more callbacks. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of [this.sock, this.query]) {
      try { s.socket.close(); } catch { /* already closed */ }
    }
  }
}
