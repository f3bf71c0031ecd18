// One NIC's probe, from moving it into its own namespace to bringing it home. IPv4 (udhcpc
// attempts with capped exponential backoff) and IPv6 (kernel SLAAC, watched through
// `ip -n NS -o monitor`) run at the same time; carrier is watched there too, so a NIC that
// loses it is reported and its probe stops. Everything it starts is undone by stop().
import { backoffDelay, sleep, type Backoff } from '../../lib/backoff.ts';
import { startChild, type Child } from '../../lib/child.ts';
import { ExecError, vlanUnsupported } from '../../lib/errors.ts';
import { ip, listLinks } from '../../lib/ip.ts';
import { netnsNamed, runIn, SELF, type NetnsRef } from '../../lib/netns.ts';
import type { Logger } from '../../lib/log.ts';
import type { Lease4, Ra6 } from '../types.ts';
import { LEASE, parseLease, runUdhcpc } from './probe-dhcp4.ts';
import { ra6Sysctls, readRa6 } from './probe-ra6.ts';
import { readRaDns } from './ra6-dns.ts';
import { emptyAndDelete, moveHome, moveIn } from './probe-netns.ts';
import { iproute2Ip } from '../../lib/tools.ts';

/** What a probe reports to discovery. */
export interface ProbeEvents {
  attempt(n: number): void;
  v4(lease: Lease4, warnings: string[]): void;
  v4Miss(reason: string): void;
  v6(ra: Ra6): void;
  carrierLost(): void;
}

/** How a probe runs; only `script` is required. */
export interface ProbeConfig {
  script: string;
  vlan?: number;
  log: Logger;
  /** udhcpc discovers per attempt, one second apart. */
  tries?: number;
  /** Backoff between silent attempts: base, doubled per miss, capped; jittered to 50..100 % (default DHCP_BACKOFF). */
  backoffMs?: { base: number; cap: number };
  /** A NIC that never shows carrier in its probe namespace within this long counts as lost. */
  carrierGraceMs?: number;
  /** Settles true once discovery has made `ns` (one batch for all NICs that got carrier together). */
  prepared?: Promise<boolean> | (() => Promise<boolean>);
  /**
   * udhcpc discovers of the first attempt, made on the NIC where it is (the agent's own
   * namespace) before any move; 0 (the default) moves at once. See NicProbe.direct().
   */
  directTries?: number;
}

/**
 * Pause between DHCP attempts on a silent NIC: 250..500 ms. A DISCOVER costs one packet and a
 * sleeping udhcpc nothing, so the NIC keeps asking once a second (udhcpc's -T 1) with gaps of
 * at most ~1.5 s between runs. dnsmasq pings an address ~3.3 s before it offers it to a new
 * client (measured), so a server that starts late is found within ~5 s of its start; a 30 s
 * backoff cap made that 10-15 s.
 */
export const DHCP_BACKOFF = { base: 500, cap: 500 } as const;

/** Pause after an attempt that was not silence (a lease we refused, udhcpc failing): 1 s doubling to 30 s. */
export const REFUSED_BACKOFF = { base: 1000, cap: 30_000 } as const;

/** Backoff between DHCP attempts and between failed probe starts: doubling, jittered to 50..100 %. */
export const probeBackoff = (baseMs: number, capMs: number): Backoff => ({
  baseMs,
  capMs,
  factor: 2,
  jitter: [0.5, 1],
});

/**
 * Discovers of the direct attempt (NicProbe.direct()): one, so a NIC whose server has not
 * answered within ~1 s moves into its namespace and gets IPv6 probed there, well within
 * V4_WAIT_MS (an RA answer takes ~1-1.5 s after the move: link-local DAD, then the RS).
 */
export const DIRECT_TRIES = 1;

/** How long after its udhcpc a probe starts its `ip monitor`. */
const MONITOR_DELAY_MS = 400;

/** The 802.1Q sub-interface name: `<nic>.<vid>` when it fits IFNAMSIZ, else `zp<ifindex>.<vid>`. */
export function vlanIfName(nic: string, ifindex: number, vid: number): string {
  const name = `${nic}.${vid}`;
  return name.length <= 15 ? name : `zp${ifindex}.${vid}`;
}

