// What the veth kinds (bridge, vlan, vxlan, default, network, fleet) share: the pair is made in one request,
// host end `rec.host` here, peer born in the target under its final name, MAC and MTU, up (so
// nothing half-made is left in either namespace, and nothing to rename), then the host end is
// plugged (kind-specific) while the peer gets its config.
// Detach deletes the host end, which deletes the pair: it works whatever state a crash left; a
// link of that name that is not a veth named as ours is left alone (host-link.ts).
import { getLink, ip } from '../../lib/ip.ts';
import { setupVeth } from '../../lib/link.ts';
import { readLink } from '../../lib/rtnl.ts';
import { runIn, SELF, type NetnsRef } from '../../lib/netns.ts';
import type { UndoStack } from '../../lib/undo.ts';
import { failpoint } from './failpoint.ts';
import { deleteHostLinkIfOurs } from './host-link.ts';
import { checkInside, configureInside, undoConfig } from './inside.ts';
import type { Drift, KindCtx, NicKind, RecordOf } from './types.ts';

/** The records of the kinds whose host end (veth or tap) is plugged into a bridge. */
export type PluggedRecord =
  | RecordOf<'default'>
  | RecordOf<'bridge'>
  | RecordOf<'vlan'>
  | RecordOf<'vxlan'>
  | RecordOf<'network'>
  | RecordOf<'fleet'>;

/** How a veth kind plugs its host end in and out. */
export interface VethPlug<R extends PluggedRecord = PluggedRecord> {
  prepare: NicKind<R>['prepare'];
  claim?: NicKind<R>['claim'];
  /** Before the pair exists: make the bridge if the kind makes one. */
  ensure?(ctx: KindCtx, rec: R, undo: UndoStack): Promise<void>;
  /**
   * ensure makes nothing the veth needs (a fleet nic's logical port is in the NB, its bridge
   * br-int is there already): it runs beside the veth instead of before it.
   */
  ensureBeside?: boolean;
  plug(ctx: KindCtx, rec: R, undo: UndoStack): Promise<void>;
  unplug(ctx: KindCtx, rec: R): Promise<void>;
  checkPlug(ctx: KindCtx, rec: R): Promise<Drift[]>;
  /** Plugs the host end in again after drift. */
  replug?(ctx: KindCtx, rec: R): Promise<void>;
  /** The host link whose MTU is the bridge's (a Linux bridge itself; an OVS bridge's internal interface). */
  bridgeLink(ctx: KindCtx, rec: R): string;
  /** A guest's answer beyond the common fields (tapKind passes it on as NicKind.guestAnswer). */
  guestAnswer?: NicKind<R>['guestAnswer'];
}

/**
 * The MTU the host end (veth or tap) takes: its bridge's, whatever the nic's own. A Linux
 * bridge whose MTU was not set by hand follows its smallest port (br_mtu_auto_adjust), and
 * ovs-vswitchd sets a bridge's internal interfaces (and those of VLAN bridges made later) to
 * its smallest port's unless they have `mtu_request` (ovs-vswitchd.conf.db(5) "mtu_request"):
 * a host end of the bridge's MTU changes neither, and below 1280 the kernel would drop the
 * bridge's IPv6 addresses. The nic keeps its own MTU in the target. Undefined (the nic's MTU)
 * when the bridge has no link here.
 */
export async function hostMtu<R extends PluggedRecord>(
  p: VethPlug<R>,
  ctx: KindCtx,
  rec: R,
): Promise<number | undefined> {
  return (await readLink(SELF, p.bridgeLink(ctx, rec)))?.mtu || rec.mtu;
}

/**
 * Turns off TX checksum offload on `name`: the userspace (netdev) datapath does not complete
 * partial checksums, so without this ping works over a veth port and TCP does not.
 */
export async function txOff(ref: NetnsRef, name: string): Promise<void> {
  await runIn(ref, 'ethtool', ['-K', name, 'tx', 'off'], { timeoutMs: 10_000 });
}

/** Waits for both (so no undo runs while a step is still in flight); rethrows the first failure. */
export async function both(a: Promise<unknown>, b: Promise<unknown>): Promise<void> {
  const [x, y] = await Promise.allSettled([a, b]);
  if (x.status === 'rejected') throw x.reason;
  if (y.status === 'rejected') throw y.reason;
}

/** A NicKind made of the shared veth steps and `p`'s plug steps. */
export function vethKind<R extends PluggedRecord>(p: VethPlug<R>): NicKind<R> {
  return {
    prepare: p.prepare,
    ...(p.claim ? { claim: p.claim } : {}),
    resultKnown: true,
    async attach(ctx, rec, undo) {
      const target = ctx.target!;
      const veth = async (): Promise<void> => {
        const localMtu = await hostMtu(p, ctx, rec);
        failpoint('attach:bridge');
        // The peer is born in the target as it stays: its final name (free there, checked before
        // the intent was recorded; a clash since fails the whole request), MAC, MTU, up. The host
        // end is born with the bridge's MTU (hostMtu), so plugging it changes no other link.
        await setupVeth({
          ref: SELF,
          name: rec.host,
          peer: rec.name,
          peerNs: target,
          mtu: rec.mtu,
          localMtu,
          peerAddress: rec.hwaddr,
          up: true,
          peerUp: true,
          undo,
        });
      };
      if (p.ensureBeside) await both(p.ensure?.(ctx, rec, undo) ?? Promise.resolve(), veth());
      else {
        await p.ensure?.(ctx, rec, undo);
        await veth();
      }
      failpoint('attach:veth');
      // The plug (OVSDB, or the host end's master) and the inside (its own namespace) touch
      // different things: both at once. Only the container's end needs TX checksums off: its TX
      // is what the switch receives; what the userspace datapath sends out of the host end comes
      // from userspace, checksums complete.
      await both(
        p.plug(ctx, rec, undo).then(() => failpoint('attach:plugged')),
        (async () => {
          if (rec.txOff) await txOff(target, rec.name);
          await configureInside(target, rec, undo, ctx.ovs.nics.dhcpWaitMs, true);
        })(),
      );
    },
    async detach(ctx, rec) {
      // The port and the link go at once (a port whose link is gone is only an Interface.error
      // until its row goes; either order leaves a state detach finishes).
      await both(
        p.unplug(ctx, rec).then(() => failpoint('detach:unplugged')),
        deleteHostLinkIfOurs(rec.host, 'veth'),
      );
      failpoint('detach:deleted');
      await undoConfig(rec);
      return {};
    },
    async check(ctx, rec) {
      const l = await getLink(SELF, rec.host);
      if (!l) return [{ what: 'host', want: rec.host, got: 'missing', repairable: false }];
      const d: Drift[] = [];
      if (!l.flags.includes('UP')) d.push({ what: 'host-up', want: true, got: false, repairable: true });
      return [...d, ...(await p.checkPlug(ctx, rec)), ...(await checkInside(ctx.target, rec))];
    },
    async repair(ctx, rec) {
      await ip(SELF, ['link', 'set', 'dev', rec.host, 'up']);
      await p.replug?.(ctx, rec);
    },
  };
}
