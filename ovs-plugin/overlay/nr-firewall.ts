// The NR's firewall, two nft tables each replaced whole in one `nft -f` transaction (never half
// written, never absent in between) and only when its text changed:
// - `inet zos_nr` inside `n-<netid>`: workloads reach the mesh and the egress, the mesh reaches
//   the workloads, a peer reaches another peer through us (we relay), nothing comes in from `public` unasked; MSS
// clamped to the route MTU; the
//   gateway is reached from the tenant's side only; egress masqueraded out of `public`.
// - `inet zos_overlay` in the host (one table for every NR, from the records, under its own lock
//   `nets.json.nft.lock`): an NR's egress goes out of the uplinks (the links of the IPv4 default
//   routes) only, masqueraded; nothing reaches an egress veth but replies; no service of the
//   node is reachable from one. With no NR left the table is deleted.
import { createHash } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { writeFileAtomic } from '../../lib/atomic-file.ts';
import { ipv4Uplinks } from '../../lib/rtnl.ts';
import { runIn, SELF, type NetnsRef } from '../../lib/netns.ts';
import { withLock } from '../nics/lock.ts';
import { nrNames, TRANSIT_RANGE } from './nr-names.ts';
import type { NftSums, NrRecord } from './nr-state.ts';

/**
 * How long one `nft` may take. It answers in milliseconds, but a node's first table loads the
 * nf_tables modules it names on demand: in the image under TCG, with the host loaded, that took
 * more than 10 s (the QEMU overlay test, load average 15).
 */
const NFT_MS = 60_000;

/** The namespace's table. */
export const NR_TABLE = 'zos_nr';
/** The host's table. */
export const HOST_TABLE = 'zos_overlay';

const q = (s: string): string => JSON.stringify(s);
const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

/** The script that replaces the namespace's table of NR `netid`. Pure. */
export function nrTableScript(netid: string): string {
  const n = nrNames(netid);
  return [
    `table inet ${NR_TABLE}`,
    `delete table inet ${NR_TABLE}`,
    `table inet ${NR_TABLE} {`,
    '  chain forward { type filter hook forward priority filter; policy drop;',
    '    tcp flags syn tcp option maxseg size set rt mtu',
    '    ct state invalid drop',
    '    ct state established,related accept',
    `    iifname ${q(n.inner)} accept`,
    `    iifname ${q(n.wireguard)} oifname ${q(n.inner)} accept`,
    // A relay (a hidden node's, a laptop's entrypoint) forwards between its own peers: w- to w-
    // is the tenant's mesh, never another NR's (each NR has its own namespace and link).
    `    iifname ${q(n.wireguard)} oifname ${q(n.wireguard)} accept`,
    '  }',
    '  chain input { type filter hook input priority filter; policy accept;',
    '    ct state established,related accept',
    `    iifname ${q(n.public)} drop`,
    '  }',
    '  chain postrouting { type nat hook postrouting priority srcnat; policy accept; ' +
      `oifname ${q(n.public)} masquerade; }`,
    '}',
    '',
  ].join('\n');
}

const elements = (items: readonly string[]): string =>
  items.length ? ` elements = { ${items.map(q).join(', ')} };` : '';

/**
 * The script that replaces the host's table for the egress links `egress` and uplinks `uplinks` (none: deletes it).
 * Pure.
 */
export function hostTableScript(egress: readonly string[], uplinks: readonly string[]): string {
  const head = [`table inet ${HOST_TABLE}`, `delete table inet ${HOST_TABLE}`];
  if (!egress.length) return [...head, ''].join('\n');
  return [
    ...head,
    `table inet ${HOST_TABLE} {`,
    `  set egress { type ifname;${elements(egress)} }`,
    `  set uplinks { type ifname;${elements(uplinks)} }`,
    '  chain forward { type filter hook forward priority filter; policy accept;',
    '    iifname @egress oifname @uplinks accept',
    '    iifname @egress drop',
    '    oifname @egress ct state established,related accept',
    '    oifname @egress drop',
    '  }',
    '  chain input { type filter hook input priority filter; policy accept;',
    '    iifname @egress ct state established,related accept',
    '    iifname @egress drop',
    '  }',
    '  chain postrouting { type nat hook postrouting priority srcnat; policy accept; ' +
      `ip saddr ${TRANSIT_RANGE} oifname @uplinks masquerade; }`,
    '}',
    '',
  ].join('\n');
}

/**
 * The fingerprint of table `family name` in `ref` as the kernel lists it (handles left out); undefined when missing.
 */
