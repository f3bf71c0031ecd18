// The nic inside its container: final name, MAC, MTU, up, then `config` (cidr, gateway as the
// default route with metric 1000 as v1, dns into <root>/etc/resolv.conf, through root-etc.ts:
// no link in the root is followed). Every command names the target namespace; the link arrives
// under the record's temporary name and is renamed here.
import type { FileHandle } from 'node:fs/promises';
import { ValidationError } from '../../lib/errors.ts';
import { getLink, ip } from '../../lib/ip.ts';
import type { NetnsRef } from '../../lib/netns.ts';
import type { UndoStack } from '../../lib/undo.ts';
import { dhcpRunning, startDhcp, stopDhcp } from './dhcp.ts';
import { failpoint } from './failpoint.ts';
import { addressesOf } from './link-addresses.ts';
import { openEtc, readResolv, withEtc, writeResolv } from './root-etc.ts';
import type { Drift, NicRecord, NicSpec } from './types.ts';

/** Metric of the default route a nic's gateway gets (v1). */
export const GATEWAY_METRIC = 1000;

/**
 * The `nameserver` lines of `config.dns` that <root>/etc/resolv.conf lacks now (what attach will
 * add). Run before the state lock: the root is the container's. With `dns` or `dhcp` it refuses
 * (EINVALID nic.root) a root that is not a container's own, a missing <root>/etc, and a
 * resolv.conf that is not a regular file.
 */
export async function dnsToAdd(nic: NicSpec): Promise<string[]> {
  const dns = nic.config?.dns ?? [];
  if (!nic.root || (!dns.length && !nic.config?.dhcp)) return [];
  const text = await withEtc(nic.root, (etc) => readResolv(nic.root!, etc));
  const have = new Set(text.split('\n').map((l) => l.trim()));
  return [...new Set(dns.map((d) => `nameserver ${d}`))].filter((l) => !have.has(l));
}

/** Undoes the config inside that outlives the link: stops the DHCP client, removes our DNS lines. */
export async function undoConfig(rec: NicRecord): Promise<void> {
  await stopDhcp(rec);
  await removeDns(rec);
}

/**
 * Removes exactly the lines this nic added from <root>/etc/resolv.conf. Nothing to do when etc or
 * the file is missing, or the container has made either something we do not touch (a link, a FIFO).
 */
export async function removeDns(rec: NicRecord): Promise<void> {
  const root = rec.nic.root;
  if (!root || !rec.dnsAdded?.length) return;
  let etc: FileHandle | undefined;
  try {
    etc = await openEtc(root);
  } catch (err) {
    if (err instanceof ValidationError) return;
    throw err;
  }
  if (!etc) return;
  try {
    let text: string;
    try {
      text = await readResolv(root, etc);
    } catch (err) {
      if (err instanceof ValidationError) return;
      throw err;
    }
    const drop = new Set(rec.dnsAdded);
    const kept = text.split('\n').filter((l) => !drop.has(l.trim()));
    if (kept.length !== text.split('\n').length) await writeResolv(etc, kept.join('\n'));
  } finally {
    await etc.close();
  }
}

/**
 * Renames the arrived link to its final name, sets MAC/MTU, brings it up, applies `config`:
 * one `ip -batch` in the target (it stops at the first failing line; the undo that renames the
 * link back is registered first and is harmless if the rename never happened). A link `born`
 * in the target with its final name, MAC and MTU, up (a veth peer), needs only the `config`
 * lines: no child at all without them.
 */
export async function configureInside(
  target: NetnsRef,
  rec: NicRecord,
  undo: UndoStack,
  dhcpWaitMs: number,
  born = false,
): Promise<void> {
  const c = rec.nic.config ?? {};
  const cidr = c.cidr ?? rec.address;
  const gw = c.gateway ?? rec.gateway;
  const lines = [
    ...(born
      ? []
      : [
          `link set dev ${rec.temp} address ${rec.hwaddr}${rec.mtu ? ` mtu ${rec.mtu}` : ''}`,
          `link set dev ${rec.temp} name ${rec.name}`,
          `link set dev ${rec.name} up`,
        ]),
    ...(cidr ? [`addr replace ${cidr} dev ${rec.name}`] : []),
    ...(gw ? [`route replace default via ${gw} dev ${rec.name} metric ${GATEWAY_METRIC}`] : []),
  ];
  if (!born)
    undo.push(`rename ${rec.name} back to ${rec.temp}`, () =>
      ip(target, ['link', 'set', 'dev', rec.name, 'name', rec.temp]),
    );
  if (lines.length) await ip(target, ['-batch', '-'], { input: lines.join('\n') + '\n' });
  failpoint('attach:renamed');
  if (c.dhcp) {
    failpoint('attach:dhcp');
    await startDhcp(target, rec, dhcpWaitMs, undo);
  }
  if (rec.dnsAdded?.length && rec.nic.root) {
    failpoint('attach:dns');
    const root = rec.nic.root,
      lines = rec.dnsAdded;
    await withEtc(root, async (etc) => {
      const text = await readResolv(root, etc);
      undo.push('remove dns lines', () => removeDns(rec));
      await writeResolv(etc, (text && !text.endsWith('\n') ? `${text}\n` : text) + lines.join('\n') + '\n');
    });
  }
}

/** Differences inside the target: link there, up, MAC, MTU, address. */
export async function checkInside(target: NetnsRef | undefined, rec: NicRecord): Promise<Drift[]> {
  if (!target) return [{ what: 'target', want: 'alive', got: 'gone', repairable: false }];
  const l = await getLink(target, rec.name);
  if (!l) return [{ what: 'link', want: rec.name, got: 'missing', repairable: false }];
  const d: Drift[] = [];
  if (!l.flags.includes('UP')) d.push({ what: 'up', want: true, got: false, repairable: true });
  if (l.address !== rec.hwaddr) d.push({ what: 'hwaddr', want: rec.hwaddr, got: l.address, repairable: true });
  if (rec.mtu && l.mtu !== rec.mtu) d.push({ what: 'mtu', want: rec.mtu, got: l.mtu, repairable: true });
  const cidr = rec.nic.config?.cidr ?? rec.address;
  if (cidr && !(await addressesOf(target, rec.name)).includes(cidr))
    d.push({ what: 'address', want: cidr, repairable: true });
  if (rec.dhcp && !(await dhcpRunning(rec)))
    d.push({ what: 'dhcp', want: 'running', got: 'stopped', repairable: true });
  return d;
}

/** Puts back what checkInside found drifted and can be put back. */
export async function repairInside(
  target: NetnsRef,
  rec: NicRecord,
  drift: Drift[],
  dhcpWaitMs: number,
): Promise<void> {
  for (const x of drift) {
    if (x.what === 'up') await ip(target, ['link', 'set', 'dev', rec.name, 'up']);
    if (x.what === 'hwaddr') await ip(target, ['link', 'set', 'dev', rec.name, 'address', rec.hwaddr]);
    if (x.what === 'mtu') await ip(target, ['link', 'set', 'dev', rec.name, 'mtu', String(rec.mtu)]);
    if (x.what === 'address') await ip(target, ['addr', 'replace', String(x.want), 'dev', rec.name]);
    if (x.what === 'dhcp') await startDhcp(target, rec, dhcpWaitMs);
  }
}
