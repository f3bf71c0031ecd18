// `zerotier`: a real ZeroTier member inside the container (Zero-OS v1's zerotier nic). prepare
// makes its identity (node id and MAC known before the record is written); attach makes its home
// (zerotier/home.ts), starts zerotier-one inside the target (zerotier/member.ts) and waits for
// its network (zerotier/join.ts). Detach leaves the network, stops the member and removes its
// home; with the target dead (gc) it only stops and removes (the namespace is the member's own to
// keep alive: the target, not the namespace, says the container died). Check: the member runs,
// the network is OK, the interface is there with its MAC and addresses; repair restarts the
// member from its home, so its identity (and the controller's authorization) is kept.
import { AppError, Code, InternalError, ValidationError } from '../../../lib/errors.ts';
import { getLink } from '../../../lib/ip.ts';
import { stderrLogger } from '../../../lib/log.ts';
import type { NetnsRef } from '../../../lib/netns.ts';
import { nicExists } from '../errors.ts';
import { failpoint } from '../failpoint.ts';
import { linkAddresses } from '../link-addresses.ts';
import type {
  AttachResult,
  Draft,
  Drift,
  KindCtx,
  NicKind,
  NicRecord,
  NicSettings,
  RecordOf,
  TargetSpec,
} from '../types.ts';
import { leaveNetwork, networkOf } from '../zerotier/api.ts';
import { homeFor, isOurHome, makeHome, removeHome } from '../zerotier/home.ts';
import { generateIdentity, ztMac } from '../zerotier/identity.ts';
import { waitForApi, waitJoined, type MemberRef } from '../zerotier/join.ts';
import { memberPids, startMember, stopMember } from '../zerotier/member.ts';
import { findZerotierOne, readPlanet, requireZerotierOne } from '../zerotier/settings.ts';

type ZtRecord = RecordOf<'zerotier'>;

/** The field naming a container target in refusals. */
const fieldOf = (t: TargetSpec): string => ('netns' in t ? 'target.netns' : 'target.pid');

/** The first member port; each zerotier nic of one target takes the lowest one free. */
export const ZT_PORT = 9993;
/** attach's default wait for the network (config.wait_ms). */
export const ZT_WAIT_MS = 30_000;

/** What prepare made that the state file never holds: the identity's secret and the planet. */
const secrets = new WeakMap<object, { secret: string; planet?: Buffer }>();

/** True when both records are of one target namespace. */
const sameTarget = (a: Pick<NicRecord, 'ns'>, b: Pick<NicRecord, 'ns'>) =>
  a.ns.dev === b.ns.dev && a.ns.ino === b.ns.ino;

const memberOf = (rec: ZtRecord, ref: NetnsRef, bin: string): MemberRef => ({
  ref,
  bin,
  m: rec.zt,
  nwid: String(rec.nic.id),
  name: rec.name,
});

/** (Re)starts the member and waits for its API. */
async function start(ctx: KindCtx, rec: ZtRecord, bin: string) {
  await startMember(ctx.target!, bin, rec.zt);
  return waitForApi(memberOf(rec, ctx.target!, bin));
}

