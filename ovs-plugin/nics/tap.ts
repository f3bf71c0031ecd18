// Guest (KVM) nics: a tap device on the host, made before QEMU opens it, plugged into the
// kind's bridge exactly as a veth's host end is (VethPlug), plus the libvirt `<interface>` and
// QEMU arguments that use it (multi-queue optional). No config inside: the guest configures
// itself (a `default` nic's pool address and gateway are in the answer for it).
import { getLink, ip } from '../../lib/ip.ts';
import { deleteLinkIfExists } from '../../lib/link.ts';
import { SELF } from '../../lib/netns.ts';
import { failpoint } from './failpoint.ts';
import { deleteHostLinkIfOurs } from './host-link.ts';
import { hostMtu, txOff, type PluggedRecord, type VethPlug } from './veth.ts';
import type { Drift, GuestResult, NicKind } from './types.ts';

/** A NicKind for guests: tap `rec.host` plugged by `p`. */
export function tapKind<R extends PluggedRecord>(p: VethPlug<R>): NicKind<R> {
  return {
    prepare: p.prepare,
    ...(p.claim ? { claim: p.claim } : {}),
    ...(p.guestAnswer ? { guestAnswer: p.guestAnswer } : {}),
    async attach(ctx, rec, undo) {
      await p.ensure?.(ctx, rec, undo);
      // The tap takes the bridge's MTU (veth.ts hostMtu); the guest's own is `host_mtu` below.
      const mtu = await hostMtu(p, ctx, rec);
      failpoint('attach:bridge');
      // More than one queue: a multi_queue tap, which QEMU opens once per queue.
      // Born under the record's temporary name, it gets its MAC and its name in one request: a
      // link called `rec.host` is always this tap with its MAC, so detach can prove it ours.
      await ip(SELF, ['tuntap', 'add', 'dev', rec.temp, 'mode', 'tap', ...(queuesOf(rec) > 1 ? ['multi_queue'] : [])]);
      undo.push(`delete tap ${rec.temp}`, () => deleteLinkIfExists(SELF, rec.temp));
      failpoint('attach:tap');
      await ip(SELF, [
        'link',
        'set',
        'dev',
        rec.temp,
        'address',
        hostMac(rec.hwaddr),
        ...(mtu ? ['mtu', String(mtu)] : []),
        'name',
        rec.host,
      ]);
      undo.push(`delete tap ${rec.host}`, () => deleteLinkIfExists(SELF, rec.host));
      if (rec.txOff) await txOff(SELF, rec.host);
      await p.plug(ctx, rec, undo);
      failpoint('attach:plugged');
      await ip(SELF, ['link', 'set', 'dev', rec.host, 'up']);
    },
    async detach(ctx, rec) {
      await p.unplug(ctx, rec);
      failpoint('detach:unplugged');
      // A link of either name that is not our tap stays.
      await deleteHostLinkIfOurs(rec.temp, 'tun');
      await deleteHostLinkIfOurs(rec.host, 'tun', hostMac(rec.hwaddr));
      failpoint('detach:deleted');
      return {};
    },
    async check(ctx, rec) {
      const l = await getLink(SELF, rec.host);
      if (!l) return [{ what: 'tap', want: rec.host, got: 'missing', repairable: false }];
      const d: Drift[] = l.flags.includes('UP') ? [] : [{ what: 'host-up', want: true, got: false, repairable: true }];
      return [...d, ...(await p.checkPlug(ctx, rec))];
    },
    async repair(ctx, rec) {
      await ip(SELF, ['link', 'set', 'dev', rec.host, 'up']);
      await p.replug?.(ctx, rec);
    },
  };
}

/**
 * The tap's own MAC: the guest's with the first octet changed (fe:..., as libvirt does), so the
 * bridge never sees the guest's address on two ports.
 */
export const hostMac = (guest: string): string => `fe${guest.slice(2)}`;

/** The tap's queue count (1 unless the nic asks for more). */
const queuesOf = (rec: PluggedRecord): number => rec.nic.queues ?? 1;

/**
 * libvirt domain XML for the tap we made (`type='ethernet'`, `managed='no'`: libvirt only opens
 * it); several queues: `<driver name='vhost' queues='N'/>` (libvirt opens the tap N times).
 */
export function libvirtXml(rec: PluggedRecord): string {
  const q = queuesOf(rec);
  return [
    `<interface type='ethernet'>`,
    `  <mac address='${rec.hwaddr}'/>`,
    `  <target dev='${rec.host}' managed='no'/>`,
    `  <model type='virtio'/>`,
    ...(q > 1 ? [`  <driver name='vhost' queues='${q}'/>`] : []),
    ...(rec.mtu ? [`  <mtu size='${rec.mtu}'/>`] : []),
    `</interface>`,
  ].join('\n');
}

/**
 * QEMU arguments that open the tap (no scripts: it is plugged already). N queues: `queues=N` on
 * the netdev, `mq=on` and 2N+2 MSI-X vectors (one per queue of each direction, config, control)
 * on the device, as QEMU's multiqueue documentation gives them.
 */
export function qemuArgs(rec: PluggedRecord): string[] {
  const id = `net-${rec.host}`;
  const q = queuesOf(rec);
  return [
    '-netdev',
    `tap,id=${id},ifname=${rec.host},script=no,downscript=no${q > 1 ? `,queues=${q}` : ''}`,
    '-device',
    `virtio-net-pci,netdev=${id},mac=${rec.hwaddr}` +
      `${q > 1 ? `,mq=on,vectors=${2 * q + 2}` : ''}${rec.mtu ? `,host_mtu=${rec.mtu}` : ''}`,
  ];
}

/** nic.attach's answer for a guest. */
export function guestResult(rec: PluggedRecord): GuestResult {
  return {
    tap: rec.host,
    hwaddr: rec.hwaddr,
    mtu: rec.mtu ?? 1500,
    bridge: rec.bridge,
    ...(rec.tag !== undefined ? { tag: rec.tag } : {}),
    ...(rec.vni !== undefined ? { vni: rec.vni } : {}),
    ...(rec.address ? { address: rec.address } : {}),
    ...(rec.gateway ? { gateway: rec.gateway } : {}),
    ...(queuesOf(rec) > 1 ? { queues: queuesOf(rec) } : {}),
    libvirt: libvirtXml(rec),
    qemu: qemuArgs(rec),
  };
}
