// Discovery: find the NIC that reaches a network with a default gateway. All candidates are
// brought up at once and each is probed, in its own namespace, as soon as it has carrier
// (LinkWatcher events, no serial waits); the choice is made by choose.ts as soon as the answer
// is clear. It never gives up: it resolves only with a choice, or rejects on abort (or on a
// request this kernel cannot do, EVLAN_UNSUPPORTED). Every exit path brings all NICs home and
// deletes the probe namespaces.
import { backoffDelay, sleep } from '../../lib/backoff.ts';
import { AbortedError, Code, toAppError } from '../../lib/errors.ts';
import type { IpLink } from '../../lib/ip.ts';
import { parseVlanId } from '../../lib/validate.ts';
import { findCandidates, lateCandidate, type Candidate } from './candidates.ts';
import { LinkWatcher, type LinkState } from './carrier.ts';
import { decide, DEFAULT_TIMING, V4_WAIT_MS, type ChooseTiming } from './choose.ts';
import { DIRECT_TRIES, NicProbe, probeBackoff, type ProbeConfig } from './probe-nic.ts';
import { prepareProbeNamespaces, probeNsName } from './probe-netns.ts';
import type { Choice, DiscoverOptions, DiscoverResult, ProbeResult } from '../types.ts';
import { writeUdhcpcScript } from './probe-dhcp4.ts';
import { linkDown, linksUp, linkUp } from './link-up.ts';
import { mtuProblem } from '../../lib/mtu.ts';
import { dhcpClient, iproute2Ip } from '../../lib/tools.ts';
import { netnsBatch } from '../../lib/netns.ts';

/** Brings NICs home from leftover probe namespaces of this agent's namespace (call on start). */
export { recoverProbeNamespaces } from './probe-netns.ts';

/** Options beyond the contract, for tests and tuning; all optional. */
export interface DiscoverTuning {
  timing?: ChooseTiming;
  /** Link events from `ip -o monitor link` instead of netlink (the fallback, forced; for tests). */
  ipMonitor?: boolean;
  /** What counts as a physical NIC (tests: veth named alike); default candidates.ts isPhysical. */
  physical?: (l: IpLink) => boolean;
  /** How long after carrier an RA-only winner waits for its own DHCP lease (choose.ts). */
  v4WaitMs?: number;
  probe?: Pick<ProbeConfig, 'tries' | 'backoffMs' | 'carrierGraceMs' | 'directTries'>;
}

interface Slot {
  c: Candidate;
  r: ProbeResult;
  probe?: NicProbe;
  /** Its namespace, left empty on the way home: deleted with all the others, in one batch. */
  leftNs?: string;
  /** Operations on one NIC run one after another (start, stop, return home). */
  chain: Promise<void>;
  starting: boolean;
  /** The current probe's first DHCP attempt has ended (lease or miss). */
  v4Settled: boolean;
  upped: boolean;
  failures: number;
  /** Pending retry after a failed probe start (cleared on exit). */
  retry?: NodeJS.Timeout;
}

/** Finds the NIC to build `zos` on. Resolves with the choice and every NIC's probe history. */
export async function discover(opts: DiscoverOptions & DiscoverTuning): Promise<DiscoverResult> {
  const t0 = Date.now();
  const now = opts.now ?? (() => Date.now() - t0);
  if (opts.vlan !== undefined) parseVlanId('vlan:priv', opts.vlan);
  opts.signal?.throwIfAborted();
  void iproute2Ip(); // resolved beside the candidates: the probes' monitors and the hand-off's script need it
  // and the DHCP client, before the first probe's udhcpc (a failure is reported there)
  void dhcpClient().catch(() => {});
  const cands = await findCandidates(opts, opts.log);
  const script = await writeUdhcpcScript(opts.runDir ?? '/run/internet');
  return new Discovery(opts, cands, script, now).run();
}