/** The zerotier kind (containers only: GUEST_KINDS has none). */
export const zerotierKind: NicKind<ZtRecord> = {
  async prepare(ctx, rec: Draft<ZtRecord>) {
    const bin = await requireZerotierOne(ctx.ovs.nics);
    const planet = await readPlanet(ctx.ovs.nics);
    // The member's local API is 127.0.0.1 in the target: without lo up nothing could ask it.
    if (!(await getLink(ctx.target!, 'lo'))?.flags.includes('UP'))
      throw new ValidationError(fieldOf(rec.target), "the target's lo is down: zerotier-one's local API needs it");
    const id = await generateIdentity(bin);
    secrets.set(rec, { secret: id.secret, ...(planet ? { planet } : {}) });
    rec.hwaddr = ztMac(id.node, String(rec.nic.id));
    rec.zt = { home: homeFor(ctx.ovs.nics.statePath, rec.temp.slice(2)), port: rec.zt?.port ?? ZT_PORT, node: id.node };
  },
  claim(rec, all) {
    const mine = all.filter((r): r is ZtRecord => r.nic.type === 'zerotier' && r.key !== rec.key && sameTarget(r, rec));
    if (mine.some((r) => r.nic.id === rec.nic.id))
      throw nicExists('nic.id', `the target is a member of zerotier network ${rec.nic.id} already`);
    const used = new Set(mine.map((r) => r.zt.port));
    let port = ZT_PORT;
    while (used.has(port)) port++;
    if (rec.zt) rec.zt.port = port;
  },
  async attach(ctx, rec, undo) {
    const bin = await requireZerotierOne(ctx.ovs.nics);
    const log = ctx.ovs.log ?? stderrLogger();
    const s = secrets.get(rec);
    if (!s) throw new InternalError(`zerotier nic ${rec.key}: attach without its prepare`);
    undo.push('remove zerotier home', () => removeHome(ctx.ovs.nics.statePath, rec.zt.home, log));
    await makeHome(rec.zt.home, {
      secret: s.secret,
      network: String(rec.nic.id),
      name: rec.name,
      port: rec.zt.port,
      ...(s.planet ? { planet: s.planet } : {}),
    });
    secrets.delete(rec);
    failpoint('attach:home');
    undo.push('stop zerotier member', () => stopMember(rec.zt.home));
    await start(ctx, rec, bin);
    failpoint('attach:started');
    const wait = rec.nic.config?.wait_ms ?? ZT_WAIT_MS;
    if (wait > 0) await waitJoined(memberOf(rec, ctx.target!, bin), wait);
    failpoint('attach:joined');
  },
  async result(ctx, rec): Promise<AttachResult> {
    const bin = await requireZerotierOne(ctx.ovs.nics);
    const n = await networkOf(ctx.target!, bin, rec.zt, String(rec.nic.id));
    const l = await linkAddresses(ctx.target!, rec.name);
    return {
      name: rec.name,
      hwaddr: l?.address ?? rec.hwaddr,
      mtu: l?.mtu ?? (n?.mtu || 2800),
      addresses: n?.status === 'OK' ? n.assignedAddresses : [],
      node_id: rec.zt.node,
      network_status: n?.status ?? 'REQUESTING_CONFIGURATION',
    };
  },
  async detach(ctx, rec) {
    const log = ctx.ovs.log ?? stderrLogger();
    // A home not named as attach names them (a hand-edited state file): no process or file of it is touched.
    if (!isOurHome(ctx.ovs.nics.statePath, rec.zt.home)) {
      log.warn('zerotier-home-not-ours', { key: rec.key, home: rec.zt.home });
      return {};
    }
    const bin = await findZerotierOne(ctx.ovs.nics);
    // Leave first (its TAP goes at once); a member that does not answer is stopped all the same.
    if (ctx.target && bin && (await memberPids(rec.zt.home)).length)
      if (!(await leaveNetwork(ctx.target, bin, rec.zt, String(rec.nic.id))))
        log.warn('zerotier-leave-unanswered', { key: rec.key });
    failpoint('detach:left');
    await stopMember(rec.zt.home);
    failpoint('detach:stopped');
    await removeHome(ctx.ovs.nics.statePath, rec.zt.home, log);
    return {};
  },
  async check(ctx, rec) {
    if (!ctx.target) return [{ what: 'target', want: 'alive', got: 'gone', repairable: false }];
    if (!(await memberPids(rec.zt.home)).length)
      return [{ what: 'member', want: 'running', got: 'stopped', repairable: true }];
    const d: Drift[] = [];
    const bin = await findZerotierOne(ctx.ovs.nics);
    const n = bin ? await networkOf(ctx.target, bin, rec.zt, String(rec.nic.id)) : undefined;
    if (!n)
      d.push({ what: 'network-status', want: 'OK', got: n === null ? 'not joined' : 'no answer', repairable: !!bin });
    else if (n.status !== 'OK') d.push({ what: 'network-status', want: 'OK', got: n.status, repairable: false });
    const l = await linkAddresses(ctx.target, rec.name);
    if (!l) d.push({ what: 'link', want: rec.name, got: 'missing', repairable: true });
    else {
      if (l.address !== rec.hwaddr) d.push({ what: 'zt-hwaddr', want: rec.hwaddr, got: l.address, repairable: false });
      const missing = (n?.status === 'OK' ? n.assignedAddresses : []).filter((a) => !l.addresses.includes(a));
      if (missing.length) d.push({ what: 'zt-addresses', want: missing, got: l.addresses, repairable: true });
    }
    return d;
  },
  async repair(ctx, rec) {
    if (!ctx.target) return;
    const bin = await requireZerotierOne(ctx.ovs.nics);
    // A member that runs but lost its interface or addresses is restarted too: it makes them at its start.
    await stopMember(rec.zt.home);
    await start(ctx, rec, bin);
    // A network still not OK is the check's to report (network-status), not a failed repair.
    await waitJoined(memberOf(rec, ctx.target, bin), rec.nic.config?.wait_ms || ZT_WAIT_MS).catch((err: unknown) => {
      if (!(err instanceof AppError && err.code === Code.EZTJOIN)) throw err;
    });
  },
};

/**
 * What nic.list shows of a zerotier nic: its node id and the network's status now (asked of the member; `STOPPED`
 * when it does not run, `NO_ANSWER` when it does not answer, `TARGET_GONE` when the container died).
 */
export async function ztListed(
  rec: ZtRecord,
  target: NetnsRef | undefined,
  nics: Pick<NicSettings, 'zerotierOne'>,
): Promise<{ node_id: string; network_status: string }> {
  const status = async (): Promise<string> => {
    if (!target) return 'TARGET_GONE';
    if (!(await memberPids(rec.zt.home)).length) return 'STOPPED';
    const bin = await findZerotierOne(nics);
    const n = bin ? await networkOf(target, bin, rec.zt, String(rec.nic.id)) : undefined;
    return n ? n.status : 'NO_ANSWER';
  };
  return { node_id: rec.zt.node, network_status: await status() };
}
