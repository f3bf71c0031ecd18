// Which probed NIC wins, and when the answer is clear. Pure: no I/O, no clock of its own, so
// every timing rule is unit-tested. Rules (decide as soon as the answer is clear, never wait
// for silent NICs to time out):
// a NIC qualifies with an IPv4 lease that has a router, or an IPv6 RA (default route + SLAAC
// address). A private gateway wins: IPv4 router in RFC 1918 or 169.254/16; for IPv6 the router
// is always link-local, so an RA counts as private when its address is ULA (fc00::/7, RFC 4193).
// Ties: lowest address, IPv4 before IPv6. A NIC whose earlier choice could not be applied
// ranks after all others (the agent's retry then tries the next one).
import { isIPv4, isIPv6 } from 'node:net';
import type { Choice, ProbeResult } from '../types.ts';
import { addrValue } from '../../lib/unicast.ts';

/** The two waiting windows of the choice (ms). */
export interface ChooseTiming {
  /** After the first private answer, wait this long for ties (another private answer). */
  settleMs: number;
  /** After the first answer, when none is private, wait this long for a private one. */
  graceMs: number;
}

/**
 * 50 ms for ties among private answers (DHCP answers jitter by seconds, so a longer window
 * buys no more determinism, only boot time: 100 ms was most of what 8 silent NICs cost the
 * bench), ~2.5 s for a private answer to beat a public one.
 */
export const DEFAULT_TIMING: ChooseTiming = { settleMs: 50, graceMs: 2500 };

/**
 * How long after carrier a NIC's first DHCP attempt may still answer. An RA often arrives in
 * milliseconds while a DHCP server answers in seconds (dnsmasq pings an address ~3 s before
 * offering it), so a winner known only by its RA waits this long for its own IPv4 lease.
 */
export const V4_WAIT_MS = 4500;

/** What the caller knows beyond the probe results. */
export interface ChooseInput {
  probes: ProbeResult[];
  nowMs: number;
  /** Link MTU by NIC name (Choice.mtu). */
  mtus?: Record<string, number>;
  /** Set when `zos.nic=` pinned the NIC: its first answer wins at once. */
  pinned?: boolean;
  /** NICs whose earlier choice failed to apply, most recent last: they rank after the others. */
  avoid?: string[];
  /** NICs whose first DHCP attempt is still running: until when (ms) their lease may come. */
  v4PendingUntil?: Record<string, number>;
  timing?: ChooseTiming;
}

/** Choose now, wait until a time (then ask again), or nothing qualifies yet. */
export type Decision = { kind: 'choose'; choice: Choice } | { kind: 'wait'; untilMs: number } | { kind: 'none' };

/** True for 10/8, 172.16/12, 192.168/16 (RFC 1918) and 169.254/16 (RFC 3927). */
export function isPrivateV4(addr: string): boolean {
  if (!isIPv4(addr)) return false;
  const [a, b] = addr.split('.').map(Number) as [number, number];
  return a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254);
}

/** True for unique local addresses fc00::/7 (RFC 4193). */
export function isUla(addr: string): boolean {
  return isIPv6(addr) && /^f[cd][0-9a-f]{0,2}:/i.test(addr);
}

/** A qualifying probe's sort key and when it first qualified. */
interface Ranked {
  probe: ProbeResult;
  /** 0, or 1 + the NIC's place in ChooseInput.avoid (a later failure ranks lower). */
  avoided: number;
  private: boolean;
  family: 4 | 6;
  addr: bigint;
  atMs: number;
  privateAtMs: number | undefined;
}

function v4Qualifies(p: ProbeResult): boolean {
  return !!p.v4 && isIPv4(p.v4.lease.router) && isIPv4(p.v4.lease.address);
}

/** Numeric value of an IPv4 or IPv6 address, for "lowest address" ties (lib/unicast.ts). */
export { addrValue };