/** Drops an MTU (lease option 26 or RA MTU) this NIC cannot take or IPv6 cannot live with (mtu.ts). */
function dropMtu(answer: { mtu?: number }, max: number, warnings: string[]): void {
  const why = answer.mtu === undefined ? undefined : mtuProblem(answer.mtu, max);
  if (!why) return;
  warnings.push(`ignored mtu ${why}`);
  delete answer.mtu;
}

function newSlot(c: Candidate): Slot {
  const r: ProbeResult = c.skip
    ? { nic: c.name, mac: c.mac, state: 'skipped', note: c.skip, attempts: 0 }
    : { nic: c.name, mac: c.mac, state: 'waiting-carrier', attempts: 0 };
  return { c, r, chain: Promise.resolve(), starting: false, v4Settled: false, upped: false, failures: 0 };
}

class Discovery {
  private readonly slots: Slot[];
  private watcher: LinkWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private done = false;
  private detach = (): void => {};
  /** Probe namespaces made ahead of their probes (prepareProbeNamespaces): deleted at the end. */
  private readonly prepared = new Set<string>();
  /** Links already judged (candidates or not), so a late link is looked at once. */
  private readonly judged = new Set<string>();
  private settle!: { resolve: (r: DiscoverResult) => void; reject: (e: unknown) => void };
  /** Namespaces asked for by probes whose direct attempt missed within the same few ms: one batch. */
  private pendingNs: string[] = [];
  private pendingMade: Promise<boolean> | undefined;
  /** udhcpc discovers of each probe's first attempt in this namespace, before any move (probe-nic.ts direct()). */
  private readonly directTries: number;

  constructor(
    private readonly opts: DiscoverOptions & DiscoverTuning,
    cands: Candidate[],
    private readonly script: string,
    private readonly now: () => number,
  ) {
    this.slots = cands.map(newSlot);
    // A VLAN probe needs its sub-interface, made in the namespace: no direct attempt.
    this.directTries = opts.vlan !== undefined ? 0 : (opts.probe?.directTries ?? DIRECT_TRIES);
  }

  // A probe moving in after its direct attempt: the namespaces of those that missed together
  // (they got carrier together) are made in one batch, 5 ms after the first asks.
  private prepareSoon(name: string): Promise<boolean> {
    this.prepared.add(name);
    this.pendingNs.push(name);
    return (this.pendingMade ??= sleep(5).then(() => {
      const names = this.pendingNs;
      this.pendingNs = [];
      this.pendingMade = undefined;
      return prepareProbeNamespaces(names).get(names[0]!)!;
    }));
  }

  // Without --nics, a NIC may appear late (driver, USB): judge each new link once.
  private async judgeLate(links: Map<string, LinkState>): Promise<void> {
    if (this.opts.nics) return;
    if (!this.judged.size) for (const s of this.slots) this.judged.add(s.c.name);
    for (const name of links.keys()) {
      if (this.judged.has(name)) continue;
      this.judged.add(name);
      // A link gone meanwhile is no candidate (lateCandidate: undefined); a failure to read it is
      // said, and the link judged again at its next change.
      const c = await lateCandidate(name, this.opts).catch((err: unknown) => {
        this.judged.delete(name);
        this.opts.log.warn('late-candidate-failed', { nic: name, error: String(err) });
        return undefined;
      });
      if (!c || this.done) continue;
      const s = newSlot(c);
      this.slots.push(s);
      this.opts.log.info('nic-appeared', { nic: c.name, skipped: c.skip });
      this.progress();
      if (!c.skip) void this.enqueue(s, () => this.bringUp(s)).then(() => this.watcher?.refresh());
    }
  }