export async function tableListing(ref: NetnsRef, name: string): Promise<string | undefined> {
  const r = await runIn(ref, 'nft', ['-j', 'list', 'table', 'inet', name], { allowFailure: true, timeoutMs: NFT_MS });
  if (r.exitCode !== 0) return undefined;
  return sha(JSON.stringify(JSON.parse(r.stdout), (k, v) => (k === 'handle' ? undefined : v)));
}

/** Runs `script` through `nft -f -` in `ref` (one transaction). */
export async function runNft(ref: NetnsRef, script: string): Promise<void> {
  await runIn(ref, 'nft', ['-f', '-'], { input: script, timeoutMs: NFT_MS });
}

/**
 * Makes the namespace's table of NR `netid` the one nrTableScript gives, writing it only when
 * the script or the kernel's listing differs from `last`; returns the sums to record.
 */
export async function ensureNrTable(ref: NetnsRef, netid: string, last: NftSums | undefined): Promise<NftSums> {
  const script = nrTableScript(netid);
  // With nothing recorded the table is written whatever is there: no listing to compare first.
  if (last && last.script === sha(script) && last.listing === (await tableListing(ref, NR_TABLE))) return last;
  await runNft(ref, script);
  return { script: sha(script), listing: (await tableListing(ref, NR_TABLE)) ?? '' };
}

/** The host's uplinks: the links of the main table's IPv4 default routes, sorted. */
export async function uplinks(): Promise<string[]> {
  return ipv4Uplinks(SELF);
}

const sumsFile = (netsPath: string): string => `${netsPath}.nft`;

/** The host table's script for records `nets` (those being deleted left out) and uplinks `up` (default: read now). */
async function hostWanted(nets: readonly NrRecord[], up: Promise<string[]> = uplinks()): Promise<string> {
  const egress = nets
    .filter((r) => r.phase !== 'deleting')
    .map((r) => nrNames(r.netid).egress)
    .sort();
  return hostTableScript(egress, await up);
}

/**
 * Rewrites the host table from the records `read()` returns (read once the table's own lock is
 * held, so the last writer's table holds every NR recorded then), only when the script or the
 * kernel's listing changed since the last write (kept in `nets.json.nft`). True when it wrote.
 * `up`: the uplinks read by the caller (default: read now). An apply reads them before its
 * children start: an in-process read waits, on the daemon's only thread, for the kernel's
 * rtnl lock that their link changes hold.
 */
export async function syncHostTable(
  netsPath: string,
  read: () => Promise<readonly NrRecord[]>,
  up?: Promise<string[]>,
): Promise<boolean> {
  return withLock(`${netsPath}.nft.lock`, async () => {
    const script = await hostWanted(await read(), up);
    const kept = await readFile(sumsFile(netsPath), 'utf8').then(
      (t) => JSON.parse(t) as NftSums,
      () => undefined,
    );
    const empty = !script.includes('{');
    // A changed script is written whatever the kernel has: no listing to compare first.
    const listing = kept?.script === sha(script) || empty ? await tableListing(SELF, HOST_TABLE) : '';
    if (kept && kept.script === sha(script) && (empty ? listing === undefined : kept.listing === listing)) return false;
    if (empty && listing === undefined) {
      await rm(sumsFile(netsPath), { force: true });
      return false;
    }
    await runNft(SELF, script);
    if (empty) {
      await rm(sumsFile(netsPath), { force: true });
      return true;
    }
    await writeFileAtomic(
      sumsFile(netsPath),
      JSON.stringify({ script: sha(script), listing: (await tableListing(SELF, HOST_TABLE)) ?? '' }) + '\n',
      0o600,
      { sync: false },
    );
    return true;
  });
}

/** Host table drift: missing, edited behind our back, or not what the records and uplinks call for. */
export async function hostTableDrift(netsPath: string, nets: readonly NrRecord[]): Promise<string | undefined> {
  const script = await hostWanted(nets);
  const listing = await tableListing(SELF, HOST_TABLE);
  const kept = await readFile(sumsFile(netsPath), 'utf8').then(
    (t) => JSON.parse(t) as NftSums,
    () => undefined,
  );
  if (!script.includes('{')) return listing === undefined ? undefined : 'present with no NR';
  if (listing === undefined) return 'missing';
  if (listing !== kept?.listing) return 'changed';
  if (sha(script) !== kept.script) return 'stale';
  return undefined;
}

/** Namespace table drift against the recorded sums. */
export async function nrTableDrift(
  ref: NetnsRef,
  netid: string,
  last: NftSums | undefined,
): Promise<string | undefined> {
  const listing = await tableListing(ref, NR_TABLE).catch(() => undefined);
  if (listing === undefined) return 'missing';
  if (!last || listing !== last.listing) return 'changed';
  if (sha(nrTableScript(netid)) !== last.script) return 'stale';
  return undefined;
}
