// Shared shapes of the agent: what discovery finds and what configuration applies.
// discover.ts (probing) produces them; bridge/apply/handoff/status consume them.
import type { IpLink } from '../lib/ip.ts';
import type { Logger } from '../lib/log.ts';

/** An IPv4 DHCP lease as udhcpc reported it in the probe namespace. */
export interface Lease4 {
  address: string;
  prefix: number;
  /** First router option (the default gateway). */
  router: string;
  dns: string[];
  mtu?: number;
  leaseSeconds?: number;
  serverId?: string;
  domain?: string;
  broadcast?: string;
  /** Classless static routes (option 121), in order. */
  staticRoutes?: { dest: string; via: string }[];
}

/** What an IPv6 router advertisement gave the NIC in its probe namespace. */
export interface Ra6 {
  /** The SLAAC global address (not link-local) and its prefix length. */
  address: string;
  prefix: number;
  /** Link-local address of the router (the default route's `via`). */
  router: string;
  /** RDNSS servers and DNSSL search domains (RFC 8106), when the router sends them. */
  dns: string[];
  domains?: string[];
  mtu?: number;
  validLft?: number;
  preferredLft?: number;
}

/** One NIC's probe history, as shown in the status file. Times are ms since agent start. */
export interface ProbeResult {
  nic: string;
  mac: string;
  state: 'waiting-carrier' | 'probing' | 'answered' | 'no-answer' | 'skipped' | 'error';
  /** Why a NIC was skipped or failed (e.g. "carries the default route: not moved"). */
  note?: string;
  carrierAtMs?: number;
  attempts: number;
  v4?: { lease: Lease4; atMs: number };
  v6?: { ra: Ra6; atMs: number };
  error?: string;
}

/** The NIC discovery chose, with what it learned there. At least one of v4/v6 is set. */
export interface Choice {
  nic: string;
  mac: string;
  mtu: number;
  v4?: Lease4;
  v6?: Ra6;
  /** Human-readable reason ("private gateway 10.0.0.1", "only answer", "pinned by zos.nic"). */
  reason: string;
}

export interface DiscoverOptions {
  /** Restrict candidates to these links (admits virtual links). Undefined: physical NICs only. */
  nics?: string[];
  /** `zos.nic=` value: a link name or MAC; only that NIC is probed. */
  pin?: string;
  /** Where the udhcpc probe script is written: beside the status file (default /run/internet). */
  runDir?: string;
  /**
   * NICs whose earlier choice could not be applied (a route the kernel refused), the most
   * recent failure last: they rank after every other answer, so the next NIC gets its turn.
   */
  avoid?: string[];
  /** `vlan:priv=` id: probe over an 802.1Q sub-interface with this id. */
  vlan?: number;
  log: Logger;
  /** Called whenever a probe result changes (the status file is rewritten from it). */
  onProgress?: (probes: ProbeResult[]) => void;
  signal?: AbortSignal;
  /** Milliseconds since agent start, for ProbeResult times. */
  now?: () => number;
  /**
   * The agent's namespace's links as read just before (the preflight's): the candidates come
   * from them instead of a second read.
   */
  links?: IpLink[];
}

/**
 * Result of discovery, a handle that owns the NICs it moved: the choice, every NIC's probe
 * history, and close(). discover() resolves as soon as the chosen NIC is home, with the other
 * probes stopped but their NICs still in their namespaces: moving links between namespaces and
 * deleting namespaces take the kernel's rtnl lock, and many losers doing it at once held back
 * building zos (docs/internet.md). close() brings every other NIC home and deletes every probe namespace;
 * it resolves when done, never rejects, and is idempotent.
 */
export interface DiscoverResult {
  choice: Choice;
  probes: ProbeResult[];
  close(): Promise<void>;
}
