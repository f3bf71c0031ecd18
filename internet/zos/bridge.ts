// Bridge `zos` on the chosen NIC, as Zero-OS's `internet` builds it: MAC of the NIC, STP off, VLAN filtering (vlan:priv / vlan:pub), the NIC enslaved
// with IPv6 off on it, IPv6 + RA on zos. Each step registers its undo; a failure runs them in
// reverse (CNI host-device.go), so a failed build leaves nothing behind.
import { AppError, bridgeFailed, nicInUse, noNic, toAppError, vlanFilterRefused, zosNotBridge } from '../../lib/errors.ts';
import { run } from '../../lib/exec.ts';
import { ip, listLinks } from '../../lib/ip.ts';
import type { Logger } from '../../lib/log.ts';
import { setSysctl } from '../../lib/sysctl.ts';

/** The bridge every Zero-OS component expects the node's uplink on. */
export const ZOS = 'zos';

/** What ensureZosBridge builds: the NIC (and its MAC) to put under zos, optional VLANs. */
export interface BridgeOptions {
  /** Namespace to build in; undefined: the one this process runs in. */
  ns?: string;
  nic: string;
  mac: string;
  vlanPriv?: number;
  vlanPub?: number;
  log: Logger;
}

/** What was built; `vlanFiltering` false when the kernel refused it and no VLAN was asked. */
export interface BridgeResult { vlanFiltering: boolean; created: boolean }

/** `bridge [-n ns] args...` (iproute2). */
async function bridgeCmd(ns: string | undefined, args: string[]): Promise<void> {
  await run('bridge', [...(ns ? ['-n', ns] : []), ...args], { timeoutMs: 15_000 });
}

/** Builds or completes `zos` on `nic`; idempotent (an existing correct zos is kept). */
export async function ensureZosBridge(o: BridgeOptions): Promise<BridgeResult> {
  const { ns, nic, log } = o;
  const undo: (() => Promise<unknown>)[] = [];
  const vlanAsked = o.vlanPriv !== undefined || o.vlanPub !== undefined;
  try {
    const [link] = await listLinks(ns, nic);
    if (!link) throw noNic(`NIC "${nic}" does not exist`, { nic });
    let [zos] = await listLinks(ns, ZOS);
    let created = false;
    if (zos && zos.linkinfo?.info_kind !== 'bridge') {
      throw zosNotBridge(zos.linkinfo?.info_kind);
    }
    if (!zos) {
      await ip(ns, ['link', 'add', ZOS, 'type', 'bridge', 'stp_state', '0']);
      undo.push(() => ip(ns, ['link', 'del', ZOS], { allowFailure: true }));
      created = true;
      log.info('bridge.created', { bridge: ZOS });
      [zos] = await listLinks(ns, ZOS);
    }
    let vlanFiltering = zos?.linkinfo?.info_data?.vlan_filtering === 1;
    if (!vlanFiltering) {
      try {
        await ip(ns, ['link', 'set', ZOS, 'type', 'bridge', 'vlan_filtering', '1']);
        vlanFiltering = true;
      } catch (err) {
        const why = toAppError(err).message;
        if (vlanAsked) {
          throw vlanFilterRefused(why, { vlanPriv: o.vlanPriv, vlanPub: o.vlanPub }, err);
        }
        log.warn('bridge.no-vlan-filtering', { bridge: ZOS, reason: 'kernel refuses vlan_filtering; no VLAN asked, building without it' });
      }
    }
    if (zos?.address !== o.mac) await ip(ns, ['link', 'set', ZOS, 'address', o.mac]);
    if (link.master !== ZOS) {
      if (link.master) throw nicInUse(nic, link.master);
      await ip(ns, ['link', 'set', nic, 'master', ZOS]);
      undo.push(() => ip(ns, ['link', 'set', nic, 'nomaster'], { allowFailure: true }));
      log.info('bridge.port-added', { bridge: ZOS, nic });
    }
    await setSysctl(ns, `net/ipv6/conf/${nic}/disable_ipv6`, 1);
    undo.push(() => setSysctl(ns, `net/ipv6/conf/${nic}/disable_ipv6`, 0).catch(() => {}));
    await setSysctl(ns, `net/ipv6/conf/${ZOS}/disable_ipv6`, 0);
    // accept_ra=2: take RAs even if forwarding is on in this namespace (routing unit of the image).
    await setSysctl(ns, `net/ipv6/conf/${ZOS}/accept_ra`, 2);
    await setSysctl(ns, `net/ipv6/conf/${ZOS}/autoconf`, 1);
    if (vlanFiltering && o.vlanPriv !== undefined) {
      // Zero-OS: management traffic is vlan:priv, untagged on zos itself, tagged on the NIC.
      await bridgeCmd(ns, ['vlan', 'del', 'vid', '1', 'dev', ZOS, 'self']);
      await bridgeCmd(ns, ['vlan', 'add', 'vid', String(o.vlanPriv), 'dev', ZOS, 'pvid', 'untagged', 'self']);
      await bridgeCmd(ns, ['vlan', 'add', 'vid', String(o.vlanPriv), 'dev', nic]);
    }
    if (vlanFiltering && o.vlanPub !== undefined) await bridgeCmd(ns, ['vlan', 'add', 'vid', String(o.vlanPub), 'dev', nic]);
    await ip(ns, ['link', 'set', nic, 'up']);
    await ip(ns, ['link', 'set', ZOS, 'up']);
    log.debug('bridge.ready', { bridge: ZOS, nic, mac: o.mac, vlanFiltering });
    return { vlanFiltering, created };
  } catch (err) {
    for (const u of undo.reverse()) await u().catch(() => {});
    if (err instanceof AppError) throw err;
    throw bridgeFailed(ZOS, nic, err);
  }
}

/** Ports of `zos` (links whose master is zos). */
export async function zosPorts(ns: string | undefined): Promise<string[]> {
  return (await listLinks(ns)).filter((l) => l.master === ZOS).map((l) => l.ifname);
}

/** Takes a half-built `zos` apart: ports released (IPv6 back on), bridge deleted. Idempotent. */
export async function dismantleZos(ns: string | undefined, log: Logger): Promise<string[]> {
  const [zos] = await listLinks(ns, ZOS);
  if (!zos) return [];
  if (zos.linkinfo?.info_kind !== 'bridge') {
    throw zosNotBridge(zos.linkinfo?.info_kind);
  }
  const ports = await zosPorts(ns);
  for (const p of ports) {
    await ip(ns, ['link', 'set', p, 'nomaster'], { allowFailure: true });
    await setSysctl(ns, `net/ipv6/conf/${p}/disable_ipv6`, 0).catch(() => {});
  }
  await ip(ns, ['link', 'del', ZOS], { allowFailure: true });
  log.info('bridge.dismantled', { bridge: ZOS, released: ports.join(',') || undefined });
  return ports;
}
