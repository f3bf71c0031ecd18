// Bridge `zos` on the chosen NIC, as Zero-OS's internet daemon builds it: MAC of the NIC, STP
// off, VLAN filtering (vlan:priv / vlan:pub), the NIC enslaved with IPv6 off on it, IPv6 + RA
// on zos. Each step registers its undo (lib/undo.ts); a failure
// runs them in reverse (CNI host-device.go), so a failed build leaves nothing behind. Link
// changes go in-process through rtnetlink (lib/rtnl.ts): on a node every `ip` fork here was on
// the way to the default route.
import {
  AppError,
  bridgeFailed,
  isKernelRefusal,
  LinkNotFoundError,
  nicInUse,
  noNic,
  toAppError,
  vlanFilterRefused,
  zosNotBridge,
} from '../../lib/errors.ts';
import { bridge, ip, listLinks } from '../../lib/ip.ts';
import { deleteLinkIfExists } from '../../lib/link.ts';
import { addBridge, readLink, setBridgeVlanFiltering, setLink, setLinkUp } from '../../lib/rtnl.ts';
import type { Logger } from '../../lib/log.ts';
import type { NetnsRef } from '../../lib/netns.ts';
import { setSysctl } from '../../lib/sysctl.ts';
import { withUndo, type UndoStack } from '../../lib/undo.ts';

/** The bridge every Zero-OS component expects the node's uplink on. */
export const ZOS = 'zos';

/** What ensureZosBridge builds: the NIC (and its MAC) to put under zos, optional VLANs. */
export interface BridgeOptions {
  /** Namespace to build in. */
  ns: NetnsRef;
  nic: string;
  mac: string;
  vlanPriv?: number;
  vlanPub?: number;
  log: Logger;
}

/** What was built; `vlanFiltering` false when the kernel refused it and no VLAN was asked. */
export interface BridgeResult {
  vlanFiltering: boolean;
  created: boolean;
}

/** Builds or completes `zos` on `nic`; idempotent (an existing correct zos is kept). */
export async function ensureZosBridge(o: BridgeOptions): Promise<BridgeResult> {
  try {
    return await withUndo(o.log, (undo) => buildZos(o, undo));
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw bridgeFailed(ZOS, o.nic, err);
  }
}

async function buildZos(o: BridgeOptions, undo: UndoStack): Promise<BridgeResult> {
  const { ns, nic, log } = o;
  const vlanAsked = o.vlanPriv !== undefined || o.vlanPub !== undefined;
  const [link, zos] = await Promise.all([readLink(ns, nic), readLink(ns, ZOS)]); // in-process (lib/rtnl.ts)
  if (!link) throw noNic(`NIC "${nic}" does not exist`, { nic });
  let created = false;
  if (zos && zos.kind !== 'bridge') {
    throw zosNotBridge(zos.kind);
  }
  let vlanFiltering = zos?.vlanFiltering === true;
  if (!zos) {
    await addBridge(ns, ZOS, false);
    undo.push(`delete ${ZOS}`, () => deleteLinkIfExists(ns, ZOS));
    created = true;
    log.info('bridge.created', { bridge: ZOS });
  }
  if (!vlanFiltering) {
    try {
      await setBridgeVlanFiltering(ns, ZOS);
      vlanFiltering = true;
    } catch (err) {
      if (!isKernelRefusal(err)) throw err; // a timeout, zos gone: not the kernel's answer about VLAN filtering
      const why = toAppError(err).message;
      if (vlanAsked) {
        throw vlanFilterRefused(why, { vlanPriv: o.vlanPriv, vlanPub: o.vlanPub }, err);
      }
      log.warn('bridge.no-vlan-filtering', {
        bridge: ZOS,
        reason: 'kernel refuses vlan_filtering; no VLAN asked, building without it',
      });
    }
  }
  if (zos?.mac !== o.mac) await setLink(ns, ZOS, { mac: o.mac });
  if (link.master !== ZOS) {
    if (link.master) throw nicInUse(nic, link.master);
    await setLink(ns, nic, { master: ZOS });
    undo.push(`release ${nic}`, () => setLink(ns, nic, { master: null }));
    log.info('bridge.port-added', { bridge: ZOS, nic });
  }
  await setSysctl(ns, `net/ipv6/conf/${nic}/disable_ipv6`, 1);
  undo.push(`IPv6 back on ${nic}`, () => setSysctl(ns, `net/ipv6/conf/${nic}/disable_ipv6`, 0));
  await setSysctl(ns, `net/ipv6/conf/${ZOS}/disable_ipv6`, 0);
  // accept_ra=2: take RAs even if forwarding is on in this namespace (routing unit of the image).
  await setSysctl(ns, `net/ipv6/conf/${ZOS}/accept_ra`, 2);
  await setSysctl(ns, `net/ipv6/conf/${ZOS}/autoconf`, 1);
  if (vlanFiltering && o.vlanPriv !== undefined) {
    // Zero-OS: management traffic is vlan:priv, untagged on zos itself, tagged on the NIC.
    await bridge(ns, ['vlan', 'del', 'vid', '1', 'dev', ZOS, 'self']);
    await bridge(ns, ['vlan', 'add', 'vid', String(o.vlanPriv), 'dev', ZOS, 'pvid', 'untagged', 'self']);
    await bridge(ns, ['vlan', 'add', 'vid', String(o.vlanPriv), 'dev', nic]);
  }
  if (vlanFiltering && o.vlanPub !== undefined) await bridge(ns, ['vlan', 'add', 'vid', String(o.vlanPub), 'dev', nic]);
  await setLinkUp(ns, nic, true);
  await setLinkUp(ns, ZOS, true);
  log.debug('bridge.ready', { bridge: ZOS, nic, mac: o.mac, vlanFiltering });
  return { vlanFiltering, created };
}

/** Ports of `zos` (links whose master is zos). */
export async function zosPorts(ns: NetnsRef): Promise<string[]> {
  return (await listLinks(ns)).filter((l) => l.master === ZOS).map((l) => l.ifname);
}

/**
 * Takes a half-built `zos` apart: ports released (IPv6 back on), bridge deleted. Idempotent: a
 * port or zos already gone is fine; any other failure is thrown (and nothing logged as done).
 */
export async function dismantleZos(ns: NetnsRef, log: Logger): Promise<string[]> {
  const [zos] = await listLinks(ns, ZOS);
  if (!zos) return [];
  if (zos.linkinfo?.info_kind !== 'bridge') {
    throw zosNotBridge(zos.linkinfo?.info_kind);
  }
  const ports = await zosPorts(ns);
  for (const p of ports) {
    try {
      await ip(ns, ['link', 'set', p, 'nomaster']);
    } catch (err) {
      if (!(err instanceof LinkNotFoundError)) throw err;
      continue; // the port is gone
    }
    // The port was ours a moment ago; a sysctl it lacks (IPv6 off in this kernel) is no reason to stop.
    await setSysctl(ns, `net/ipv6/conf/${p}/disable_ipv6`, 0).catch((err: unknown) =>
      log.debug('bridge.ipv6-restore-failed', { nic: p, error: String(err) }),
    );
  }
  await deleteLinkIfExists(ns, ZOS);
  log.info('bridge.dismantled', { bridge: ZOS, released: ports.join(',') || undefined });
  return ports;
}