  run(): Promise<DiscoverResult> {
    const { log, signal } = this.opts;
    return new Promise<DiscoverResult>((resolve, reject) => {
      this.settle = { resolve, reject };
      if (signal?.aborted) return reject(signal.reason);
      if (signal) {
        const onAbort = () => this.fail(signal.reason ?? new AbortedError('discovery aborted'));
        signal.addEventListener('abort', onAbort, { once: true });
        this.detach = () => signal.removeEventListener('abort', onAbort);
      }
      const live = this.slots.filter((s) => s.r.state !== 'skipped');
      for (const s of this.slots)
        if (s.r.state === 'skipped') log.warn('nic-skipped', { nic: s.c.name, reason: s.r.note });
      log.info('candidates', { nics: live.map((s) => s.c.name).join(',') || undefined });
      if (!live.length) log.warn('no-probeable-nic', { hint: 'waiting; nothing to probe' });
      this.progress();
      void (async () => {
        this.watcher = await LinkWatcher.open((links) => this.onLinks(links), log, { ipMonitor: this.opts.ipMonitor });
        if (this.done) return this.watcher.close();
        // All at once: carrier negotiation of every NIC overlaps.
        await this.bringUpAll(live);
        this.watcher.refresh();
      })().catch((err: unknown) => this.fail(err));
    });
  }

  private async bringUp(s: Slot): Promise<void> {
    if (await linkUp(s.c.name, this.opts.log)) s.upped = true;
  }

  // The first bring-up of every candidate at once (link-up.ts: one fork for all).
  private async bringUpAll(slots: Slot[]): Promise<void> {
    const up = await linksUp(
      slots.map((s) => s.c.name),
      this.opts.log,
    );
    for (const s of slots) if (up.has(s.c.name)) s.upped = true;
  }

  private progress(): void {
    try {
      this.opts.onProgress?.(structuredClone(this.slots.map((s) => s.r)));
    } catch (err) {
      this.opts.log.debug('progress-callback-failed', { error: String(err) });
    }
  }

  private enqueue(s: Slot, op: () => Promise<void>): Promise<void> {
    s.chain = s.chain
      .then(op)
      .catch((err: unknown) => this.opts.log.error('probe-op-failed', { nic: s.c.name, error: String(err) }));
    return s.chain;
  }

  private onLinks(links: Map<string, LinkState>): void {
    if (this.done) return;
    void this.judgeLate(links);
    const fresh: { s: Slot; ifindex: number }[] = [];
    for (const s of this.slots) {
      const l = links.get(s.c.name);
      if (s.r.state !== 'waiting-carrier' || s.starting || s.probe || !l?.carrier) continue;
      s.starting = true;
      fresh.push({ s, ifindex: l.ifindex });
    }
    if (!fresh.length) return;
    if (this.directTries > 0) {
      for (const f of fresh) {
        const name = probeNsName(f.ifindex);
        void this.enqueue(f.s, () => this.startProbe(f.s, f.ifindex, () => this.prepareSoon(name)));
      }
      return;
    }
    // The namespaces of every NIC that got carrier now, in one batch (probe-netns.ts).
    const names = fresh.map((f) => probeNsName(f.ifindex));
    for (const n of names) this.prepared.add(n);
    const prep = prepareProbeNamespaces(names);
    for (const f of fresh)
      void this.enqueue(f.s, () => this.startProbe(f.s, f.ifindex, prep.get(probeNsName(f.ifindex))));
  }

