// nic.attach: validate, record the intent (with everything undo needs) before the first change,
// run the kind's steps with their undos, then mark the record attached. A repeated identical
// attach returns the recorded result; a failure undoes every step and drops the intent (or, when
// an undo failed, keeps it `detaching` for gc: rollback.ts); a crash leaves an `attaching` record
// whose dead owner tells gc, or an identical attach, to undo it.
import { randomBytes } from 'node:crypto';
import { isIPv4 } from 'node:net';
import { isDeepStrictEqual } from 'node:util';
import { ValidationError } from '../../lib/errors.ts';
import { listLinks } from '../../lib/ip.ts';
import { linkNamesIn } from '../../lib/rtnl-netns.ts';
import { SELF, type NetnsRef } from '../../lib/netns.ts';
import type { Ctx } from '../planners/plan.ts';
import { settleDeadTwin } from './dead-twin.ts';
import { PHASE_WORK } from './detach.ts';
import { dhcpFiles } from './dhcp.ts';
import { nicBusy, nicExists, unsupported } from './errors.ts';
import { failpoint, trace } from './failpoint.ts';
import { randomMac } from './mac.ts';
import { dnsToAdd } from './inside.ts';
import { linkAddresses } from './link-addresses.ts';
import { kindFor } from './kinds/index.ts';
import { isBusy, working } from './owners.ts';
import { procStart, self } from './proc.ts';
import { attachWithUndo } from './rollback.ts';
import { putRecord, readState, updateState } from './state.ts';
import { guestResult } from './tap.ts';
import { requireTarget, targetKey, targetRef } from './target.ts';
import type { PluggedRecord } from './veth.ts';
import type {
  AttachResult,
  Draft,
  GuestResult,
  NicKind,
  NicRecord,
  NicSpec,
  NicState,
  NsIdentity,
  ProcId,
  TargetSpec,
} from './types.ts';

/** The records of the namespace `ns` of target `t`. */
export const recordsOf = (s: NicState, t: TargetSpec, ns?: NsIdentity): NicRecord[] =>
  s.nics.filter((r) => targetKey(r.target) === targetKey(t) && (!ns || (r.ns.dev === ns.dev && r.ns.ino === ns.ino)));

/** The lowest `eth<n>` that is neither a link in the target nor a recorded name. */
function freeEth(links: Set<string>): string {
  for (let n = 0; ; n++) if (!links.has(`eth${n}`)) return `eth${n}`;
}

/** Names of the links of `ref`: one in-process dump, or `ip` without the addon. */
async function linkNames(ref: NetnsRef): Promise<string[]> {
  return (await linkNamesIn(ref)) ?? (await listLinks(ref)).map((l) => l.ifname);
}

/** Where a request goes: the kind module, the namespace (none for a guest), its identity, the QEMU process. */
interface Resolved {
  kind: NicKind;
  target?: NetnsRef;
  ns: NsIdentity;
  vm?: ProcId;
}

async function resolve(a: { target: TargetSpec; nic: NicSpec }): Promise<Resolved> {
  if ('kvm' in a.target) {
    const kind = kindFor(true, a.nic.type);
    if (!kind) {
      throw new ValidationError(
        'nic.type',
        `a kvm guest takes default, bridge, vlan, vxlan, network or fleet nics, not ${a.nic.type}`,
      );
    }
    if (a.nic.config || a.nic.root)
      throw new ValidationError(a.nic.config ? 'nic.config' : 'nic.root', 'a kvm guest configures its own addresses');
    let vm: ProcId | undefined;
    if (a.target.pid !== undefined) {
      const start = procStart(a.target.pid);
      if (start === undefined) throw new ValidationError('target.pid', `no process ${a.target.pid}`);
      vm = { pid: a.target.pid, start };
    }
    return { kind, ns: { dev: 0, ino: 0 }, ...(vm ? { vm } : {}) };
  }
  const kind = kindFor(false, a.nic.type);
  if (!kind) throw unsupported('nic.type', `${a.nic.type} nics are not provided by this build yet`);
  return { kind, target: targetRef(a.target), ns: await requireTarget(a.target) };
}

/** The recorded result of an attached nic identical to `a` in `mine`; EBUSY while one is in flight. */
function identical(mine: NicRecord[], a: { nic: NicSpec }): AttachResult | GuestResult | undefined {
  const same = mine.find((r) => isDeepStrictEqual(r.nic, a.nic) && (a.nic.name === undefined || r.name === a.nic.name));
  if (same?.phase === 'attached' && same.result) return same.result;
  if (same && isBusy(same)) throw nicBusy('nic', `an identical nic is being ${PHASE_WORK[same.phase]} (${same.name})`);
  return undefined;
}

/**
 * nic.attach {target, nic} -> the result (also when it was attached already, identically).
 * Only record changes run under the node-wide state lock: the reads of the system (links, the
 * kind's prepare) and of the container's root come before it, the steps after it.
 */