/** A running probe of one NIC in namespace `ns`. */
export class NicProbe {
  private readonly ac = new AbortController();
  private monitor: Child | undefined;
  private monitorTimer: NodeJS.Timeout | undefined;
  private timer: NodeJS.Timeout | undefined;
  private poked: NodeJS.Timeout | undefined;
  private probeIf: string;
  private sawCarrier = false;
  private upAt = 0;
  private gotV6 = false;
  private checking = false;
  private recheck = false;
  private lost = false;
  private stopped = false;
  /** start() has set the links up: from now on a link that is not UP was set down by someone. */
  private upDone = false;

  private readonly ref: NetnsRef;
  /** Set once the NIC is on its way into `ns`: from then on stop() brings it home. */
  private moving = false;
  /** The direct attempt's udhcpc, while it runs (stop() waits for its end). */
  private directRun: Promise<unknown> | undefined;

  constructor(
    readonly nic: string,
    readonly ifindex: number,
    readonly ns: string,
    private readonly cfg: ProbeConfig,
    private readonly ev: ProbeEvents,
  ) {
    this.probeIf = cfg.vlan === undefined ? nic : vlanIfName(nic, ifindex, cfg.vlan);
    this.ref = netnsNamed(ns);
  }

  /**
   * Moves the NIC in (up) and starts both families; throws (code EVLAN_UNSUPPORTED, EEXEC) if
   * set-up fails. udhcpc's fork comes first (IPv4 is what usually wins), the monitor after it:
   * with many NICs, every fork before a probe's udhcpc delays the lease of the ones behind it.
   */
  async start(): Promise<void> {
    const { ns, ref, nic, cfg } = this;
    this.moving = true;
    const prepared = typeof cfg.prepared === 'function' ? cfg.prepared() : cfg.prepared;
    await (prepared ?? Promise.resolve(false)).catch(() => false); // moveIn makes it otherwise
    await moveIn(ns, nic);
    this.upAt = Date.now();
    if (cfg.vlan !== undefined) {
      try {
        await ip(ref, ['link', 'add', 'link', nic, 'name', this.probeIf, 'type', 'vlan', 'id', String(cfg.vlan)]);
      } catch (err) {
        if (!(err instanceof ExecError)) throw err;
        const stderr = err.stderr.trim();
        throw vlanUnsupported(this.probeIf, nic, cfg.vlan, stderr, err);
      }
      await ip(ref, ['link', 'set', this.probeIf, 'up']);
    }
    this.upDone = true;
    void this.v4Loop(this.directRun ? 2 : 1);
    // The RA sysctls and the monitor a moment later, so that every probe's udhcpc is forked
    // before them. The link-local address's DAD (~1 s) has begun by then; the RS after it and
    // the SLAAC address get the settings. An RA-only winner waits V4_WAIT_MS anyway.
    // Events before the monitor subscribed are caught by the checks (scheduleSafetyCheck).
    const ipPath = (await iproute2Ip()) ?? 'ip';
    this.monitorTimer = setTimeout(() => {
      if (!this.ac.signal.aborted) void this.afterUdhcpc(ipPath);
    }, MONITOR_DELAY_MS);
    this.scheduleSafetyCheck(0);
  }

  // One fork for all keys; `-e`: a key this kernel lacks is not an error.
  private async afterUdhcpc(ipPath: string): Promise<void> {
    const sys = await runIn(this.ref, 'sysctl', ['-q', '-e', '-w', ...ra6Sysctls(this.probeIf)], {
      allowFailure: true,
      timeoutMs: 5000,
    }).catch((err: unknown) => ({ exitCode: -1, stderr: String(err) }));
    if (sys.exitCode !== 0) this.cfg.log.debug('probe-sysctl', { nic: this.nic, stderr: sys.stderr.trim() });
    if (!this.ac.signal.aborted) this.startMonitor(ipPath);
  }

  /** The NIC has left (or is leaving) the agent's namespace for `ns`. */
  get inNamespace(): boolean {
    return this.moving;
  }

  /** The probe was halted (chosen elsewhere, carrier lost, discovery over). */
  get halted(): boolean {
    return this.ac.signal.aborted;
  }