  private async startProbe(s: Slot, ifindex: number, prepared?: ProbeConfig['prepared']): Promise<void> {
    const { log } = this.opts;
    s.starting = false;
    if (this.done) return;
    s.r.state = 'probing';
    s.r.carrierAtMs = this.now();
    s.v4Settled = false;
    delete s.r.error;
    log.info('carrier', { nic: s.c.name, atMs: s.r.carrierAtMs });
    this.progress();
    const probe = new NicProbe(
      s.c.name,
      ifindex,
      probeNsName(ifindex),
      {
        script: this.script,
        vlan: this.opts.vlan,
        log,
        prepared,
        ...this.opts.probe,
        directTries: this.directTries,
      },
      {
        attempt: (n) => {
          s.r.attempts++;
          if (s.r.state !== 'answered') s.r.state = 'probing';
          log.debug('dhcp4-attempt', { nic: s.c.name, n });
          this.progress();
        },
        v4: (lease, warnings) => {
          if (this.done) return;
          dropMtu(lease, s.c.maxMtu, warnings);
          s.r.v4 = { lease, atMs: this.now() };
          s.r.state = 'answered';
          s.v4Settled = true;
          for (const w of warnings) log.warn('dhcp4-odd-answer', { nic: s.c.name, detail: w });
          log.info('dhcp4-lease', {
            nic: s.c.name,
            address: `${lease.address}/${lease.prefix}`,
            router: lease.router,
            atMs: s.r.v4.atMs,
          });
          this.progress();
          this.evaluate();
        },
        v4Miss: (reason) => {
          if (s.r.state !== 'answered') s.r.state = 'no-answer';
          // A silent NIC misses every few seconds: the first miss and each new reason at info.
          const again = s.r.note === `dhcp4: ${reason}`;
          s.r.note = `dhcp4: ${reason}`;
          if (again) log.debug('dhcp4-miss', { nic: s.c.name, reason });
          else log.info('dhcp4-miss', { nic: s.c.name, reason });
          s.v4Settled = true;
          this.progress();
          this.evaluate();
        },
        v6: (ra) => {
          if (this.done) return;
          const odd: string[] = [];
          dropMtu(ra, s.c.maxMtu, odd);
          for (const w of odd) log.warn('ra6-odd-answer', { nic: s.c.name, detail: w });
          s.r.v6 = { ra, atMs: this.now() };
          s.r.state = 'answered';
          log.info('ra6', {
            nic: s.c.name,
            address: `${ra.address}/${ra.prefix}`,
            router: ra.router,
            atMs: s.r.v6.atMs,
          });
          this.progress();
          this.evaluate();
        },
        carrierLost: () => {
          void this.enqueue(s, () => this.carrierLost(s));
        },
      },
    );
    s.probe = probe;
    try {
      if (await probe.direct()) return; // a lease, the NIC still home: nothing to move
      if (this.done || probe.halted || s.probe !== probe) return;
      await probe.start();
      log.debug('probe-started', { nic: s.c.name, ns: probe.ns });
    } catch (err) {
      const e = toAppError(err);
      s.r.state = 'error';
      s.r.error = e.message;
      log.error('probe-failed', { nic: s.c.name, code: e.code, error: e.message });
      await this.returnHome(s);
      if (e.code === Code.EVLAN_UNSUPPORTED) return this.fail(e);
      s.failures++;
      const delay = backoffDelay(s.failures, probeBackoff(1000, 30_000));
      log.info('probe-retry', { nic: s.c.name, inMs: delay });
      s.retry = setTimeout(() => {
        s.retry = undefined;
        if (this.done) return;
        s.r.state = 'waiting-carrier';
        void this.enqueue(s, () => this.bringUp(s)).then(() => this.watcher?.refresh());
      }, delay);
      this.progress();
    }
  }

  private async returnHome(s: Slot, o: { leaveNs?: boolean } = {}): Promise<void> {
    const p = s.probe;
    s.probe = undefined;
    if (!p) return;
    await p.stop(o);
    if (o.leaveNs && p.inNamespace) s.leftNs = p.ns;
  }

  private async carrierLost(s: Slot): Promise<void> {
    if (this.done || !s.probe) return;
    this.opts.log.info('carrier-lost', { nic: s.c.name });
    await this.returnHome(s);
    delete s.r.v4;
    delete s.r.v6;
    s.r.state = 'waiting-carrier';
    this.progress();
    if (this.done) return;
    await this.bringUp(s);
    this.watcher?.refresh();
  }