export async function attachNic(
  ovs: Ctx,
  a: { target: TargetSpec; nic: NicSpec },
): Promise<AttachResult | GuestResult> {
  trace('attach:start');
  const path = ovs.nics.statePath;
  const { kind, target, ns, vm } = await resolve(a);
  trace('attach:resolved');
  await settleDeadTwin(ovs, a, ns, path); // an identical attach cut short: undone first, not EEXIST
  trace('attach:twin');
  const ctx = { ovs, target };
  // A repeat answers from the record (a passthrough NIC is not on the host to prepare any more).
  const snap = await readState(path);
  const known = identical(recordsOf(snap, a.target, ns), a);
  if (known) return known;
  trace('attach:read');
  // Names recorded by attaches in flight are added under the lock.
  const present = await linkNames(target ?? SELF);
  const dnsAdded = await dnsToAdd(a.nic);
  trace('attach:links');
  const hex = randomBytes(5).toString('hex');
  // Key and name are set under the lock; the kind's fields now.
  const draft: Draft = {
    key: '',
    target: a.target,
    ns,
    name: '',
    nic: a.nic as Draft['nic'],
    phase: 'attaching',
    owner: self(),
    host: target ? `nh${hex}` : '',
    temp: `nt${hex}`,
    hwaddr: a.nic.hwaddr ?? randomMac(),
    at: new Date().toISOString(),
    ...(a.nic.mtu ? { mtu: a.nic.mtu } : {}),
    ...(a.nic.config?.dhcp ? { dhcp: dhcpFiles(path, hex) } : {}),
    ...(vm ? { vm } : {}),
  };
  // A clash with the records is the answer before what the system says (checked again under the lock).
  kind.claim?.(draft, snap.nics, ctx);
  await kind.prepare(ctx, draft);
  trace('attach:prepared');
  // Claim (the first) and prepare have filled the kind's fields (state-shape.ts checks them on every read).
  const rec = draft as NicRecord;
  rec.dnsAdded = dnsAdded;
  const plan = await updateState(path, (s): { repeat?: AttachResult | GuestResult } => {
    const mine = recordsOf(s, a.target, ns);
    const repeat = identical(mine, a);
    if (repeat) return { repeat };
    // A guest's nic is its tap on the host; a container's lives in the target under its name.
    const links = new Set([...present, ...(target ? mine.map((r) => r.name) : [])]);
    const name = a.nic.name ?? (target ? freeEth(links) : `kt${hex}`);
    if (links.has(name)) throw nicExists('nic.name', `${name} exists in the ${target ? 'target' : 'host'}`, { name });
    rec.name = name;
    rec.key = `${targetKey(a.target)}@${ns.ino}/${name}`;
    if (!target) rec.host = name;
    kind.claim?.(rec, s.nics, ctx);
    putRecord(s, rec);
    return {};
  });
  if (plan.repeat) return plan.repeat;
  return working(rec.key, async () => {
    await attachWithUndo(ovs, rec, path, async (undo) => {
      failpoint('attach:recorded');
      await kind.attach(ctx, rec, undo);
      failpoint('attach:done');
    });
    rec.result = !target
      ? { ...guestResult(rec as PluggedRecord), ...kind.guestAnswer?.(rec) } // GUEST_KINDS are all plugged
      : kind.result
        ? await kind.result(ctx, rec)
        : await containerResult(target, rec, kind.resultKnown === true);
    trace('attach:result');
    rec.phase = 'attached';
    await updateState(path, (s) => putRecord(s, rec));
    trace('attach:written');
    return rec.result;
  });
}

/**
 * nic.attach's answer for a container: computed from the record when the kind set MAC and MTU
 * itself and the address is static (a veth is born with MTU 1500); read back from the target
 * otherwise (macvlan inherits its parent's MTU, passthrough keeps its own, DHCP's lease).
 */
async function containerResult(target: NetnsRef, rec: NicRecord, known: boolean): Promise<AttachResult> {
  const cidr = rec.nic.config?.cidr ?? rec.address;
  // An IPv6 address reads back in its canonical form, which may not be the caller's.
  const l =
    known && !rec.dhcp && (!cidr || isIPv4(cidr.split('/')[0]!))
      ? { address: rec.hwaddr, mtu: rec.mtu ?? 1500, addresses: cidr ? [cidr] : [] }
      : await linkAddresses(target, rec.name);
  return {
    name: rec.name,
    ...(rec.host ? { host: rec.host } : {}),
    hwaddr: l?.address ?? rec.hwaddr,
    mtu: l?.mtu ?? rec.mtu ?? 1500,
    ...(rec.bridge ? { bridge: rec.bridge } : {}),
    ...(rec.tag !== undefined ? { tag: rec.tag } : {}),
    ...(rec.vni !== undefined ? { vni: rec.vni } : {}),
    addresses: l?.addresses ?? [],
  };
}
