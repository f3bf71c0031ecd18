// DNS servers (RDNSS) and search domains (DNSSL) of a router advertisement, RFC 8106. The
// kernel's SLAAC does not use them and hands them only to an rtnetlink listener in the probe
// namespace, where this process cannot open a socket; `rdisc6` (ndisc6) solicits one RA there
// and prints it. Run once per NIC, when the kernel has learned the router. Missing rdisc6, or
// no answer in time: no DNS from the RA (the address and route stand), never an error.
import { isIPv6 } from 'node:net';
import { runIn, type NetnsRef } from '../../lib/netns.ts';

/** What an RA said about DNS: servers and search domains, each in the order given. */
export interface RaDns {
  dns: string[];
  domains: string[];
}

/** At most this many of each, as resolv.conf's resolvers read them (MAXNS 3, MAXDNSRCH 6). */
const MAX_DNS = 3;
const MAX_DOMAINS = 6;
const LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;

/** A DNS name fit for resolv.conf's `search` (letters, digits, hyphens; 1..253 bytes). */
export function isDomainName(d: string): boolean {
  const name = d.endsWith('.') ? d.slice(0, -1) : d;
  return name.length >= 1 && name.length <= 253 && name.split('.').every((l) => LABEL.test(l));
}

/**
 * Parses rdisc6's report of one or more RAs (ndisc6 1.0.5, as in
 * test/internet/fixtures/rdisc6-rdnss.txt). Each RDNSS / DNSSL option prints its entries, then
 * its lifetime: entries of an option with lifetime 0 ("stop using these"), or whose lifetime
 * line is missing, are dropped, as are malformed ones. Duplicates are kept once.
 */
export function parseRdisc6(text: string): RaDns {
  const out: RaDns = { dns: [], domains: [] };
  let pending: { kind: 'dns' | 'domains'; values: string[] } | undefined;
  const flush = (lifetime: number) => {
    if (pending && lifetime > 0)
      for (const v of pending.values) if (!out[pending.kind].includes(v)) out[pending.kind].push(v);
    pending = undefined;
  };
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Za-z. ]+?)\s*:\s*(.*?)\s*$/.exec(line);
    if (!m) continue;
    const [, key, value] = m as unknown as [string, string, string];
    if (key === 'Recursive DNS server') {
      if (pending?.kind !== 'dns') pending = { kind: 'dns', values: [] };
      if (isIPv6(value) && !/^(ff|::$)/i.test(value)) pending.values.push(value.toLowerCase());
    } else if (key === 'DNS search list') {
      pending = { kind: 'domains', values: value.split(/\s+/).filter(isDomainName) };
    } else if (/^DNS (servers?|search list) lifetime$/.test(key)) {
      const n = /^(\d+)/.exec(value);
      flush(n ? Number(n[1]) : value.startsWith('infinite') ? Infinity : 0);
    }
  }
  return { dns: out.dns.slice(0, MAX_DNS), domains: out.domains.slice(0, MAX_DOMAINS) };
}

/**
 * Solicits one RA on `ifname` inside namespace `ref` and returns its DNS options (empty when
 * rdisc6 is missing, nobody answers within ~1.2 s (routers answer a solicitation within 0.5 s,
 * RFC 4861 6.2.6), or `signal` aborts it).
 */
export async function readRaDns(
  ref: NetnsRef,
  ifname: string,
  signal?: AbortSignal,
): Promise<RaDns & { error?: string }> {
  const r = await runIn(ref, 'rdisc6', ['-1', '-n', '-r', '2', '-w', '600', ifname], {
    allowFailure: true,
    timeoutMs: 3000,
    signal,
  }).catch((err: unknown) => ({ exitCode: -1, stdout: '', stderr: String(err) }));
  const parsed = parseRdisc6(r.stdout);
  return r.exitCode === 0 || parsed.dns.length
    ? parsed
    : { ...parsed, error: r.stderr.trim().split('\n').pop() || `rdisc6 exited ${r.exitCode}` };
}