  private evaluate(): void {
    if (this.done) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const mtus = Object.fromEntries(this.slots.map((s) => [s.c.name, s.c.mtu]));
    const wait = this.opts.v4WaitMs ?? V4_WAIT_MS;
    const v4PendingUntil = Object.fromEntries(
      this.slots
        .filter((s) => s.probe && !s.v4Settled && s.r.carrierAtMs !== undefined)
        .map((s) => [s.c.name, s.r.carrierAtMs! + wait]),
    );
    const d = decide({
      probes: this.slots.map((s) => s.r),
      nowMs: this.now(),
      mtus,
      pinned: this.opts.pin !== undefined,
      timing: this.opts.timing ?? DEFAULT_TIMING,
      v4PendingUntil,
      avoid: this.opts.avoid,
    });
    if (d.kind === 'choose') void this.finish(d.choice);
    else if (d.kind === 'wait') {
      this.opts.log.debug('choice-wait', { untilMs: d.untilMs });
      this.timer = setTimeout(() => this.evaluate(), Math.max(0, d.untilMs - this.now()));
    }
  }

  // Every exit: stop probes, bring NICs home, delete namespaces, put down what we brought up.
  // `chosenHome` settles when `chosen` is home (without one, when all are); `all()` starts the
  // others' way home (after chosenHome) and settles when every NIC is home. Memoized.
  private cleanup(chosen?: string): { chosenHome: Promise<void>; all: () => Promise<void> } {
    this.done = true;
    this.detach();
    if (this.timer) clearTimeout(this.timer);
    for (const s of this.slots) if (s.retry) clearTimeout(s.retry);
    this.watcher?.close();
    const goHome = (s: Slot) =>
      this.enqueue(s, async () => {
        // Empty namespaces are deleted at the end, all in one batch (one fork less per NIC, and
        // none before zos is built).
        await this.returnHome(s, { leaveNs: true });
        if (s.upped && s.c.name !== chosen) {
          await linkDown(s.c.name, this.opts.log);
        }
      });
    // The chosen NIC first, alone: with many losers tearing down at once, its two `ip` forks
    // would queue behind theirs on a small machine. The losers' probes stop at once meanwhile.
    const mine = this.slots.find((s) => s.c.name === chosen);
    for (const s of this.slots) if (s !== mine) s.probe?.halt();
    const chosenHome = mine ? goHome(mine) : Promise.resolve();
    let others: Promise<void> | undefined;
    const dropNamespaces = async () => {
      const names = new Set([...this.prepared, ...this.slots.map((s) => s.leftNs).filter((n): n is string => !!n)]);
      await netnsBatch('delete', [...names]).catch((err: unknown) =>
        this.opts.log.error('probe-ns-delete-failed', { ns: [...names].join(','), error: String(err) }),
      );
      for (const s of this.slots) s.leftNs = undefined;
    };
    const all = () =>
      (others ??= chosenHome
        .then(() => Promise.all(this.slots.filter((s) => s !== mine).map(goHome)))
        .then(dropNamespaces));
    return { chosenHome: mine ? chosenHome : all(), all };
  }

  // Resolves once the chosen NIC is home; the losers, halted, come home when the caller closes
  // the result (after zos is online), so building zos does not compete with their teardown.
  private async finish(choice: Choice): Promise<void> {
    if (this.done) return;
    this.opts.log.info('chosen', { nic: choice.nic, reason: choice.reason, atMs: this.now() });
    const { chosenHome, all } = this.cleanup(choice.nic);
    await chosenHome;
    this.opts.log.debug('chosen-home', { nic: choice.nic, atMs: this.now() });
    const close = () => all().then(() => this.progress());
    this.progress();
    this.settle.resolve({ choice, probes: structuredClone(this.slots.map((s) => s.r)), close });
  }

  private fail(err: unknown): void {
    if (this.done) return;
    this.opts.log.info('discovery-stopped', { error: err instanceof Error ? err.message : String(err) });
    void this.cleanup()
      .all()
      .then(
        () => this.settle.reject(err),
        () => this.settle.reject(err),
      );
  }
}