function rank(p: ProbeResult, avoid: string[]): Ranked | undefined {
  const v4 = v4Qualifies(p) ? p.v4! : undefined;
  const v6 = p.v6;
  if (!v4 && !v6) return undefined;
  const v4Private = !!v4 && isPrivateV4(v4.lease.router);
  const v6Private = !!v6 && isUla(v6.ra.address);
  const privateAts = [v4Private ? v4!.atMs : undefined, v6Private ? v6!.atMs : undefined].filter(
    (x): x is number => x !== undefined,
  );
  const atMs = Math.min(v4?.atMs ?? Infinity, v6?.atMs ?? Infinity);
  // The key is the NIC's best answer: a private one before a public one, IPv4 before IPv6.
  const useV4 = !!v4 && (v4Private || !v6Private);
  return {
    probe: p,
    avoided: avoid.indexOf(p.nic) + 1,
    private: v4Private || v6Private,
    family: useV4 ? 4 : 6,
    addr: addrValue(useV4 ? v4!.lease.address : v6!.ra.address),
    atMs,
    privateAtMs: privateAts.length ? Math.min(...privateAts) : undefined,
  };
}

function compare(a: Ranked, b: Ranked): number {
  if (a.avoided !== b.avoided) return a.avoided - b.avoided;
  if (a.private !== b.private) return a.private ? -1 : 1;
  if (a.family !== b.family) return a.family - b.family;
  return a.addr < b.addr ? -1 : a.addr > b.addr ? 1 : 0;
}

function toChoice(r: Ranked, mtus: Record<string, number>, reason: string): Choice {
  const p = r.probe;
  return {
    nic: p.nic,
    mac: p.mac,
    mtu: mtus[p.nic] ?? 1500,
    ...(v4Qualifies(p) ? { v4: p.v4!.lease } : {}),
    ...(p.v6 ? { v6: p.v6.ra } : {}),
    reason,
  };
}

/** Decides now, or says until when to wait, or that nothing qualifies yet. */
export function decide(input: ChooseInput): Decision {
  const timing = input.timing ?? DEFAULT_TIMING;
  const ranked = input.probes
    .map((p) => rank(p, input.avoid ?? []))
    .filter((r): r is Ranked => !!r)
    .sort(compare);
  const best = ranked[0];
  if (!best) return { kind: 'none' };
  const mtus = input.mtus ?? {};
  const gw = best.family === 4 ? best.probe.v4!.lease.router : best.probe.v6!.ra.router;
  const what =
    best.family === 4
      ? `${best.private ? 'private' : 'public'} gateway ${gw}`
      : `${best.private ? 'ULA' : 'global'} IPv6 ${best.probe.v6!.ra.address} via ${gw}`;
  // The winner so far knows only IPv6 and its IPv4 may still come: give it that chance.
  const ownV4 = best.family === 6 && !v4Qualifies(best.probe) ? (input.v4PendingUntil?.[best.probe.nic] ?? 0) : 0;
  if (input.pinned) {
    if (input.nowMs < ownV4) return { kind: 'wait', untilMs: ownV4 };
    return { kind: 'choose', choice: toChoice(best, mtus, `pinned by zos.nic, ${what}`) };
  }
  // Everyone still in the race has answered: nothing to wait for.
  const racing = input.probes.filter((p) => p.state !== 'skipped');
  const allIn = racing.every((p) => ranked.some((r) => r.probe === p));
  // An avoided winner waits the grace window for any other answer.
  const privates = ranked.filter((r) => r.private && !r.avoided);
  const settling = privates.length > 0 && !best.avoided;
  const until = settling
    ? Math.min(...privates.map((r) => r.privateAtMs!)) + timing.settleMs
    : Math.min(...ranked.map((r) => r.atMs)) + timing.graceMs;
  // A tie within the settle window can only come from a NIC whose DHCP client runs (carrier,
  // probing); one still without carrier cannot answer that soon. The grace window waits for all.
  const couldTie = racing.some(
    (p) => !ranked.some((r) => r.probe === p) && (p.state === 'probing' || p.state === 'no-answer'),
  );
  const waitOthers = settling ? couldTie : !allIn;
  if ((waitOthers && input.nowMs < until) || input.nowMs < ownV4)
    return { kind: 'wait', untilMs: Math.max(waitOthers ? until : 0, ownV4) };
  const reason = ranked.length === 1 ? `only answer, ${what}` : `${what}, best of ${ranked.length} answers`;
  return { kind: 'choose', choice: toChoice(best, mtus, reason) };
}
