// IPv4 DHCP in a probe namespace: one busybox udhcpc attempt (`-f -q -n`: foreground, quit on
// lease, exit 1 after -t discovers), its lease read from what udhcpc-script.ts printed, and
// every field validated so an odd server answer never crashes the agent.
import { spawn } from 'node:child_process';
import { isIPv4 } from 'node:net';
import { toAppError } from '../../lib/errors.ts';
import { netnsPath } from '../../lib/netns.ts';
import { dhcpClient } from '../tools.ts';
import type { Lease4 } from '../types.ts';

/** Parsed answer: a lease that qualifies, or why it does not (no router, bad field). */
export type LeaseParse =
  | { ok: true; lease: Lease4; warnings: string[] }
  | { ok: false; reason: string; address?: string; serverId?: string };

const intIn = (v: string | undefined, min: number, max: number): number | undefined => {
  if (v === undefined || !/^\d{1,10}$/.test(v)) return undefined;
  const n = Number(v);
  return n >= min && n <= max ? n : undefined;
};

function maskToPrefix(v: string): number | undefined {
  if (!isIPv4(v)) return undefined;
  const n = v.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  const prefix = 32 - Math.log2(2 ** 32 - n);
  return Number.isInteger(prefix) && prefix >= 0 && prefix <= 32 ? prefix : undefined;
}

/** Busybox `staticroutes`: "dest/prefix via dest/prefix via ..." (option 121, RFC 3442). */
function parseStaticRoutes(v: string, warnings: string[]): { dest: string; via: string }[] {
  const words = v.split(/\s+/).filter(Boolean);
  const out: { dest: string; via: string }[] = [];
  for (let i = 0; i + 1 < words.length; i += 2) {
    const [dest, via] = [words[i]!, words[i + 1]!];
    const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d{1,2})$/.exec(dest);
    if (m && isIPv4(m[1]!) && Number(m[2]) <= 32 && isIPv4(via)) out.push({ dest, via });
    else warnings.push(`ignored static route ${JSON.stringify(`${dest} ${via}`)}`);
  }
  if (words.length % 2) warnings.push('ignored odd staticroutes word');
  return out;
}

/** Reads the first `ZLEASE_BEGIN..END` block of udhcpc's stdout into a validated lease. */
export function parseLease(stdout: string): LeaseParse {
  const start = stdout.indexOf('ZLEASE_BEGIN');
  if (start < 0) return { ok: false, reason: 'udhcpc reported no lease' };
  const env: Record<string, string> = {};
  for (const line of stdout.slice(start).split('\n').slice(1)) {
    if (line.startsWith('ZLEASE_END')) break;
    const m = /^ZLEASE ([a-z]+)=(.*)$/.exec(line);
    if (m && !(m[1]! in env)) env[m[1]!] = m[2]!.trim();
  }
  const address = env.ip ?? '';
  const serverId = env.serverid && isIPv4(env.serverid) ? env.serverid : undefined;
  if (!isIPv4(address)) return { ok: false, reason: `lease address ${JSON.stringify(address.slice(0, 40))} is not IPv4`, serverId };
  const prefix = intIn(env.mask, 0, 32) ?? (env.subnet ? maskToPrefix(env.subnet) : undefined);
  if (prefix === undefined || prefix === 0) return { ok: false, reason: `lease has no valid subnet mask (${JSON.stringify(env.subnet ?? env.mask ?? '')})`, address, serverId };
  const routers = (env.router ?? '').split(/\s+/).filter(Boolean);
  if (!routers.length) return { ok: false, reason: 'lease without router option', address, serverId };
  if (!isIPv4(routers[0]!)) return { ok: false, reason: `router ${JSON.stringify(routers[0]!.slice(0, 40))} is not IPv4`, address, serverId };
  const warnings: string[] = [];
  const dnsWords = (env.dns ?? '').split(/\s+/).filter(Boolean);
  const dns = dnsWords.filter((d) => isIPv4(d));
  if (dns.length !== dnsWords.length) warnings.push('ignored invalid dns entries');
  const lease: Lease4 = { address, prefix, router: routers[0]!, dns };
  const opt = (key: string, min: number, max: number, set: (n: number) => void) => {
    if (!env[key]) return;
    const n = intIn(env[key], min, max);
    if (n === undefined) warnings.push(`ignored ${key}=${JSON.stringify(env[key]!.slice(0, 20))} (want ${min}..${max})`);
    else set(n);
  };
  opt('mtu', 68, 65535, (n) => { lease.mtu = n; });
  opt('lease', 0, 0xffffffff, (n) => { lease.leaseSeconds = n; });
  if (serverId) lease.serverId = serverId;
  if (env.broadcast && isIPv4(env.broadcast)) lease.broadcast = env.broadcast;
  if (env.domain && /^[A-Za-z0-9.-]{1,253}$/.test(env.domain)) lease.domain = env.domain;
  else if (env.domain) warnings.push('ignored invalid domain');
  if (env.staticroutes) {
    const routes = parseStaticRoutes(env.staticroutes, warnings);
    if (routes.length) lease.staticRoutes = routes;
  }
  return { ok: true, lease, warnings };
}

/** One udhcpc run (the client dhcp-zos gets too: tools.ts): `tries` discovers one second apart. Killed (and resolves) on `signal`. */
export async function runUdhcpc(ns: string, ifname: string, script: string, tries: number, signal: AbortSignal): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let client: string[];
  try { client = (await dhcpClient()).argv; } catch (err) { return { code: null, stdout: '', stderr: toAppError(err).message }; }
  const args = [`--net=${netnsPath(ns)}`, '--', ...client, '-i', ifname, '-f', '-q', '-n',
    '-t', String(tries), '-T', '1', '-O', 'mtu', '-O', 'staticroutes', '-O', 'domain', '-s', script];
  return new Promise((resolve) => {
    // nsenter execs udhcpc in place (no --fork), so killing this pid kills udhcpc.
    const child = spawn('nsenter', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { if (stdout.length < 65536) stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { if (stderr.length < 65536) stderr += d.toString(); });
    const kill = () => child.kill('SIGKILL');
    signal.addEventListener('abort', kill, { once: true });
    child.on('error', (err) => { stderr += String(err); });
    child.on('close', (code) => {
      signal.removeEventListener('abort', kill);
      resolve({ code, stdout, stderr });
    });
  });
}