  /**
   * The first DHCP attempt, on the NIC where it is: no namespace, no move in or out. A move
   * costs the kernel ~16-20 ms under the rtnl lock (an RCU barrier; measured on veth), one
   * NIC after another, and twice per NIC (in and home): with 8 silent NICs that was ~0.3 s
   * on the way to every boot's route. udhcpc needs no address and changes nothing (the probe
   * script only prints), so IPv4 can ask from here; IPv6 cannot (the kernel would apply the
   * RA to this namespace), so a NIC without an answer within `directTries` discovers moves into
   * its namespace (start()) and both families are probed there, as before. The attempt
   * counts as attempt 1 but does not settle the NIC's IPv4 (a slow server still gets
   * V4_WAIT_MS before an RA-only answer wins). Resolves true with a lease (reported by
   * `v4`), false on a miss or a halt.
   */
  async direct(): Promise<boolean> {
    const tries = this.cfg.directTries ?? 0;
    if (tries <= 0 || this.cfg.vlan !== undefined || this.moving || this.ac.signal.aborted) return false;
    this.ev.attempt(1);
    const run = runUdhcpc(SELF, this.nic, this.cfg.script, tries, this.ac.signal);
    this.directRun = run.catch(() => {}); // only awaited to know it ended: its failure is `await run`'s below
    const r = await run;
    if (this.ac.signal.aborted) return false;
    const parsed = parseLease(r.stdout);
    if (parsed.ok) {
      this.ev.v4(parsed.lease, parsed.warnings);
      return true;
    }
    this.cfg.log.debug('dhcp4-direct-miss', {
      nic: this.nic,
      code: r.code,
      reason: r.stdout.includes(LEASE.begin) ? parsed.reason : r.stderr.trim().split('\n').pop(),
    });
    return false;
  }

  /** Stops udhcpc, the monitor and the checks at once, leaving the NIC where it is. Idempotent. */
  halt(): void {
    this.ac.abort(); // kills udhcpc
    if (this.timer) clearTimeout(this.timer);
    if (this.monitorTimer) clearTimeout(this.monitorTimer);
    if (this.poked) clearTimeout(this.poked);
    this.monitor?.kill();
  }

  /**
   * Stops everything, brings the NIC home and deletes the namespace (unless `leaveNs`: the caller will). Idempotent.
   */
  async stop(o: { leaveNs?: boolean } = {}): Promise<void> {
    this.halt();
    await this.directRun; // killed by halt(): no udhcpc of ours outlives the probe
    if (!this.moving) {
      this.stopped = true;
      return;
    } // never left home
    if (this.stopped) {
      await emptyAndDelete(this.ns, this.cfg.log);
      return;
    }
    this.stopped = true;
    await moveHome(this.ns, this.nic, this.probeIf === this.nic ? undefined : this.probeIf, this.cfg.log, o);
  }

  // Safety net for events that came before `ip monitor` subscribed: checks at 0.6 and 2.1 s,
  // then every 5 s. Each check forks `ip` two or three times; with many silent NICs, checks
  // while the winner's DHCP answer comes slowed its lease (test/bench/agent.ts shows it).
  private scheduleSafetyCheck(n: number): void {
    const delays = [600, 1500];
    this.timer = setTimeout(() => {
      this.check();
      this.scheduleSafetyCheck(n + 1);
    }, delays[n] ?? 5000);
    this.timer.unref();
  }

  // Link, address and route events of the probe namespace; each burst triggers one check.
  // iproute2's own `ip` by path (iproute2.ts): busybox's has neither -n nor monitor.
  private startMonitor(ipPath: string): void {
    this.monitor = startChild(this.ref, ipPath, ['-o', 'monitor', 'link', 'address', 'route'], {
      onLine: () => this.poke(),
    });
    // Its end is reported once, when it ended on its own (halt() kills it on purpose).
    void this.monitor.exited.then((e) => {
      if (!this.ac.signal.aborted && e.error)
        this.cfg.log.debug('probe-monitor-ended', { nic: this.nic, error: e.error.message });
    });
  }

  // Events come in bursts (link up: carrier, link-local address, routes); a check forks `ip`
  // up to four times, so a burst gets one check 100 ms after its first event. Nothing waits on
  // a check's latency: an RA-only answer is chosen seconds later (choose.ts V4_WAIT_MS).
  private poke(): void {
    if (this.poked || this.ac.signal.aborted) return;
    this.poked = setTimeout(() => {
      this.poked = undefined;
      this.check();
    }, 100);
  }

