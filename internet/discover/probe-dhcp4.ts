// IPv4 DHCP in a probe namespace: one busybox udhcpc attempt (`-f -q -n`: foreground, quit on
// lease, exit 1 after -t discovers), the script udhcpc runs on its events, and the parser of
// what that script prints. Script and parser share one contract (LEASE_KEYS and the markers
// below), so the output format cannot drift from what is read; every field is validated so an
// odd server answer never crashes the agent nor wins with a gateway that cannot carry a
// default route (lib/router-rule.ts, the rule the udhcpc hook of dhcp-zos applies too).
import { isIPv4 } from 'node:net';
import { join } from 'node:path';
import { writeFileAtomic } from '../../lib/atomic-file.ts';
import { startChild } from '../../lib/child.ts';
import { toAppError } from '../../lib/errors.ts';
import type { NetnsRef } from '../../lib/netns.ts';
import { prefixOfNetmask } from '../../lib/validate.ts';
import { ARP_CHECK, dhcpClient } from '../../lib/tools.ts';
import type { Lease4 } from '../types.ts';
import { MIN_MTU } from '../../lib/mtu.ts';
import { notHostInSubnet, notUnicastV4 } from '../../lib/unicast.ts';
import { routerCandidates, routerProblem } from '../../lib/router-rule.ts';

/** The contract between the script and the parser: markers, line prefix, and the keys. */
export const LEASE = { begin: 'ZLEASE_BEGIN', end: 'ZLEASE_END', line: 'ZLEASE' } as const;

/** Environment variables busybox udhcpc sets for `bound`, in the order the script prints them. */
export const LEASE_KEYS = [
  'ip',
  'mask',
  'subnet',
  'router',
  'dns',
  'mtu',
  'lease',
  'serverid',
  'broadcast',
  'staticroutes',
  'domain',
] as const;

/** One lease as the script printed it: the raw value of each key it set. */
export type LeaseFields = Partial<Record<(typeof LEASE_KEYS)[number], string>>;

/**
 * The script text (POSIX sh; busybox sh in the image). It configures nothing (the NIC is in a
 * throw-away namespace); on `bound`/`renew` it prints `ZLEASE key=value` lines between the
 * markers on stdout. Newlines inside values are squashed so a hostile option cannot forge a line.
 */
export function udhcpcScript(): string {
  // One `tr` for all keys (not one per key: udhcpc waits for the script before it returns the
  // lease, ~20 forks was ~30 ms): each line ends in NUL, newlines inside a value become blanks.
  const lines = LEASE_KEYS.map((k) => `    printf '${LEASE.line} ${k}=%s\\0' "$${k}"`);
  return [
    '#!/bin/sh',
    '# Written by the internet agent: reports the probe lease on stdout, configures nothing.',
    'case "$1" in',
    'bound|renew)',
    `  echo ${LEASE.begin}`,
    '  {',
    ...lines,
    `  } | tr '\\n\\r\\000' '  \\n'`,
    `  echo ${LEASE.end}`,
    '  ;;',
    'esac',
    'exit 0',
    '',
  ].join('\n');
}

/** Where the probe script lives in `runDir`. */
export const udhcpcScriptPath = (runDir: string): string => join(runDir, 'udhcpc-probe.sh');

/** Writes the script into `runDir` (atomically, mode 0755) and returns its path. */
export async function writeUdhcpcScript(runDir: string): Promise<string> {
  const path = udhcpcScriptPath(runDir);
  await writeFileAtomic(path, udhcpcScript(), 0o755);
  return path;
}

/** The first lease block of udhcpc's stdout, field by field (undefined: no block). */
export function readLeaseFields(stdout: string): LeaseFields | undefined {
  const start = stdout.indexOf(LEASE.begin);
  if (start < 0) return undefined;
  const keys = new Set<string>(LEASE_KEYS);
  const env: LeaseFields = {};
  for (const line of stdout.slice(start).split('\n').slice(1)) {
    if (line.startsWith(LEASE.end)) break;
    const m = /^(\S+) ([a-z]+)=(.*)$/.exec(line);
    if (!m || m[1] !== LEASE.line || !keys.has(m[2]!)) continue;
    const k = m[2] as keyof LeaseFields;
    if (!(k in env)) env[k] = m[3]!.trim();
  }
  return env;
}

/** Parsed answer: a lease that qualifies, or why it does not (no router, bad field). */
export type LeaseParse =
  | { ok: true; lease: Lease4; warnings: string[] }
  | { ok: false; reason: string; address?: string; serverId?: string };

const intIn = (v: string | undefined, min: number, max: number): number | undefined => {
  if (v === undefined || !/^\d{1,10}$/.test(v)) return undefined;
  const n = Number(v);
  return n >= min && n <= max ? n : undefined;
};

/**
 * Busybox `staticroutes`: "dest/prefix via dest/prefix via ..." (option 121, RFC 3442). A route
 * via an address that cannot be a next hop (lib/router-rule.ts: loopback, multicast, the lease's
 * own...) is dropped; via 0.0.0.0 means on the link, except for 0.0.0.0/0: an on-link default
 * is no gateway, dropped (the hook drops it too).
 */
function parseStaticRoutes(
  v: string,
  address: string,
  prefix: number,
  warnings: string[],
): { dest: string; via: string }[] {
  const words = v.split(/\s+/).filter(Boolean);
  const out: { dest: string; via: string }[] = [];
  for (let i = 0; i + 1 < words.length; i += 2) {
    const [dest, via] = [words[i]!, words[i + 1]!];
    const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d{1,2})$/.exec(dest);
    const viaOk = via === '0.0.0.0' ? dest !== '0.0.0.0/0' : routerProblem(via, address, prefix, true) === undefined;
    if (m && isIPv4(m[1]!) && Number(m[2]) <= 32 && viaOk) out.push({ dest, via });
    else warnings.push(`ignored static route ${JSON.stringify(`${dest} ${via}`)}`);
  }
  if (words.length % 2) warnings.push('ignored odd staticroutes word');
  return out;
}