  private check(): void {
    if (this.ac.signal.aborted) return;
    if (this.checking) {
      this.recheck = true;
      return;
    }
    this.checking = true;
    void this.checkOnce()
      .catch((err: unknown) => {
        this.cfg.log.debug('probe-check-failed', { nic: this.nic, error: String(err) });
      })
      .finally(() => {
        this.checking = false;
        if (this.recheck) {
          this.recheck = false;
          this.check();
        }
      });
  }

  private async checkOnce(): Promise<void> {
    const [link] = await listLinks(this.ref, this.nic);
    const [sub] = this.probeIf === this.nic ? [link] : await listLinks(this.ref, this.probeIf);
    if (this.ac.signal.aborted || this.lost) return;
    // Set down during the probe (by someone else: we set it up): busybox udhcpc would never
    // exit ("Network is down, reopening socket" once a second). A miss; discovery brings the
    // NIC home, up again, and probes it once it has carrier.
    if (this.upDone && (!link?.flags.includes('UP') || !sub?.flags.includes('UP'))) {
      this.lost = true;
      this.halt();
      this.ev.v4Miss(`${link?.flags.includes('UP') ? this.probeIf : this.nic} was set down during the probe`);
      this.ev.carrierLost();
      return;
    }
    const carrier = !!link && link.flags.includes('LOWER_UP') && !link.flags.includes('NO-CARRIER');
    if (carrier) this.sawCarrier = true;
    const grace = this.cfg.carrierGraceMs ?? 10_000;
    if ((!carrier && this.sawCarrier) || (!this.sawCarrier && Date.now() - this.upAt > grace)) {
      this.lost = true;
      this.ev.carrierLost();
      return;
    }
    if (this.gotV6) return;
    const ra = await readRa6(this.ref, this.probeIf);
    if (!ra || this.gotV6 || this.ac.signal.aborted) return;
    this.gotV6 = true;
    // The router is there: ask it once more for its DNS options (the kernel keeps them from us).
    const d = await readRaDns(this.ref, this.probeIf, this.ac.signal);
    if (d.error) this.cfg.log.debug('ra6-dns-unread', { nic: this.nic, error: d.error });
    ra.dns = d.dns;
    if (d.domains.length) ra.domains = d.domains;
    if (!this.ac.signal.aborted) this.ev.v6(ra);
  }

  private async v4Loop(first: number): Promise<void> {
    const { signal } = this.ac;
    const tries = this.cfg.tries ?? 6;
    const { base, cap } = this.cfg.backoffMs ?? DHCP_BACKOFF;
    let other = 0; // consecutive attempts that ended otherwise than in silence
    for (let n = first; !signal.aborted; n++) {
      this.ev.attempt(n);
      const r = await runUdhcpc(this.ref, this.probeIf, this.cfg.script, tries, signal);
      if (signal.aborted) return;
      const parsed = parseLease(r.stdout);
      if (parsed.ok) return this.ev.v4(parsed.lease, parsed.warnings);
      const last = r.stderr.trim().split('\n').pop() ?? '';
      const silent =
        !r.stdout.includes(LEASE.begin) && !r.timedOut && r.code === 1 && /discover|no lease/.test(r.stderr);
      const reason = r.stdout.includes(LEASE.begin)
        ? parsed.reason
        : r.timedOut
          ? `udhcpc did not finish within ${tries + 5} s (killed): ${last || 'no output'}`
          : silent
            ? 'no DHCP answer'
            : `udhcpc exited ${r.code}: ${last}`;
      this.ev.v4Miss(reason);
      // Silence: ask again at once. An answer we cannot use (or a udhcpc that failed) would
      // come back the same within ~0.1 s: back off as before, so the CPU stays idle.
      other = silent ? 0 : other + 1;
      await sleep(
        silent
          ? backoffDelay(n, probeBackoff(base, cap))
          : backoffDelay(other, probeBackoff(REFUSED_BACKOFF.base, REFUSED_BACKOFF.cap)),
        signal,
      ).catch(() => {}); // aborted: the loop ends
    }
  }
}