/** Reads the first lease block of udhcpc's stdout into a validated lease. */
export function parseLease(stdout: string): LeaseParse {
  const env = readLeaseFields(stdout);
  if (!env) return { ok: false, reason: 'udhcpc reported no lease' };
  const address = env.ip ?? '';
  const serverId = env.serverid && isIPv4(env.serverid) ? env.serverid : undefined;
  if (!isIPv4(address))
    return { ok: false, reason: `lease address ${JSON.stringify(address.slice(0, 40))} is not IPv4`, serverId };
  const prefix = intIn(env.mask, 0, 32) ?? (env.subnet ? prefixOfNetmask(env.subnet) : undefined);
  if (prefix === undefined || prefix === 0)
    return {
      ok: false,
      reason: `lease has no valid subnet mask (${JSON.stringify(env.subnet ?? env.mask ?? '')})`,
      address,
      serverId,
    };
  const addrWhy = notUnicastV4(address, { linkLocal: true }) ?? notHostInSubnet(address, prefix);
  if (addrWhy) return { ok: false, reason: `lease address ${address} ${addrWhy}`, address, serverId };
  const warnings: string[] = [];
  const routes = env.staticroutes ? parseStaticRoutes(env.staticroutes, address, prefix, warnings) : [];
  // RFC 3442: option 121's default route comes first, then the router option (lib/router-rule.ts).
  const default121 = routes.find((r) => r.dest === '0.0.0.0/0')?.via;
  const routers = routerCandidates(default121, (env.router ?? '').split(/\s+/).filter(Boolean));
  if (!routers.length) return { ok: false, reason: 'lease without router option', address, serverId };
  // The first router we can route through; a router we cannot use is no gateway at all.
  const why = routers.map((r) => routerProblem(r, address, prefix, routes.length > 0));
  const pick = why.indexOf(undefined);
  if (pick < 0)
    return { ok: false, reason: `router ${JSON.stringify(routers[0]!.slice(0, 40))} ${why[0]}`, address, serverId };
  if (pick > 0) warnings.push(`skipped router ${JSON.stringify(routers[0]!.slice(0, 40))}: ${why[0]}`);
  const dnsWords = (env.dns ?? '').split(/\s+/).filter(Boolean);
  const dns = dnsWords.filter((d) => isIPv4(d));
  if (dns.length !== dnsWords.length) warnings.push('ignored invalid dns entries');
  const lease: Lease4 = { address, prefix, router: routers[pick]!, dns };
  const opt = (key: keyof LeaseFields, min: number, max: number, set: (n: number) => void) => {
    if (!env[key]) return;
    const n = intIn(env[key], min, max);
    if (n === undefined)
      warnings.push(`ignored ${key}=${JSON.stringify(env[key]!.slice(0, 20))} (want ${min}..${max})`);
    else set(n);
  };
  opt('mtu', MIN_MTU, 65535, (n) => {
    lease.mtu = n;
  });
  opt('lease', 0, 0xffffffff, (n) => {
    lease.leaseSeconds = n;
  });
  if (serverId) lease.serverId = serverId;
  if (env.broadcast && isIPv4(env.broadcast)) lease.broadcast = env.broadcast;
  if (env.domain && /^[A-Za-z0-9.-]{1,253}$/.test(env.domain)) lease.domain = env.domain;
  else if (env.domain) warnings.push('ignored invalid domain');
  if (routes.length) lease.staticRoutes = routes;
  return { ok: true, lease, warnings };
}

/**
 * One udhcpc run inside `ref` (the client dhcp-zos gets too: tools.ts): `tries` discovers one
 * second apart, an offered address another host answers ARP for is declined (tools.ts ARP_CHECK; `-A 1`: the
 * next discover a second later, not busybox's 20). Killed (and resolves) on `signal`, and after
 * `tries` + 5 s whatever it is doing: busybox udhcpc on a link that is down never exits,
 * whatever -t/-n say. `timedOut` tells that case apart.
 */
export async function runUdhcpc(
  ref: NetnsRef,
  ifname: string,
  script: string,
  tries: number,
  signal: AbortSignal,
): Promise<{ code: number | null; stdout: string; stderr: string; timedOut: boolean }> {
  let client: string[];
  try {
    client = (await dhcpClient()).argv;
  } catch (err) {
    return { code: null, stdout: '', stderr: toAppError(err).message, timedOut: false };
  }
  const ac = new AbortController();
  const stop = () => ac.abort();
  signal.addEventListener('abort', stop, { once: true });
  if (signal.aborted) stop();
  let timedOut = false;
  const timer = setTimeout(
    () => {
      timedOut = true;
      stop();
    },
    (tries + 5) * 1000,
  );
  const child = startChild(
    ref,
    client[0]!,
    [
      ...client.slice(1),
      '-i',
      ifname,
      '-f',
      '-q',
      '-n',
      '-t',
      String(tries),
      '-T',
      '1',
      '-A',
      '1',
      ARP_CHECK,
      '-O',
      'mtu',
      '-O',
      'staticroutes',
      '-O',
      'domain',
      '-s',
      script,
    ],
    { keepStdout: true, signal: ac.signal },
  );
  const end = await child.exited;
  clearTimeout(timer);
  signal.removeEventListener('abort', stop);
  // A child that could not start has no exit status: its error is the reason the caller shows.
  return {
    code: end.code,
    stdout: end.stdout,
    stderr: end.code === null && !end.signal ? (end.error?.message ?? end.stderr) : end.stderr,
    timedOut,
  };
}
